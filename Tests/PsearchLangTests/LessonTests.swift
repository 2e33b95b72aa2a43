import Foundation
import PsearchPlot
import Testing
@testable import PsearchLang

@Suite struct ExpectationParserTests {
    @Test func parsesBlocksMarkersAndLineNumbers() {
        let source = """
            print(1)
            #> 1
            print(2, 3)
              #>= 2 3
            #>
            #>   indented
            # a comment
            #>x
            """
        let blocks = Expectations.parse(source)
        #expect(blocks.count == 3)
        #expect(blocks[0].lines == [Expectations.Line(text: "1", exact: false, lineNumber: 2)])
        #expect(blocks[1].lines.map(\.text) == ["2 3", "", "  indented"])
        #expect(blocks[1].lines.map(\.exact) == [true, false, false])
        #expect(blocks[1].firstLine == 4 && blocks[1].lastLine == 6)
        // The line after a plain comment starts a block of its own; no blank is needed after '#>'.
        #expect(blocks[2].lines == [Expectations.Line(text: "x", exact: false, lineNumber: 8)])
        #expect(Expectations.parse(source + "\n") == blocks)
        #expect(Expectations.parse("#>x").first?.lines.first?.text == "x")
    }

    @Test func crlfEmptyAndUnicode() {
        #expect(Expectations.parse("").isEmpty)
        #expect(Expectations.parse("\n\n").isEmpty)
        let blocks = Expectations.parse("print(\"안녕\")\r\n#> 안녕 🙂\r\n#>= ✓\r\n")
        #expect(blocks.first?.lines.map(\.text) == ["안녕 🙂", "✓"])
        #expect(Expectations.lines(of: "a\r\nb\n").map(String.init) == ["a", "b"])
    }

    @Test func sourceRoundTrips() {
        for line in [Expectations.Line(text: "", exact: false, lineNumber: 1), .init(text: " two", exact: true, lineNumber: 1),
                     .init(text: "= x", exact: false, lineNumber: 1)] {
            #expect(Expectations.expectation(Substring(line.source), lineNumber: 1) == line)
        }
    }

    @Test func outputLines() {
        #expect(Expectations.outputLines("") == [])
        #expect(Expectations.outputLines("a\n") == ["a"])
        #expect(Expectations.outputLines("a\n\nb\n") == ["a", "", "b"])
        #expect(Expectations.outputLines("no newline") == ["no newline"])
    }
}

@Suite struct ExpectationCompareTests {
    func line(_ text: String, exact: Bool = false) -> Expectations.Line { .init(text: text, exact: exact, lineNumber: 1) }

    @Test func numbersWithinTheRelativeTolerance() {
        #expect(Expectations.tolerantlyEqual("loss 0.30000000000000004", "loss 0.3"))
        #expect(Expectations.tolerantlyEqual("x = 1e6", "x = 1000000.0001"))
        #expect(!Expectations.tolerantlyEqual("x = 1e6", "x = 1000000.01"))
        #expect(Expectations.tolerantlyEqual("[1, -2.5, 3e-5]", "[1, -2.5000000000001, 3.0000000000001e-05]"))
        #expect(!Expectations.tolerantlyEqual("[1, 2]", "[1, -2]"))
        #expect(!Expectations.tolerantlyEqual("0", "1e-300"), "zero matches only zero")
        #expect(Expectations.tolerantlyEqual("inf -inf nan", "inf -inf nan"))
        #expect(!Expectations.tolerantlyEqual("inf", "-inf"))
        #expect(!Expectations.tolerantlyEqual("1 2", "1 2 3"))
        #expect(!Expectations.tolerantlyEqual("steps 4", "step 4"))
        // Digits inside words are text; `info` is not `inf`.
        #expect(!Expectations.tolerantlyEqual("x1", "x1.0000000000001"))
        #expect(Expectations.tolerantlyEqual("info 1", "info 1.0000000000001"))
        #expect(Expectations.tolerantlyEqual("R^105 -> R^2", "R^105 -> R^2"))
        // Trailing blanks are ignored (editors strip them); leading ones are not.
        #expect(Expectations.tolerantlyEqual("a 1  ", "a 1"))
        #expect(!Expectations.tolerantlyEqual(" a", "a"))
        #expect(Expectations.tolerantlyEqual("한국어 0.1", "한국어 0.10000000000000001"))
    }

