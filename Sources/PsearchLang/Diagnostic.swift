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
    public var kind: Kind
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

    public init(_ kind: Kind, _ message: String, at range: SourceRange, notes: [Note] = []) {
        self.kind = kind
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
            let caretPad = String(repeating: " ", count: caretColumn - 1)
            out += "\(pad) \(blue)|\(reset) \(caretPad)\(red)\(String(repeating: "^", count: width))\(reset)\n"
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
