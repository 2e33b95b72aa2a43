import Foundation
import Testing
@testable import PsearchCore

/// Checks tape gradients against central finite differences, and replay against a fresh trace.
struct GradientCheck {
    /// Reduces a tensor node to a number with fixed, distinct weights so every element is checked.
    static func reduce(_ t: Tape, _ n: Node) throws -> Node {
        if t.isScalar(n) { return n }
        let shape = t.shape(n)
        let w = Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { 0.7 + 0.31 * Double($0) })
        return t.sum(try t.mul(n, t.constant(w)))
    }

    static func value(_ xs: [Tensor], _ f: (Tape, [Node]) throws -> Node) throws -> Double {
        let t = Tape()
        return t.scalar(try reduce(t, f(t, xs.map { t.input($0) })))
    }

    static func analytic(_ xs: [Tensor], _ f: (Tape, [Node]) throws -> Node) throws -> (Tape, Double, [Double]) {
        let t = Tape()
        let out = try reduce(t, f(t, xs.map { t.input($0) }))
        return (t, t.scalar(out), try t.gradient(of: out))
    }

    static func check(_ xs: [Tensor], tol: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation, _ f: (Tape, [Node]) throws -> Node) throws {
        let (tape, _, g) = try analytic(xs, f)
        var flat = xs.flatMap(\.data)
        func unflatten(_ v: [Double]) -> [Tensor] {
            var k = 0
            return xs.map { x in
                defer { k += x.count }
                return Tensor(shape: x.shape, data: Array(v[k..<(k + x.count)]))
            }
        }
        #expect(g.count == flat.count, sourceLocation: sourceLocation)
        for i in 0..<flat.count {
            let x0 = flat[i]
            let h = 1e-6 * max(1, abs(x0))
            flat[i] = x0 + h
            let fp = try value(unflatten(flat), f)
            flat[i] = x0 - h
            let fm = try value(unflatten(flat), f)
            flat[i] = x0
            let fd = (fp - fm) / (2 * h)
            #expect(abs(g[i] - fd) <= tol * max(1, abs(fd)), "element \(i): tape \(g[i]) vs finite difference \(fd)", sourceLocation: sourceLocation)
        }
        // Replay at a nearby point must equal a fresh trace there (unless a guard fails).
        let moved = flat.enumerated().map { $0.element + 0.01 * Double($0.offset % 3 + 1) }
        if let r = tape.replay(moved) {
            let (_, v, gFresh) = try analytic(unflatten(moved), f)
            #expect(abs(r.value - v) <= 1e-12 * max(1, abs(v)), sourceLocation: sourceLocation)
            for i in 0..<gFresh.count {
                #expect(abs(r.gradient[i] - gFresh[i]) <= 1e-12 * max(1, abs(gFresh[i])), sourceLocation: sourceLocation)
            }
        }
    }

    static func s(_ v: Double) -> Tensor { Tensor(shape: [], data: [v]) }
}

@Suite struct TapePrimitiveTests {
    typealias C = GradientCheck
    let s = GradientCheck.s

    @Test(arguments: Tape.BinaryOp.allCases)
    func scalarBinary(_ op: Tape.BinaryOp) throws {
        try C.check([s(1.7), s(0.6)]) { t, v in try t.apply(op, v[0], v[1]) }
        try C.check([s(0.4), s(-1.3)]) { t, v in try t.apply(op, v[0], v[1]) }
    }

    @Test(arguments: Tape.UnaryOp.allCases)
    func scalarUnary(_ op: Tape.UnaryOp) throws {
        for x in [0.37, 1.9, -0.8] where !(op == .log || op == .sqrt) || x > 0 {
            try C.check([s(x)]) { t, v in t.apply(op, v[0]) }
        }
    }

    @Test func constantPowers() throws {
        for e in [2.0, 3.0, 0.5, -1.5, 1.0] {
            try C.check([s(1.3)]) { t, v in t.pow(v[0], e) }
            try C.check([s(1.3)]) { t, v in try t.pow(v[0], t.constant(e)) }
        }
        // x^0 is 1 with derivative 0, also at 0.
        let g = try Tape.gradient(atScalars: [0]) { t, v in t.pow(v[0], 0) }
        #expect(g.value == 1 && g.gradient == [0])
    }

