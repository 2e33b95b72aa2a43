import Foundation
import Testing
@testable import PsearchCore
@testable import PsearchFast

/// The scalar program must replay bit for bit what the general program and a fresh trace give.
@Suite struct ScalarProgramTests {
    typealias Trace = @Sendable (Tape, Node) throws -> Node

    /// Functions of a vector input that use every scalar rule, constants on either side, an input
    /// element read by several `index` nodes, and nodes the output does not need.
    static var functions: [(String, Int, Trace)] { [
        ("rosenbrock", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let a = try t.sub(t.constant(1), x)
            let b = try t.sub(y, t.pow(t.index(p, 0), 2))
            return try t.add(t.pow(a, 2), t.mul(t.constant(100), t.pow(b, t.constant(2))))
        }),
        ("arithmetic with constants on both sides", 3, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1), z = try t.index(p, 2)
            var s = try t.add(t.constant(0.3), x)
            s = try t.add(s, t.mul(y, t.constant(-2.5)))
            s = try t.sub(s, t.div(t.constant(1.7), z))
            s = try t.add(s, t.div(x, t.constant(3)))
            s = try t.add(s, t.div(y, z))
            s = try t.mul(s, t.sub(t.constant(2), y))
            return try t.add(s, t.mul(x, x))
        }),
        ("an element read three times", 2, { t, p in
            let a = try t.mul(t.index(p, 0), t.constant(1.1))
            let b = try t.mul(t.index(p, 0), t.index(p, 1))
            let c = try t.sin(t.index(p, 0))
            let unused = try t.exp(t.index(p, 1))
            _ = unused
            return try t.add(t.add(c, b), t.mul(a, t.constant(1e-3)))
        }),
        // Read in one order, used in the other, with terms that cancel: summing the element's
        // adjoint in any other order than the general sweep's gives 0 instead of 1.
        ("an element's adjoint summed in order", 1, { t, p in
            let i1 = try t.index(p, 0), i2 = try t.index(p, 0), i3 = try t.index(p, 0)
            let u1 = try t.mul(i3, t.constant(-1e16)), u2 = try t.mul(i2, t.constant(1e16)), u3 = try t.mul(i1, t.constant(1))
            return try t.add(t.add(u1, u2), u3)
        }),
        ("unary functions", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            var s = t.exp(t.neg(x))
            s = try t.add(s, t.log(t.add(t.mul(y, y), t.constant(1))))
            s = try t.add(s, t.sqrt(t.add(t.mul(x, x), t.constant(0.5))))
            s = try t.add(s, t.mul(t.cos(y), t.tanh(x)))
            s = try t.add(s, t.abs(t.sub(x, y)))
            s = try t.add(s, t.pow(t.add(t.abs(y), t.constant(0.2)), 1.5))
            return try t.add(s, t.pow(t.add(t.abs(x), t.constant(1)), -0.5))
        }),
        // Derivative 0 (torch's): only the terms around them carry a gradient.
        ("floor and round", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            var s = try t.mul(t.floor(t.mul(x, t.constant(2))), y)
            s = try t.add(s, t.round(t.add(y, t.constant(0.5))))
            s = try t.add(s, t.mul(t.round(t.mul(x, y)), x))
            return try t.add(s, t.floor(t.sin(y)))
        }),
        ("pow max min with traced and constant operands", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let px = try t.add(t.abs(x), t.constant(0.5))
            var s = try t.pow(px, y)
            s = try t.add(s, t.pow(t.constant(1.3), x))
            s = try t.add(s, t.max(x, y))
            s = try t.add(s, t.min(x, t.constant(0.1)))
            return try t.add(s, t.max(t.constant(-0.2), y))
        }),
        ("squares merged and not", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let once = try t.pow(t.sub(x, t.mul(y, t.constant(2))), 2)
            let twice = try t.add(x, t.constant(1))
            let s = try t.add(once, t.mul(t.pow(twice, 2), twice))
            return try t.add(t.add(s, t.pow(t.sin(y), 2)), t.pow(t.mul(x, y), 2))
        }),
        ("a square is the output", 2, { t, p in try t.pow(t.sub(t.index(p, 0), t.index(p, 1)), 2) }),
        ("output is an input element", 2, { t, p in try t.index(p, 1) }),
        ("output is a constant", 2, { t, _ in t.constant(4) }),
        // More live slots than the machine code has registers, divisions by traced values.
        ("sixteen inputs", 16, { t, p in
            var s = t.constant(0)
            for i in 0..<16 {
                let xi = try t.index(p, i), xj = try t.index(p, (i * 7 + 3) % 16)
                let num = try t.sub(xi, t.constant(Double(i) / 10))
                s = try t.add(s, t.mul(num, t.div(xj, t.add(t.mul(xi, xi), t.constant(1)))))
                if i % 5 == 0 { s = try t.sub(s, t.pow(t.sub(xj, xi), 2)) }
            }
            return s
        }),
    ] }

    static func point(_ n: Int, _ r: inout Random) -> [Double] { (0..<n).map { _ in r.uniform(-1.5, 1.5) } }

    static func fresh(_ f: Trace, _ x: [Double]) throws -> (Double, [Double]) {
        let t = Tape()
        let out = try f(t, t.input(x))
        let g = try t.gradient(of: out)
        return (t.scalar(out), g)
    }

    static func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    /// With the common functions' own codes and without them (the generic instruction a new
    /// primitive runs on); the machine code calls the same step for both.
    @Test(arguments: [true, false]) func replayIsBitIdenticalToTheGeneralProgramAndAFreshTrace(unaryCodes: Bool) throws {
        var r = Random(seed: 11)
        for (name, n, f) in Self.functions {
            let x0 = Self.point(n, &r)
            let fast = Tape(compiler: FastCompiler(unaryCodes: unaryCodes)), general = Tape()
            for t in [fast, general] { _ = try t.gradient(of: f(t, t.input(x0))) }
            for _ in 0..<20 {
                let x = Self.point(n, &r)
                let a = try #require(fast.replay(x), "\(name)")
                #expect(fast.usesScalarProgram, "\(name)")
                let b = try #require(general.replay(x), "\(name)")
                let (v, g) = try Self.fresh(f, x)
                #expect(Self.same(a.value, b.value) && Self.same(a.value, v), "\(name): \(a.value) \(b.value) \(v)")
                for i in 0..<n {
                    #expect(Self.same(a.gradient[i], b.gradient[i]) && Self.same(a.gradient[i], g[i]),
                            "\(name) gradient \(i): \(a.gradient[i]) \(b.gradient[i]) \(g[i])")
                }
                let e = x.withUnsafeBufferPointer { fast.evaluate($0) }
                #expect(e.map { Self.same($0, v) } ?? false, "\(name)")
            }
        }
    }

    @Test func guardsAndScalarInputsUseTheScalarProgram() throws {
        let t = Tape(compiler: FastCompiler())
        let x = t.input(2.0), y = t.input(-1.0)
        let out: Node
        if try t.compare(.gt, x, y) { out = try t.mul(t.pow(x, 2), y) } else { out = try t.sub(x, y) }
        #expect(try t.gradient(of: out) == [-4, 4])
        let r = try #require(t.replay([3, 0.5]))
        #expect(t.usesScalarProgram)
        #expect(r.value == 4.5 && r.gradient == [3, 9])
        #expect(t.replay([0, 0.5]) == nil)
        #expect(t.replay([1, 0.5])?.gradient == [1, 1])
    }

    @Test func rosenbrockCompilesToFiveInstructions() throws {
        let f = Self.functions[0].2
        let t = Tape(compiler: FastCompiler())
        _ = try t.gradient(of: f(t, t.input([-1.5, 2])))
        _ = try #require(t.replay([0.5, 0.5]))
        // (1 - x)^2, x^2 (x read a second time), (y - x^2)^2 each merged with their square; 100 * b; a + b.
        #expect(t.scalar.forward.count == 5 && t.scalar.backward.count == 5)
    }

    @Test func objectiveClosureRetracesWhenABranchChanges() throws {
        // x^2 + y if x > y else y - x, traced afresh when the branch flips.
        let obj = TapeObjective(compiler: FastCompiler()) { t, x in
            let a = t.input(x[0]), b = t.input(x[1])
            if try t.compare(.gt, a, b) { return try t.add(t.pow(a, 2), b) }
            return try t.sub(b, a)
        }
        let f = obj.objective
        var g = [0.0, 0.0]
        func call(_ x: [Double]) throws -> Double {
            try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try f(xp, $0) } }
        }
        #expect(try call([2, 1]) == 5 && g == [4, 1])
        #expect(try call([3, 1]) == 10 && g == [6, 1])
        #expect(obj.tape.scalarRun != nil)
        #expect(try call([4, 1]) == 17 && g == [8, 1])
        #expect(obj.traces == 1 && obj.replays == 2)
        #expect(try call([0, 1]) == 1 && g == [-1, 1])
        #expect(obj.traces == 2)
        #expect(try call([-1, 1]) == 2 && g == [-1, 1])
        #expect(try call([-2, 1]) == 3 && g == [-1, 1])
        #expect(obj.traces == 2 && obj.replays == 4)
        obj.tape.markNotReplayable("reads a global")
        #expect(obj.tape.scalarRun == nil)
        #expect(try call([-3, 1]) == 4 && obj.traces == 3)
    }

    @Test func tensorNodesFallBackToTheGeneralProgram() throws {
        let t = Tape(compiler: FastCompiler())
        let p = t.input([1.0, 2.0])
        _ = try t.gradient(of: t.sum(t.mul(p, p)))
        #expect(t.replay([3, 4])?.gradient == [6, 8])
        #expect(!t.usesScalarProgram)
    }

    @Test func changingTheOutputRecompiles() throws {
        let t = Tape(compiler: FastCompiler())
        let p = t.input([1.0, 2.0])
        let a = try t.mul(t.index(p, 0), t.index(p, 1))
        let b = try t.add(a, t.index(p, 0))
        _ = try t.gradient(of: a)
        #expect(t.replay([3, 4])?.gradient == [4, 3])
        _ = try t.gradient(of: b)
        #expect(t.replay([3, 4])?.gradient == [5, 3])
    }

    // MARK: - Machine code

    /// Points where the arithmetic meets its edge cases: zeros of both signs (adjoints that are
    /// skipped), infinities and nan (0 · inf must stay nan, not be skipped), huge and tiny values.
    static func edgePoint(_ n: Int, _ r: inout Random) -> [Double] {
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, 1e308, -Double.leastNormalMagnitude / 8, 1, -1, 2]
        return (0..<n).map { _ in r.uniform(0, 1) < 0.5 ? specials[r.int(below: specials.count)] : r.uniform(-3, 3) }
    }

    @Test func machineCodeIsBitIdenticalToTheInterpreter() throws {
        var r = Random(seed: 12)
        for (name, n, f) in Self.functions + Self.guarded {
            let t = Tape(compiler: FastCompiler())
            let x0 = Self.point(n, &r)
            _ = try t.gradient(of: f(t, t.input(x0)))
            _ = try #require(t.replay(x0), "\(name)")
            t.compileNative()
            let run = try #require(t.scalarRun, "\(name)")
            guard ScalarNativeCode.enabled else { continue }
            #expect(run.native != nil, "\(name): no machine code")
            for k in 0..<400 {
                let x = k < 200 ? Self.point(n, &r) : Self.edgePoint(n, &r)
                var g1 = [Double](repeating: 7, count: n), g2 = [Double](repeating: 7, count: n)
                let a = x.withUnsafeBufferPointer { xp in g1.withUnsafeMutableBufferPointer { run.replay(xp, $0) } }
                let b = x.withUnsafeBufferPointer { xp in g2.withUnsafeMutableBufferPointer { run.interpret(xp, $0) } }
                #expect((a == nil) == (b == nil), "\(name) at \(x): guard outcome differs")
                guard let a, let b else { continue }
                #expect(Self.same(a, b), "\(name) at \(x): \(a) vs \(b)")
                #expect(zip(g1, g2).allSatisfy(Self.same), "\(name) at \(x): gradient \(g1) vs \(g2)")
            }
        }
    }

    /// floor and round at their steps and edges give the same bits in every tier: a fresh
    /// trace, the general replay, the scalar program and its machine code.
    @Test func floorAndRoundAgreeInEveryTier() throws {
        let f: Trace = { t, p in
            let x = try t.index(p, 0)
            return try t.add(t.mul(t.floor(x), x), t.mul(t.round(x), t.constant(3)))
        }
        let points: [Double] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0, -0.0, 1e16, 1e16 + 2, -1e16, 0.49999999999999994,
                                2.7, -2.7, .infinity, -.infinity, .nan, 1e308, Double.leastNonzeroMagnitude]
        let fast = Tape(compiler: FastCompiler()), general = Tape()
        for t in [fast, general] { _ = try t.gradient(of: f(t, t.input([0.3]))) }
        _ = try #require(fast.replay([0.3]))
        fast.compileNative()
        let run = try #require(fast.scalarRun)
        for x in points {
            // floor(x)·x + 3·round(x): its derivative is floor(x), round's and floor's own are 0.
            let value = x.rounded(.down) * x + x.rounded(.toNearestOrAwayFromZero) * 3
            let (v, g) = try Self.fresh(f, [x])
            let b = try #require(general.replay([x]))
            var gi = [7.0], gn = [7.0]
            let i = [x].withUnsafeBufferPointer { xp in gi.withUnsafeMutableBufferPointer { run.interpret(xp, $0) } }
            let n = [x].withUnsafeBufferPointer { xp in gn.withUnsafeMutableBufferPointer { run.replay(xp, $0) } }
            #expect(Self.same(v, value), "value at \(x): \(v) vs \(value)")
            #expect([b.value, i ?? .nan, n ?? .nan].allSatisfy { Self.same($0, v) }, "value at \(x)")
            // d/dx = floor(x): floor's and round's backward rules add nothing (not x·0, which
            // would be nan at x = ±inf), as torch's zeros_like(grad).
            let slope = 0.0 + x.rounded(.down)  // adjoints accumulate from +0
            #expect([g[0], b.gradient[0], gi[0], gn[0]].allSatisfy { Self.same($0, g[0]) }, "gradient at \(x): \(g[0]) \(b.gradient[0]) \(gi[0]) \(gn[0])")
            #expect(Self.same(g[0], slope), "gradient at \(x): \(g[0]) vs \(slope)")
        }
        #expect(run.native != nil || !ScalarNativeCode.enabled)
    }

    /// Functions that branch on their input: the machine code must fail the same guards.
    static var guarded: [(String, Int, Trace)] { [
        ("a guard between two squares", 2, { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            if try t.compare(.gt, x, y) { return try t.pow(t.sub(x, y), 2) }
            return try t.add(t.mul(x, y), t.constant(1))
        }),
        ("a guard against a constant, then division", 1, { t, p in
            let x = try t.index(p, 0)
            if try t.compare(.lt, x, t.constant(0.25)) { return try t.div(t.constant(1), t.add(t.mul(x, x), t.constant(1))) }
            return try t.div(x, t.constant(3))
        }),
    ] }

    @Test func objectivesSwitchToMachineCodeAfterManyReplays() throws {
        let f = Self.functions[0].2
        let obj = TapeObjective(compiler: FastCompiler()) { t, x in try f(t, t.input(x)) }
        let call = obj.objective
        var g = [0.0, 0.0]
        var x = [-1.5, 2.0]
        for _ in 0..<(FastCompiler.nativeAfter + 5) {
            _ = try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try call(xp, $0) } }
            x[0] -= 1e-3 * g[0]
            x[1] -= 1e-3 * g[1]
        }
        #expect(obj.traces == 1)
        #expect((obj.tape.scalarRun?.native != nil) == ScalarNativeCode.enabled)
        // The same steps by the interpreter alone end on the same bits.
        let t = Tape(compiler: FastCompiler(nativeCode: false))
        var y = [-1.5, 2.0]
        _ = try t.gradient(of: f(t, t.input(y)))
        for k in 0..<(FastCompiler.nativeAfter + 5) {
            let (_, gy) = try #require(k == 0 ? (0, try Self.fresh(f, y).1) : t.replay(y))
            y[0] -= 1e-3 * gy[0]
            y[1] -= 1e-3 * gy[1]
        }
        #expect(t.scalarRun?.native == nil)
        #expect(x[0].bitPattern == y[0].bitPattern && x[1].bitPattern == y[1].bitPattern, "\(x) vs \(y)")
    }
}

