import Foundation
import Testing
@testable import PsearchCore

/// The metrics beside scikit-learn's on fixed vectors: metrics-sklearn.json, written by
/// scripts/metrics-sklearn.py with scikit-learn 1.9.1. Every case, score and average in it is
/// checked.
@Suite struct MetricsTests {
    static var reference: [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("metrics-sklearn.json")
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func near(_ a: Double, _ b: Double) -> Bool {
        a.isNaN ? b.isNaN : abs(a - b) <= 1e-12
    }

    /// A JSON score: a number, or null for NaN.
    static func value(_ v: Any) -> Double { (v as? NSNumber)?.doubleValue ?? .nan }

    /// Checks precision, recall and f1 of `table` (score -> average -> value) on `counts`.
    static func check(_ table: [String: Any], _ counts: Metrics.Counts, zeroDivision: Double, _ label: String) -> Int {
        var checked = 0
        for score in Metrics.Score.allCases {
            let averages = table[score.rawValue] as! [String: Any]
            for (name, expected) in averages {
                if name == "None" {
                    let got = Metrics.perClass(score, counts, zeroDivision: zeroDivision)
                    let want = (expected as! [Any]).map(value)
                    #expect(got.count == want.count && zip(got, want).allSatisfy(near), "\(label) \(score) None: \(got) vs \(want)")
                } else {
                    let average = Metrics.Average(rawValue: name)!
                    let got = Metrics.averaged(score, counts, average: average, zeroDivision: zeroDivision)
                    #expect(near(got, value(expected)), "\(label) \(score) \(name): \(got) vs \(value(expected))")
                }
                checked += 1
            }
        }
        return checked
    }

    @Test func classificationMatchesScikitLearn() {
        #expect(Self.reference["scikit-learn"] as? String == "1.9.1")
        var checked = 0
        for name in ["multiclass", "multiclass_uneven", "binary", "never_predicted"] {
            let c = Self.reference[name] as! [String: Any]
            let truth = (c["y_true"] as! [Int]), predicted = (c["y_pred"] as! [Int])
            let k = (truth + predicted).max()! + 1
            let counts = Metrics.Counts(truth: truth, predicted: predicted, classes: k)
            // Micro precision of one label per row is the accuracy.
            #expect(Self.near(Metrics.averaged(.precision, counts, average: .micro), Self.value(c["accuracy"]!)), "\(name) accuracy")
            checked += Self.check(c, counts, zeroDivision: 0, name)
            if let one = c["zero_division_1"] as? [String: Any] { checked += Self.check(one, counts, zeroDivision: 1, name + " zero_division=1") }
            if let nan = c["zero_division_nan"] as? [String: Any] { checked += Self.check(nan, counts, zeroDivision: .nan, name + " zero_division=nan") }
        }
        // 3 + 3 + 2 + 3 x 3 scores, 4 or 2 averages each.
        #expect(checked == 12 + 12 + 6 + 36)
    }

    @Test func regressionMatchesScikitLearn() {
        let c = Self.reference["regression"] as! [String: Any]
        let y = (c["y_true"] as! [Any]).map(Self.value), p = (c["y_pred"] as! [Any]).map(Self.value)
        #expect(Self.near(Metrics.r2(truth: y, predicted: p), Self.value(c["r2_score"]!)))
        #expect(Self.near(Metrics.mse(truth: y, predicted: p), Self.value(c["mean_squared_error"]!)))
        #expect(Self.near(Metrics.mae(truth: y, predicted: p), Self.value(c["mean_absolute_error"]!)))
    }

    @Test func constantTargetAndAbsentClasses() {
        // scikit-learn's force_finite: a constant target scores 1 when fitted exactly, else 0.
        #expect(Metrics.r2(truth: [2, 2, 2], predicted: [2, 2, 2]) == 1)
        #expect(Metrics.r2(truth: [2, 2, 2], predicted: [2, 2, 3]) == 0)
        // A class in neither the truth nor the predictions is left out of the macro mean, as
        // scikit-learn's default labels (the ones that occur) leave it out.
        let counts = Metrics.Counts(truth: [0, 0, 1], predicted: [0, 1, 1], classes: 4)
        #expect(counts.present == [true, true, false, false])
        #expect(Metrics.averaged(.precision, counts, average: .macro) == (1 + 0.5) / 2)
        #expect(Metrics.perClass(.recall, counts) == [0.5, 1, 0, 0])
    }
}