    @Test func absAndMaxAtKinks() throws {
        #expect(try Tape.gradient(atScalars: [0]) { t, v in t.abs(v[0]) }.gradient == [0])
        #expect(try Tape.gradient(atScalars: [2, 2]) { t, v in try t.max(v[0], v[1]) }.gradient == [1, 0])
        #expect(try Tape.gradient(atScalars: [2, 2]) { t, v in try t.min(v[0], v[1]) }.gradient == [1, 0])
        #expect(try Tape.gradient(atScalars: [1, 3]) { t, v in try t.max(v[0], v[1]) }.gradient == [0, 1])
    }

    @Test(arguments: Tape.BinaryOp.allCases)
    func elementwiseBinaryWithBroadcast(_ op: Tape.BinaryOp) throws {
        let a = Tensor(shape: [2, 3], data: [0.5, 1.2, 0.9, 1.7, 0.3, 1.1])
        let b = Tensor(shape: [2, 3], data: [1.4, 0.6, 0.8, 0.2, 1.9, 1.05])
        try C.check([a, b]) { t, v in try t.apply(op, v[0], v[1]) }
        try C.check([a, s(0.75)]) { t, v in try t.apply(op, v[0], v[1]) }
        try C.check([s(0.75), b]) { t, v in try t.apply(op, v[0], v[1]) }
        // The same tensor on both sides.
        try C.check([a]) { t, v in try t.apply(op, v[0], v[0]) }
        // A constant on one side.
        try C.check([a]) { t, v in try t.apply(op, t.constant(b), v[0]) }
    }

    @Test(arguments: Tape.UnaryOp.allCases)
    func elementwiseUnary(_ op: Tape.UnaryOp) throws {
        // A finite difference across a jump of floor or round is a spike, not the derivative:
        // their points stay off the jumps (`PiecewiseConstantTests` checks the jumps).
        let offJumps = op == .floor || op == .round
        let a = Tensor([offJumps ? 0.4 : 0.5, 1.2, 0.9, 1.7])
        let b = Tensor([offJumps ? -0.4 : -0.5, 1.2, -0.9, 0.25])
        try C.check([a]) { t, v in t.apply(op, v[0]) }
        if op != .log && op != .sqrt { try C.check([b]) { t, v in t.apply(op, v[0]) } }
        try C.check([a]) { t, v in t.pow(v[0], 2) }
        try C.check([a]) { t, v in t.pow(v[0], 1.5) }
    }

    @Test func reductions() throws {
        let a = Tensor(shape: [2, 2], data: [0.5, -1.2, 0.9, 1.7])
        try C.check([a]) { t, v in t.sum(v[0]) }
        try C.check([a]) { t, v in try t.mean(v[0]) }
        try C.check([a]) { t, v in t.norm(v[0]) }
        try C.check([Tensor([1, 2, 3]), Tensor([0.5, -1, 2])]) { t, v in try t.dot(v[0], v[1]) }
        try C.check([Tensor([1, 2, 3])]) { t, v in try t.dot(v[0], v[0]) }
        #expect(try Tape.gradient(at: [0, 0]) { t, p in t.norm(p) }.gradient == [0, 0])
    }

    @Test func matmulShapes() throws {
        let m23 = Tensor(shape: [2, 3], data: [0.5, -1.2, 0.9, 1.7, 0.3, -0.4])
        let m32 = Tensor(shape: [3, 2], data: [1.1, 0.2, -0.7, 0.8, 0.45, -1.3])
        let v3 = Tensor([0.3, -0.6, 1.4]), v2 = Tensor([0.9, -0.25])
        try C.check([m23, m32]) { t, v in try t.matmul(v[0], v[1]) }
        try C.check([m23, v3]) { t, v in try t.matmul(v[0], v[1]) }
        try C.check([v2, m23]) { t, v in try t.matmul(v[0], v[1]) }
        try C.check([v3, v3]) { t, v in try t.matmul(v[0], v[1]) }
        let t = Tape()
        let out = try t.matmul(t.constant(m23), t.constant(m32))
        #expect(t.shape(out) == [2, 2])
        #expect(abs(t.tensor(out)[0, 0] - (0.5 * 1.1 + -1.2 * -0.7 + 0.9 * 0.45)) < 1e-15)
        #expect(throws: AutoDiffError.shapeMismatch(op: "@", [2, 3], [2, 3])) { try t.matmul(t.constant(m23), t.constant(m23)) }
    }

