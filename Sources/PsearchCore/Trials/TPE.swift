import Foundation

/// Settings of the tree-structured Parzen estimator; the defaults are Optuna 5.1's TPESampler's.
public struct TPEOptions: Sendable, Equatable {
    /// Trials drawn at random before the model proposes any (n_startup_trials).
    public var startup = 10
    /// Candidates drawn from the good trials' density; the one with the highest l(x)/g(x) is
    /// proposed (n_ei_candidates).
    public var candidates = 24
    /// Weight of the prior component (a wide kernel over the whole domain) in each density.
    public var priorWeight = 1.0
    /// Trial k is proposed from trials 0 ..< k − lag only, so that up to lag + 1 trials run at
    /// once and the proposals do not depend on which finished first (see `Trials.search`).
    public var lag = 1

    public init() {}

    /// The number of good trials among n: ceil(n / 10), at most 25 (Optuna's default gamma).
    public static func good(of n: Int) -> Int { Swift.min((n + 9) / 10, 25) }
}

/// The tree-structured Parzen estimator (Bergstra et al. 2011; Watanabe 2023, arXiv 2304.11127),
/// multivariate, as Optuna's TPESampler has it by default since 4.x:
///
/// 1. Split the finished trials by loss: the best `good(of: n)` are "good", the rest "bad".
/// 2. Fit a density to each set: one kernel per trial (a product over the dimensions: a normal
///    truncated to the domain for ranges, log-scaled for log ranges, discretised for whole
///    numbers, a smoothed indicator for choices), plus one wide prior kernel. A trial's kernel
///    width in each dimension is the larger gap to its neighbours there, clipped to
///    [width / min(100, n + 2), width]; older trials of a large set weigh less (Optuna's ramp).
/// 3. Draw `candidates` points from the good density l and propose the one that maximises
///    l(x) / g(x), g being the bad density.
///
/// Everything is computed from its arguments and the caller's generator: the same history and
/// stream give the same proposal.
public enum TPE {
    /// One dimension as the estimator sees it.
    enum Axis {
        /// [lo, hi] on the internal scale (log for log ranges).
        case continuous(lo: Double, hi: Double, log: Bool)
        /// The whole numbers lo ... hi (a normal over [lo − ½, hi + ½], rounded).
        case integer(lo: Int, hi: Int)
        case choice(count: Int)

        init(_ d: ParamDomain) {
            switch d {
            case .range(let lo, let hi): self = .continuous(lo: lo, hi: hi, log: false)
            case .logRange(let lo, let hi): self = .continuous(lo: Foundation.log(lo), hi: Foundation.log(hi), log: true)
            case .intRange(let lo, let hi): self = .integer(lo: lo, hi: hi)
            case .choices(let c): self = .choice(count: c.count)
            }
        }

        /// The interval the kernels live on.
        var bounds: (Double, Double) {
            switch self {
            case .continuous(let lo, let hi, _): return (lo, hi)
            case .integer(let lo, let hi): return (Double(lo) - 0.5, Double(hi) + 0.5)
            case .choice(let n): return (0, Double(n))
            }
        }
    }

    /// Parameters on the internal scale: a choice by its index, a log range by its log.
    static func encode(_ p: [String: ParamValue], _ space: SearchSpace) -> [Double] {
        space.dimensions.map { d in
            switch d.domain {
            case .choices(let c): return Double(c.firstIndex(of: p[d.name]!) ?? 0)
            case .logRange: return Foundation.log(p[d.name]!.double!)
            case .range, .intRange: return p[d.name]!.double!
            }
        }
    }

    static func decode(_ x: [Double], _ space: SearchSpace) -> [String: ParamValue] {
        var p = [String: ParamValue]()
        for (d, v) in zip(space.dimensions, x) {
            switch d.domain {
            case .choices(let c): p[d.name] = c[Int(v)]
            // exp(log(hi)) may come back a hair above hi: clamp to the domain.
            case .logRange(let lo, let hi): p[d.name] = .number(Swift.min(Swift.max(Foundation.exp(v), lo), hi))
            case .range, .intRange: p[d.name] = .number(v)
            }
        }
        return p
    }

