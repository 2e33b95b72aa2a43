import Foundation
import Testing
@testable import PsearchLang
import PsearchCore

/// Behaviour that `.ps` cases cannot express: raw bytes, limits set from Swift, several runs
/// in one session, the built-ins table.
@Suite struct InterpreterTests {
    @Test func invalidUTF8AndNULAreSyntaxErrorsNotCrashes() {
        let bad: [[UInt8]] = [
            Array("print(1)\n".utf8) + [0xFF, 0xFE] + Array("\nprint(2)".utf8),
            Array("print(\"".utf8) + [0xC3, 0x28] + Array("\")".utf8),
            Array("print(1)".utf8) + [0x00],
            Array("print(\"a".utf8) + [0x00] + Array("b\")".utf8),
            [0xEF, 0xBB, 0xBF] + Array("print(1)".utf8),  // a byte order mark is not allowed either
        ]
        for bytes in bad {
            let out = runProgram(bytes)
            #expect(out.output == "")
            #expect(!out.syntax.isEmpty, "no error for \(bytes)")
            #expect(out.runtime == nil && out.other == nil)
        }
        let out = runProgram(Array("print(1)\n".utf8) + [0xFF] + Array("\nprint(2)".utf8))
        #expect(out.syntax.map(\.message) == ["invalid UTF-8 byte 0xFF"])
        #expect(out.syntax.first.flatMap { out.location($0) }.map { [$0.line, $0.column] } == [2, 1])
        // The caret line still renders (the bad byte shows as U+FFFD).
        let text = DiagnosticList(out.syntax).render(out.interp.sources)
        #expect(text.contains("2 | \u{FFFD}"))
    }

    @Test func validUTF8InStringsAndComments() {
        let out = runProgram("# 주석 comment ✓\nprint(\"안녕\", len(\"안녕\"), \"🙂\")")
        #expect(out.lines == ["안녕 2 🙂"])
    }

    @Test func sizeCapIsSettable() {
        var limits = Limits()
        limits.maxElements = 5
        #expect(runProgram("print(zeros(5))", limits: limits).lines == ["[0, 0, 0, 0, 0]"])
        let out = runProgram("print(1)\nzeros(6)", limits: limits)
        #expect(out.lines == ["1"])
        #expect(out.runtime?.message == "a tensor of 6 elements is over the size limit of 5 elements")
        #expect(runProgram("vec(0..6)", limits: limits).runtime?.message == "range 0..6 has 6 elements, over the tensor size limit of 5")
        #expect(runProgram("linspace(0, 1, 6)", limits: limits).runtime?.message == "bad argument #3 to 'linspace' (must be at most 5, got 6)")
    }

    @Test func callDepthIsSettable() {
        var limits = Limits()
        limits.maxCallDepth = 50
        let out = runProgram("fn d(n) { if n == 0 { return 0 }\n return 1 + d(n - 1) }\nprint(d(49))\nprint(d(50))", limits: limits)
        #expect(out.lines == ["49"])
        #expect(out.runtime?.message == "stack overflow: recursion deeper than 50 calls")
    }

    @Test func deepRecursionStopsCleanlyAtTheDefaultLimit() {
        // Mutual recursion through a closure and a default argument, the frames a debug build
        // makes largest; the limit must be reached before the thread's stack runs out.
        let out = runProgram("""
            fn a(n, k = n + 1) = b(k)
            fn b(n) {
              let g = fn() = a(n)
              return g()
            }
            a(0)
            """)
        #expect(out.runtime?.message == "stack overflow: recursion deeper than \(Limits().maxCallDepth) calls")
    }

    @Test func aSessionKeepsGlobalsAcrossRuns() throws {
        // Runs on the large stack; expectations are checked back on the test's own thread.
        struct Seen {
            var failedChunk: RunFailure?
            var yAfterFailure: Value?
            var runtime: RunFailure?
            var replValue: String?
            var output = ""
        }
        let result: Result<Seen, Error> = onLargeStack {
            Result {
                let sink = BufferSink()
                let ip = Interpreter(output: sink)
                var seen = Seen()
                try ip.run("let x = 2\nfn double(v) = v * 2", name: "a")
                try ip.run("print(double(x))", name: "b")
                // A chunk with a name error declares nothing.
                do throws(RunFailure) { try ip.run("let y = 1\nprint(nope)", name: "c") } catch { seen.failedChunk = error }
                seen.yAfterFailure = ip.global("y")
                // A runtime error keeps what ran before it.
                do throws(RunFailure) { try ip.run("let z = 3\nprint(1 + nil)", name: "d") } catch { seen.runtime = error }
                try ip.run("print(z)", name: "e")
                // REPL mode returns the value of a final expression.
                seen.replValue = try ip.run("x + 1", name: "<repl>", repl: true)?.repr
                seen.output = sink.text
                return seen
            }
        }
        let seen = try result.get()
        #expect(seen.failedChunk?.syntax?.isEmpty == false)
        #expect(seen.yAfterFailure == nil)
        #expect(seen.runtime?.runtime?.message == "cannot apply '+' to number and nil")
        #expect(seen.replValue == "3")
        #expect(seen.output == "4\n3\n")
    }

