@testable import psearch
import PsearchLang

/// A stand-in language for REPL tests: braces and parentheses must balance, a trailing `+`
/// continues, a stray closer is invalid; `fail` errors and everything else echoes itself.
final class FakeEngine: ReplEngine {
    var runs: [String] = []
    var calls: [String] = []
    var candidates: [String] = []

    func completeness(of source: String) -> Completeness {
        var depth = 0
        for ch in source {
            if ch == "{" || ch == "(" { depth += 1 }
            if ch == "}" || ch == ")" {
                depth -= 1
                if depth < 0 { return .invalid }
            }
        }
        if depth > 0 || source.trimmingWhitespace.hasSuffix("+") { return .incomplete }
        return .complete
    }

    func run(_ input: String) -> ReplResult {
        runs.append(input)
        if input.hasPrefix("fail") { return .error("error: failed\n 1 | \(input)\n   | ^") }
        if input.hasPrefix("let ") { return .silent }
        return .value(input)
    }

    func completions(line: String, cursor: Int) -> [String] { candidates }
    func help(_ name: String?) -> String { calls.append("help \(name ?? "-")"); return "help for \(name ?? "everything")" }
    func full() -> ReplResult { calls.append("full"); return .value("the whole value") }
    func vars() -> String { calls.append("vars"); return "x: number" }
    func reset() { calls.append("reset") }
    func load(path: String) -> ReplResult { calls.append("load \(path)"); return .silent }
    func ast(_ source: String) -> ReplResult { calls.append("ast \(source)"); return .value("(ast \(source))") }
}

/// Hands the REPL a fixed sequence of inputs and records the prompts it showed.
final class ScriptedReader: LineReader {
    var inputs: [LineInput]
    var prompts: [String] = []
    var history: [String] = []

    init(_ inputs: [LineInput]) { self.inputs = inputs }

    func readLine(prompt: String) -> LineInput {
        prompts.append(prompt)
        return inputs.isEmpty ? .end : inputs.removeFirst()
    }

    func addHistory(_ line: String) { history.append(line) }
}
