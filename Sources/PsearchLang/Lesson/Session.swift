extension Lesson {
    /// One successful REPL input, as `:save` keeps it.
    public struct SessionInput: Sendable {
        public var source: String
        /// The REPL echoed the value of its last expression statement.
        public var echoed: Bool

        public init(source: String, echoed: Bool) {
            self.source = source
            self.echoed = echoed
        }
    }

    /// A REPL session as a script that prints what the session showed. In a script a bare
    /// expression prints nothing, so an echoed final expression `e` becomes `echo(e)`, which
    /// writes the echo (summaries, shortened values) at 80 columns whatever the terminal was;
    /// when a later input reads `_`, it becomes `_ = e; echo(_)` so `_` still holds the value.
    public static func script(fromSession inputs: [SessionInput]) -> String {
        var out = ""
        for (i, input) in inputs.enumerated() {
            var text = input.source
            if input.echoed {
                let usesLast = inputs[(i + 1)...].contains { readsLastValue($0.source) }
                text = printingLastExpression(text, keepLast: usesLast)
            }
            out += text.hasSuffix("\n") ? text : text + "\n"
        }
        return out
    }

    /// `text` with its final expression statement wrapped in `echo(…)`.
    static func printingLastExpression(_ text: String, keepLast: Bool) -> String {
        let registry = SourceRegistry()
        let source = registry.add(name: "<repl>", bytes: Array(text.utf8))
        let parsed = Parser.parse(source)
        guard parsed.diagnostics.isEmpty, let last = parsed.statements.last, case .expression = last.kind else { return text }
        let bytes = source.bytes
        let start = Int(last.range.start), end = Int(last.range.end)
        let expression = String(decoding: bytes[start..<end], as: UTF8.self)
        let replacement = keepLast ? "_ = \(expression); echo(_)" : "echo(\(expression))"
        return String(decoding: bytes[..<start], as: UTF8.self) + replacement + String(decoding: bytes[end...], as: UTF8.self)
    }

    /// Whether the input reads the REPL's `_`.
    static func readsLastValue(_ text: String) -> Bool {
        let registry = SourceRegistry()
        var lexer = Lexer(registry.add(name: "<repl>", bytes: Array(text.utf8)))
        return lexer.tokenize().contains { $0.kind == .identifier("_") }
    }

    /// The session as a script with `#>` lines from a fresh run of it, so `psearch check`
    /// passes on it. When the script does not run on its own (an input relied on a failed
    /// one's partial effects), `text` has no `#>` lines and `error` says why.
    public static func save(_ inputs: [SessionInput], name: String, limits: Limits = Limits()) -> (text: String, error: String?) {
        let script = script(fromSession: inputs)
        let updated = update(script, name: name, limits: limits)
        return (updated.text ?? script, updated.error)
    }
}