    @Test func piecesReadSignsAsPeopleDo() {
        #expect(Expectations.pieces(of: "3-2") == [.number(3, "3"), .text("-"), .number(2, "2")])
        #expect(Expectations.pieces(of: "[1, -2]") == [.text("["), .number(1, "1"), .text(", "), .number(-2, "-2"), .text("]")])
        #expect(Expectations.pieces(of: "7x5") == [.number(7, "7"), .text("x5")])
        #expect(Expectations.pieces(of: ".5e+2") == [.number(50, ".5e+2")])
        #expect(Expectations.pieces(of: "0..3") == [.number(0, "0"), .text(".."), .number(3, "3")])
    }

    @Test func exactLinesDemandTheText() {
        #expect(Expectations.matches(line("0.3", exact: true), "0.3"))
        #expect(!Expectations.matches(line("0.3", exact: true), "0.30000000000000004"))
        #expect(!Expectations.matches(line("a", exact: true), "a "))
        #expect(Expectations.matches(line("0.3"), "0.30000000000000004"))
    }

    @Test func blocksCompareLineByLine() {
        let expected = [line("0"), line("1"), line("2")]
        #expect(Expectations.matches(expected, ["0", "1", "2"]))
        #expect(!Expectations.matches(expected, ["0", "1"]))
        #expect(!Expectations.matches([], ["printed"]))
        #expect(Expectations.matches([], []))
        let diff = Expectations.diff(expected, ["0", "7", "2", "3"])
        #expect(diff.map { "\($0.mark)\($0.text)" } == [" #> 0", "-#> 1", "+#> 7", " #> 2", "+#> 3"])
    }

    @Test func longOutputsDiffInBoundedWork() {
        // 20,000 lines with one changed in the middle: the agreeing ends need no table.
        let expected = (0..<20_000).map { line("step \($0) loss 0.\($0)") }
        var actual = expected.map(\.text)
        actual[10_000] = "step 10000 loss 7"
        let diff = Expectations.diff(expected, actual)
        #expect(diff.filter { $0.mark != " " }.map { "\($0.mark)\($0.text)" } == ["-#> step 10000 loss 0.10000", "+#> step 10000 loss 7"])
        #expect(diff.count == 20_001)
        // 3,000 expected and 3,000 other lines would need a 9,000,000-cell table: shown as
        // removed then added instead, in order.
        let other = (0..<3_000).map { "other \($0)" }
        let all = Expectations.diff(Array(expected.prefix(3_000)), other)
        #expect(all.map(\.mark) == Array(repeating: "-", count: 3_000) + Array(repeating: "+", count: 3_000))
        #expect(all.first?.text == "#> step 0 loss 0.0" && all.last?.text == "#> other 2999")
    }

    @Test func renderKeepsMatchingBlocksAndExactMarkers() {
        let previous = [line("0.30000000000000004"), line("b", exact: true)]
        // Still matching: kept as written.
        #expect(Expectations.render("0.3000000000000001\nb\n", previous: previous) == ["#> 0.30000000000000004", "#>= b"])
        // Changed: rewritten, the exact marker kept at its place.
        #expect(Expectations.render("1\nc\n", previous: previous) == ["#> 1", "#>= c"])
        #expect(Expectations.render("", previous: previous) == [])
        #expect(Expectations.render("\n") == ["#>"])
    }
}

@Suite struct LessonCheckTests {
    let script = """
        ## Title
        # prose
        print(0.1 + 0.2)
        #> 0.30000000000000004
        let quiet = 1
        for i in 0..3 { print(i) }
        #> 0
        #> 1
        #> 2
        print("a"); print("b")
        #> a
        #> b
        fn f(x) {
          print("in f")
          return x
        }
        print(f(2))
        #> in f
        #> 2

        """

    @Test func passingScript() {
        let r = onLargeStack { Lesson.check(self.script, name: "s.ps") }
        #expect(r.passed, "\(r.diff)\(r.misplaced)\(r.error ?? "")")
        #expect(r.groupsChecked == 6)
        #expect(r.linesChecked == 8)
    }

