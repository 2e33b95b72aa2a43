#if canImport(Glibc)
import Glibc
#endif
import PsearchCore
import PsearchLang

/// The REPL's view of PsearchLang: one interpreter whose globals live for the session.
final class LangEngine: ReplEngine {
    private let output: any FlushingSink
    let interpreter: Interpreter
    private let limits: Limits
    /// Colour in diagnostics: on for a terminal's stderr; the kernel turns it off.
    var color = isatty(2) == 1 && getenv("NO_COLOR") == nil
    /// Columns an echoed value may take: the terminal's; the kernel sets a notebook's.
    var echoWidth: () -> Int = { Terminal.width }
    /// At the REPL, whose `:full` an echoed summary may name; a notebook has no such command.
    var atPrompt = true
    /// The source name diagnostics show (`<repl>:1:5`); the kernel names cells.
    var inputName = "<repl>"
    /// Inputs that ran without error since the start or the last `:reset`, for `:save`.
    private(set) var session: [Lesson.SessionInput] = []
    /// The lexer's keyword table is internal to PsearchLang; completion only needs the words.
    private static let keywords = ["let", "fn", "return", "if", "else", "while", "for", "in", "break",
                                   "continue", "and", "or", "not", "true", "false", "nil"]

    /// On the process's standard output, with the terminal's progress line, live views and
    /// plot style.
    convenience init(limits: Limits) {
        let out = StdoutSink()
        self.init(limits: limits, output: out)
        interpreter.progress = terminalProgress()
        interpreter.liveFrame = terminalLive(out)
        configurePlots(interpreter)
    }

    /// On another sink (the kernel's), which sets up progress and plots itself.
    init(limits: Limits, output: any FlushingSink) {
        self.limits = limits
        self.output = output
        interpreter = Interpreter(output: output, limits: limits)
    }

    func completeness(of source: String) -> Completeness {
        Interpreter.completeness(of: source)
    }

    func run(_ input: String) -> ReplResult {
        let result = execute { () throws(RunFailure) in try interpreter.run(input, name: inputName, repl: true) }
        switch result {
        case .value: session.append(Lesson.SessionInput(source: input, echoed: true))
        case .silent: session.append(Lesson.SessionInput(source: input, echoed: false))
        case .error: break
        }
        return result
    }

    private func execute(_ body: () throws(RunFailure) -> Value?) -> ReplResult {
        do throws(RunFailure) {
            let value = try body()
            do { try output.flush() } catch { throw .output(error) }
            guard let value else { return .silent }
            interpreter.setGlobal("_", value)
            if case .none = value { return .silent }
            return .value(Echo(width: echoWidth(), atPrompt: atPrompt).text(value))
        } catch {
            if case .output = error {} else { try? output.flush() }
            if case .interrupted = error {
                _ = Interrupt.take()
                return .error("interrupted")
            }
            return .error(error.render(interpreter.sources, color: color))
        }
    }

    func completions(line: String, cursor: Int) -> [String] {
        let before = Array(line.utf8.prefix(cursor))
        var quotes = 0
        var escaped = false
        var lastQuote = -1
        for (i, byte) in before.enumerated() {
            if escaped { escaped = false; continue }
            if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { quotes += 1; lastQuote = i }
        }
        if quotes % 2 == 1 {
            return pathCandidates(String(decoding: before[(lastQuote + 1)...], as: UTF8.self))
        }
        let isWord: (UInt8) -> Bool = { $0 >= 0x80 || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }
        var start = before.count
        while start > 0 && isWord(before[start - 1]) { start -= 1 }
        let word = String(decoding: before[start...], as: UTF8.self)
        if start > 0 && before[start - 1] == UInt8(ascii: ".") {
            var nameStart = start - 1
            while nameStart > 0 && isWord(before[nameStart - 1]) { nameStart -= 1 }
            let name = String(decoding: before[nameStart..<(start - 1)], as: UTF8.self)
            guard case .record(let record)? = interpreter.global(name) else { return [] }
            return record.names.filter { $0.hasPrefix(word) }
        }
        var names = Self.keywords + Builtins.all.map(\.spec.name) + interpreter.variables.map(\.name)
        if let callee = enclosingCall(before[..<start]) {
            let parameters = Builtins.named(callee)?.spec.names
                ?? { if case .function(let f)? = interpreter.global(callee) { return f.parameterNames } else { return [] } }()
            names = parameters.map { $0 + ":" } + names
        }
        var seen = Set<String>()
        return names.filter { $0.hasPrefix(word) && seen.insert($0).inserted }
    }

