/// Scores of predictions against the truth, defined as scikit-learn's `sklearn.metrics` defines
/// them (tested against its answers in Tests/PsearchCoreTests/metrics-sklearn.json).
public enum Metrics {
    // MARK: - Regression

    /// The coefficient of determination, 1 - Σ(y - p)² / Σ(y - ȳ)²: 1 is a perfect fit, 0 the
    /// mean's, below 0 worse than the mean. With a constant target it is 1 for a perfect fit
    /// and 0 otherwise (scikit-learn's `force_finite`).
    public static func r2(truth y: [Double], predicted p: [Double]) -> Double {
        precondition(y.count == p.count && !y.isEmpty)
        let mean = y.reduce(0, +) / Double(y.count)
        var residual = 0.0, total = 0.0
        for (t, q) in zip(y, p) {
            residual += (t - q) * (t - q)
            total += (t - mean) * (t - mean)
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// The mean squared error.
    public static func mse(truth y: [Double], predicted p: [Double]) -> Double {
        precondition(y.count == p.count && !y.isEmpty)
        return zip(y, p).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(y.count)
    }

    /// The mean absolute error.
    public static func mae(truth y: [Double], predicted p: [Double]) -> Double {
        precondition(y.count == p.count && !y.isEmpty)
        return zip(y, p).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(y.count)
    }

    // MARK: - Classification

    public enum Score: String, Sendable, CaseIterable {
        case precision, recall, f1
    }

    /// How per-class scores become one number.
    public enum Average: String, Sendable, CaseIterable {
        /// The positive class's score (class 1 of 2).
        case binary
        /// The mean over the classes, each counting the same.
        case macro
        /// From the counts pooled over the classes (for one label per row: the accuracy).
        case micro
        /// The mean over the classes weighted by how many rows each has in the truth.
        case weighted
    }

    /// Per-class counts of a k-class prediction.
    public struct Counts: Sendable, Equatable {
        public var truePositive: [Int]
        public var falsePositive: [Int]
        public var falseNegative: [Int]
        /// Classes that occur in the truth or the predictions: the ones averages run over,
        /// as scikit-learn's default `labels` are.
        public var present: [Bool]

        public init(truth: [Int], predicted: [Int], classes k: Int) {
            precondition(truth.count == predicted.count)
            truePositive = Array(repeating: 0, count: k)
            falsePositive = truePositive
            falseNegative = truePositive
            present = Array(repeating: false, count: k)
            for (t, p) in zip(truth, predicted) {
                present[t] = true
                present[p] = true
                if t == p {
                    truePositive[t] += 1
                } else {
                    falsePositive[p] += 1
                    falseNegative[t] += 1
                }
            }
        }

        /// Rows of each class in the truth.
        public var support: [Int] { zip(truePositive, falseNegative).map { $0 + $1 } }
    }

    /// One score for each class; `zeroDivision` where it is 0/0 (a class never predicted has
    /// no precision; one absent from the truth no recall): 0 by default, as scikit-learn gives
    /// (with a warning), or 1 or nan.
    public static func perClass(_ score: Score, _ c: Counts, zeroDivision: Double = 0) -> [Double] {
        (0..<c.truePositive.count).map { i in
            ratio(score, c.truePositive[i], c.falsePositive[i], c.falseNegative[i], zeroDivision: zeroDivision)
        }
    }

    /// One score from its counts: tp/(tp+fp), tp/(tp+fn), 2tp/(2tp+fp+fn); `zeroDivision` for 0/0.
    private static func ratio(_ score: Score, _ tp: Int, _ fp: Int, _ fn: Int, zeroDivision: Double) -> Double {
        let (tp, fp, fn) = (Double(tp), Double(fp), Double(fn))
        let (num, den): (Double, Double) = switch score {
        case .precision: (tp, tp + fp)
        case .recall: (tp, tp + fn)
        case .f1: (2 * tp, 2 * tp + fp + fn)
        }
        return den == 0 ? zeroDivision : num / den
    }

    /// One averaged score. `.binary` needs 2 classes and scores class 1. A nan per-class
    /// score (`zeroDivision: .nan`) is left out of the macro and weighted means.
    public static func averaged(_ score: Score, _ c: Counts, average: Average, zeroDivision: Double = 0) -> Double {
        switch average {
        case .binary:
            precondition(c.truePositive.count == 2, "binary needs 2 classes")
            return ratio(score, c.truePositive[1], c.falsePositive[1], c.falseNegative[1], zeroDivision: zeroDivision)
        case .micro:
            return ratio(score, c.truePositive.reduce(0, +), c.falsePositive.reduce(0, +), c.falseNegative.reduce(0, +),
                         zeroDivision: zeroDivision)
        case .macro, .weighted:
            let scores = perClass(score, c, zeroDivision: zeroDivision)
            let support = c.support
            var sum = 0.0, weight = 0.0
            for i in scores.indices where c.present[i] && !scores[i].isNaN {
                let w = average == .macro ? 1 : Double(support[i])
                sum += w * scores[i]
                weight += w
            }
            return weight == 0 ? zeroDivision : sum / weight
        }
    }
}

extension Model {
    /// The model's class for each row of `data` beside the truth, for the metric `name`.
    public func counts(on data: Dataset, for name: String) throws(ModelError) -> Metrics.Counts {
        try checkData(data)
        guard data.kind == .classification else {
            throw .badArgument("\(name) needs a classification set; use r2, mse or mae for regression")
        }
        let k = max(data.k, outputSize == 1 ? 2 : outputSize)
        return Metrics.Counts(truth: data.labels, predicted: try classify(data.X), classes: k)
    }

    /// Predictions for the rows of a regression set, beside its targets, for the metric `name`.
    public func regressionPredictions(on data: Dataset, for name: String) throws(ModelError) -> [Double] {
        try checkData(data)
        guard data.kind == .regression else {
            throw .badArgument("\(name) needs a regression set; use accuracy, precision, recall or f1 for classes")
        }
        return try predict(data.X).data
    }
}