    @Test func indexingSlicingStacking() throws {
        let m = Tensor(shape: [2, 3], data: [0.5, -1.2, 0.9, 1.7, 0.3, -0.4])
        try C.check([m]) { t, v in try t.index(v[0], 4) }
        try C.check([m]) { t, v in try t.slice(v[0], start: 1, count: 3) }
        try C.check([m]) { t, v in try t.row(v[0], 1) }
        try C.check([m]) { t, v in try t.gather(v[0], [1, 4], shape: [2]) }
        try C.check([s(0.3), s(-2)]) { t, v in try t.stack([v[0], v[1], t.mul(v[0], v[1]), t.constant(4)]) }
        let t = Tape()
        let x = t.input(Tensor([1, 2, 3]))
        #expect(throws: AutoDiffError.indexOutOfRange(op: "index", index: 3, count: 3)) { try t.index(x, 3) }
        #expect(try t.scalar(t.index(x, 2)) == 3)
        #expect(try t.tensor(t.slice(x, start: 1, count: 2)) == Tensor([2, 3]))
    }

    @Test func errorsAreValuesWithMessages() {
        let t = Tape()
        let a = t.input(Tensor([1, 2])), b = t.input(Tensor([1, 2, 3]))
        #expect(throws: AutoDiffError.shapeMismatch(op: "+", [2], [3])) { try t.add(a, b) }
        #expect(AutoDiffError.shapeMismatch(op: "+", [2], [3]).description == "shape mismatch in '+': [2] and [3]")
        #expect(AutoDiffError.notDifferentiable(op: "round").description == "cannot differentiate through 'round'")
        #expect(throws: AutoDiffError.outputNotScalar([2])) { try t.gradient(of: a) }
        #expect(throws: AutoDiffError.wrongKind(op: "index", expected: "a tensor")) { try t.index(t.constant(1), 0) }
    }
}

@Suite struct TapeCompositeTests {
    @Test func handDerivedGradients() throws {
        // f(x, y) = x·y + sin(x)·exp(y): (y + cos(x)·e^y, x + sin(x)·e^y)
        let (x, y) = (0.7, -0.3)
        let r = try Tape.gradient(atScalars: [x, y]) { t, v in
            try t.add(t.mul(v[0], v[1]), t.mul(t.sin(v[0]), t.exp(v[1])))
        }
        #expect(abs(r.value - (x * y + sin(x) * exp(y))) < 1e-15)
        #expect(abs(r.gradient[0] - (y + cos(x) * exp(y))) < 1e-15)
        #expect(abs(r.gradient[1] - (x + sin(x) * exp(y))) < 1e-15)

        // Least squares |A v − b|²: 2 Aᵀ(A v − b).
        let a = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6]), b = Tensor([1, 0, -1]), v = [0.5, -0.25]
        let ls = try Tape.gradient(at: v) { t, p in
            t.pow(t.norm(try t.sub(t.matmul(t.constant(a), p), t.constant(b))), 2)
        }
        let res = (0..<3).map { i in a[i, 0] * v[0] + a[i, 1] * v[1] - b[i] }
        for j in 0..<2 {
            let expected = 2 * (0..<3).reduce(0.0) { $0 + a[$1, j] * res[$1] }
            #expect(abs(ls.gradient[j] - expected) < 1e-12)
        }

        // Logistic loss log(1 + exp(−y·w·x)): −y·x·σ(−y·w·x).
        let (w, xi, yi) = (0.8, 1.5, -1.0)
        let lg = try Tape.gradient(atScalars: [w]) { t, v in
            t.log(try t.add(t.constant(1), t.exp(t.neg(t.mul(t.constant(yi * xi), v[0])))))
        }
        let z = -yi * w * xi
        #expect(abs(lg.gradient[0] - (-yi * xi / (1 + exp(-z)))) < 1e-14)
    }

    @Test func testFunctionTapesMatchAnalyticGradients() throws {
        var rng = Random(seed: 5)
        for f in TestFunctions.all {
            for _ in 0..<5 {
                let n = f.dimension ?? 3
                let x = (0..<n).map { _ in rng.uniform(-2, 2) }
                let analytic = f.valueAndGradient(x)
                let taped = try Tape.gradient(at: x) { t, p in try f.trace(t, p) }
                #expect(abs(taped.value - analytic.value) <= 1e-10 * max(1, abs(analytic.value)), "\(f.name)")
                for i in 0..<n {
                    #expect(abs(taped.gradient[i] - analytic.gradient[i]) <= 1e-10 * max(1, abs(analytic.gradient[i])), "\(f.name)")
                }
                try GradientCheck.check([Tensor(x)], tol: 1e-5) { t, v in try f.trace(t, v[0]) }
            }
        }
    }

    @Test func constantsAreNotDifferentiatedAndGradientIsZeroWhenUnused() throws {
        let r = try Tape.gradient(atScalars: [3, 4]) { t, v in try t.mul(v[0], t.constant(5)) }
        #expect(r.gradient == [5, 0])
    }
}