    /// The parameters to try next, given the finished trials (in index order) and the proposal's
    /// own generator. Losses that are nan rank last.
    public static func propose(
        _ space: SearchSpace, history: [(params: [String: ParamValue], loss: Double, reports: TrialReports)],
        options: TPEOptions = TPEOptions(), random: inout Random
    ) -> [String: ParamValue] {
        let (l, g) = densities(space, history: history, options: options)
        var best: [Double] = []
        var bestScore = -Double.infinity
        // The first of equal scores wins, as numpy's argmax in Optuna's _compare.
        for _ in 0..<Swift.max(1, options.candidates) {
            let x = l.sample(&random)
            let score = l.logDensity(x) - g.logDensity(x)
            if best.isEmpty || score > bestScore {
                best = x
                bestScore = score
            }
        }
        return decode(best, space)
    }

    /// The indices of the good trials (ascending) and of the rest, as Optuna's _split_trials:
    /// finished trials by loss (nan last), then pruned ones, those that got further first and
    /// then by their last value; ties by index.
    static func split(_ history: [(params: [String: ParamValue], loss: Double, reports: TrialReports)]) -> (good: [Int], bad: [Int]) {
        // The keys are made once: a comparison reads two array entries, not two trials.
        let keys = history.map { h -> (Int, Int, Double) in
            let loss = h.loss.isNaN ? Double.infinity : h.loss
            return h.reports.pruned ? (1, -(h.reports.steps.last ?? 0), loss) : (0, 0, loss)
        }
        let order = keys.withUnsafeBufferPointer { k in
            history.indices.sorted { a, b in
                let (ka, kb) = (k[a], k[b])
                if ka.0 != kb.0 { return ka.0 < kb.0 }
                if ka.1 != kb.1 { return ka.1 < kb.1 }
                return ka.2 != kb.2 ? ka.2 < kb.2 : a < b
            }
        }
        let nGood = TPEOptions.good(of: history.count)
        return (order.prefix(nGood).sorted(), order.dropFirst(nGood).sorted())
    }

    /// The good trials' density l and the others' g, on the internal scale.
    static func densities(
        _ space: SearchSpace, history: [(params: [String: ParamValue], loss: Double, reports: TrialReports)], options: TPEOptions
    ) -> (l: Density, g: Density) {
        let axes = space.dimensions.map { Axis($0.domain) }
        let points = history.map { encode($0.params, space) }
        let (good, bad) = split(history)
        return (Density(axes, good.map { points[$0] }, priorWeight: options.priorWeight),
                Density(axes, bad.map { points[$0] }, priorWeight: options.priorWeight))
    }

    /// A mixture with one product kernel per point and a prior kernel.
    struct Density {
        let axes: [Axis]
        /// log of each component's weight (the prior last).
        let logWeights: [Double]
        let weights: [Double]
        /// Per axis, per component: the centre and width (ranges), or the choice probabilities.
        let mus: [[Double]], sigmas: [[Double]]
        /// log of the kernel's mass inside the bounds, per axis and component.
        let logMass: [[Double]]
        /// log √(2π) + log σ + logMass, per axis and component: the continuous kernel's
        /// normaliser, computed once instead of for every candidate.
        let logNorm: [[Double]]
        let choiceLogP: [[[Double]]]

