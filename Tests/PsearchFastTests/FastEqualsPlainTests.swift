import Foundation
import Testing
@testable import PsearchCore
@testable import PsearchFast

/// Every differential case, descended twice: with the fast tiers installed (`FastCompiler`: the
/// scalar program, its machine code, the fused descent loop) and without (the tape's reference
/// replay and the plain Swift loop). Both must end on the same bits: point, loss, steps,
/// gradient, message, path.
@Suite struct FastEqualsPlainTests {
    typealias Trace = ScalarProgramTests.Trace

    /// The tier tests' functions, the fused-descent tests', the piecewise-constant ones, the
    /// lesson test functions and a tensor-shaped one (which the fast tiers leave to the tape).
    static var cases: [(String, Int, Trace)] {
        var all = ScalarProgramTests.functions + ScalarProgramTests.guarded
        all += PiecewiseConstantTests.functions.map { ($0.0, 2, $0.1) }
        all += [("fused: quadratic", 1, FusedDescentTests.quadratic), ("fused: stepped", 2, FusedDescentTests.stepped)]
        all += TestFunctions.all.map { tf in ("test function \(tf.name)", tf.dimension ?? 3, tf.trace) }
        all.append(("tensors: sum of squares and a sine", 3, { t, p in
            try t.add(t.sum(t.mul(p, p)), t.sum(t.sin(p)))
        }))
        return all
    }

    /// Plain descent long enough to reach machine code and the fused loop (`nativeAfter`
    /// replays), one that converges, the other methods, the line search and a recorded path.
    static var options: [(String, DescentOptions)] {
        func noPath(_ o: DescentOptions) -> DescentOptions {
            var o = o
            o.record = false
            return o
        }
        return [
            ("gd", noPath(DescentOptions(lr: 0.002, steps: 3000, tol: 0))),
            ("gd converging", noPath(DescentOptions(lr: 0.01, steps: 20_000, tol: 1e-6))),
            ("gd large lr", noPath(DescentOptions(lr: 0.5, steps: 3000, tol: 0))),
            ("momentum", noPath(DescentOptions(lr: 0.002, steps: 1500, tol: 0, method: .momentum))),
            ("adam", noPath(DescentOptions(lr: 0.01, steps: 1500, tol: 0, method: .adam))),
            ("line search", noPath(DescentOptions(lr: 0.01, steps: 40, tol: 0, line: true))),
            ("gd with its path", DescentOptions(lr: 0.002, steps: 1500, tol: 0)),
        ]
    }

    /// A fused descent that counts the steps it ran, to show the fast path was taken.
    struct Counted: FusedDescent {
        final class Count { var steps = 0 }
        let inner: any FusedDescent
        let count: Count
        var dimension: Int { inner.dimension }
        func run(x: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Double>, lr: Double, tolBound: Double, limit: Double,
                 stopAt: Int, steps: inout Int, loss: inout Double, gnorm2: inout Double) -> FusedDescentStop? {
            let before = steps
            defer { count.steps += steps - before }
            return inner.run(x: x, g: g, lr: lr, tolBound: tolBound, limit: limit, stopAt: stopAt, steps: &steps, loss: &loss, gnorm2: &gnorm2)
        }
    }

    struct Run {
        var result: DescentResult
        /// The gradient at the end point, by the same objective.
        var gradient: [Double]
        var fusedSteps: Int
        var scalarProgram: Bool
    }

    static func descend(_ f: @escaping Trace, _ start: [Double], _ o: DescentOptions, fast: Bool) throws -> Run {
        let obj = TapeObjective(compiler: fast ? FastCompiler() : nil) { t, x in try f(t, t.input(x)) }
        let count = Counted.Count()
        let fused: (() -> (any FusedDescent)?)? = fast ? { obj.fusedDescent.map { Counted(inner: $0, count: count) } } : nil
        let r = try Descent.descend(obj.objective, start: start, options: o, fused: fused)
        var g = [Double](repeating: 0, count: start.count)
        _ = try r.x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try obj.objective(xp, $0) } }
        return Run(result: r, gradient: g, fusedSteps: count.steps, scalarProgram: obj.tape.usesScalarProgram)
    }

    static func bits(_ xs: [Double]) -> [UInt64] { xs.map(\.bitPattern) }

    @Test(arguments: Self.options.indices)
    func fastTiersEndOnThePlainLoopsBits(_ which: Int) throws {
        let (label, o) = Self.options[which]
        var fusedRuns = 0
        for (name, n, f) in Self.cases {
            let start = (0..<n).map { i in [0.3, -0.2, 0.45, -0.6][i % 4] + 0.01 * Double(i) }
            let fast = try Self.descend(f, start, o, fast: true)
            let plain = try Self.descend(f, start, o, fast: false)
            let a = fast.result, b = plain.result
            let what = "\(name), \(label)"
            #expect(Self.bits(a.x) == Self.bits(b.x), "\(what): x \(a.x) vs \(b.x)")
            #expect(a.loss.bitPattern == b.loss.bitPattern, "\(what): loss \(a.loss) vs \(b.loss)")
            #expect(a.gradientNorm.bitPattern == b.gradientNorm.bitPattern, "\(what): gradient norm")
            #expect(Self.bits(fast.gradient) == Self.bits(plain.gradient), "\(what): gradient \(fast.gradient) vs \(plain.gradient)")
            #expect(a.steps == b.steps && a.evaluations == b.evaluations, "\(what): steps \(a.steps) vs \(b.steps)")
            #expect(a.converged == b.converged && a.diverged == b.diverged && a.message == b.message, "\(what): \(a.message) | \(b.message)")
            #expect(Self.bits(a.pathData) == Self.bits(b.pathData) && Self.bits(a.losses) == Self.bits(b.losses), "\(what): path")
            #expect(!plain.scalarProgram && plain.fusedSteps == 0)
            if fast.fusedSteps > 0 { fusedRuns += 1 }
            // A scalar program runs every function of numbers; the fused loop every long plain run
            // of a function without branches, once it has machine code.
            let tensorNodes = name.hasPrefix("tensors") || name.hasSuffix("sphere") || name.hasSuffix("rastrigin")
            #expect(fast.scalarProgram == !tensorNodes, "\(what): scalar program \(fast.scalarProgram)")
        }
        let fusable = o.method == .gd && !o.line && !o.record
        if ScalarNativeCode.enabled && fusable {
            // Runs that diverge early stop before the machine code is made.
            #expect(fusedRuns >= (label == "gd" ? 15 : 3), "\(label): the fused loop ran in \(fusedRuns) cases only")
        } else {
            #expect(fusedRuns == 0, "\(label)")
        }
    }
}
