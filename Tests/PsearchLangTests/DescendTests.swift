import Foundation
import PsearchCore
import Testing
@testable import PsearchLang

/// `descend` and `grad` run from psearch source, checked against loops and references written
/// independently (in psearch and in Swift).
@Suite struct DescendTests {
    /// Runs a program and returns the interpreter, so tests can read its globals.
    func run(_ source: String) throws -> Interpreter {
        let interp = Interpreter(output: BufferSink())
        try interp.run(source, name: "test.ps")
        return interp
    }

    func numbers(_ v: Value?) -> [Double] {
        switch v {
        case .tensor(let t)?: return t.data
        case .number(let x)?: return [x]
        default: return []
        }
    }

    /// A field of a record, or of a result object (a descend result with its path rebuilt on
    /// first read).
    func field(_ v: Value?, _ name: String) -> Value? {
        switch v {
        case .record(let r)?: return r[name]
        case .object(let o)?: return try? o.field(name)
        default: return nil
        }
    }

    @Test func rosenbrockDescendEndsWhereAHandWrittenLoopEnds() throws {
        // The issue's check: 200,000 plain steps on the issue's lambda (tol: 0 so it never
        // stops early) against the same update written as a psearch loop with the gradient
        // derived by hand.
        let interp = try run("""
            let r = descend(fn(p) = (1 - p[0])^2 + 100 * (p[1] - p[0]^2)^2, [-1.5, 2], lr: 0.001, steps: 200000, tol: 0)
            let x = -1.5
            let y = 2
            for step in 0..200000 {
              let t = y - x * x
              let gx = -2 * (1 - x) - 400 * x * t
              let gy = 200 * t
              x = x - 0.001 * gx
              y = y - 0.001 * gy
            }
            """)
        let r = interp.global("r")
        let end = numbers(field(r, "x"))
        let x = numbers(interp.global("x"))[0], y = numbers(interp.global("y"))[0]
        #expect(end.count == 2)
        #expect(abs(end[0] - x) <= 1e-9)
        #expect(abs(end[1] - y) <= 1e-9)
        #expect(numbers(field(r, "steps")) == [200000])
        #expect(abs(x - 0.99999999999992795) <= 1e-15)
    }

