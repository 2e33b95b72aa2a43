#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import PsearchLang

/// Resident memory of this process now, in bytes (Linux: /proc/self/statm), nil elsewhere.
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The process's peak resident memory so far, in bytes.
func peakResidentBytes() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return u.ru_maxrss * 1024
}

/// Entries of issue 8's bad-input catalogue that a `.ps` case cannot state: inputs too large to
/// commit, memory measured across runs, many one-line programs that must each stop cleanly.
/// The rest of the catalogue lives in cases/hardening/ and in the other suites (see docs/reliability.md).
@Suite struct HardeningTests {
    @Test func aTenMegabyteLineLexesAndRuns() {
        let n = 10_000_000
        let source = Array("let s = \"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: n) + Array("\"\nprint(len(s))\n".utf8)
        let out = runProgram(source)
        #expect(out.syntax.isEmpty && out.runtime == nil && out.other == nil)
        #expect(out.lines == ["\(n)"])
    }

    @Test(arguments: [("(", ")"), ("[", "]")], [10_000, 1_000_000])
    func nestingIsRefusedAtTheOpener(_ brackets: (String, String), _ depth: Int) {
        let source = "x = " + String(repeating: brackets.0, count: depth) + "1" + String(repeating: brackets.1, count: depth)
        let out = runProgram(source)
        #expect(out.syntax.map(\.message) == ["nested too deeply (more than \(Parser.maxNesting) levels)"])
        // The caret is on the first opener over the limit: "x = " is 4 columns.
        let loc = out.syntax.first.flatMap { out.location($0) }
        #expect(loc?.line == 1 && loc?.column == 4 + Parser.maxNesting + 1)
        #expect(out.output == "" && out.runtime == nil && out.other == nil)
    }

    @Test(.disabled(if: underThreadSanitizer, "recursion to the call limit overflows ThreadSanitizer's shadow call stack"))
    func repeatedStackOverflowsInOneSessionLeaveNothingBehind() throws {
        struct Seen {
            var messages: [String] = []
            var slotsInUse: [Int] = []
            var depths: [Int] = []
            var after = ""
        }
        let seen: Seen = onLargeStack {
            let ip = Interpreter(output: BufferSink())
            var seen = Seen()
            _ = try? ip.run("fn f(n) = f(n + 1)\nlet kept = 41", name: "<repl>", repl: true)
            for _ in 0..<3 {
                do throws(RunFailure) {
                    try ip.run("f(0)", name: "<repl>", repl: true)
                } catch {
                    seen.messages.append(error.runtime?.message ?? "\(error)")
                }
                seen.slotsInUse.append(ip.sp)
                seen.depths.append(ip.depth)
            }
            seen.after = (try? ip.run("kept + 1", name: "<repl>", repl: true))??.repr ?? "<error>"
            return seen
        }
        let overflow = "stack overflow: recursion deeper than \(Limits().maxCallDepth) calls"
        #expect(seen.messages == [overflow, overflow, overflow])
        #expect(seen.slotsInUse == [0, 0, 0], "frames left on the interpreter's stack")
        #expect(seen.depths == [0, 0, 0])
        #expect(seen.after == "42", "the session's variables survive")
    }

