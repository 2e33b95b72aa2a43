import Foundation
import Testing
@testable import PsearchCore

/// L-BFGS, BFGS, CG, Newton and Nelder–Mead beside scipy.optimize.
@Suite struct SecondOrderTests {
    static let methods: [String: SecondOrder.Method] = ["L-BFGS-B": .lbfgs, "BFGS": .bfgs, "CG": .cg, "Nelder-Mead": .nelderMead]

    struct Case {
        var function: String, start: [Double], method: String, x: [Double], fun: Double, nfev: Int, njev: Int
    }

    /// qn-scipy.json (scripts/qn-scipy.py, scipy 1.17.1): scipy's end point and counts for each
    /// problem and method, with scipy's default tolerances.
    static func scipyCases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("qn-scipy.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(json["scipy"] as? String == "1.17.1")
        return try #require(json["cases"] as? [[String: Any]]).map { c in
            Case(function: c["function"] as! String, start: c["start"] as! [Double], method: c["method"] as! String,
                 x: c["x"] as! [Double], fun: c["fun"] as! Double, nfev: c["nfev"] as! Int, njev: c["njev"] as! Int)
        }
    }

    static func run(_ c: Case) throws -> DescentResult {
        let tf = try #require(TestFunctions.named(c.function))
        return try SecondOrder.minimize(tf.objective, value: { tf.value($0) }, start: c.start, method: methods[c.method]!)
    }

    /// L-BFGS and BFGS end where scipy's do (the same one of Himmelblau's four minima, the same
    /// local minimum of Rosenbrock-10 for BFGS, x₀ ≈ −0.99), loss within 1e-6 of scipy's and the
    /// point within 1e-5 (both stop at gtol 1e-5 on an ill-conditioned valley, so the points agree
    /// only as far as that test pins them), with at most 1.5 times scipy's calls.
    @Test func quasiNewtonMatchesScipy() throws {
        for c in try Self.scipyCases() where c.method == "L-BFGS-B" || c.method == "BFGS" {
            let r = try Self.run(c)
            let what = "\(c.method) on \(c.function) from \(c.start)"
            #expect(r.converged, "\(what): \(r.message)")
            #expect(abs(r.loss - c.fun) <= 1e-6, "\(what): loss \(r.loss) vs scipy \(c.fun)")
            #expect(zip(r.x, c.x).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(what): \(r.x) vs scipy \(c.x)")
            #expect(Double(r.evaluations) <= 1.5 * Double(c.nfev), "\(what): \(r.evaluations) calls vs scipy's \(c.nfev)")
            #expect(r.gradientEvaluations == r.evaluations && Double(r.gradientEvaluations) <= 1.5 * Double(c.njev))
        }
    }

    /// CG (Polak–Ribière+) reaches scipy's point; its calls are not bounded by scipy's: scipy's CG
    /// line search is `line_search_wolfe1` (MINPACK's dcsrch) and this one is Nocedal–Wright's zoom.
    @Test func conjugateGradientReachesScipysPoint() throws {
        for c in try Self.scipyCases() where c.method == "CG" {
            let r = try Self.run(c)
            #expect(r.converged && abs(r.loss - c.fun) <= 1e-6, "\(c.function) from \(c.start): \(r.message)")
            #expect(zip(r.x, c.x).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(c.function) from \(c.start): \(r.x) vs \(c.x)")
        }
    }

    /// Nelder–Mead is scipy's step for step: the same point to 1e-4 and the same calls. Not on
    /// Rosenbrock-10: from (−1.2, 1, …) both run into the 2,000-call budget far from the valley,
    /// and the path follows the last bits of f (numpy's sum adds the nine terms in eight partial
    /// sums), so there the test is only that psearch also stops at the budget.
    @Test func nelderMeadMatchesScipy() throws {
        for c in try Self.scipyCases() where c.method == "Nelder-Mead" {
            let r = try Self.run(c)
            if c.start.count == 10 {
                #expect(r.termination == .budget && r.evaluations == 2000)
                continue
            }
            #expect(r.termination == .stepTolerance, "\(c.function) from \(c.start): \(r.message)")
            #expect(zip(r.x, c.x).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(c.function) from \(c.start): \(r.x) vs \(c.x)")
            #expect(r.evaluations == c.nfev && r.gradientEvaluations == 0)
        }
    }
}
