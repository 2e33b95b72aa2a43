import Foundation
import Testing
@testable import PsearchCore

@Suite struct BinarySearchTests {
    let xs: [Double] = [1, 2, 4, 5, 7, 8, 10, 13, 15, 17, 18, 21, 23, 26, 28, 30]

    @Test func issueExampleKeepsFourHalves() throws {
        let r = try BinarySearch.search(xs, 7)
        #expect(r.found)
        #expect(r.index == 4)
        #expect(r.steps == 4)
        #expect(r.bound == 4)
        #expect(r.trace(xs) == [[1, 2, 4, 5, 7, 8, 10, 13], [7, 8, 10, 13], [7, 8], [7]])
        #expect(r.keptRanges == [0..<8, 4..<8, 4..<6, 4..<5])
    }

    @Test func missingTargetGivesInsertionIndex() throws {
        #expect(try BinarySearch.search(xs, 6) == BinarySearch.search(xs, 6))
        let r = try BinarySearch.search(xs, 6)
        #expect(!r.found)
        #expect(r.index == 4)
        #expect(try BinarySearch.search(xs, 0).index == 0)
        #expect(try BinarySearch.search(xs, 31).index == 16)
        #expect(try BinarySearch.search(xs, 30).index == 15)
        #expect(try BinarySearch.search(xs, 1).index == 0)
    }

    @Test func boundIsCeilLog2() {
        #expect(BinarySearch.bound(1) == 0)
        #expect(BinarySearch.bound(2) == 1)
        #expect(BinarySearch.bound(3) == 2)
        #expect(BinarySearch.bound(16) == 4)
        #expect(BinarySearch.bound(17) == 5)
        #expect(BinarySearch.bound(1_000_000) == 20)
    }

    @Test func singleElement() throws {
        let r = try BinarySearch.search([3], 3)
        #expect(r.found && r.index == 0 && r.steps == 0 && r.trace([3]).isEmpty)
        #expect(try BinarySearch.search([3], 4).index == 1)
    }

    @Test func errorsNameTheCulprit() {
        #expect(throws: SearchError.empty) { try BinarySearch.search([], 1) }
        #expect(throws: SearchError.unsorted(index: 3)) { try BinarySearch.search([1, 2, 5, 4, 6], 1) }
        #expect(throws: SearchError.nanTarget) { try BinarySearch.search([1, 2], .nan) }
        #expect(throws: SearchError.nanElement(index: 1)) { try BinarySearch.search([1, .nan, 3], 1) }
        #expect(SearchError.unsorted(index: 3).description == "vector is not sorted: element 3 is smaller than element 2")
    }

    @Test func sortedCacheValidatesOnceAndSeesWrites() throws {
        let cache = SortedVectorCache()
        var v: [Double] = [1, 3, 5, 7]
        #expect(try cache.search(v, 5).index == 2)
        #expect(cache.isKnownSorted(v))
        let alias = v
        #expect(cache.isKnownSorted(alias))
        // A write copies the buffer (the cache shares it), so the changed vector is checked again.
        v[1] = 9
        #expect(!cache.isKnownSorted(v))
        #expect(throws: SearchError.unsorted(index: 2)) { try cache.search(v, 5) }
        #expect(try cache.search(alias, 7).index == 3)
    }

    /// Against a linear scan on random sorted vectors with duplicates.
    @Test func agreesWithLinearScan() throws {
        var rng = Random(seed: 11)
        for _ in 0..<400 {
            let n = 1 + rng.int(below: 70)
            let v = (0..<n).map { _ in Double(rng.int(below: 40)) }.sorted()
            try BinarySearch.validate(v)
            for _ in 0..<10 {
                let t = Double(rng.int(below: 44)) - 2 + (rng.int(below: 3) == 0 ? 0.5 : 0)
                let r = try BinarySearch.searchSorted(v, t)
                let last = v.lastIndex(of: t)
                #expect(r.found == (last != nil))
                if let last {
                    #expect(r.index == last)
                } else {
                    #expect(r.index == (v.firstIndex { $0 > t } ?? n))
                }
                #expect(r.steps <= r.bound)
                // Every kept half holds the target's position and halves the previous one.
                var width = n
                for range in r.keptRanges {
                    #expect(range.count == width / 2 || range.count == width - width / 2)
                    width = range.count
                }
                #expect(width == 1)
            }
        }
    }
}

@Suite struct IntervalSearchTests {
    @Test func goldenFindsParabolaMinimum() throws {
        var calls = 0
        let r = try IntervalSearch.golden({ x in calls += 1; return (x - 1.3) * (x - 1.3) + 2 }, lo: -4, hi: 5, tol: 1e-6)
        #expect(abs(r.x - 1.3) < 1e-6)
        #expect(abs(r.loss - 2) < 1e-12)
        #expect(r.evaluations == calls)
        #expect(r.steps == r.bound)
        #expect(r.bound == IntervalSearch.goldenBound(width: 9, tol: 1e-6))
        #expect(r.trace.count == r.steps)
        let last = r.trace.last!
        #expect(last.hi - last.lo <= 1e-6 * 1.0001)
        for (i, iv) in r.trace.enumerated() where i > 0 {
            #expect(iv.lo >= r.trace[i - 1].lo && iv.hi <= r.trace[i - 1].hi)
            #expect(iv.lo <= 1.3 && 1.3 <= iv.hi)
        }
    }

