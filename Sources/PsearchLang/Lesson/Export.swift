import Foundation
import Ink
import PsearchPlot

extension Lesson {
    /// A lesson cut into what a page shows, in order.
    public enum Cell {
        /// Markdown from a run of comment lines (`# text`; `## Title` is a heading).
        case prose(String)
        /// Source lines `firstLine...lastLine` (1-based) and their byte range.
        case code(firstLine: Int, lastLine: Int, start: Int, end: Int)
        /// What the statements of the code cell before it produced.
        case output([Item])
    }

    /// Cuts a successful run's script into prose, code and output cells. Comment lines outside
    /// statements are prose, `#>` lines are left out (the page shows the fresh output), and
    /// each statement group's output follows the code that ends with it.
    public static func cells(_ run: Run) -> [Cell] {
        let source = run.source
        let text = source.text
        let lines = Expectations.lines(of: text)
        var owner = [Int?](repeating: nil, count: lines.count + 2)
        for (i, s) in run.statements.enumerated() {
            for l in s.firstLine...s.lastLine where l < owner.count { owner[l] = i }
        }
        var lastOfGroup: [Int: [Int]] = [:]
        for (i, s) in run.statements.enumerated() { lastOfGroup[s.lastLine, default: []].append(i) }

        var cells: [Cell] = []
        var prose: [String] = []
        var code: (first: Int, last: Int)?
        func flushProse() {
            while prose.last?.isEmpty == true { prose.removeLast() }
            if !prose.isEmpty { cells.append(.prose(prose.joined(separator: "\n"))) }
            prose = []
        }
        func flushCode() {
            guard let c = code else { return }
            let start = source.offset(ofLine: c.first), end = source.offset(ofLine: c.last + 1)
            var e = end
            while e > start && (source.bytes[e - 1] == UInt8(ascii: "\n") || source.bytes[e - 1] == UInt8(ascii: "\r")) { e -= 1 }
            cells.append(.code(firstLine: c.first, lastLine: c.last, start: start, end: e))
            code = nil
        }
        for n in 1...max(1, lines.count) where n <= lines.count {
            let line = lines[n - 1]
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if owner[n] == nil {
                if Expectations.expectation(line, lineNumber: n) != nil { continue }
                if trimmed.isEmpty {
                    if code == nil && !prose.isEmpty { prose.append("") }
                    continue
                }
                if trimmed.hasPrefix("#") {
                    if n == 1 && trimmed.hasPrefix("#!") { continue }
                    flushCode()
                    var body = trimmed.dropFirst()
                    if body.first == " " { body = body.dropFirst() }
                    prose.append(String(body))
                    continue
                }
            }
            flushProse()
            code = (code?.first ?? n, n)
            if let members = lastOfGroup[n] {
                let items = members.flatMap { run.statements[$0].items }
                if !items.isEmpty {
                    flushCode()
                    cells.append(.output(merged(items)))
                }
            }
        }
        flushCode()
        flushProse()
        return cells
    }

    /// Adjacent text items joined, so a page shows one block per run of printed lines.
    static func merged(_ items: [Item]) -> [Item] {
        var out: [Item] = []
        for item in items {
            if case .text(let t) = item, case .text(let previous)? = out.last {
                out[out.count - 1] = .text(previous + t)
            } else {
                out.append(item)
            }
        }
        return out
    }

