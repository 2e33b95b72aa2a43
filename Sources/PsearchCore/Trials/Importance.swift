/// How much each hyper-parameter's value explains the loss, as shares that sum to 1.
///
/// The method is named for what it computes: **binned main-effect variance**. Each parameter's
/// trials are grouped into bins (one per choice, one per distinct value when there are few, else
/// equal-count quantile bins of its values), and its importance is the variance of the bins' mean
/// losses (its main effect, the numerator of a first-order Sobol index) less the part that
/// noise from the other parameters puts there, estimated from the within-bin mean square as
/// in one-way ANOVA. Negative estimates (no effect) count as 0.
///
/// It is not Optuna's default (fANOVA on a random forest), which also credits interactions
/// through the forest's splits; on additive objectives both estimate the same variance shares.
/// It needs no random numbers, so the same trials give the same importances on every run.
public enum Importance {
    public static let methodName = "binned main-effect variance"

    /// One parameter's values over the trials: numbers (a choice's index in its list counts as
    /// a number) and whether they are categories, each value its own bin.
    public struct Column: Sendable {
        public var values: [Double]
        public var categorical: Bool
        public init(_ values: [Double], categorical: Bool) {
            self.values = values
            self.categorical = categorical
        }
    }

    /// Shares summing to 1, one per column, from the trials whose loss is finite. With fewer
    /// than 4 such trials, or a loss that never changes, every column gets the same share.
    public static func shares(_ columns: [Column], losses: [Double]) -> [Double] {
        guard !columns.isEmpty else { return [] }
        let keep = losses.indices.filter { losses[$0].isFinite }
        let equal = [Double](repeating: 1 / Double(columns.count), count: columns.count)
        guard keep.count >= 4 else { return equal }
        let y = keep.map { losses[$0] }
        let raw = columns.map { col in effect(bins: bins(keep.map { col.values[$0] }, categorical: col.categorical), y) }
        let total = raw.reduce(0, +)
        guard total > 0, total.isFinite else { return equal }
        return raw.map { $0 / total }
    }

    /// Shares for a search's completed trials (pruned ones stopped early, so their losses are
    /// not comparable), in the space's order.
    public static func shares(_ result: SearchResult) -> [(name: String, share: Double)] {
        shares(result.trials, space: result.space)
    }

    public static func shares(_ trials: [TrialRecord], space: SearchSpace) -> [(name: String, share: Double)] {
        let done = trials.filter { !$0.pruned }
        let columns = space.dimensions.map { d in
            Column(done.map { code($0.params[d.name], d.domain) }, categorical: { if case .choices = d.domain { true } else { false } }())
        }
        return zip(space.names, shares(columns, losses: done.map(\.loss))).map { ($0, $1) }
    }

    /// A parameter value as a number: a choice is its index in the list.
    static func code(_ v: ParamValue?, _ domain: ParamDomain) -> Double {
        guard let v else { return .nan }
        if case .choices(let list) = domain { return Double(list.firstIndex(of: v) ?? -1) }
        return v.double ?? .nan
    }

    /// Bin ids per value. Up to `maxBins` distinct values (integers, a short grid) are bins
    /// themselves; more are cut into about sqrt(n) (2 to 10) bins of equal count by rank, ties
    /// broken by trial order so the bins never depend on anything but the trials.
    static func bins(_ values: [Double], categorical: Bool) -> [Int] {
        let n = values.count
        let count = max(2, min(10, Int(Double(n).squareRoot())))
        let distinct = Array(Set(values.map { $0.isNaN ? -Double.infinity : $0 })).sorted()
        if categorical || distinct.count <= count {
            return values.map { v in distinct.firstIndex(of: v.isNaN ? -Double.infinity : v)! }
        }
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
        var out = [Int](repeating: 0, count: n)
        for (rank, i) in order.enumerated() { out[i] = rank * count / n }
        return out
    }

    /// The variance of the bins' true mean losses (weighted by bin size), estimated without
    /// bias: E[SSB] = (g - 1) sigma^2 + n V for g bins, so V = (SSB - (g - 1) MSW) / n, clipped
    /// at 0. (The random-effects estimate (MSB - MSW) / n0 would be g / (g - 1) times this, which
    /// overrates a three-way choice by half.) A single bin explains nothing.
    static func effect(bins: [Int], _ y: [Double]) -> Double {
        let k = (bins.max() ?? 0) + 1
        var sums = [Double](repeating: 0, count: k), counts = [Double](repeating: 0, count: k)
        for (b, v) in zip(bins, y) {
            sums[b] += v
            counts[b] += 1
        }
        let groups = (0..<k).filter { counts[$0] > 0 }
        let n = Double(y.count), g = Double(groups.count)
        guard groups.count >= 2, n > g else { return 0 }
        let mean = y.reduce(0, +) / n
        var ssb = 0.0, ssw = 0.0
        for b in groups { ssb += counts[b] * (sums[b] / counts[b] - mean) * (sums[b] / counts[b] - mean) }
        for (b, v) in zip(bins, y) { ssw += (v - sums[b] / counts[b]) * (v - sums[b] / counts[b]) }
        return max(0, (ssb - (g - 1) * ssw / (n - g)) / n)
    }
}