    @Test func runtimeErrorRangesRenderWithCaret() {
        let out = runProgram("let xs = [1, 2]\nprint(xs[5])", name: "demo.ps")
        let text = out.runtime?.render(out.interp.sources) ?? ""
        #expect(text == """
            error: index 5 is out of range for vector of length 2
             --> demo.ps:2:7
            2 | print(xs[5])
              |       ^^^^^

            """)
    }

    /// Korean (the source essay's language) takes two terminal cells a letter: the caret and
    /// its underline count cells, while the column in `file:line:col` counts characters.
    @Test func caretsCountTerminalCellsUnderWideCharacters() {
        let out = runProgram("let 벡터 = \"점\"\nprint(\"한국어\" + 1, 벡터)", name: "wide.ps")
        var text = DiagnosticList(out.syntax).render(out.interp.sources)
        #expect(text.hasPrefix("""
            error: unexpected character '벡' (letters outside ASCII may appear only in strings and comments)
             --> wide.ps:1:5
            1 | let 벡터 = "점"
              |     ^^

            """))
        let run = runProgram("# 주석\nprint(\"한국어\" + 1)", name: "wide.ps")
        text = run.runtime?.render(run.interp.sources) ?? ""
        #expect(text.hasPrefix("""
            error: cannot add string and number
             --> wide.ps:2:7
            2 | print("한국어" + 1)
              |       ^^^^^^^^^^^^

            """))
        #expect(TextWidth.of("한국어 ok") == 9 && TextWidth.of("e\u{301}") == 1 && TextWidth.of("🙂") == 2)
    }

    @Test func builtinsTableIsComplete() {
        let issue2 = ["print", "str", "type", "len", "shape", "vec", "zeros", "ones", "range", "linspace", "reshape",
                      "sum", "mean", "min", "max", "argmin", "argmax", "sort", "abs", "sqrt", "exp", "log", "sin", "cos",
                      "tanh", "floor", "round", "norm", "seed", "rand", "randn", "assert"]
        let names = Builtins.all.map(\.spec.name)
        for n in issue2 { #expect(names.contains(n), "missing built-in \(n)") }
        #expect(Set(names).count == names.count, "duplicate built-in names")
        for b in Builtins.all {
            let s = b.spec
            #expect(!s.summary.isEmpty && s.summary.first!.isLowercase && !s.summary.hasSuffix("."), "summary of \(s.name)")
            #expect(s.signature.hasPrefix(s.name + "("), "signature of \(s.name)")
        }
    }

    /// Every table entry's example runs without error, so `:help` never shows a broken one.
    @Test(arguments: Builtins.all.map(\.spec.name))
    func builtinExampleRuns(_ name: String) {
        let spec = Builtins.named(name)!.spec
        let out = runProgram("let _example = \(spec.example)\nprint(_example)")
        #expect(out.syntax.isEmpty && out.runtime == nil, "example of \(name): \(spec.example)")
        #expect(out.lines.count >= 1)
    }

    @Test func randomIsDeterministicAcrossSessions() {
        let program = "print(rand(3), randn())\nseed(5)\nprint(rand())"
        let a = runProgram(program), b = runProgram(program)
        #expect(a.output == b.output)
        #expect(a.lines.count == 2)
        let c = runProgram("seed(5)\nprint(rand())")
        #expect(c.lines.last == a.lines.last)
    }

    @Test func numberFormattingReadsBack() {
        let samples: [Double] = [0.1 + 0.2, 1.0 / 3, 6765, 1e16, 1e-7, 123.456, -0.5, 2.5e-300, 1.7976931348623157e308, Double.leastNonzeroMagnitude]
        for x in samples {
            let text = formatNumber(x)
            #expect(Double(text) == x, "\(text) reads back as \(String(describing: Double(text)))")
        }
        #expect(formatNumber(6765) == "6765")
        #expect(formatNumber(0.30000000000000004) == "0.30000000000000004")
        #expect(formatNumber(.infinity) == "inf" && formatNumber(-.infinity) == "-inf" && formatNumber(.nan) == "nan")
        #expect(formatNumber(1e15) == "1000000000000000")
    }
}