@Suite struct TapeReplayTests {
    /// f(x) = x² if x > 0 else −x, traced the way an interpreter would trace an `if`.
    static func branchy(_ t: Tape, _ x: Node) throws -> Node {
        if try t.compare(.gt, x, t.constant(0)) { return t.pow(x, 2) }
        return t.neg(x)
    }

    @Test func guardsDetectChangedBranches() throws {
        let t = Tape()
        let x = t.input(2.0)
        let out = try Self.branchy(t, x)
        #expect(try t.gradient(of: out) == [4])
        #expect(t.guardCount == 1)
        let r = try #require(t.replay([3]))
        #expect(r.value == 9 && r.gradient == [6])
        #expect(t.replay([-1]) == nil)
        // After a failed replay the tape is still good for inputs on the recorded branch.
        #expect(t.replay([0.5])?.gradient == [1])
    }

    @Test func comparisonsOfConstantsRecordNoGuard() throws {
        let t = Tape()
        let x = t.input(1.0)
        #expect(try t.compare(.lt, t.constant(1), t.constant(2)))
        #expect(t.guardCount == 0)
        _ = try t.gradient(of: t.mul(x, x))
        #expect(t.replay([5])?.gradient == [10])
    }

    @Test func notReplayableTapeAsksForRetrace() throws {
        let t = Tape()
        let x = t.input(1.0)
        _ = try t.gradient(of: t.exp(x))
        t.markNotReplayable("calls 'rand'")
        #expect(t.replay([2]) == nil)
    }

    @Test func tapeObjectiveRetracesOnlyWhenAGuardFails() throws {
        let obj = TapeObjective { t, x in try Self.branchy(t, t.input(x[0])) }
        var g = [0.0]
        func call(_ x: Double) throws -> Double {
            try [x].withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try obj(xp, $0) } }
        }
        #expect(try call(2) == 4 && g == [4])
        #expect(try call(3) == 9 && g == [6])
        #expect(obj.traces == 1 && obj.replays == 1)
        #expect(try call(-2) == 2 && g == [-1])
        #expect(obj.traces == 2)
        #expect(try call(-5) == 5 && g == [-1])
        #expect(obj.traces == 2 && obj.replays == 2)
    }

    @Test func resetReusesTheTape() throws {
        let t = Tape()
        _ = try t.gradient(of: t.sum(t.sin(t.input(Tensor([1, 2])))))
        t.reset()
        #expect(t.count == 0 && t.inputSize == 0)
        let x = t.input(3.0)
        #expect(try t.gradient(of: t.mul(x, x)) == [6])
    }
}
