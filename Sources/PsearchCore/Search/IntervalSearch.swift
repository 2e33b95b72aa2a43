import Foundation

/// The outcome of a 1-D search on an interval (golden-section, bisection or grid).
public struct IntervalResult: Sendable {
    /// The minimiser (golden, grid) or root (bisect).
    public var x: Double
    /// f(x).
    public var loss: Double
    public var steps: Int
    /// Calls of f.
    public var evaluations: Int
    /// Steps the method guarantees for the tolerance (grid: the number of points).
    public var bound: Int
    /// The interval `[lo, hi]` kept after each step.
    public var trace: [(lo: Double, hi: Double)]
    /// The method's own test ended the search (golden, bisect); false for a grid, which scans to its end.
    public var converged = true
    /// The interval the search started from (`lo`, `hi`), the bracket every step narrows.
    public var start: (lo: Double, hi: Double)
}

/// 1-D searches on `[lo, hi]`: golden-section minimisation, bisection root finding, a grid.
///
/// f calls back into the interpreter, so its errors pass through unchanged.
public enum IntervalSearch {
    public enum Method: String, CaseIterable, Sendable {
        case golden, bisect, grid
    }

    /// 1/phi: golden-section keeps this fraction of the interval each step.
    public static let invPhi = (5.0.squareRoot() - 1) / 2

    static func check(_ lo: Double, _ hi: Double, _ tol: Double) throws(SearchError) {
        guard lo.isFinite, hi.isFinite, lo < hi else { throw .badInterval(lo: lo, hi: hi) }
        guard (hi - lo).isFinite else { throw .wideInterval(lo: lo, hi: hi) }
        guard tol > 0, tol.isFinite else { throw .badTolerance(tol) }
    }

    /// Steps golden-section needs to shrink `width` below `tol` (0 unless tol < width, both
    /// finite and tol > 0, which `check` ensures). When tol / width underflows (0 to 1e300 at
    /// tol 1e-300) the logs are subtracted instead, so the bound stays finite (at most about
    /// 3,000) and converts to Int without trapping.
    public static func goldenBound(width: Double, tol: Double) -> Int {
        guard width > tol, width.isFinite, tol > 0 else { return 0 }
        let q = tol / width
        return Int(((q > 0 ? log(q) : log(tol) - log(width)) / log(invPhi)).rounded(.up))
    }

    /// Steps bisection needs to shrink `width` below `tol`; as `goldenBound`, finite also when
    /// width / tol overflows (at most about 2,100).
    public static func bisectBound(width: Double, tol: Double) -> Int {
        guard width > tol, width.isFinite, tol > 0 else { return 0 }
        let r = width / tol
        return Int((r.isFinite ? log2(r) : log2(width) - log2(tol)).rounded(.up))
    }

    /// Minimises a unimodal f on `[lo, hi]` until the bracket is narrower than `tol`.
    ///
    /// x is the better of the two interior points of the final bracket (or its midpoint if that is
    /// lower); on a non-unimodal f it finds a local minimum.
    public static func golden(_ f: (Double) throws -> Double, lo: Double, hi: Double, tol: Double = 1e-8) throws -> IntervalResult {
        try check(lo, hi, tol)
        let bound = goldenBound(width: hi - lo, tol: tol)
        var a = lo, b = hi
        var c = b - invPhi * (b - a), d = a + invPhi * (b - a)
        var fc = try f(c), fd = try f(d)
        var evaluations = 2
        var trace = [(lo: Double, hi: Double)]()
        trace.reserveCapacity(bound)
        var steps = 0
        // bound caps the loop: near the limit of double precision the bracket can stop shrinking.
        while b - a > tol && steps < bound {
            if fc.isNaN { throw SearchError.nanLoss(x: c) }
            if fd.isNaN { throw SearchError.nanLoss(x: d) }
            if fc <= fd {
                b = d
                d = c
                fd = fc
                c = b - invPhi * (b - a)
                fc = try f(c)
            } else {
                a = c
                c = d
                fc = fd
                d = a + invPhi * (b - a)
                fd = try f(d)
            }
            evaluations += 1
            steps += 1
            trace.append((a, b))
        }
        var x = fc <= fd ? c : d
        var loss = min(fc, fd)
        if fc.isNaN || fd.isNaN { throw SearchError.nanLoss(x: fc.isNaN ? c : d) }
        let m = a + (b - a) / 2
        let fm = try f(m)
        evaluations += 1
        if fm < loss { (x, loss) = (m, fm) }
        return IntervalResult(x: x, loss: loss, steps: steps, evaluations: evaluations, bound: bound, trace: trace, start: (lo, hi))
    }

