import Foundation
import Testing
@testable import PsearchCore

/// Binned main-effect variance: shares sum to 1 and match variance splits known in closed form.
@Suite struct ImportanceTests {
    /// n points uniform on [0, 1]^d from a fixed seed.
    static func sample(_ n: Int, _ d: Int, seed: UInt64 = 7) -> [[Double]] {
        var r = Random(seed: seed)
        return (0..<d).map { _ in (0..<n).map { _ in r.uniform() } }
    }

    @Test func aFunctionOfOneParameterGivesItAll() {
        let x = Self.sample(300, 3)
        let y = (0..<300).map { x[0][$0] * x[0][$0] }
        let s = Importance.shares(x.map { Importance.Column($0, categorical: false) }, losses: y)
        #expect(abs(s.reduce(0, +) - 1) < 1e-12)
        // The others' estimates are noise around 0 clipped at 0, so they keep a little (0.02
        // between them over 300 trials); nothing else varies here.
        #expect(s[0] > 0.97)
    }

    /// y = 2 x1 + x2 with x uniform: Var = 4/12 and 1/12, shares 0.8 and 0.2. Binning x into 10
    /// equal-count bins keeps (1 - 1/B^2) of a linear effect's variance, the same factor for
    /// both, so the ratio survives. What is left is sampling error: over 2,000 trials the worst
    /// of these 20 seeds is 0.035 from 0.8 (the sample's own variances of x1 and x2 differ from
    /// 1/12 by a few percent), so the tolerance is 0.045.
    @Test func anAdditiveFunctionSplitsAsItsVariances() {
        var worst = 0.0
        for seed: UInt64 in 1...20 {
            let x = Self.sample(2000, 3, seed: seed)
            let y = (0..<2000).map { 2 * x[0][$0] + x[1][$0] }
            let s = Importance.shares(x.map { Importance.Column($0, categorical: false) }, losses: y)
            worst = max(worst, abs(s[0] - 0.8))
        }
        #expect(worst < 0.045, "worst \(worst)")
    }

    /// A choice with its own mean per value: (0, 0, 3) over three equally likely values has
    /// variance 2; x uniform scaled by sqrt(24) has variance 2 too, so both get half.
    @Test func choicesAreBinsOfTheirOwn() {
        let n = 600
        let x = Self.sample(n, 1, seed: 11)[0]
        let c = (0..<n).map { Double($0 % 3) }
        let y = (0..<n).map { (c[$0] == 2 ? 3.0 : 0) + 24.0.squareRoot() * x[$0] }
        let s = Importance.shares([Importance.Column(c, categorical: true), Importance.Column(x, categorical: false)], losses: y)
        #expect(abs(s[0] - 0.5) < 0.05, "\(s)")
    }

    @Test func aConstantLossOrTooFewTrialsShareEqually() {
        let x = Self.sample(10, 2)
        #expect(Importance.shares(x.map { Importance.Column($0, categorical: false) }, losses: [Double](repeating: 1, count: 10)) == [0.5, 0.5])
        #expect(Importance.shares(x.map { Importance.Column(Array($0.prefix(3)), categorical: false) }, losses: [1, 2, 3]) == [0.5, 0.5])
    }

    @Test func aSearchResultIsReadInTheSpacesOrder() throws {
        let space = SearchSpace([.init("lr", .logRange(1e-4, 1)), .init("act", .choices([.string("relu"), .string("tanh")]))])
        var o = SearchOptions(method: .random, trials: 60, seed: 3, workers: 1)
        o.prune = nil
        let r = try Trials.search(space: space, options: o) { t in
            let lr = t.params["lr"]!.double!
            return (log10(lr) + 2) * (log10(lr) + 2)
        }
        let s = Importance.shares(r)
        #expect(s.map(\.name) == ["lr", "act"])
        #expect(s[0].share > 0.95)
    }
}
