/// The outcome of a binary search: where the target is (or would go) and how the halving went.
///
/// The trace is not stored as vectors: each step is one bit (kept the left or the right half),
/// so the kept halves are rebuilt from `count` and `path` only when someone reads them.
public struct BinarySearchResult: Equatable, Sendable {
    /// Whether an element equal to the target exists.
    public let found: Bool
    /// Index of the target (the last equal element when there are duplicates), or the index at
    /// which inserting the target keeps the vector sorted.
    public let index: Int
    /// Halving steps taken.
    public let steps: Int
    /// ceil(log2 n): the guaranteed maximum number of steps.
    public let bound: Int
    /// Length of the searched vector.
    public let count: Int
    /// Bit k set: step k kept the right half `[mid, hi)`.
    public let path: UInt64

    /// The `[lo, hi)` index range kept after each step, recomputed from the path.
    public var keptRanges: [Range<Int>] {
        var ranges = [Range<Int>]()
        ranges.reserveCapacity(steps)
        var lo = 0, hi = count
        for k in 0..<steps {
            let mid = lo + (hi - lo) / 2
            if path & (1 << UInt64(k)) != 0 { lo = mid } else { hi = mid }
            ranges.append(lo..<hi)
        }
        return ranges
    }

    /// The kept halves as vectors (the elements of `xs` in each kept range).
    public func trace(_ xs: [Double]) -> [[Double]] {
        keptRanges.map { Array(xs[$0]) }
    }
}

/// Binary search on a sorted vector: each step compares the middle element
/// (`mid = lo + (hi - lo) / 2`) and keeps `[lo, mid)` if `target < xs[mid]`, else `[mid, hi)`.
public enum BinarySearch {
    /// ceil(log2 n) for n >= 1 (0 for n <= 1): the steps binary search needs at most.
    @inline(__always)
    public static func bound(_ n: Int) -> Int {
        n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount
    }

    /// Checks that `xs` is non-empty, has no nan and is sorted ascending (O(n)).
    ///
    /// Callers that search one vector many times should validate once and then call
    /// `searchSorted`; the check is the only O(n) part.
    public static func validate(_ xs: [Double]) throws(SearchError) {
        guard !xs.isEmpty else { throw .empty }
        let bad: SearchError? = xs.withUnsafeBufferPointer { p in
            if p[0].isNaN { return .nanElement(index: 0) }
            for i in 1..<p.count {
                let x = p[i]
                if x < p[i - 1] { return .unsorted(index: i) }
                if x.isNaN { return .nanElement(index: i) }
            }
            return nil
        }
        if let bad { throw bad }
    }

    /// Validates `xs`, then searches it.
    public static func search(_ xs: [Double], _ target: Double) throws(SearchError) -> BinarySearchResult {
        try validate(xs)
        return try searchSorted(xs, target)
    }

    /// Searches a vector the caller has already validated (see `validate`); O(log n), no allocation.
    public static func searchSorted(_ xs: [Double], _ target: Double) throws(SearchError) -> BinarySearchResult {
        guard !target.isNaN else { throw .nanTarget }
        guard !xs.isEmpty else { throw .empty }
        return xs.withUnsafeBufferPointer { searchSorted(unchecked: $0, target) }
    }

    /// The search itself, on a non-empty sorted buffer and a non-nan target.
    public static func searchSorted(unchecked p: UnsafeBufferPointer<Double>, _ target: Double) -> BinarySearchResult {
        let n = p.count
        var lo = 0, hi = n
        var path: UInt64 = 0
        var steps = 0
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if target < p[mid] {
                hi = mid
            } else {
                lo = mid
                path |= 1 << UInt64(steps)
            }
            steps += 1
        }
        let x = p[lo]
        let found = x == target
        let index = found || target < x ? lo : lo + 1
        return BinarySearchResult(found: found, index: index, steps: steps, bound: bound(n), count: n, path: path)
    }
}

/// Remembers the last vector found sorted, so searching one vector many times validates it once.
///
/// Sound without hashing the contents: the cache keeps a reference to the array's buffer, so the
/// buffer stays alive and shared, and any later write to the caller's array copies it first
/// (copy-on-write) — a changed vector therefore never has the cached buffer's address.
public final class SortedVectorCache {
    private var last: [Double] = []

    public init() {}

    /// Validates `xs` unless it is the vector validated last, then searches it.
    public func search(_ xs: [Double], _ target: Double) throws(SearchError) -> BinarySearchResult {
        if !isKnownSorted(xs) {
            try BinarySearch.validate(xs)
            last = xs
        }
        return try BinarySearch.searchSorted(xs, target)
    }

    /// Whether `xs` shares its storage with the last validated vector.
    public func isKnownSorted(_ xs: [Double]) -> Bool {
        guard !xs.isEmpty, xs.count == last.count else { return false }
        let a = xs.withUnsafeBufferPointer { $0.baseAddress }
        let b = last.withUnsafeBufferPointer { $0.baseAddress }
        return a == b
    }
}