    /// Finds a root of f on `[lo, hi]` by bisection; f(lo) and f(hi) must differ in sign.
    public static func bisect(_ f: (Double) throws -> Double, lo: Double, hi: Double, tol: Double = 1e-8) throws -> IntervalResult {
        try check(lo, hi, tol)
        let bound = bisectBound(width: hi - lo, tol: tol)
        var a = lo, b = hi
        var fa = try f(a)
        let fb = try f(b)
        var evaluations = 2
        if fa.isNaN { throw SearchError.nanLoss(x: a) }
        if fb.isNaN { throw SearchError.nanLoss(x: b) }
        if fa == 0 { return IntervalResult(x: a, loss: fa, steps: 0, evaluations: evaluations, bound: bound, trace: [], start: (lo, hi)) }
        if fb == 0 { return IntervalResult(x: b, loss: fb, steps: 0, evaluations: evaluations, bound: bound, trace: [], start: (lo, hi)) }
        guard (fa < 0) != (fb < 0) else { throw SearchError.sameSign(lo: lo, hi: hi, flo: fa, fhi: fb) }
        var trace = [(lo: Double, hi: Double)]()
        trace.reserveCapacity(bound)
        var steps = 0
        var x = a + (b - a) / 2
        var fx = try f(x)
        evaluations += 1
        while true {
            if fx.isNaN { throw SearchError.nanLoss(x: x) }
            if fx == 0 { break }
            if (fx < 0) == (fa < 0) { a = x; fa = fx } else { b = x }
            steps += 1
            trace.append((a, b))
            if b - a <= tol || steps >= bound { break }
            x = a + (b - a) / 2
            fx = try f(x)
            evaluations += 1
        }
        if fx != 0 {
            x = a + (b - a) / 2
            fx = try f(x)
            evaluations += 1
        }
        return IntervalResult(x: x, loss: fx, steps: steps, evaluations: evaluations, bound: bound, trace: trace, start: (lo, hi))
    }

    /// Evaluates f at `n` evenly spaced points from lo to hi (both included) and keeps the lowest.
    ///
    /// The trace holds one interval: the grid cells on either side of the best point, where the
    /// true minimum lies if f is unimodal.
    public static func grid(_ f: (Double) throws -> Double, lo: Double, hi: Double, n: Int = 101) throws -> IntervalResult {
        guard lo.isFinite, hi.isFinite, lo < hi else { throw SearchError.badInterval(lo: lo, hi: hi) }
        guard (hi - lo).isFinite else { throw SearchError.wideInterval(lo: lo, hi: hi) }
        guard n >= 2 else { throw SearchError.badGridSize(n) }
        let h = (hi - lo) / Double(n - 1)
        var best = 0, bestLoss = Double.infinity, bestX = lo
        for i in 0..<n {
            let x = i == n - 1 ? hi : lo + Double(i) * h
            let y = try f(x)
            if y.isNaN { throw SearchError.nanLoss(x: x) }
            if y < bestLoss || i == 0 { (best, bestLoss, bestX) = (i, y, x) }
        }
        let cell = (lo: best == 0 ? lo : lo + Double(best - 1) * h, hi: best == n - 1 ? hi : lo + Double(best + 1) * h)
        return IntervalResult(x: bestX, loss: bestLoss, steps: n, evaluations: n, bound: n, trace: [cell], converged: false, start: (lo, hi))
    }

    /// A bracket around a minimum from a start point, as scipy.optimize.bracket makes one: step
    /// downhill from `x0` (first step `step`), each step 1.618 times the last, until f rises;
    /// then `lo < mid < hi` with f(mid) below f at both ends, so a continuous f has a local
    /// minimum inside. At most `maxEvaluations` calls of f.
    public static func bracket(_ f: (Double) throws -> Double, from x0: Double, step: Double = 1,
                               maxEvaluations: Int = 50) throws -> (lo: Double, mid: Double, hi: Double, evaluations: Int) {
        guard x0.isFinite, step.isFinite, step > 0 else { throw SearchError.badInterval(lo: x0, hi: x0 + step) }
        let phi = 1 / invPhi
        func value(_ x: Double) throws -> Double {
            let y = try f(x)
            if y.isNaN { throw SearchError.nanLoss(x: x) }
            return y
        }
        var a = x0, b = x0 + step
        var fa = try value(a), fb = try value(b)
        var evaluations = 2
        if fb > fa { (a, b, fa, fb) = (b, a, fb, fa) }  // walk the way f falls
        var c = b + phi * (b - a)
        var fc = try value(c)
        evaluations += 1
        while fc <= fb {
            guard evaluations < maxEvaluations, c.isFinite else { throw SearchError.noBracket(start: x0, reached: c) }
            (a, b, fa, fb) = (b, c, fb, fc)
            c = b + phi * (b - a)
            fc = try value(c)
            evaluations += 1
        }
        return (min(a, c), b, max(a, c), evaluations)
    }

    /// Runs `method` (golden by default); `tol` for golden and bisect, `n` for grid.
    public static func run(_ method: Method = .golden, _ f: (Double) throws -> Double, lo: Double, hi: Double, tol: Double = 1e-8, n: Int = 101) throws -> IntervalResult {
        switch method {
        case .golden: return try golden(f, lo: lo, hi: hi, tol: tol)
        case .bisect: return try bisect(f, lo: lo, hi: hi, tol: tol)
        case .grid: return try grid(f, lo: lo, hi: hi, n: n)
        }
    }
}