/// Plain descent in machine code must end where the Swift loop ends, for every way a run stops.
@Suite struct FusedDescentTests {
    typealias Trace = @Sendable (Tape, Node) throws -> Node

    static let rosenbrock: Trace = ScalarProgramTests.functions[0].2
    static let quadratic: Trace = { t, p in try t.pow(t.index(p, 0), 2) }
    /// A bowl with steps: floor adds a constant between the steps, and nothing to the gradient.
    static let stepped: Trace = { t, p in
        let x = try t.index(p, 0), y = try t.index(p, 1)
        return try t.add(t.add(t.pow(t.sub(x, t.constant(3)), 2), t.pow(y, 2)), t.add(t.floor(x), t.round(t.mul(y, t.constant(4)))))
    }

    static func descend(_ f: @escaping Trace, _ start: [Double], _ o: DescentOptions, fused: Bool) throws -> (DescentResult, Bool) {
        let obj = TapeObjective(compiler: FastCompiler()) { t, x in try f(t, t.input(x)) }
        var o = o
        o.record = false
        let r = try Descent.descend(obj.objective, start: start, options: o, fused: fused ? { obj.fusedDescent } : nil)
        return (r, obj.fusedDescent != nil)
    }

    @Test(arguments: [
        ("step limit across several runs of 4,096", 0, [-1.5, 2.0], DescentOptions(lr: 0.001, steps: 10_000, tol: 0)),
        ("converges on the way", 0, [-1.5, 2.0], DescentOptions(lr: 0.001, steps: 200_000, tol: 1e-4)),
        // |1 - 2 lr| = 1.0001: the loss grows 1e12-fold only after ~138,000 steps.
        ("diverges late", 1, [0.5], DescentOptions(lr: 1.00005, steps: 400_000, tol: 0)),
        ("floor and round in the loss", 2, [-2.0, 1.3], DescentOptions(lr: 0.0005, steps: 6_000, tol: 0)),
    ])
    func machineCodeLoopMatchesTheSwiftLoop(_ name: String, _ which: Int, _ start: [Double], _ o: DescentOptions) throws {
        let f = [Self.rosenbrock, Self.quadratic, Self.stepped][which]
        let (a, usedFused) = try Self.descend(f, start, o, fused: true)
        let (b, _) = try Self.descend(f, start, o, fused: false)
        #expect(usedFused == ScalarNativeCode.enabled, "\(name)")
        #expect(a.steps > 2000, "\(name): too short to reach the machine-code loop")
        #expect(zip(a.x, b.x).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(name): \(a.x) vs \(b.x)")
        #expect(a.loss.bitPattern == b.loss.bitPattern && a.gradientNorm.bitPattern == b.gradientNorm.bitPattern, "\(name)")
        #expect(a.steps == b.steps && a.evaluations == b.evaluations, "\(name): \(a.steps) vs \(b.steps)")
        #expect(a.converged == b.converged && a.diverged == b.diverged && a.message == b.message, "\(name): \(a.message) | \(b.message)")
        if which == 1 { #expect(a.diverged) } else if o.tol > 0 { #expect(a.converged) }
    }
}

/// floor and round have derivative 0 everywhere (as torch): every tier — a fresh trace (the
/// reference rules), the general program, the scalar program, its machine code and the
/// machine-code descent loop — must give the same bits, and the bits an independent oracle gives.
@Suite struct PiecewiseConstantTests {
    typealias Trace = ScalarProgramTests.Trace
    /// The value, and each input's adjoint terms in the order the backward sweep adds them.
    typealias Oracle = @Sendable (Double, Double) -> (Double, [[Double]])

