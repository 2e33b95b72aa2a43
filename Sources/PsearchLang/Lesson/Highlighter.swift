import PsearchPlot
/// psearch code as HTML with `<span class="…">` around keywords (`k`), built-in names (`b`),
/// numbers (`n`), strings (`s`) and comments (`c`), from the lexer's own tokens so the colours
/// never disagree with the language.
enum Highlighter {
    struct Span {
        var start: Int
        var end: Int
        var kind: String
    }

    /// Coloured spans of a whole source, in order; comments are the `#` runs between tokens
    /// (the lexer skips them).
    static func spans(_ source: Source) -> [Span] {
        var lexer = Lexer(source)
        let tokens = lexer.tokenize()
        let bytes = source.bytes
        var spans: [Span] = []
        var previousEnd = 0
        func comments(from start: Int, to end: Int) {
            var i = start
            while i < end {
                if bytes[i] == UInt8(ascii: "#") {
                    var j = i
                    while j < end && bytes[j] != UInt8(ascii: "\n") { j += 1 }
                    spans.append(Span(start: i, end: j, kind: "c"))
                    i = j
                } else {
                    i += 1
                }
            }
        }
        for t in tokens {
            let start = Int(t.range.start), end = Int(t.range.end)
            comments(from: previousEnd, to: start)
            previousEnd = max(previousEnd, end)
            let kind: String?
            switch t.kind {
            case .number: kind = "n"
            case .string: kind = "s"
            case .identifier(let name): kind = Builtins.named(name) == nil ? nil : "b"
            case .kwLet, .kwFn, .kwIf, .kwElse, .kwWhile, .kwFor, .kwIn, .kwBreak, .kwContinue, .kwReturn,
                 .kwTrue, .kwFalse, .kwNil, .kwAnd, .kwOr, .kwNot:
                kind = "k"
            default: kind = nil
            }
            if let kind, end > start { spans.append(Span(start: start, end: end, kind: kind)) }
        }
        comments(from: previousEnd, to: bytes.count)
        return spans
    }

    /// The bytes `start..<end` of `source` as escaped, highlighted HTML.
    static func html(_ source: Source, spans: [Span], from start: Int, to end: Int) -> String {
        let bytes = source.bytes
        var out = ""
        var i = start
        func plain(_ a: Int, _ b: Int) {
            if a < b { out += escapeHTML(String(decoding: bytes[a..<b], as: UTF8.self)) }
        }
        for span in spans where span.end > start && span.start < end {
            let a = max(span.start, start), b = min(span.end, end)
            plain(i, a)
            out += "<span class=\"\(span.kind)\">" + escapeHTML(String(decoding: bytes[a..<b], as: UTF8.self)) + "</span>"
            i = b
        }
        plain(i, end)
        return out
    }
}

/// Text safe inside HTML elements and attribute values: the same escaping as the SVG plots.
func escapeHTML(_ s: String) -> String { xmlEscaped(s) }
