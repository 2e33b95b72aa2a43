import PsearchCore
import PsearchLang

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// TEMPORARY: a stand-in language so the REPL can be driven in a real terminal before the
// interpreter lands. Integers, strings, variables, `fn` definitions (stored, not run) and a
// `while` that spins until Ctrl-C. The lead replaces this with the PsearchLang adapter.
// PsearchLang on main exports `psearchVersion`; this branch predates it.
let psearchVersion = PsearchLangVersion.string

final class DemoEngine: ReplEngine {
    private var variables: [String: Value] = [:]
    private static let keywords = ["let", "fn", "if", "else", "while", "for", "in", "return", "true", "false", "nil"]
    private static let builtins = ["print", "len", "sqrt", "sum", "descend", "search", "vec", "zeros"]

    enum Value {
        /// A function keeps its parameters and the expression after `return` in its body.
        case int(Int), string(String), function(name: String, parameters: [String], body: String)
        var echo: String {
            switch self {
            case .int(let n): return String(n)
            case .string(let s): return "\"" + s + "\""
            case .function(let name, _, _): return "<fn \(name)>"
            }
        }
        var typeName: String {
            switch self {
            case .int: return "number"
            case .string: return "string"
            case .function: return "function"
            }
        }
    }

    func completeness(of source: String) -> InputCompleteness {
        var stack: [Character] = []
        var inString = false, escaped = false
        for ch in source {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true
            case "(", "[", "{": stack.append(ch)
            case ")", "]", "}":
                let open: Character = ch == ")" ? "(" : ch == "]" ? "[" : "{"
                guard stack.last == open else { return .invalid }
                stack.removeLast()
            default: break
            }
        }
        if inString || !stack.isEmpty { return .incomplete }
        if let last = source.trimmingWhitespace.last, "+-*/=,".contains(last) { return .incomplete }
        return .complete
    }

    func run(_ input: String) -> ReplResult {
        let source = input.trimmingWhitespace
        if source.isEmpty { return .silent }
        if source.hasPrefix("while") {
            while !Interrupt.isRequested { usleep(1_000) }
            _ = Interrupt.take()
            return .error("error: interrupted")
        }
        if source.hasPrefix("fn ") {
            let name = String(source.dropFirst(3).prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            guard let open = source.firstIndex(of: "("), let close = source.firstIndex(of: ")"),
                  let brace = source.firstIndex(of: "{"), let end = source.lastIndex(of: "}"), brace < end else {
                return .error("error: demo functions look like fn f(a, b) { return a + b }")
            }
            let parameters = source[source.index(after: open)..<close].split(separator: ",").map { $0.trimmingWhitespace }
            var body = source[source.index(after: brace)..<end].trimmingWhitespace
            if body.hasPrefix("return ") { body = String(body.dropFirst(7)) }
            variables[name] = .function(name: name, parameters: parameters, body: body)
            return .silent
        }
        var body = Substring(source)
        var target: String?
        if body.hasPrefix("let ") { body = body.dropFirst(4) }
        if let eq = body.firstIndex(of: "="), body[..<eq].trimmingWhitespace.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
           !body[..<eq].trimmingWhitespace.isEmpty {
            target = body[..<eq].trimmingWhitespace
            body = body[body.index(after: eq)...]
        }
        var parser = Parser(text: Array(body), variables: variables)
        do throws(DemoError) {
            let value = try parser.expression()
            parser.skipSpaces()
            if parser.position < parser.text.count { throw DemoError(message: "unexpected '\(parser.text[parser.position])'", column: parser.position) }
            if let target {
                variables[target] = value
                return .silent
            }
            variables["_"] = value
            return .value(value.echo)
        } catch {
            let offset = source.count - body.count + error.column
            return .error("error: \(error.message)\n 1 | \(source)\n   | \(String(repeating: " ", count: offset))^")
        }
    }

    func completions(line: String, cursor: Int) -> [String] {
        let before = String(decoding: line.utf8.prefix(cursor), as: UTF8.self)
        let word = String(before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
        let names = Self.keywords + Self.builtins + variables.keys.filter { $0 != "_" }
        return names.filter { $0.hasPrefix(word) }.sorted()
    }

    func help(_ name: String?) -> String {
        guard let name else { return "demo engine: integers, strings, variables; the real language is coming" }
        return Self.builtins.contains(name) ? "\(name)(...): a built-in" : "no help for '\(name)'"
    }

    func vars() -> String {
        variables.keys.sorted().map { "\($0): \(variables[$0]!.typeName)" }.joined(separator: "\n")
    }

    func reset() { variables.removeAll() }

    func load(path: String) -> ReplResult {
        guard access(path, R_OK) == 0, case .success(let lines) = History.readLines(path) else { return .error("error: cannot open '\(path)'") }
        var last = ReplResult.silent
        for raw in lines {
            let line = raw.trimmingWhitespace
            if line.isEmpty { continue }
            last = run(line)
            if case .error = last { return last }
        }
        return last
    }

    func ast(_ source: String) -> ReplResult { .value("(demo \(source))") }

    struct DemoError: Error { var message: String; var column: Int }

    /// expr → term (("+" | "-") term)*; term → atom (("*" | "/") atom)*
    struct Parser {
        let text: [Character]
        let variables: [String: Value]
        var position = 0

        init(text: [Character], variables: [String: Value]) {
            self.text = text
            self.variables = variables
        }

        mutating func skipSpaces() { while position < text.count && text[position].isWhitespace { position += 1 } }

        mutating func expression() throws(DemoError) -> Value {
            var value = try term()
            while true {
                skipSpaces()
                guard position < text.count, text[position] == "+" || text[position] == "-" else { return value }
                let op = text[position], at = position
                position += 1
                let rhs = try term()
                switch (value, rhs) {
                case (.int(let a), .int(let b)): value = .int(op == "+" ? a &+ b : a &- b)
                case (.string(let a), .string(let b)) where op == "+": value = .string(a + b)
                default: throw DemoError(message: "cannot apply '\(op)' to these values", column: at)
                }
            }
        }

        mutating func term() throws(DemoError) -> Value {
            var value = try atom()
            while true {
                skipSpaces()
                guard position < text.count, text[position] == "*" || text[position] == "/" else { return value }
                let op = text[position], at = position
                position += 1
                guard case .int(let a) = value, case .int(let b) = try atom() else {
                    throw DemoError(message: "cannot apply '\(op)' to these values", column: at)
                }
                if op == "/" && b == 0 { throw DemoError(message: "division by zero", column: at) }
                value = .int(op == "*" ? a &* b : a / b)
            }
        }

        mutating func atom() throws(DemoError) -> Value {
            skipSpaces()
            guard position < text.count else { throw DemoError(message: "expected a value", column: position) }
            let start = position
            let ch = text[position]
            if ch == "(" {
                position += 1
                let value = try expression()
                skipSpaces()
                guard position < text.count, text[position] == ")" else { throw DemoError(message: "expected ')'", column: position) }
                position += 1
                return value
            }
            if ch == "-" {
                position += 1
                guard case .int(let n) = try atom() else { throw DemoError(message: "cannot negate", column: start) }
                return .int(-n)
            }
            if ch == "\"" {
                position += 1
                var s = ""
                while position < text.count && text[position] != "\"" { s.append(text[position]); position += 1 }
                guard position < text.count else { throw DemoError(message: "unterminated string", column: start) }
                position += 1
                return .string(s)
            }
            if ch.isNumber {
                while position < text.count && text[position].isNumber { position += 1 }
                guard let n = Int(String(text[start..<position])) else { throw DemoError(message: "number too large", column: start) }
                return .int(n)
            }
            if ch.isLetter || ch == "_" {
                while position < text.count && (text[position].isLetter || text[position].isNumber || text[position] == "_") { position += 1 }
                let name = String(text[start..<position])
                skipSpaces()
                if name == "len", position < text.count, text[position] == "(" {
                    position += 1
                    let arg = try expression()
                    skipSpaces()
                    guard position < text.count, text[position] == ")" else { throw DemoError(message: "expected ')'", column: position) }
                    position += 1
                    guard case .string(let s) = arg else { throw DemoError(message: "len expects a string", column: start) }
                    return .int(s.count)
                }
                guard let value = variables[name] else { throw DemoError(message: "unknown name '\(name)'", column: start) }
                if case .function(_, let parameters, let body) = value, position < text.count, text[position] == "(" {
                    position += 1
                    var scope = variables
                    for (i, parameter) in parameters.enumerated() {
                        if i > 0 {
                            skipSpaces()
                            guard position < text.count, text[position] == "," else { throw DemoError(message: "expected ','", column: position) }
                            position += 1
                        }
                        scope[parameter] = try expression()
                    }
                    skipSpaces()
                    guard position < text.count, text[position] == ")" else { throw DemoError(message: "expected ')'", column: position) }
                    position += 1
                    var inner = Parser(text: Array(body), variables: scope)
                    return try inner.expression()
                }
                return value
            }
            throw DemoError(message: "unexpected '\(ch)'", column: start)
        }
    }
}