    @Test func mismatchGivesAUnifiedDiffWithFileAndLine() {
        let changed = script.replacingOccurrences(of: "#> 1\n", with: "#> 5\n")
            .replacingOccurrences(of: "let quiet = 1\n", with: "let quiet = 1\nprint(quiet)\n")
        let r = onLargeStack { Lesson.check(changed, name: "s.ps") }
        #expect(!r.passed)
        #expect(r.hunks.map(\.line) == [6, 9])
        #expect(r.diff == """
            --- s.ps (expected)
            +++ s.ps (actual)
            @@ -6,1 +6,2 @@ s.ps:6
             print(quiet)
            +#> 1
            @@ -7,4 +8,4 @@ s.ps:9
             for i in 0..3 { print(i) }
             #> 0
            -#> 5
            +#> 1
             #> 2

            """)
    }

    @Test func misplacedBlocksAndErrorsFail() {
        let misplaced = onLargeStack { Lesson.check("print(1)\n\n#> 1\n", name: "m.ps") }
        #expect(misplaced.misplaced == ["m.ps:3: '#>' lines must come right after the statement whose output they state"])
        #expect(!misplaced.passed)
        let failing = onLargeStack { Lesson.check("print(1)\n#> 1\nprint(1 / nope)\n", name: "e.ps") }
        #expect(failing.error?.contains("unknown name 'nope'") == true)
        #expect(failing.error?.contains("e.ps:3:") == true)
        let runtime = onLargeStack { Lesson.check("print(1)\n#> 1\nlet v = [1, 2]\nprint(v[5])\n", name: "r.ps") }
        #expect(runtime.error?.contains("r.ps:4:") == true, "\(runtime.error ?? "")")
        #expect(!runtime.passed)
    }

    @Test func expectationLinesInsideAStatementAreCode() {
        let text = "fn f() {\n#> not an expectation\n  return 1\n}\nprint(\"x\n#> in a string\")\n#> x\n#> #> in a string\n"
        let r = onLargeStack { Lesson.check(text, name: "s.ps") }
        #expect(r.passed, "\(r.diff)\(r.misplaced)")
    }

    @Test func updateRewritesOnlyWhatChanged() throws {
        let stale = script.replacingOccurrences(of: "#> 1\n", with: "#> 5\n")
            .replacingOccurrences(of: "#> a\n#> b\n", with: "")
            .replacingOccurrences(of: "#> 0.30000000000000004", with: "#> 0.3000000000000001")
            + "print(\"new\")\n\n#> misplaced\n"
        let u = onLargeStack { Lesson.update(stale, name: "s.ps") }
        let text = try #require(u.text)
        #expect(u.changed == 3 && u.dropped == 1)
        // The still-matching block keeps its own text.
        #expect(text.contains("#> 0.3000000000000001\n"))
        #expect(text == script.replacingOccurrences(of: "#> 0.30000000000000004", with: "#> 0.3000000000000001")
            + "print(\"new\")\n#> new\n\n")
        #expect(onLargeStack { Lesson.check(text, name: "s.ps") }.passed)
        // A second update changes nothing.
        #expect(onLargeStack { Lesson.update(text, name: "s.ps") }.text == text)
        #expect(onLargeStack { Lesson.update("print(nope)\n", name: "e.ps") }.text == nil)
    }

    @Test func sessionsBecomeCheckedScripts() throws {
        let inputs = [
            Lesson.SessionInput(source: "let xs = [1, 2, 4]", echoed: false),
            .init(source: "xs[2] * 10", echoed: true),
            .init(source: "_ + 1", echoed: true),
            .init(source: "\"안녕\"", echoed: true),
            .init(source: "fn g(n) {\n  print(n)\n  return n + 1\n}\ng(1)", echoed: true),
        ]
        let script = Lesson.script(fromSession: inputs)
        #expect(script == "let xs = [1, 2, 4]\n_ = xs[2] * 10; echo(_)\necho(_ + 1)\necho(\"안녕\")\nfn g(n) {\n  print(n)\n  return n + 1\n}\necho(g(1))\n")
        let saved = onLargeStack { Lesson.save(inputs, name: "session.ps") }
        #expect(saved.error == nil)
        #expect(saved.text.contains("_ = xs[2] * 10; echo(_)\n#> 40\necho(_ + 1)\n#> 41\necho(\"안녕\")\n#> \"안녕\"\n"))
        #expect(saved.text.hasSuffix("echo(g(1))\n#> 1\n#> 2\n"))
        #expect(onLargeStack { Lesson.check(saved.text, name: "session.ps") }.passed)
    }

    /// A saved session (and the page exported from it) shows what the prompt showed: a
    /// result's summary, not the hundreds of lines print would write.
    @Test func savedSessionsShowSummaries() {
        let inputs = [Lesson.SessionInput(source: "descend(himmelblau, starts: 20, box: [[-5, 5], [-5, 5]], seed: 1)", echoed: true)]
        let saved = onLargeStack { Lesson.save(inputs, name: "session.ps") }
        #expect(saved.error == nil)
        let shown = saved.text.split(separator: "\n").filter { $0.hasPrefix("#>") }
        #expect(shown.first == "#> descend from 20 starts (gd, lr 0.01): 4 distinct minima")
        #expect(shown.count <= 20 && shown.contains("#>   (print shows every field)"))
        #expect(onLargeStack { Lesson.check(saved.text, name: "session.ps") }.passed)
    }
}

@Suite struct LessonExportTests {
    let lesson = """
        ## Binary search
        # Halve a *sorted* vector & keep the half that holds the target.

        let xs = [1, 2, 4, 5, 7]   # sorted
        print(len(xs), "numbers")
        #> 5 numbers

        # The middle element:
        print(xs[2])
        let s = "<b>not bold</b>"
        print(s)

        """

    func run(_ text: String) -> Lesson.Run { onLargeStack { Lesson.run(text, name: "lesson.ps", figures: true) } }

    @Test func cellsFollowTheScript() {
        let cells = Lesson.cells(run(lesson))
        let kinds = cells.map { cell -> String in
            switch cell {
            case .prose(let m): return "prose:" + m
            case .code(let a, let b, _, _): return "code:\(a)-\(b)"
            case .output(let items): return "out:" + items.map { if case .text(let t) = $0 { return t } else { return "fig" } }.joined()
            }
        }
        #expect(kinds == [
            "prose:# Binary search\nHalve a *sorted* vector & keep the half that holds the target.",
            "code:4-5", "out:5 numbers\n",
            "prose:The middle element:",
            "code:9-9", "out:4\n",
            "code:10-11", "out:<b>not bold</b>\n",
        ])
    }

    @Test func htmlIsOneSelfContainedPage() throws {
        var r = run(lesson)
        // A figure as the plot built-ins will hand it over (they are not in this module yet).
        var statements = r.statements
        statements[1].items.append(.figure(Figure(title: "line", series: [.line(Line(ys: [3, 1, 2]))]), text: ""))
        statements[2].items.append(.figure(Figure(title: "again", series: [.line(Line(ys: [1, 2]))]), text: ""))
        r = Lesson.Run(source: r.source, sources: r.sources, statements: statements, failure: nil)
        let html = Lesson.html(r)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta charset=\"utf-8\" />"))
        #expect(html.contains("<title>Binary search</title>"))
        #expect(html.contains("<h1>Binary search</h1>"))
        #expect(html.contains("<em>sorted</em> vector &amp; keep"))
        #expect(html.contains("<span class=\"k\">let</span> xs = [<span class=\"n\">1</span>"))
        #expect(html.contains("<span class=\"c\"># sorted</span>"))
        #expect(html.contains("<span class=\"b\">print</span>(<span class=\"b\">len</span>(xs), <span class=\"s\">&quot;numbers&quot;</span>)"))
        #expect(html.contains("<pre class=\"out\"><samp>5 numbers</samp></pre>"))
        #expect(html.contains("<samp>&lt;b&gt;not bold&lt;/b&gt;</samp>"))
        #expect(!html.contains("#> 5 numbers"))
        // Two inline figures, ids made unique, no XML declaration inside the page.
        #expect(html.components(separatedBy: "<svg ").count == 3)
        #expect(html.contains("id=\"f1-plot\"") && html.contains("url(#f2-plot)"))
        #expect(!html.contains("<?xml"))
        // Self-contained: no scripts, no linked files.
        for banned in ["<script", "<link", "src=\"http", "href=\"http", "@import", "url(http"] {
            #expect(!html.contains(banned), "page contains \(banned)")
        }
        try expectBalancedTags(html)
        // A page with figures to look at in a browser (scripts/test-export.sh renders lessons).
        if let path = ProcessInfo.processInfo.environment["PSEARCH_EXPORT_SAMPLE"] {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    @Test func markdownPage() {
        var r = run(lesson)
        var statements = r.statements
        statements[1].items.append(.figure(Figure(title: "line", series: [.line(Line(ys: [3, 1, 2]))]), text: ""))
        r = Lesson.Run(source: r.source, sources: r.sources, statements: statements, failure: nil)
        let md = Lesson.markdown(r)
        #expect(md.hasPrefix("# Binary search\nHalve a *sorted* vector & keep the half that holds the target.\n\n```psearch\nlet xs = [1, 2, 4, 5, 7]   # sorted\nprint(len(xs), \"numbers\")\n```\n\n```text\n5 numbers\n```\n"))
        #expect(md.contains("![line](data:image/svg+xml;base64,"))
        #expect(!md.contains("#>"))
        #expect(Lesson.fenced("a ``` b", info: "text") == "````text\na ``` b\n````")
    }

    @Test func notebookCellsCarryTheOutputsAsTheKernelSendsThem() throws {
        let text = lesson + "plot([3, 1, 2], width: 30, height: 8)\n"
        let nb = Lesson.notebook(run(text))
        #expect(nb == Lesson.notebook(run(text)), "the same lesson must give the same bytes")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(nb.utf8)) as? [String: Any])
        #expect(json["nbformat"] as? Int == 4 && json["nbformat_minor"] as? Int == 5)
        let kernelspec = (json["metadata"] as? [String: Any])?["kernelspec"] as? [String: String]
        #expect(kernelspec?["name"] == "psearch")
        let cells = try #require(json["cells"] as? [[String: Any]])
        #expect(cells.map { $0["cell_type"] as? String } == ["markdown", "code", "markdown", "code", "code", "code"])
        #expect(Set(cells.compactMap { $0["id"] as? String }).count == cells.count)
        #expect(cells[0]["source"] as? [String] == ["# Binary search\n", "Halve a *sorted* vector & keep the half that holds the target."])
        #expect(cells[1]["source"] as? [String] == ["let xs = [1, 2, 4, 5, 7]   # sorted\n", "print(len(xs), \"numbers\")"])
        #expect(cells[1]["execution_count"] as? Int == 1 && cells[3]["execution_count"] as? Int == 2)
        let first = try #require((cells[1]["outputs"] as? [[String: Any]])?.first)
        #expect(first["output_type"] as? String == "stream" && first["name"] as? String == "stdout")
        #expect(first["text"] as? [String] == ["5 numbers\n"])
        // The last cell: the plot as SVG with its terminal picture as text.
        let outputs = try #require(cells[5]["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["output_type"] as? String } == ["display_data"])
        let data = try #require(outputs[0]["data"] as? [String: [String]])
        let svg = data["image/svg+xml"]?.joined() ?? ""
        #expect(svg.hasPrefix("<svg") && svg.contains("id=\"f1-plot\""))
        let picture = data["text/plain"]?.joined() ?? ""
        #expect(picture.split(separator: "\n").count == 8)
        #expect(picture.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) })
        // The same picture a script prints.
        let printed = onLargeStack { () -> String in
            let sink = BufferSink()
            _ = try? Interpreter(output: sink).run("plot([3, 1, 2], width: 30, height: 8)", name: "p")
            return sink.text
        }
        #expect(picture == printed)
    }

    /// Every opened element is closed in order (void elements aside): a page a browser parses
    /// the way it was meant, checked without a browser.
    func expectBalancedTags(_ html: String) throws {
        let void: Set<String> = ["meta", "br", "hr", "img", "input", "link", "source", "col", "area", "base", "wbr"]
        let regex = try NSRegularExpression(pattern: "<(/?)([A-Za-z][A-Za-z0-9]*)([^>]*?)(/?)>")
        var stack: [String] = []
        let ns = html as NSString
        for m in regex.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let closing = ns.substring(with: m.range(at: 1)) == "/"
            let name = ns.substring(with: m.range(at: 2)).lowercased()
            let selfClosing = ns.substring(with: m.range(at: 4)) == "/"
            if void.contains(name) || selfClosing { continue }
            if closing {
                let open = stack.popLast()
                #expect(open == name, "</\(name)> closes <\(open ?? "nothing")>")
                if open != name { return }
            } else {
                stack.append(name)
            }
        }
        #expect(stack.isEmpty, "unclosed: \(stack)")
    }
}
