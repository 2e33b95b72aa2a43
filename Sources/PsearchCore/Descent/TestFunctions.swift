import Foundation

/// A classic optimisation test function with its analytic gradient and a tape recording.
public struct TestFunction: Sendable {
    public let name: String
    /// The only dimension it is defined for, nil when any length >= `minDimension` works.
    public let dimension: Int?
    public let minDimension: Int
    /// Known local minima (2-D functions) or the global minimum at a reference dimension.
    public let minima: [[Double]]
    /// Writes the gradient at x into g and returns f(x).
    public let valueAndGradient: @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double
    /// Records f on a tape from a vector node.
    public let trace: @Sendable (Tape, Node) throws -> Node

    /// Checks that a point of `n` elements fits this function.
    public func accepts(dimension n: Int) -> Bool {
        dimension.map { $0 == n } ?? (n >= minDimension)
    }

    public func value(_ x: [Double]) -> Double { valueAndGradient(x).value }

    public func valueAndGradient(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        var g = [Double](repeating: 0, count: x.count)
        let v = x.withUnsafeBufferPointer { xp in g.withUnsafeMutableBufferPointer { valueAndGradient(xp, $0) } }
        return (v, g)
    }

    /// As a `Descent.Objective`.
    public var objective: Descent.Objective {
        let f = valueAndGradient
        return { x, g in f(x, g) }
    }
}

/// The lesson functions: sphere, booth, beale, rosenbrock, himmelblau, rastrigin.
public enum TestFunctions {
    public static let all: [TestFunction] = [sphere, booth, beale, rosenbrock, himmelblau, rastrigin]

    public static func named(_ name: String) -> TestFunction? { all.first { $0.name == name } }

    /// Σ x².
    public static let sphere = TestFunction(
        name: "sphere", dimension: nil, minDimension: 1, minima: [[0, 0]],
        valueAndGradient: { x, g in
            var s = 0.0
            for i in 0..<x.count {
                s += x[i] * x[i]
                g[i] = 2 * x[i]
            }
            return s
        },
        trace: { t, p in t.sum(t.pow(p, 2)) })

    /// (x + 2y − 7)² + (2x + y − 5)², minimum at (1, 3).
    public static let booth = TestFunction(
        name: "booth", dimension: 2, minDimension: 2, minima: [[1, 3]],
        valueAndGradient: { p, g in
            let x = p[0], y = p[1]
            let u = x + 2 * y - 7, v = 2 * x + y - 5
            g[0] = 2 * u + 4 * v
            g[1] = 4 * u + 2 * v
            return u * u + v * v
        },
        trace: { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let u = try t.sub(t.add(x, t.mul(t.constant(2), y)), t.constant(7))
            let v = try t.sub(t.add(t.mul(t.constant(2), x), y), t.constant(5))
            return try t.add(t.pow(u, 2), t.pow(v, 2))
        })

    /// (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum at (3, 0.5).
    public static let beale = TestFunction(
        name: "beale", dimension: 2, minDimension: 2, minima: [[3, 0.5]],
        valueAndGradient: { p, g in
            let x = p[0], y = p[1]
            let y2 = y * y, y3 = y2 * y
            let t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y2, t3 = 2.625 - x + x * y3
            g[0] = 2 * t1 * (y - 1) + 2 * t2 * (y2 - 1) + 2 * t3 * (y3 - 1)
            g[1] = 2 * t1 * x + 2 * t2 * (2 * x * y) + 2 * t3 * (3 * x * y2)
            return t1 * t1 + t2 * t2 + t3 * t3
        },
        trace: { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            var f = t.constant(0)
            for (c, k) in [(1.5, 1.0), (2.25, 2.0), (2.625, 3.0)] {
                let term = try t.add(t.sub(t.constant(c), x), t.mul(x, t.pow(y, k)))
                f = try t.add(f, t.pow(term, 2))
            }
            return f
        })

    /// Σ (1 − xᵢ)² + 100 (xᵢ₊₁ − xᵢ²)², minimum at (1, …, 1).
    ///
    /// In 2-D the value and gradient use the benchmark's operation order (bench-peers workload c):
    /// `t = y − x·x; gx = −2(1 − x) − 400·x·t; gy = 200·t`; f = `a·a + 100·b·b`.
    public static let rosenbrock = TestFunction(
        name: "rosenbrock", dimension: nil, minDimension: 2, minima: [[1, 1]],
        valueAndGradient: { p, g in
            for i in 0..<p.count { g[i] = 0 }
            var f = 0.0
            for i in 0..<(p.count - 1) {
                let x = p[i], y = p[i + 1]
                let t = y - x * x
                g[i] += -2.0 * (1.0 - x) - 400.0 * x * t
                g[i + 1] += 200.0 * t
                let a = 1.0 - x
                f += a * a + 100.0 * t * t
            }
            return f
        },
        trace: { t, p in
            let n = t.shape(p).first ?? 0
            var f = t.constant(0)
            for i in 0..<(n - 1) {
                let x = try t.index(p, i), y = try t.index(p, i + 1)
                let a = try t.pow(t.sub(t.constant(1), x), 2)
                let b = try t.mul(t.constant(100), t.pow(t.sub(y, t.pow(x, 2)), 2))
                let term = try t.add(a, b)
                f = i == 0 ? term : try t.add(f, term)
            }
            return f
        })

    /// (x² + y − 11)² + (x + y² − 7)²: four minima, all with value 0.
    public static let himmelblau = TestFunction(
        name: "himmelblau", dimension: 2, minDimension: 2,
        minima: [
            [3, 2], [-2.805118086952745, 3.131312518250573],
            [-3.779310253377747, -3.283185991286170], [3.584428340330492, -1.848126526964404],
        ],
        valueAndGradient: { p, g in
            let x = p[0], y = p[1]
            let u = x * x + y - 11, v = x + y * y - 7
            g[0] = 4 * x * u + 2 * v
            g[1] = 2 * u + 4 * y * v
            return u * u + v * v
        },
        trace: { t, p in
            let x = try t.index(p, 0), y = try t.index(p, 1)
            let u = try t.sub(t.add(t.pow(x, 2), y), t.constant(11))
            let v = try t.sub(t.add(x, t.pow(y, 2)), t.constant(7))
            return try t.add(t.pow(u, 2), t.pow(v, 2))
        })

    /// 10n + Σ (xᵢ² − 10 cos 2πxᵢ): a bowl covered in local minima, global minimum at 0.
    public static let rastrigin = TestFunction(
        name: "rastrigin", dimension: nil, minDimension: 1, minima: [[0, 0]],
        valueAndGradient: { x, g in
            let w = 2 * Double.pi
            var s = 10 * Double(x.count)
            for i in 0..<x.count {
                s += x[i] * x[i] - 10 * Foundation.cos(w * x[i])
                g[i] = 2 * x[i] + 10 * w * Foundation.sin(w * x[i])
            }
            return s
        },
        trace: { t, p in
            let n = Double(t.shape(p).first ?? 0)
            let w = t.constant(2 * Double.pi)
            let terms = try t.sub(t.pow(p, 2), t.mul(t.constant(10), t.cos(t.mul(w, p))))
            return try t.add(t.constant(10 * n), t.sum(terms))
        })
}