    /// Swift's own functions, as the language's built-ins use them.
    static func floor(_ x: Double) -> Double { x.rounded(.down) }
    static func round(_ x: Double) -> Double { x.rounded(.toNearestOrAwayFromZero) }

    /// Functions of two numbers and their value and gradient written out by hand: an adjoint is
    /// its terms summed from +0 in reverse node order, as the tape sums them, so they are exact.
    static var functions: [(String, Trace, Oracle)] { [
        ("floor and round times the inputs", { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            return try t.add(t.add(t.mul(t.floor(x), y), t.mul(t.round(y), x)), t.mul(x, y))
        }, { x, y in
            ((floor(x) * y + round(y) * x) + x * y, [[y, round(y)], [x, floor(x)]])
        }),
        // floor's only use is a square, which the scalar program merges into it.
        ("a merged square of a floor", { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            return try t.add(t.pow(t.floor(t.sub(x, y)), 2), t.mul(x, y))
        }, { x, y in
            let f = floor(x - y)
            return (f * f + x * y, [[y], [x]])
        }),
        // round(x, 2) as the language computes it: x * 100 rounded, / 100.
        ("round to two digits", { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let r = try t.div(t.round(t.mul(x, t.constant(100))), t.constant(100))
            return try t.add(t.mul(r, y), x)
        }, { x, y in
            let r = round(x * 100) / 100
            return (r * y + x, [[1], [r]])
        }),
        ("floor is the output", { t, p in t.floor(try t.index(p, 0)) }, { x, _ in (floor(x), [[], []]) }),
        ("round of an input read again", { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            return try t.add(t.round(try t.index(p, 0)), t.mul(t.sub(x, t.constant(0.5)), y))
        }, { x, y in
            (round(x) + (x - 0.5) * y, [[y], [x - 0.5]])
        }),
        // exp(1000 floor(x)) is inf for x >= 1: floor's zero must not meet it as 0 · inf = nan.
        ("an infinite adjoint above floor", { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            return try t.add(t.exp(t.mul(t.floor(x), t.constant(1000))), t.mul(y, x))
        }, { x, y in
            (Foundation.exp(floor(x) * 1000) + y * x, [[y], [x]])
        }),
    ] }

