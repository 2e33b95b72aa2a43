import PsearchLang

/// What one REPL input produced.
///
/// `value` carries the echo text (strings quoted); `error` a rendered diagnostic with its caret.
enum ReplResult { case value(String), silent, error(String) }

/// The language as the REPL sees it; the interpreter side implements this.
///
/// The REPL owns the terminal (prompt, history, commands, signals); the engine owns
/// everything about the language. Every method is called on the REPL's thread, one at a time.
protocol ReplEngine: AnyObject {
    /// `.incomplete` for an open bracket/brace/string, a trailing operator, `fn f(x) {`.
    func completeness(of source: String) -> Completeness
    /// Runs one complete input; sets `_` to the last value.
    ///
    /// Long loops poll `Interrupt.isRequested`; an interrupted run returns `.error` and
    /// takes the flag (`Interrupt.take()`).
    func run(_ input: String) -> ReplResult
    /// Candidates for the word before `cursor` (a UTF-8 byte offset into `line`).
    ///
    /// Each candidate is the whole replacement word and starts with the text it replaces
    /// (`descend(f, x, l` → `lr:`; `p.l` → `lr`; `"data/tr` → `data/train.csv`): the REPL
    /// takes the longest suffix of the text before the cursor that every candidate begins with.
    func completions(line: String, cursor: Int) -> [String]
    /// `:help` (nil) and `:help NAME`.
    func help(_ name: String?) -> String
    /// `:full`: the last value (`_`) whole, as `print` shows it, strings quoted.
    func full() -> ReplResult
    /// `:vars`: names, types, shapes.
    func vars() -> String
    /// `:reset`: forget every variable.
    func reset()
    /// `:load FILE`: runs a file in the session's scope.
    func load(path: String) -> ReplResult
    /// `:ast EXPR`: the parse as S-expressions.
    func ast(_ source: String) -> ReplResult
    /// `:save FILE`: the session's successful inputs as a script with `#>` lines.
    func save(path: String) -> ReplResult

    /// Runs all of stdin as a script when it is not a terminal; returns the script-run exit
    /// code (0, 65 syntax, 70 runtime, 74 output) after writing any diagnostic to stderr.
    func runScript(_ source: String, name: String) -> Int32
}

extension ReplEngine {
    func save(path: String) -> ReplResult { .error("this engine cannot save sessions") }

    /// Fallback for engines without a script runner: any error counts as a runtime error.
    func runScript(_ source: String, name: String) -> Int32 {
        switch run(source) {
        case .value, .silent: return 0
        case .error(let diagnostic):
            Terminal.writeError(diagnostic)
            return 70
        }
    }
}
