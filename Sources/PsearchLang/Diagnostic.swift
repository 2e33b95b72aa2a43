import PsearchCore

/// An error the user sees: one lowercase line naming the culprit, where it is, and notes.
///
/// Rendered by one function, `render`, in the house format:
/// ```
/// error: expected ')' after arguments
///  --> demo.ps:3:9
/// 3 | foo(a, b
///   |         ^
/// note: to match this '(' at 3:4
/// ```
public struct Diagnostic: Error, Sendable {
    public enum Kind: Sendable { case syntax, runtime }
    /// What code needs to tell diagnostics apart by; it compares these, never the message text.
    public enum ID: Sendable, Equatable {
        case other
        /// A string still open at the end of the input.
        case unterminatedString
        /// The input ended inside a construct (an open bracket or block, a missing operand):
        /// more lines could complete it.
        case endOfInput
    }
    public var kind: Kind
    public var id: ID
    public var message: String
    public var range: SourceRange
    public var notes: [Note]

    public struct Note: Sendable {
        public var message: String
        public var range: SourceRange?
        public init(_ message: String, at range: SourceRange? = nil) {
            self.message = message
            self.range = range
        }
    }

    public init(_ kind: Kind, _ message: String, at range: SourceRange, notes: [Note] = [], id: ID = .other) {
        self.kind = kind
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
    }

    /// The text shown to the user, with source line and caret when the range has a source.
    public func render(_ sources: SourceRegistry, color: Bool = false) -> String {
        let red = color ? "\u{1B}[1;31m" : "", bold = color ? "\u{1B}[1m" : ""
        let blue = color ? "\u{1B}[1;34m" : "", reset = color ? "\u{1B}[0m" : ""
        var out = "\(red)error\(reset)\(bold): \(message)\(reset)\n"
        if let src = sources[range.source] {
            let (line, col) = src.location(of: Int(range.start))
            let gutter = String(line)
            let pad = String(repeating: " ", count: gutter.count)
            out += "\(pad)\(blue)-->\(reset) \(src.name):\(line):\(col)\n"
            // A very long line (generated or adversarial input) shows a window around the caret.
            let (text, caretColumn, room) = src.excerpt(line: line, around: Int(range.start), window: 120)
            // Underline to the end of the range when it stays on this line, at least one caret.
            let (endLine, endCol) = src.location(of: Int(range.end))
            let width = endLine == line ? max(1, min(endCol - col, room)) : 1
            out += "\(blue)\(gutter) |\(reset) \(text)\n"
            // The caret line counts terminal cells, not characters: 한 takes two.
            let before = text.prefix(caretColumn - 1), under = text.dropFirst(caretColumn - 1).prefix(width)
            let caretPad = String(repeating: " ", count: TextWidth.of(before))
            let carets = String(repeating: "^", count: max(1, TextWidth.of(under)))
            out += "\(pad) \(blue)|\(reset) \(caretPad)\(red)\(carets)\(reset)\n"
        }
        for note in notes {
            var where_ = ""
            if let r = note.range, let src = sources[r.source] {
                let (l, c) = src.location(of: Int(r.start))
                where_ = " at \(src.name == sources[range.source]?.name ? "" : src.name + ":")\(l):\(c)"
            }
            out += "\(bold)note\(reset): \(note.message)\(where_)\n"
        }
        return out
    }
}

/// Every syntax error of one source (one per statement), thrown together.
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// At most this many are shown; a file of garbage would otherwise print one per line.
    public static let shown = 20

    public func render(_ sources: SourceRegistry, color: Bool = false) -> String {
        var text = diagnostics.prefix(Self.shown).map { $0.render(sources, color: color) }.joined(separator: "\n")
        if diagnostics.count > Self.shown {
            let more = diagnostics.count - Self.shown
            text += "\n\(more) more syntax error\(more == 1 ? "" : "s") not shown (the first \(Self.shown) are above)\n"
        }
        return text
    }
}

/// Writing the output failed (a closed pipe, a full disk): the run stops, never silently.
public struct OutputError: Error, Sendable {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

/// Why a run stopped: the one failure type of `Interpreter.run`, rendered one way for the
/// script runner, the prompt and the lesson checker.
public enum RunFailure: Error, Sendable {
    /// Syntax and name errors, found before anything ran.
    case syntax(DiagnosticList)
    /// A runtime error, after the output printed so far.
    case runtime(Diagnostic)
    /// Ctrl-C.
    case interrupted
    /// The output could not be written.
    case output(OutputError)

    /// The text shown on standard error: diagnostics with their carets, or one line.
    public func render(_ sources: SourceRegistry, color: Bool = false) -> String {
        switch self {
        case .syntax(let list): return list.render(sources, color: color)
        case .runtime(let d): return d.render(sources, color: color)
        case .interrupted: return "interrupted\n"
        case .output(let e): return "error: cannot write output: \(e.reason)\n"
        }
    }

    /// The process exit status (sysexits): 65 syntax, 70 runtime, 74 output, 130 interrupted.
    public var exitCode: Int32 {
        switch self {
        case .syntax: return 65
        case .runtime: return 70
        case .output: return 74
        case .interrupted: return 130
        }
    }

    /// The runtime diagnostic, if this is one (tests and tools that read the message).
    public var runtime: Diagnostic? { if case .runtime(let d) = self { return d }; return nil }
    /// The syntax diagnostics, if these are what stopped the run.
    public var syntax: [Diagnostic]? { if case .syntax(let l) = self { return l.diagnostics }; return nil }
}