    /// Exact halves of both signs, zeros of both signs, whole numbers, the largest doubles below a
    /// half, doubles past 2^52 (all whole) and 2^51 + 0.5 (the last halves), infinities and nan.
    static let specials: [Double] = [
        0.5, 1.5, 2.5, -0.5, -2.5, 0, -0.0, 3, -3, -1.7, 0.49999999999999994, -0.49999999999999994,
        2.9999999999999996, 1e16, -1e16, 4_503_599_627_370_497, 2_251_799_813_685_248.5, -2_251_799_813_685_248.5,
        .infinity, -.infinity, .nan,
    ]

    static var points: [[Double]] {
        specials.flatMap { a in specials.map { b in [a, b] } } + [[1.25, -0.75], [-7.5, 0.25]]
    }

    static let same = ScalarProgramTests.same

    @Test func everyTierGivesTheOraclesBitsAtJumpsAndEdges() throws {
        for (name, f, oracle) in Self.functions {
            let x0 = [0.3, -1.2]
            let general = Tape(), scalar = Tape(compiler: FastCompiler())
            for t in [general, scalar] { _ = try t.gradient(of: f(t, t.input(x0))) }
            _ = try #require(scalar.replay(x0), "\(name)")
            #expect(scalar.usesScalarProgram, "\(name)")
            let interpreted = try #require(scalar.scalarRun, "\(name)")
            scalar.compileNative()
            let native = try #require(scalar.scalarRun, "\(name)")
            #expect((native.native != nil) == ScalarNativeCode.enabled, "\(name): no machine code")
            for x in Self.points {
                let (v, terms) = oracle(x[0], x[1])
                let g = terms.map { $0.reduce(0.0, +) }
                let (fv, fg) = try ScalarProgramTests.fresh(f, x)
                let b = try #require(general.replay(x), "\(name) at \(x)")
                var gi = [7.0, 7.0], gn = [7.0, 7.0]
                let vi = try #require(x.withUnsafeBufferPointer { xp in gi.withUnsafeMutableBufferPointer { interpreted.interpret(xp, $0) } })
                let vn = try #require(x.withUnsafeBufferPointer { xp in gn.withUnsafeMutableBufferPointer { native.replay(xp, $0) } })
                for (tier, value, gradient) in [("fresh trace", fv, fg), ("general program", b.value, b.gradient),
                                                ("scalar program", vi, gi), ("machine code", vn, gn)] {
                    #expect(Self.same(value, v), "\(name) at \(x), \(tier): value \(value), oracle \(v)")
                    #expect(zip(gradient, g).allSatisfy(Self.same), "\(name) at \(x), \(tier): gradient \(gradient), oracle \(g)")
                }
            }
        }
    }