        init(_ axes: [Axis], _ points: [[Double]], priorWeight: Double) {
            self.axes = axes
            let n = points.count
            var w = TPE.ramp(n) + [priorWeight]
            let total = w.reduce(0, +)
            w = w.map { $0 / total }
            weights = w
            logWeights = w.map { Foundation.log($0) }
            var mus = [[Double]](), sigmas = [[Double]](), logMass = [[Double]](), choice = [[[Double]]]()
            for (j, axis) in axes.enumerated() {
                let xs = points.map { $0[j] }
                switch axis {
                case .choice(let k):
                    // Each point puts 1 on its choice over a floor of priorWeight / (n + 1)
                    // everywhere; the prior row is uniform.
                    let floor = priorWeight / Double(n + 1)
                    var rows = xs.map { x -> [Double] in
                        var r = [Double](repeating: floor, count: k)
                        r[Int(x)] += 1
                        return r
                    }
                    rows.append([Double](repeating: 1, count: k))
                    choice.append(rows.map { r in
                        let s = r.reduce(0, +)
                        return r.map { Foundation.log($0 / s) }
                    })
                    mus.append([]); sigmas.append([]); logMass.append([])
                case .continuous, .integer:
                    let (lo, hi) = axis.bounds
                    var s = TPE.bandwidths(xs, lo: lo, hi: hi)
                    var m = xs
                    m.append((lo + hi) / 2)
                    s.append(hi - lo)
                    mus.append(m)
                    sigmas.append(s)
                    logMass.append(zip(m, s).map { mu, sigma in Normal.logMass((lo - mu) / sigma, (hi - mu) / sigma) })
                    choice.append([])
                }
            }
            self.mus = mus
            self.sigmas = sigmas
            self.logMass = logMass
            logNorm = zip(sigmas, logMass).map { s, m in zip(s, m).map { Normal.logRoot2Pi + Foundation.log($0) + $1 } }
            choiceLogP = choice
        }

        func sample(_ random: inout Random) -> [Double] {
            // The component by its weight, then each axis from that component's kernel.
            var u = random.uniform()
            var c = weights.count - 1
            for (i, w) in weights.enumerated() {
                if u < w { c = i; break }
                u -= w
            }
            return axes.enumerated().map { j, axis in
                switch axis {
                case .choice(let k):
                    var v = random.uniform()
                    for i in 0..<k {
                        let p = Foundation.exp(choiceLogP[j][c][i])
                        if v < p || i == k - 1 { return Double(i) }
                        v -= p
                    }
                    return Double(k - 1)
                case .continuous(let lo, let hi, _):
                    let (mu, sigma) = (mus[j][c], sigmas[j][c])
                    let z = Normal.truncatedSample((lo - mu) / sigma, (hi - mu) / sigma, random.uniform())
                    return Swift.min(Swift.max(mu + sigma * z, lo), hi)
                case .integer(let lo, let hi):
                    let (a, b) = axis.bounds
                    let (mu, sigma) = (mus[j][c], sigmas[j][c])
                    let z = Normal.truncatedSample((a - mu) / sigma, (b - mu) / sigma, random.uniform())
                    return Swift.min(Swift.max((mu + sigma * z).rounded(), Double(lo)), Double(hi))
                }
            }
        }

        /// log of the mixture's density (mass, on whole-number and choice axes) at x.
        func logDensity(_ x: [Double]) -> Double {
            var terms = logWeights
            let n = terms.count
            // The hot loop of a proposal (candidates x components x axes) on plain pointers: no
            // uniqueness or bounds check per term; the arithmetic is unchanged, bit for bit.
            terms.withUnsafeMutableBufferPointer { t in
                for (j, axis) in axes.enumerated() {
                    switch axis {
                    case .choice:
                        let i = Int(x[j])
                        for c in 0..<n { t[c] += choiceLogP[j][c][i] }
                    case .continuous:
                        let xj = x[j]
                        mus[j].withUnsafeBufferPointer { mu in
                            sigmas[j].withUnsafeBufferPointer { sigma in
                                logNorm[j].withUnsafeBufferPointer { norm in
                                    for c in 0..<n {
                                        let z = (xj - mu[c]) / sigma[c]
                                        t[c] += -0.5 * z * z - norm[c]
                                    }
                                }
                            }
                        }
                    case .integer:
                        for c in 0..<n {
                            let (mu, sigma) = (mus[j][c], sigmas[j][c])
                            t[c] += Normal.logMass((x[j] - 0.5 - mu) / sigma, (x[j] + 0.5 - mu) / sigma) - logMass[j][c]
                        }
                    }
                }
            }
            let top = terms.max() ?? -.infinity
            guard top.isFinite else { return top }
            var s = 0.0
            for t in terms { s += Foundation.exp(t - top) }
            return top + Foundation.log(s)
        }
    }

