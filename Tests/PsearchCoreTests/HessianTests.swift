import Foundation
import Testing
@testable import PsearchCore

/// The exact Hessian of a recording, checked against central differences of its gradient, and
/// Newton's method on it.
@Suite struct HessianTests {
    static func objective(_ trace: @escaping (Tape, Node) throws -> Node) -> TapeObjective {
        TapeObjective { tape, x in try trace(tape, tape.input(x)) }
    }

    static func exact(_ f: TapeObjective, _ x: [Double]) throws -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        return try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try f.hessian(xp, $0).1 } }
    }

    /// Row i is (∇f(x + h eᵢ) − ∇f(x − h eᵢ)) / 2h.
    static func differences(_ f: TapeObjective, _ x: [Double], h: Double = 1e-5) throws -> [Double] {
        var rows: [Double] = []
        for i in 0..<x.count {
            var up = x, down = x
            up[i] += h
            down[i] -= h
            var gu = [Double](repeating: 0, count: x.count), gd = gu
            _ = try up.withUnsafeBufferPointer { p in try gu.withUnsafeMutableBufferPointer { try f(p, $0) } }
            _ = try down.withUnsafeBufferPointer { p in try gd.withUnsafeMutableBufferPointer { try f(p, $0) } }
            rows += (0..<x.count).map { (gu[$0] - gd[$0]) / (2 * h) }
        }
        return rows
    }

    static func check(_ name: String, _ trace: @escaping (Tape, Node) throws -> Node, at points: [[Double]]) throws {
        let f = objective(trace)
        for x in points {
            let h = try exact(f, x), d = try differences(f, x)
            for (a, b) in zip(h, d) {
                #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(name) at \(x): \(h) vs differences \(d)")
            }
            let n = x.count
            for i in 0..<n { for j in 0..<n { #expect(h[i * n + j] == h[j * n + i], "\(name): not symmetric") } }
        }
    }

    @Test func testFunctionsMatchDifferences() throws {
        for tf in TestFunctions.all {
            let n = tf.dimension ?? 4
            let points = [[Double](repeating: 0.3, count: n), (0..<n).map { Double($0) * 0.7 - 1.1 }]
            try Self.check(tf.name, tf.trace, at: points)
        }
    }

    /// Every primitive, scalar and element-wise: div, pow both ways, log, exp, sin, cos, tanh,
    /// sqrt, powc, abs, norm, dot (of a node with itself), matmul, index, gather, stack, mean.
    @Test func primitivesMatchDifferences() throws {
        let scalar: (Tape, Node) throws -> Node = { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1), z = try t.index(p, 2)
            var s = try t.div(t.mul(x, y), t.add(t.exp(z), t.constant(2)))
            s = try t.add(s, t.pow(t.add(t.mul(x, x), t.constant(1.5)), y))
            s = try t.add(s, t.mul(t.log(t.add(t.pow(y, 2), t.constant(1))), t.sin(z)))
            s = try t.add(s, t.mul(t.cos(x), t.tanh(y)))
            s = try t.add(s, t.sqrt(t.add(t.pow(z, 4), t.constant(1))))
            s = try t.add(s, t.mul(t.abs(x), y))
            return s
        }
        try Self.check("scalar", scalar, at: [[0.3, -0.7, 1.2], [1.1, 0.4, -0.5]])
        let tensor: (Tape, Node) throws -> Node = { t, p in
            var s = try t.mul(t.norm(p), t.dot(p, p))
            let m = try t.matmul(t.gather(p, [0, 1, 2, 3], shape: [2, 2]), t.gather(p, [2, 0, 1, 3], shape: [2, 2]))
            s = try t.add(s, t.mean(t.apply(.exp, m)))
            s = try t.add(s, t.sum(t.apply(.mul, t.stack([t.index(p, 3), t.index(p, 0)]), t.apply(.sin, t.slice(p, start: 1, count: 2)))))
            return try t.add(s, t.sum(t.apply(.div, p, t.apply(.add, t.pow(p, 2), t.constant(Tensor([1, 2, 3, 4]))))))
        }
        try Self.check("tensor", tensor, at: [[0.3, -0.7, 1.2, 0.5], [1.1, 0.4, -0.5, -0.9]])
    }

    /// Newton on Rosenbrock from (−1.2, 1): near the end each error is about a constant times
    /// the square of the one before (quadratic convergence), and it reaches the minimum.
    @Test func newtonConvergesQuadratically() throws {
        let f = Self.objective(TestFunctions.rosenbrock.trace)
        var o = SecondOrder.Options()
        o.gtol = 1e-12
        let r = try SecondOrder.minimize(f.objective, hessian: { x in try Self.exact(f, x) }, start: [-1.2, 1], method: .newton, options: o)
        #expect(r.converged, "\(r.message)")
        #expect(r.hessianEvaluations == r.steps)
        let errors = (0..<r.pathCount).map { i in zip(r.pathRow(i), [1.0, 1.0]).map { abs($0 - $1) }.max()! }
        let tail = errors.filter { $0 > 1e-12 && $0 < 1e-1 }
        #expect(tail.count >= 3)
        for (a, b) in zip(tail, tail.dropFirst()) {
            #expect(b / (a * a) < 10, "errors \(errors)")
        }
    }

    /// A saddle (x² − y²): the Hessian is indefinite, so identity multiples are added and the
    /// step still goes downhill; on an unbounded direction the run stops without a crash.
    @Test func newtonOnAnIndefiniteHessian() throws {
        let f = Self.objective { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            return try t.add(t.sub(t.pow(x, 2), t.pow(y, 2)), t.pow(y, 4))
        }
        let r = try SecondOrder.minimize(f.objective, hessian: { x in try Self.exact(f, x) }, start: [0.5, 0.1], method: .newton)
        #expect(r.converged, "\(r.message)")
        #expect(abs(r.x[0]) < 1e-6 && abs(abs(r.x[1]) - 0.5.squareRoot()) < 1e-6)
        #expect(r.message.contains("not positive definite"))
    }
}