    @Test func floorAndRoundMatchSwiftsRounding() throws {
        for x in Self.specials {
            let t = Tape(compiler: FastCompiler())
            let a = t.input(x)
            #expect(Self.same(t.scalar(t.floor(a)), x.rounded(.down)), "floor(\(x))")
            #expect(Self.same(t.scalar(t.round(a)), x.rounded(.toNearestOrAwayFromZero)), "round(\(x))")
            #expect(Self.same(t.scalar(t.apply(.floor, a)), x.rounded(.down)))
        }
        // Halves away from zero, not to even; -0.4 rounds to -0.
        let t = Tape(compiler: FastCompiler())
        let v = t.input([0.5, 1.5, 2.5, -0.5, -2.5, -0.4, -0.0])
        #expect(t.tensor(t.round(v)).data.map(\.bitPattern) == [1, 2, 3, -1, -3, -0.0, -0.0].map(\.bitPattern))
        #expect(t.tensor(t.floor(v)).data.map(\.bitPattern) == [0, 1, 2, -1, -3, -1, -0.0].map(\.bitPattern))
    }

    /// Element-wise on tensors (the general program's `ewUnary` rule), with an infinite adjoint.
    @Test func tensorsHaveZeroDerivativeToo() throws {
        let f: Trace = { t, v in
            let s = try t.add(t.sum(t.mul(t.floor(v), v)), t.exp(t.mul(t.sum(t.round(v)), t.constant(1000))))
            return try t.add(s, t.mean(t.round(v)))
        }
        for x in [[0.5, 1.5, -2.5, -0.0], [2.9999999999999996, 1e16, -0.5, 0.49999999999999994], [.nan, .infinity, 1, -1]] {
            let (_, g) = try ScalarProgramTests.fresh(f, x)
            #expect(zip(g, x.map { 0 + $0.rounded(.down) }).allSatisfy(Self.same), "\(x): \(g)")
            let t = Tape(compiler: FastCompiler())
            _ = try t.gradient(of: f(t, t.input([0.1, 0.2, 0.3, 0.4])))
            let r = try #require(t.replay(x))
            #expect(!t.usesScalarProgram)
            #expect(zip(r.gradient, g).allSatisfy(Self.same), "\(x): replay \(r.gradient) vs \(g)")
        }
    }