    /// The name before the innermost unclosed `(`.
    private func enclosingCall(_ bytes: ArraySlice<UInt8>) -> String? {
        var depth = 0
        var i = bytes.endIndex
        while i > bytes.startIndex {
            i -= 1
            switch bytes[i] {
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): depth += 1
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                if depth == 0 {
                    guard bytes[i] == UInt8(ascii: "(") else { return nil }
                    var start = i
                    while start > bytes.startIndex, bytes[start - 1] >= 0x80 || bytes[start - 1] == UInt8(ascii: "_")
                        || (0x30...0x39).contains(bytes[start - 1]) || (0x41...0x5a).contains(bytes[start - 1])
                        || (0x61...0x7a).contains(bytes[start - 1]) { start -= 1 }
                    return start < i ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
                }
                depth -= 1
            default: break
            }
        }
        return nil
    }

    private func pathCandidates(_ fragment: String) -> [String] {
        let slash = fragment.lastIndex(of: "/")
        let folder = slash.map { String(fragment[...$0]) } ?? ""
        let prefix = slash.map { String(fragment[fragment.index(after: $0)...]) } ?? fragment
        guard let dir = opendir(folder.isEmpty ? "." : folder) else { return [] }
        defer { closedir(dir) }
        var result: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != "..", name.hasPrefix(prefix), !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
            let isDir = entry.pointee.d_type == UInt8(DT_DIR)
            result.append(folder + name + (isDir ? "/" : ""))
        }
        return result.sorted()
    }

    func help(_ name: String?) -> String {
        guard let name else {
            let names = Builtins.all.map(\.spec.name).sorted().joined(separator: " ")
            return "built-ins (:help NAME for one): \(names)"
        }
        if let builtin = Builtins.named(name) {
            return "\(builtin.spec.signature)\n  \(builtin.spec.summary)\n  example: \(builtin.spec.example)"
        }
        if let value = interpreter.global(name) { return "\(name): \(value.typeName)" }
        return "no built-in or variable named '\(name)'"
    }

    func full() -> ReplResult {
        guard let last = interpreter.global("_") else { return .error("no value yet: :full shows the last echoed value whole") }
        return .value(last.repr)
    }

    func vars() -> String {
        interpreter.variables.filter { $0.name != "_" }.map { name, value in
            if case .tensor(let t) = value { return "\(name): \(value.typeName) \(t.shape)" }
            return "\(name): \(value.typeName)"
        }.joined(separator: "\n")
    }

    func reset() {
        interpreter.reset()
        session = []
    }

    /// `:save FILE`: the session so far as a script whose `#>` lines come from a fresh run of it.
    func save(path: String) -> ReplResult {
        if session.isEmpty { return .error("nothing to save yet: no input has run without an error") }
        let (text, error) = Lesson.save(session, name: path, limits: limits)
        do {
            try AtomicFile.write(text, to: path)
        } catch {
            return .error("error: \(error.description)")
        }
        let count = "\(session.count) input\(session.count == 1 ? "" : "s")"
        if let error {
            return .error(error + "warning: saved \(count) to \(path) without '#>' lines: run as a script it stops with the error above")
        }
        return .value("saved \(count) to \(path)")
    }

    func load(path: String) -> ReplResult {
        switch readFile(path) {
        case .success(let bytes):
            let result = execute { () throws(RunFailure) in try interpreter.run(bytes: bytes, name: path); return nil }
            // The file's text goes into a saved session, so the saved script stands alone.
            if case .silent = result { session.append(Lesson.SessionInput(source: String(decoding: bytes, as: UTF8.self), echoed: false)) }
            return result
        case .failure(let e): return .error("error: cannot read '\(path)': \(e.reason)")
        }
    }

    func ast(_ source: String) -> ReplResult {
        let parsed = Interpreter.parseOnly(Array(source.utf8), name: "<ast>")
        if let d = parsed.diagnostics { return .error(d.render(parsed.sources, color: color)) }
        return .value(parsed.ast)
    }

    func runScript(_ source: String, name: String) -> Int32 {
        Driver(limits: limits).runScript(Array(source.utf8), name: name)
    }
}
