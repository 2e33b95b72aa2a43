/// Why a binary or 1-D search could not run.
public enum SearchError: Error, Equatable, Sendable {
    case empty
    case unsorted(index: Int)
    case nanTarget
    case nanElement(index: Int)
    case badInterval(lo: Double, hi: Double)
    /// hi - lo overflows to inf: no bracket of that width can be halved or sampled.
    case wideInterval(lo: Double, hi: Double)
    case badTolerance(Double)
    case badGridSize(Int)
    case sameSign(lo: Double, hi: Double, flo: Double, fhi: Double)
    case nanLoss(x: Double)
    /// Walking downhill from a start never turned up: f may fall without end.
    case noBracket(start: Double, reached: Double)
}

extension SearchError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty:
            return "cannot search an empty vector"
        case .unsorted(let i):
            return "vector is not sorted: element \(i) is smaller than element \(i - 1)"
        case .nanTarget:
            return "cannot search for nan"
        case .nanElement(let i):
            return "vector element \(i) is nan, so the vector has no order"
        case .badInterval(let lo, let hi):
            return "interval [\(lo), \(hi)] is empty or not finite (need lo < hi)"
        case .wideInterval(let lo, let hi):
            return "interval [\(lo), \(hi)] is too wide: hi - lo overflows to inf"
        case .badTolerance(let t):
            return "tolerance must be a positive number, got \(t)"
        case .badGridSize(let n):
            return "grid needs at least 2 points, got \(n)"
        case .sameSign(let lo, let hi, let flo, let fhi):
            return "bisection needs a sign change: f(\(lo)) = \(flo) and f(\(hi)) = \(fhi) have the same sign"
        case .nanLoss(let x):
            return "function returned nan at x = \(x)"
        case .noBracket(let start, let reached):
            return "no bracket around a minimum: walking downhill from \(start), f had not risen by x = \(reached) (is it bounded below?)"
        }
    }
}