    /// floor and round send nothing backwards: the scalar program keeps them out of its backward
    /// list, and what only they use has no rule there either.
    @Test func theBackwardListLeavesThemOut() throws {
        let t = Tape(compiler: FastCompiler())
        let p = t.input([1.5, 2.5])
        let x = try t.index(p, 0), y = try t.index(p, 1)
        // floor(sin(x) * 3) + y: sin, the product and floor run forward only.
        let out = try t.add(t.floor(t.mul(t.sin(x), t.constant(3))), y)
        #expect(try t.gradient(of: out) == [0, 1])
        _ = try #require(t.replay([0.5, 0.5]))
        #expect(t.scalar.forward.count == 4 && t.scalar.backward.count == 1)
    }

    /// A descent through floor and round: the machine-code loop, the Swift loop around the
    /// replayed tape, and steps on fresh traces end on the same bits.
    @Test func descentEndsOnTheSameBitsInEveryTier() throws {
        let f: Trace = { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            var s = try t.add(t.pow(t.sub(x, t.constant(3)), 2), t.pow(t.add(y, t.constant(1)), 2))
            s = try t.add(s, t.mul(t.floor(x), y))
            return try t.add(s, t.mul(t.round(y), x))
        }
        let o = DescentOptions(lr: 0.05, steps: 3000, tol: 0)
        let (a, usedFused) = try FusedDescentTests.descend(f, [0.3, 0.2], o, fused: true)
        let (b, _) = try FusedDescentTests.descend(f, [0.3, 0.2], o, fused: false)
        #expect(usedFused == ScalarNativeCode.enabled)
        var x = [0.3, 0.2]
        var seen = Set<[Double]>()
        for _ in 0..<o.steps {
            let (_, g) = try ScalarProgramTests.fresh(f, x)
            x = [x[0] - o.lr * g[0], x[1] - o.lr * g[1]]
            seen.insert([Self.floor(x[0]), Self.round(x[1])])
        }
        // The path crosses jumps of both functions, so their values steer it.
        #expect(seen.count >= 3, "\(seen)")
        let (loss, _) = try ScalarProgramTests.fresh(f, x)
        for (tier, r) in [("machine-code loop", a), ("Swift loop", b)] {
            #expect(r.steps == o.steps, "\(tier)")
            #expect(zip(r.x, x).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(tier): \(r.x) vs \(x)")
            #expect(r.loss.bitPattern == loss.bitPattern, "\(tier): \(r.loss) vs \(loss)")
        }
    }
}

/// The fast tiers' internals, as the tests read them.
extension Tape {
    var scalarObjective: ScalarObjective? { compiledObjective as? ScalarObjective }
    /// Whether replay runs a scalar program (else the tape's own general program).
    var usesScalarProgram: Bool { scalarObjective != nil }
    var scalar: ScalarProgram { scalarObjective!.program }
    var scalarRun: ScalarRun? { scalarObjective?.run }
    func compileNative() { scalarObjective?.compileNative() }
}