    /// The first `# ` heading of the prose, else nil.
    static func title(_ cells: [Cell]) -> String? {
        for case .prose(let markdown) in cells {
            for line in markdown.split(separator: "\n") where line.hasPrefix("# ") {
                return String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    // MARK: - HTML

    /// The run as one self-contained HTML page: inline CSS, inline SVG figures, no scripts or
    /// external assets; readable from phone to desktop widths.
    public static func html(_ run: Run, figureSize: (width: Int, height: Int) = (640, 420)) -> String {
        let cells = cells(run)
        let spans = Highlighter.spans(run.source)
        let title = title(cells) ?? run.source.name
        let parser = MarkdownParser()
        var body = ""
        var figures = 0
        for cell in cells {
            switch cell {
            case .prose(let markdown):
                body += "<section class=\"prose\">\n" + parser.html(from: markdown) + "\n</section>\n"
            case .code(_, _, let start, let end):
                body += "<pre class=\"code\"><code>" + Highlighter.html(run.source, spans: spans, from: start, to: end) + "</code></pre>\n"
            case .output(let items):
                for item in items {
                    switch item {
                    case .text(let t):
                        let shown = t.hasSuffix("\n") ? String(t.dropLast()) : t
                        body += "<pre class=\"out\"><samp>" + escapeHTML(shown) + "</samp></pre>\n"
                    case .figure(let f, _):
                        figures += 1
                        let svg = inlineSVG(renderSVG(f, width: figureSize.width, height: figureSize.height), prefix: "f\(figures)-")
                        body += "<figure class=\"plot\">\n" + svg + "\n</figure>\n"
                    }
                }
            }
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="generator" content="psearch export" />
            <title>\(escapeHTML(title))</title>
            <style>
            \(css)
            </style>
            </head>
            <body>
            <main>
            \(body)</main>
            </body>
            </html>

            """
    }

    /// Phone first: one column at most ~46em wide, code scrolls sideways rather than wrap (a
    /// wrapped line would read as two statements), output wraps only its overlong lines (a
    /// message such as descend's divergence advice is read to its end; lines that fit keep
    /// their columns), figures scale with the column.
    static let css = """
        :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --out-bg: #ffffff; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0; color: var(--ink); background: #ffffff; font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", sans-serif; }
        main { max-width: 46em; margin: 0 auto; padding: 1em 1em 4em; }
        h1, h2, h3 { line-height: 1.25; margin: 1.4em 0 0.5em; }
        h1 { font-size: 1.8em; margin-top: 0.6em; }
        h2 { font-size: 1.35em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; }
        p, ul, ol { margin: 0.6em 0; }
        a { color: #0969da; }
        code, pre, samp { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86em; }
        :not(pre) > code { background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
        pre { margin: 0.8em 0; padding: 0.7em 0.9em; overflow-x: auto; line-height: 1.45; border-radius: 6px; }
        pre code, pre samp { font-size: 1em; }
        pre.code { background: var(--code-bg); border: 1px solid var(--line); }
        pre.out { background: var(--out-bg); border: 1px dashed var(--line); border-left: 3px solid #8c959f; margin-top: -0.4em; color: #24292f; white-space: pre-wrap; overflow-wrap: anywhere; }
        table { border-collapse: collapse; margin: 0.8em 0; display: block; overflow-x: auto; }
        th, td { border: 1px solid var(--line); padding: 0.25em 0.7em; text-align: left; }
        th { background: var(--code-bg); }
        blockquote { margin: 0.8em 0; padding: 0 1em; color: var(--muted); border-left: 3px solid var(--line); }
        img { max-width: 100%; height: auto; }
        figure.plot { margin: 0.4em 0 1.2em; }
        figure.plot svg { display: block; width: 100%; max-width: 640px; height: auto; border: 1px solid var(--line); border-radius: 6px; }
        .k { color: #cf222e; font-weight: 600; }
        .b { color: #8250df; }
        .n { color: #0550ae; }
        .s { color: #0a3069; }
        .c { color: #6e7781; font-style: italic; }
        @media (max-width: 30em) { body { font-size: 16px; } main { padding: 0.6em 0.7em 3em; } pre { padding: 0.6em; } }
        """

    /// A standalone SVG made fit to sit in a page: the XML declaration dropped and every `id`
    /// prefixed (each figure defines a clip path `plot`; ids must be unique in a document).
    static func inlineSVG(_ svg: String, prefix: String) -> String {
        var s = svg
        if s.hasPrefix("<?xml"), let end = s.range(of: "?>") {
            s = String(s[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        s = s.replacingOccurrences(of: " id=\"", with: " id=\"" + prefix)
        s = s.replacingOccurrences(of: "url(#", with: "url(#" + prefix)
        s = s.replacingOccurrences(of: "href=\"#", with: "href=\"#" + prefix)
        return s
    }

    // MARK: - Markdown

    /// The run as one Markdown page: prose as written, code and output in fenced blocks,
    /// figures as SVG images in `data:` URIs (one line each, so every CommonMark reader keeps
    /// them intact, and the page needs no side files).
    public static func markdown(_ run: Run, figureSize: (width: Int, height: Int) = (640, 420)) -> String {
        var out: [String] = []
        var figures = 0
        for cell in cells(run) {
            switch cell {
            case .prose(let markdown):
                out.append(markdown)
            case .code(_, _, let start, let end):
                let code = String(decoding: run.source.bytes[start..<end], as: UTF8.self)
                out.append(fenced(code, info: "psearch"))
            case .output(let items):
                for item in items {
                    switch item {
                    case .text(let t):
                        out.append(fenced(t.hasSuffix("\n") ? String(t.dropLast()) : t, info: "text"))
                    case .figure(let f, _):
                        figures += 1
                        let svg = renderSVG(f, width: figureSize.width, height: figureSize.height)
                        let alt = f.title ?? "figure \(figures)"
                        out.append("![\(alt.replacingOccurrences(of: "]", with: ")"))](data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString()))")
                    }
                }
            }
        }
        return out.joined(separator: "\n\n") + "\n"
    }

    /// A fenced block whose fence is longer than any backtick run inside.
    static func fenced(_ text: String, info: String) -> String {
        var longest = 0, run = 0
        for ch in text {
            run = ch == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + info + "\n" + text + "\n" + fence
    }
}

extension Source {
    /// Byte offset where 1-based line `n` starts (the end of the text past the last line).
    func offset(ofLine n: Int) -> Int {
        n >= 1 && n <= lineStarts.count ? lineStarts[n - 1] : bytes.count
    }
}