    /// Weights of n trials in index order: 1 each up to 25 trials; beyond, the oldest n − 25
    /// ramp up linearly from 1/n (Optuna's default_weights).
    static func ramp(_ n: Int) -> [Double] {
        guard n >= 25 else { return [Double](repeating: 1, count: n) }
        let k = n - 25
        let ramp = (0..<k).map { i in k == 1 ? 1.0 / Double(n) : 1.0 / Double(n) + (1 - 1.0 / Double(n)) * Double(i) / Double(k - 1) }
        return ramp + [Double](repeating: 1, count: 25)
    }

    /// Kernel widths: each point's larger gap to its sorted neighbours (the bounds count as
    /// neighbours, except that the outermost points use their inner gap when there are two or
    /// more points), clipped to [width / min(100, n + 2), width].
    static func bandwidths(_ xs: [Double], lo: Double, hi: Double) -> [Double] {
        let n = xs.count
        guard n > 0 else { return [] }
        // By value, ties by index: the same order as sorting the indices, without reading xs
        // through them at every comparison.
        var pairs = xs.enumerated().map { ($0.element, $0.offset) }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let order = pairs.map(\.1)
        let sorted = [lo] + pairs.map(\.0) + [hi]
        var s = [Double](repeating: 0, count: n)
        for k in 0..<n {
            s[k] = Swift.max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1])
        }
        if n >= 2 {
            s[0] = sorted[2] - sorted[1]
            s[n - 1] = sorted[n] - sorted[n - 1]
        }
        let width = hi - lo
        let floor = width / Swift.min(100, Double(n + 2))
        var out = [Double](repeating: 0, count: n)
        for (k, i) in order.enumerated() { out[i] = Swift.min(Swift.max(s[k], floor), width) }
        return out
    }
}

/// The standard normal distribution's pieces the estimator needs.
enum Normal {
    static let logRoot2Pi = 0.5 * Foundation.log(2 * Double.pi)

    /// Φ(z).
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log(Φ(b) − Φ(a)) for a ≤ b, computed on the side of the tail they are in, so two points
    /// far out give their small mass instead of 0 (until it underflows past 1e-308: −inf).
    static func logMass(_ a: Double, _ b: Double) -> Double {
        let r = 2.0.squareRoot()
        let mass = a > 0 ? 0.5 * (erfc(a / r) - erfc(b / r))
            : b < 0 ? 0.5 * (erfc(-b / r) - erfc(-a / r))
            : 1 - 0.5 * erfc(-a / r) - 0.5 * erfc(b / r)
        return mass > 0 ? Foundation.log(mass) : -.infinity
    }

    /// A draw from the standard normal truncated to [a, b], from a uniform u in [0, 1), by the
    /// inverse CDF (in the upper tail by the survival function, where Φ rounds to 1).
    static func truncatedSample(_ a: Double, _ b: Double, _ u: Double) -> Double {
        let z: Double
        if a > 0 {
            let (sa, sb) = (0.5 * erfc(a / 2.0.squareRoot()), 0.5 * erfc(b / 2.0.squareRoot()))
            z = -quantile(sb + u * (sa - sb))
        } else {
            let (pa, pb) = (cdf(a), cdf(b))
            z = quantile(pa + u * (pb - pa))
        }
        return z.isFinite ? Swift.min(Swift.max(z, a), b) : (a.isFinite ? a : b)
    }

    /// Φ⁻¹(p): Acklam's rational approximation, refined by one Halley step (relative error
    /// below 1e-15 over (0, 1)).
    static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley: e = Φ(x) − p, u = e·√(2π)·exp(x²/2).
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
