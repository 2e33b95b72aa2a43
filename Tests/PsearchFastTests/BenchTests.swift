import Foundation
import Testing
@testable import PsearchCore
import PsearchFast

/// Timings, not assertions, with the fast tiers installed: run with
/// `PSEARCH_BENCH=1 swift test -c release --filter PsearchFastTests.CoreBench`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["PSEARCH_BENCH"] != nil))
struct CoreBench {
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    static func rosenbrockTape() -> TapeObjective {
        TapeObjective(compiler: FastCompiler()) { t, x in
            let p = t.input(x)
            let a = try t.pow(t.sub(t.constant(1), t.index(p, 0)), t.constant(2))
            let b = try t.sub(t.index(p, 1), t.pow(t.index(p, 0), t.constant(2)))
            return try t.add(a, t.mul(t.constant(100), t.pow(b, t.constant(2))))
        }
    }

    @Test func rosenbrockDescendWithTapeReplay() throws {
        for steps in [200_000, 2_000_000] {
            var best = Double.infinity
            var r: DescentResult?
            for _ in 0..<5 {
                let obj = Self.rosenbrockTape()
                let s = try Self.time {
                    r = try Descent.descend(obj.objective, start: [-1.5, 2], options: DescentOptions(lr: 0.001, steps: steps, tol: 0))
                }
                best = min(best, s)
            }
            let x = r!.x
            print(String(format: "descend+tape rosenbrock %d steps: %.1f ms, %.1f ns/step; x = %.17g %.17g f = %.17g",
                         steps, best * 1e3, best / Double(steps) * 1e9, x[0], x[1], r!.loss))
            var noPath = DescentOptions(lr: 0.001, steps: steps, tol: 0)
            noPath.record = false
            best = .infinity
            for _ in 0..<5 {
                let obj = Self.rosenbrockTape()
                best = min(best, try Self.time { r = try Descent.descend(obj.objective, start: [-1.5, 2], options: noPath) })
            }
            print(String(format: "  same without path/losses: %.1f ns/step", best / Double(steps) * 1e9))
            best = .infinity
            for _ in 0..<5 {
                best = min(best, try Self.time { r = try Descent.descend(TestFunctions.rosenbrock.objective, start: [-1.5, 2], options: noPath) })
            }
            print(String(format: "  analytic gradient closure, no path: %.1f ns/step", best / Double(steps) * 1e9))
        }
        // Replay alone.
        let obj = Self.rosenbrockTape()
        var g = [0.0, 0.0]
        var x = [-1.5, 2.0]
        _ = try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try obj(xp, $0) } }
        let tape = obj.tape
        var sink = 0.0
        let n = 2_000_000
        let s = Self.time {
            x.withUnsafeMutableBufferPointer { xp in
                g.withUnsafeMutableBufferPointer { gp in
                    for _ in 0..<n {
                        sink += tape.replay(UnsafeBufferPointer(xp), gradient: gp)!
                        xp[0] -= 0.001 * gp[0]
                        xp[1] -= 0.001 * gp[1]
                    }
                }
            }
        }
        print(String(format: "tape replay + gd update, raw loop: %.1f ns/step (%d nodes) %g", s / Double(n) * 1e9, tape.count, sink))
    }

    /// What `grad(f, x)` costs when the built-in traces afresh every call (no cached tape).
    @Test func rosenbrockTraceFromScratch() throws {
        let n = 200_000
        var sink = 0.0
        var best = Double.infinity
        for _ in 0..<3 {
            best = min(best, try Self.time {
                for k in 0..<n {
                    let r = try Tape.gradient(at: [-1.5 + 1e-6 * Double(k), 2]) { t, p in try TestFunctions.rosenbrock.trace(t, p) }
                    sink += r.gradient[0]
                }
            })
        }
        print(String(format: "fresh tape + trace + gradient, rosenbrock: %.0f ns/call (%g)", best / Double(n) * 1e9, sink))
        let tape = Tape(compiler: FastCompiler())
        best = .infinity
        for _ in 0..<3 {
            best = min(best, try Self.time {
                for k in 0..<n {
                    tape.reset()
                    let p = tape.input([-1.5 + 1e-6 * Double(k), 2])
                    let g = try tape.gradient(of: TestFunctions.rosenbrock.trace(tape, p))
                    sink += g[0]
                }
            })
        }
        print(String(format: "reused tape (reset) + trace + gradient: %.0f ns/call (%g)", best / Double(n) * 1e9, sink))
    }

    @Test func binarySearchWithoutTrace() throws {
        let a = (0..<1_000_000).map { Double(3 * $0 + 1) }
        try BinarySearch.validate(a)
        var found = 0, checksum = 0
        var best = Double.infinity
        for _ in 0..<5 {
            found = 0
            checksum = 0
            best = min(best, try Self.time {
                for j in 0..<200_000 {
                    let key = Double((7919 * j + 13) % 3_000_000)
                    let r = try BinarySearch.searchSorted(a, key)
                    if r.found { found += 1 }
                    checksum += r.index
                }
            })
        }
        print(String(format: "searchSorted, 200000 calls on 1e6 elements: %.1f ms, %.1f ns/call; found %ld checksum %ld",
                     best * 1e3, best / 200_000 * 1e9, found, checksum))
        let v = try Self.time { try BinarySearch.validate(a) }
        print(String(format: "validate 1e6 elements: %.2f ms", v * 1e3))
    }
}