    @Test func goldenOnEndpointMinimum() throws {
        let r = try IntervalSearch.golden({ $0 }, lo: 2, hi: 3, tol: 1e-9)
        #expect(abs(r.x - 2) < 1e-8)
    }

    @Test func bisectFindsRootOfCosine() throws {
        let r = try IntervalSearch.bisect(cos, lo: 0, hi: 3, tol: 1e-10)
        #expect(abs(r.x - Double.pi / 2) < 1e-10)
        #expect(abs(r.loss) < 1e-10)
        #expect(r.steps <= r.bound)
        #expect(r.bound == Int(log2(3 / 1e-10).rounded(.up)))
        #expect(r.trace.allSatisfy { $0.lo <= Double.pi / 2 && Double.pi / 2 <= $0.hi })
    }

    @Test func bisectNeedsSignChange() {
        #expect(throws: SearchError.sameSign(lo: 0, hi: 1, flo: 1, fhi: cos(1))) {
            try IntervalSearch.bisect(cos, lo: 0, hi: 1)
        }
        let d = SearchError.sameSign(lo: 0, hi: 1, flo: 1, fhi: 0.5).description
        #expect(d.contains("same sign"))
    }

    @Test func gridEvaluatesNPoints() throws {
        var calls = 0
        let r = try IntervalSearch.grid({ x in calls += 1; return abs(x - 0.3) }, lo: 0, hi: 1, n: 11)
        #expect(calls == 11 && r.evaluations == 11)
        #expect(abs(r.x - 0.3) < 1e-12)
        #expect(r.trace.count == 1)
        #expect(abs(r.trace[0].lo - 0.2) < 1e-12 && abs(r.trace[0].hi - 0.4) < 1e-12)
    }

    @Test func badArguments() {
        #expect(throws: SearchError.badInterval(lo: 1, hi: 1)) { try IntervalSearch.golden({ $0 }, lo: 1, hi: 1) }
        #expect(throws: SearchError.badTolerance(0)) { try IntervalSearch.golden({ $0 }, lo: 0, hi: 1, tol: 0) }
        #expect(throws: SearchError.badGridSize(1)) { try IntervalSearch.grid({ $0 }, lo: 0, hi: 1, n: 1) }
        #expect(throws: SearchError.nanLoss(x: 0)) { try IntervalSearch.grid({ _ in .nan }, lo: 0, hi: 1, n: 3) }
    }

    /// hi - lo overflowing to inf, or width / tol over- or underflowing, made the step bound
    /// Int(inf), which traps.
    @Test func extremeWidthsAndTolerancesKeepTheBoundFinite() throws {
        for method in IntervalSearch.Method.allCases {
            #expect(throws: SearchError.wideInterval(lo: -1e308, hi: 1e308)) {
                try IntervalSearch.run(method, { $0 }, lo: -1e308, hi: 1e308)
            }
        }
        #expect(SearchError.wideInterval(lo: -1e308, hi: 1e308).description == "interval [-1e+308, 1e+308] is too wide: hi - lo overflows to inf")
        // log2(1e300 / 1e-300) is 1993.2; from 1e300 (or the widest double) down to the
        // smallest subnormal, 1996.6 + 1074 and 1024 + 1074.
        let tiny = Double.leastNonzeroMagnitude
        #expect(IntervalSearch.bisectBound(width: 1e300, tol: 1e-300) == 1994)
        #expect(IntervalSearch.bisectBound(width: 1e300, tol: tiny) == 2071)
        #expect(IntervalSearch.bisectBound(width: .greatestFiniteMagnitude, tol: tiny) == 2098)
        #expect(IntervalSearch.goldenBound(width: 1e300, tol: 1e-300) == 2871)
        #expect(IntervalSearch.goldenBound(width: .greatestFiniteMagnitude, tol: tiny) == 3023)
        // Degenerate inputs give no steps instead of trapping.
        #expect(IntervalSearch.goldenBound(width: .nan, tol: 1) == 0)
        #expect(IntervalSearch.bisectBound(width: .infinity, tol: 1) == 0)
        #expect(IntervalSearch.bisectBound(width: 1, tol: 0) == 0)
        let r = try IntervalSearch.bisect({ $0 - 1 }, lo: 0, hi: 1e300, tol: 1e-300)
        #expect(r.x == 1 && r.steps <= r.bound)
        let g = try IntervalSearch.golden({ ($0 - 1) * ($0 - 1) }, lo: 0, hi: 1e300, tol: 1e-300)
        #expect(abs(g.x - 1) < 1e-6 && g.steps <= g.bound)
    }

    struct Boom: Error {}

    @Test func objectiveErrorsPassThrough() {
        #expect(throws: Boom.self) { try IntervalSearch.golden({ _ in throw Boom() }, lo: 0, hi: 1) }
        #expect(throws: Boom.self) { try IntervalSearch.run(.bisect, { _ in throw Boom() }, lo: 0, hi: 1) }
    }
}