    /// The memory half of the test above, in a process of its own: tests running in parallel
    /// in this one move its resident size by tens of megabytes (CI saw +77 MB), which no bound
    /// can tell from a leak. Alone, the first overflow touches the frames' memory (about 49 MB
    /// on 2026-12-07) and the next two reuse it (+128 KB): keeping the frames would be far over.
    @Test(.disabled(if: underThreadSanitizer || underAddressSanitizer, "sanitizers keep freed memory in quarantine"))
    func repeatedStackOverflowsDoNotGrowMemory() async {
        let child = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let resident: [Int] = onLargeStack {
                let ip = Interpreter(output: BufferSink())
                _ = try? ip.run("fn f(n) = f(n + 1)", name: "<repl>", repl: true)
                return (0..<3).map { _ in
                    _ = try? ip.run("f(0)", name: "<repl>", repl: true)
                    return residentBytes() ?? 0
                }
            }
            // The child reports; the parent judges, so a failure names the figures.
            FileHandle.standardError.write(Data("\(resident[0]) \(resident[2])".utf8))
        }
        let figures = child.map { String(decoding: $0.standardErrorContent, as: UTF8.self).split(separator: " ").compactMap { Int($0) } }
        guard let figures, figures.count == 2, figures[0] > 0 else {
            Issue.record("the child process reported no resident sizes: \(String(decoding: child?.standardErrorContent ?? [], as: UTF8.self))")
            return
        }
        #expect(figures[1] - figures[0] < 16 << 20, "resident memory grew from \(figures[0]) to \(figures[1]) bytes")
    }

    @Test func aHugeTensorIsRefusedBeforeAllocating() async {
        let out = runProgram("zeros(1e12)")
        #expect(out.runtime?.message == "a tensor of 1000000000000 elements is over the size limit of 100000000 elements")
        // 10^12 doubles are 8 TB: had anything been allocated and touched, the peak would show
        // it. Measured in a process of its own, where no other test moves the peak.
        await #expect(processExitsWith: .success) {
            let before = peakResidentBytes()
            _ = runProgram("zeros(1e12)")
            exit(peakResidentBytes() - before < 64 << 20 ? 0 : 1)
        }
    }

    /// Regression: a record's minima count of 1e300 (plotted as a multi-start result) trapped
    /// in Int(); a count is only a label, so an unreasonable one now shows no label.
    @Test func plottedMinimaCountIsNotTrusted() {
        let out = runProgram("""
            let r = descend(himmelblau, starts: 3, box: [[-5, 5], [-5, 5]], seed: 1, steps: 20)
            plot({runs: r.runs, minima: [{x: [0, 0], count: 1e300}, {x: [1, 1], count: 0 / 0}]})
            print("ok")
            """)
        #expect(out.runtime == nil && out.other == nil && out.syntax.isEmpty)
        #expect(out.lines.last == "ok")
    }

    @Test func aStepBudgetEndsInfiniteLoops() {
        var limits = Limits()
        limits.maxSteps = 1000
        for source in ["while true {}", "for i in 0..1e15 {}", "fn f(n) = n + 1\nwhile true { f(1) }", "fn g() { while true {} }\ng()"] {
            let out = runProgram(source, limits: limits)
            #expect(out.runtime?.message == "step budget exhausted: more than 1000 loop iterations and calls", "\(source)")
        }
        // The budget is per run, and a run within it is untouched.
        let ok = runProgram("let t = 0\nfor i in 0..500 { t = t + i }\nprint(t)", limits: limits)
        #expect(ok.lines == ["124750"] && ok.runtime == nil)
    }

    /// Built-ins that do a lot of native work spend the budget too, so a fuzzed input cannot
    /// train for seconds inside one call (found profiling the `run` fuzz target: 54% automl).
    @Test func aStepBudgetCoversTheWorkOfBuiltins() {
        var limits = Limits()
        limits.maxSteps = 20_000
        let heavy = [
            ("let d = dataset(\"moons\", n: 200)\ntrain(mlp([2, 16, 2]), d, epochs: 1000)", "train", 1000.0 * 200 * 83 / 100),
            ("automl(dataset(\"moons\", n: 100), budget: 27)", "automl", 27.0 * 100 * 3 * 128 * 30 / 100),
            ("descend(fn(p) = p[0]^2, [1], steps: 1000000)", "descend", 100_000.0),
            // Found by fuzzing: a plot inside an objective drew once per step, uncharged.
            ("fn f(p) {\n  plot([1, 2], width: 40, height: 12)\n  return p[0]^2\n}\ndescend(f, [1], steps: 500)", "plot", 960),
            ("plot([1, 2], width: 1000, height: 1000)", "plot", 2_000_000.0),
            ("plot([1, 2], file: \"big.svg\", width: 10000, height: 10000)", "plot", 2_000_000.0),
        ]
        for (source, name, cost) in heavy {
            let out = runProgram(source, limits: limits)
            let message = out.runtime?.message ?? ""
            #expect(message.hasPrefix("step budget exhausted: '\(name)' would take about \(Int(cost)) steps of work"), "\(source): \(message)")
        }
        // Small work fits, and without a budget nothing is charged.
        let small = "let d = dataset(\"moons\", n: 50)\nprint(train(logistic(2), d, epochs: 5).epochs)"
        #expect(runProgram(small, limits: limits).runtime == nil)
        #expect(runProgram(heavy[2].0 + "\nprint(1)", limits: Limits()).lines == ["1"])
    }

    /// Trials on worker threads spend the session's budget: they used to run with none at all,
    /// so an endless objective in a parallel search never stopped under a budget.
    @Test func parallelTrialsShareTheStepBudget() {
        var limits = Limits()
        limits.maxSteps = 20_000
        let endless = runProgram("search(fn(p) { while true {} }, {lr: logrange(1e-3, 1)}, trials: 8, workers: 2)", limits: limits)
        #expect(endless.runtime?.message.hasPrefix("step budget exhausted") == true, "\(String(describing: endless.runtime?.message))")
        // 3,000 steps a trial: four trials fit in 20,000, ten do not; after four, the session
        // has what they left.
        func trials(_ n: Int) -> String {
            """
            fn work(p) {
              let s = 0
              for i in 0..3000 { s = s + 1 }
              return s
            }
            let r = search(work, {lr: logrange(1e-3, 1)}, trials: \(n), workers: 2)
            let t = 0
            for i in 0..6000 { t = t + 1 }
            print(r.best_loss, t)
            """
        }
        #expect(runProgram(trials(4), limits: limits).lines == ["3000 6000"])
        #expect(runProgram(trials(10), limits: limits).runtime?.message.hasPrefix("step budget exhausted") == true)
        let left = runProgram(trials(4).replacingOccurrences(of: "0..6000", with: "0..9000"), limits: limits)
        #expect(left.runtime?.message.hasPrefix("step budget exhausted") == true, "4 x 3,000 + 9,000 is over 20,000")
    }

    /// Regression (found by LeakSanitizer): a global function refers to its own global cell,
    /// so every session that defined a recursive function leaked its globals.
    @Test func aSessionWithARecursiveFunctionIsFreed() throws {
        weak var function: Callable?
        weak var session: Interpreter?
        do {
            let ip = Interpreter(output: BufferSink())
            session = ip
            try ip.run("fn f(n) { if n == 0 { return 0 }\n return f(n - 1) }\nprint(f(3))", name: "t")
            if case .function(let fn)? = ip.global("f") { function = fn }
            #expect(function != nil)
        }
        #expect(session == nil)
        #expect(function == nil, "the closure outlived its session")
    }
}