    /// torch.optim's Adam and SGD-with-Nesterov rules, written out independently of the core.
    func reference(_ method: String, steps: Int, lr: Double) -> [Double] {
        func grad(_ p: [Double]) -> [Double] {
            let x = p[0], y = p[1]
            let t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y
            return [2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1),
                    2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y * y]
        }
        var p = [1.0, 1.0]
        var m = [0.0, 0.0], v = [0.0, 0.0]
        for t in 1...steps {
            let g = grad(p)
            for i in 0..<2 {
                if method == "adam" {
                    m[i] = 0.9 * m[i] + 0.1 * g[i]
                    v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                    let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                    p[i] -= lr * mh / (vh.squareRoot() + 1e-8)
                } else {
                    m[i] = t == 1 ? g[i] : 0.9 * m[i] + g[i]
                    p[i] -= lr * (g[i] + 0.9 * m[i])
                }
            }
        }
        return p
    }

    @Test(arguments: ["adam", "nesterov"])
    func bealeMatchesTorchRules(_ method: String) throws {
        // tol: 0 keeps all 500 steps (Nesterov's gradient would otherwise fall below 1e-8).
        let interp = try run("""
            fn f(p) = (1.5 - p[0] + p[0] * p[1])^2 + (2.25 - p[0] + p[0] * p[1]^2)^2 + (2.625 - p[0] + p[0] * p[1]^3)^2
            let r = descend(f, [1, 1], lr: 0.01, steps: 500, method: "\(method)", tol: 0)
            """)
        let got = numbers(field(interp.global("r"), "x"))
        let want = reference(method, steps: 500, lr: 0.01)
        #expect(got.count == 2)
        for i in 0..<2 { #expect(abs(got[i] - want[i]) <= 1e-9, "\(method) coordinate \(i): \(got[i]) vs \(want[i])") }
    }

    /// A pure function's result rebuilds its path when read; the same function behind a guard that
    /// never flips is kept as it runs. Both must give the same rows and losses, bit for bit, for
    /// every way a run can end.
    @Test(arguments: [
        "lr: 0.001, steps: 3000",
        "lr: 0.01, steps: 500, method: \"adam\", tol: 0",
        "lr: 0.002, steps: 400, method: \"nesterov\"",
        "lr: 0.01, steps: 50, line: true",
        "lr: 0.3, steps: 100",
        "lr: 0.0001, steps: 10, tol: 1e9",
    ])
    func aDeferredPathIsTheRecordedPath(_ options: String) throws {
        let interp = try run("""
            fn f(p) = (1 - p[0])^2 + 100 * (p[1] - p[0]^2)^2
            fn g(p) {
              if p[0] > -1e300 { return (1 - p[0])^2 + 100 * (p[1] - p[0]^2)^2 }
              return 0
            }
            let lazy = descend(f, [-1.5, 2], \(options))
            let kept = descend(g, [-1.5, 2], \(options))
            let s = descend(sphere, [1, -2, 0.5], \(options))
            let sp = s.path
            """)
        guard case .object(let o)? = interp.global("lazy") else {
            Issue.record("a pure function's result should rebuild its path on demand")
            return
        }
        guard let lazy = o as? ResultObject, case .descent(let r, _, _, _) = lazy.kind else {
            Issue.record("descend should return a descent result")
            return
        }
        #expect(r.pathDeferred)
        guard case .object(let k as ResultObject)? = interp.global("kept"), case .descent(let kr, _, _, _) = k.kind else {
            Issue.record("descend should return a descent result")
            return
        }
        #expect(!kr.pathDeferred, "a guarded function's result should keep its path")
        for name in ["path", "losses", "x", "loss", "steps", "converged", "diverged"] {
            let a = numbers(field(interp.global("lazy"), name)), b = numbers(field(interp.global("kept"), name))
            #expect(!a.isEmpty || name == "converged" || name == "diverged")
            #expect(a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(name) differs")
        }
        let steps = Int(numbers(field(interp.global("lazy"), "steps"))[0])
        #expect(numbers(field(interp.global("lazy"), "path")).count == 2 * (steps + 1))
        #expect(numbers(interp.global("sp")).count == 3 * (Int(numbers(field(interp.global("s"), "steps"))[0]) + 1))
        // Printed like the record it stands for, fields in the same order.
        let lazyText = interp.global("lazy")!.repr, keptText = interp.global("kept")!.repr
        #expect(lazyText.replacingOccurrences(of: "fn f(p)", with: "fn g(p)") == keptText)
    }

    @Test func aPathThatCannotBeReproducedIsAnErrorNotAWrongAnswer() throws {
        // An objective that changes between calls, which a psearch function cannot be while its
        // tape replays: the core must notice that the re-run ended elsewhere.
        var calls = 0
        let f: Descent.Objective = { x, g in
            calls += 1
            g[0] = 2 * x[0] + (calls > 50 ? 1e-3 : 0)
            return x[0] * x[0]
        }
        var o = DescentOptions(lr: 0.1, steps: 30)
        o.record = true
        let r = try Descent.descend(f, start: [1], options: o, deferPath: { true })
        #expect(r.pathDeferred && r.pathData.isEmpty)
        #expect(throws: DescentError.notReproduced(step: 30)) { try Descent.reproducePath(f, start: [1], options: o, of: r) }
    }

    @Test func gradOfCompositeFunctionsMatchesHandDerivatives() throws {
        let interp = try run("""
            let g = grad(fn(x, y) = x^2 * y + sin(x * y), 1.5, -2)
            let h = grad(fn(p) = sum(exp(p)) * norm(p), [0.5, -1, 2])
            """)
        let g = numbers(interp.global("g"))
        #expect(abs(g[0] - (2 * 1.5 * -2 + -2 * cos(-3.0))) <= 1e-12)
        #expect(abs(g[1] - (1.5 * 1.5 + 1.5 * cos(-3.0))) <= 1e-12)
        let p = [0.5, -1, 2]
        let s = p.map { exp($0) }.reduce(0, +), n = p.map { $0 * $0 }.reduce(0, +).squareRoot()
        let h = numbers(interp.global("h"))
        for i in 0..<3 { #expect(abs(h[i] - (exp(p[i]) * n + s * p[i] / n)) <= 1e-12) }
    }

    @Test func gradMatchesCentralDifferencesThroughBranches() throws {
        let interp = try run("""
            fn f(p) {
              let s = 0
              for i in 0..len(p) {
                if p[i] > 0 { s = s + p[i] * tanh(p[i]) } else { s = s + exp(p[i]) / 2 }
              }
              return s
            }
            let pts = [[0.3, -0.7], [-0.2, 1.1], [1.5, 0.4]]
            let gs = [grad(f, pts[0]), grad(f, pts[1]), grad(f, pts[2])]
            """)
        // Three gradients of one shape stack into a 3 x 2 matrix.
        let gs = numbers(interp.global("gs"))
        try #require(gs.count == 6)
        func f(_ p: [Double]) -> Double { p.reduce(0) { $0 + ($1 > 0 ? $1 * tanh($1) : exp($1) / 2) } }
        let pts = [[0.3, -0.7], [-0.2, 1.1], [1.5, 0.4]]
        for (k, p) in pts.enumerated() {
            let g = Array(gs[(2 * k)..<(2 * k + 2)])
            for i in 0..<2 {
                var a = p, b = p
                a[i] += 1e-6
                b[i] -= 1e-6
                #expect(abs(g[i] - (f(a) - f(b)) / 2e-6) <= 1e-7)
            }
        }
    }
}
