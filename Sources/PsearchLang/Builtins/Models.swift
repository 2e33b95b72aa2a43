import Foundation
import PsearchCore

/// A model as a psearch value: the core's `Model` (a map R^d -> R^k with a flat weight vector)
/// plus, after `train`, how it got there. Callable: `m(x)` gives the outputs for one input.
///
/// Fields: `history` (record of `train_loss`, `val_loss`, `val_acc` vectors), `path` (matrix:
/// row e is the flat weights after epoch e, row 0 the start), `note` (why training stopped
/// early, or nil), `epochs`, `sizes`, `family`, `act`. Untrained models have nil history/path.
public final class ModelObject: NativeObject {
    public let model: Model
    public let history: TrainHistory?
    public let path: Tensor?
    public let note: String?
    public let epochsRun: Int

    public init(_ model: Model, history: TrainHistory? = nil, path: Tensor? = nil, note: String? = nil, epochsRun: Int = 0) {
        self.model = model
        self.history = history
        self.path = path
        self.note = note
        self.epochsRun = epochsRun
    }

    public override var typeName: String { "model" }
    /// "mlp R^105 -> R^16 -> R^2 (1,730 weights)"
    public override var description: String { model.description }

    public override var fieldNames: [String] { ["history", "path", "note", "epochs", "sizes", "family", "act"] }

    /// A trained model at the prompt: its map, then how training went.
    public override func summary(_ echo: Echo) -> String? {
        guard let h = history, epochsRun > 0 else { return nil }
        var lines = [model.description + ", " + model.activation.rawValue]
        var how = "  trained \(epochsRun) epoch\(epochsRun == 1 ? "" : "s")"
        if let l = h.trainLoss.last { how += ": train loss \(brief(l))" }
        if let l = h.valLoss.last { how += ", val loss \(brief(l))" }
        if let a = h.valAccuracy.last { how += ", val accuracy \(brief(a))" }
        lines.append(how)
        if let note { lines.append("  note: " + note) }
        lines.append("  history: train_loss, val_loss, val_acc per epoch; path: " + (path.map { echo.inline(.tensor($0), 24) } ?? "none"))
        return lines.map { $0.clipped(echo.width) }.joined(separator: "\n")
    }

    public override func field(_ name: String) -> Value? {
        switch name {
        case "history":
            return history.map { .object(ResultObject(.history($0))) } ?? Value.none
        case "path": return path.map { .tensor($0) } ?? Value.none
        case "note": return note.map { .string($0) } ?? Value.none
        case "epochs": return .number(Double(epochsRun))
        case "sizes": return .tensor(Tensor(model.sizes.map(Double.init)))
        case "family": return .string(model.family.rawValue)
        case "act": return .string(model.activation.rawValue)
        default: return nil
        }
    }

    /// `m(x)`: the outputs for one input of d numbers (any shape: an image is flattened), or
    /// for every row of an n x d matrix.
    public override func call(_ args: [Value], _ interp: Interpreter) throws -> Value? {
        guard args.count == 1 else { throw RuntimeError("a model takes 1 argument (an input), got \(args.count)") }
        guard let x = try interp.asTensor(args[0]) else { throw RuntimeError("a model maps numbers, got \(args[0].typeName)") }
        return try Builtins.outputs(model, x)
    }
}

extension Builtins {
    /// Models as maps: the four families, evaluation, weights, training and automl.
    static let models: [Builtin] = [
        Builtin(BuiltinSpec("linear", "a linear regression model R^d -> R^k (squared error), weights 0", example: "linear(3)",
                            [Param("d", .int, range: 1...1_000_000), Param("k", .int, default: 1, range: 1...1_000_000)])) { c in
            let d = try c.int("d"), k = try c.int("k")
            return try modelValue { () throws(ModelError) in try .linear(d: d, k: k) }
        },
        Builtin(BuiltinSpec("logistic", "logistic regression R^d -> probability of class 1, weights 0", example: "logistic(2)",
                            [Param("d", .int, range: 1...1_000_000)])) { c in
            let d = try c.int("d")
            return try modelValue { () throws(ModelError) in try .logistic(d: d) }
        },
        Builtin(BuiltinSpec("softmax", "multinomial logistic regression R^d -> k class probabilities, weights 0", example: "softmax(64, 10)",
                            [Param("d", .int, range: 1...1_000_000), Param("k", .int, range: 2...1_000_000)])) { c in
            let d = try c.int("d"), k = try c.int("k")
            return try modelValue { () throws(ModelError) in try .softmax(d: d, k: k) }
        },
        Builtin(BuiltinSpec("mlp",
                            "a multi-layer perceptron with layer widths [d, h1, ..., k] (Glorot-uniform weights)",
                            example: "mlp([105, 16, 2], act: \"tanh\", seed: 1)",
                            [Param("sizes", .vector), Param("act", .choice(Activation.allCases.map(\.rawValue)), default: "relu"), .seed])) { c in
            let t = try c.vector("sizes")
            guard t.count >= 2 else { throw c.bad("sizes", "at least [inputs, outputs] expected, got \(t.count) size\(t.count == 1 ? "" : "s")") }
            var sizes: [Int] = []
            for x in t.data {
                sizes.append(try checkedInt(x, min: 1, max: 1_000_000) { m throws(RuntimeError) in throw c.bad("sizes", "layer size: \(m)") })
            }
            guard Double(Model.parameterCount(sizes: sizes)) <= Double(c.interp.limits.maxElements) else {
                throw c.bad("sizes", "\(Model.parameterCount(sizes: sizes)) weights are over the tensor size limit")
            }
            let act = try c.choice("act")
            let seed = try seedArgument(&c)
            return try modelValue { () throws(ModelError) in try .mlp(sizes: sizes, activation: Activation(rawValue: act)!, seed: seed) }
        },
        Builtin(BuiltinSpec("predict", "the model's outputs for every row of X (a matrix or a dataset): n x k, or n for one output",
                            example: "predict(logistic(2), [[0, 1], [1, 0]])", [Param("m", .model), Param("X", .any)])) { c in
            let m = try modelArgument(c, "m")
            let v = try c.required("X")
            let x = if let (d, _) = try? dataset(from: v) { d.X } else { try c.tensor("X") }
            if let i = x.data.firstIndex(where: { !$0.isFinite }) {
                throw c.bad("X", "element \(i) is \(formatNumber(x.data[i])): a model cannot predict from nan or infinity")
            }
            return try outputs(m, x)
        },
        Builtin(BuiltinSpec("params", "all weights of a model as one flat vector: a point in weight space",
                            example: "len(params(mlp([2, 3, 1], seed: 1)))", [Param("m", .model)])) { c in
            .tensor(Tensor(try modelArgument(c, "m").params))
        },
        Builtin(BuiltinSpec("with_params", "the same model with the flat weight vector w",
                            example: "with_params(logistic(2), [1, -1, 0])", [Param("m", .model), Param("w", .vector)])) { c in
            let m = try modelArgument(c, "m")
            let w = try c.vector("w")
            do throws(ModelError) { return .object(ModelObject(try m.withParams(w.data))) } catch { throw c.bad("w", error.description) }
        },
        Builtin(BuiltinSpec("accuracy", "the fraction of rows the model classifies correctly",
                            example: "accuracy(logistic(2), dataset(\"moons\", seed: 1))", modelAndDataParams)) { c in
            let (m, d) = try modelAndData(c)
            return .number(try modelCall { () throws(ModelError) in try m.accuracy(on: d) })
        },
        Builtin(BuiltinSpec("loss", "the mean loss on the data: cross-entropy for classifiers, squared error for linear",
                            example: "loss(logistic(2), dataset(\"moons\", seed: 1))", modelAndDataParams)) { c in
            let (m, d) = try modelAndData(c)
            return .number(try modelCall { () throws(ModelError) in try m.loss(on: d) })
        },
        Builtin(BuiltinSpec("confusion", "k x k counts: row = true class, column = predicted class",
                            example: "confusion(logistic(2), dataset(\"moons\", seed: 1))", modelAndDataParams)) { c in
            let (m, d) = try modelAndData(c)
            return .tensor(try modelCall { () throws(ModelError) in try m.confusion(on: d) })
        },
        regressionMetric("r2", "the coefficient of determination on a regression set, 1 - squared error / variance of the targets: 1 is a perfect fit, 0 the mean's", Metrics.r2),
        regressionMetric("mse", "the mean squared error on a regression set", Metrics.mse),
        regressionMetric("mae", "the mean absolute error on a regression set", Metrics.mae),
        classMetric(.precision, "of the rows predicted as a class, the fraction that are it"),
        classMetric(.recall, "of the rows of a class, the fraction predicted as it"),
        classMetric(.f1, "the harmonic mean of precision and recall"),
        Builtin(BuiltinSpec("train",
                            "a trained copy of the model (minibatch gradient descent) with its history and path through weight space; val: 0.2 holds out 20% of the rows for the validation history (val: 0 trains on every row); optimizer: gd (or sgd), momentum, nesterov, adagrad, rmsprop or adam, the same names and torch.optim rules as descend's method:",
                            example: "train(logistic(2), dataset(\"moons\", seed: 1), epochs: 5).history.train_loss",
                            modelAndDataParams + trainOptions)) { c in
            try train(&c)
        },
        Builtin(BuiltinSpec("automl",
                            "the machine designs the model: races softmax and MLP designs by successive halving; {model, leaderboard, trials}",
                            example: "automl(dataset(\"moons\", seed: 1), budget: 3).model",
                            [Param("data", .dataset), Param("budget", .int, default: .number(automlTrials), range: 1...100_000),
                             Param("seconds", .number, default: .optional, range: Param.Range("> 0", "must be a positive number of seconds") { $0 > 0 && $0.isFinite }),
                             .seed, Param("workers", .int, default: .optional, range: 1...1024)])) { c in
            try automl(&c)
        },
    ]

    static let modelAndDataParams = [Param("m", .model), Param("data", .dataset)]

    /// `train`'s options; the defaults are the core's.
    static let trainOptions: [Param] = {
        let o = TrainOptions()
        return [
            Param("lr", .number, default: .number(o.lr), range: Param.Range.positive.saying("must be a positive number")),
            Param("epochs", .int, default: .number(o.epochs), range: 1...10_000_000),
            Param("batch", .int, default: .number(o.batch), range: 1...),
            Param("optimizer", optimizerChoice, default: .string(o.optimizer.rawValue)),
            Param("val", .number, default: .number(o.validation),
                  range: Param.Range("0 <= val < 1", "must be a fraction in [0, 1)") { $0 >= 0 && $0 < 1 }),
            Param("l2", .number, default: .number(o.l2), range: .finiteNonNegative),
            Param("patience", .int, default: .optional, range: 1...), .seed,
            Param("live", .bool, default: .bool(false)),
        ]
    }()

    /// The core's default trial budget of `automl`.
    static var automlTrials: Int {
        if case .trials(let n) = AutoMLOptions.defaultBudget { return n }
        preconditionFailure("AutoMLOptions' default budget is a number of trials")
    }

    /// `name(m, data)` for a regression set, scored as scikit-learn's function of that name does.
    static func regressionMetric(_ name: String, _ summary: String, _ score: @escaping @Sendable ([Double], [Double]) -> Double) -> Builtin {
        Builtin(BuiltinSpec(name, summary,
                            example: "\(name)(train(linear(1), dataset(\"linear\", seed: 1), epochs: 20), dataset(\"linear\", seed: 2))",
                            modelAndDataParams)) { c in
            let (m, d) = try modelAndData(c)
            let p = try modelCall { () throws(ModelError) in try m.regressionPredictions(on: d, for: name) }
            return .number(score(d.y, p))
        }
    }

    /// `precision`, `recall` or `f1` of a classifier, with scikit-learn's averages.
    static func classMetric(_ score: Metrics.Score, _ what: String) -> Builtin {
        let name = score.rawValue
        return Builtin(BuiltinSpec(
            name,
            "\(what); average: \"binary\" (class 1's score: the default for 2 classes), \"macro\" (the default for more), \"micro\", \"weighted\" or \"none\" (a vector, one per class); a 0/0 score (a class never predicted, or absent from the data) is zero_division: 0, 1 or nan, as in scikit-learn",
            example: "\(name)(train(logistic(2), dataset(\"moons\", seed: 1), epochs: 5), dataset(\"moons\", seed: 2))",
            modelAndDataParams + [
                Param("average", .choice(["binary", "macro", "micro", "weighted", "none"]), default: .optional),
                Param("zero_division", .number, default: 0),
            ])) { c in
            let (m, d) = try modelAndData(c)
            let counts = try modelCall { () throws(ModelError) in try m.counts(on: d, for: name) }
            let k = counts.present.count
            let average = try c.choice("average", or: k == 2 ? "binary" : "macro")
            let zero = try c.number("zero_division")
            guard zero == 0 || zero == 1 || zero.isNaN else { throw c.bad("zero_division", "is 0, 1 or nan, got \(Value.number(zero).display)") }
            if average == "none" { return .tensor(Tensor(Metrics.perClass(score, counts, zeroDivision: zero))) }
            if average == "binary" && k != 2 {
                throw c.bad("average", "\"binary\" scores class 1 of 2, and the data has \(k) classes: say \"macro\", \"micro\", \"weighted\" or \"none\"")
            }
            return .number(Metrics.averaged(score, counts, average: Metrics.Average(rawValue: average)!, zeroDivision: zero))
        }
    }

    static func modelValue(_ make: () throws(ModelError) -> Model) throws(RuntimeError) -> Value {
        .object(ModelObject(try modelCall(make)))
    }

    static func modelCall<T>(_ body: () throws(ModelError) -> T) throws(RuntimeError) -> T {
        do { return try body() } catch { throw RuntimeError(error.description) }
    }

    static func modelArgument(_ c: Call, _ name: String) throws(RuntimeError) -> Model {
        let v = try c.required(name)
        guard case .object(let o as ModelObject) = v else {
            throw c.bad(name, "model expected (from linear, logistic, softmax, mlp or train), got \(v.typeName)")
        }
        return o.model
    }

    static func modelAndData(_ c: Call) throws(RuntimeError) -> (Model, Dataset) {
        (try modelArgument(c, "m"), try modelData(c, "data").0)
    }

    /// One input (any shape with d elements) -> a vector of k outputs; an n x d matrix -> n x k
    /// (n for a single output).
    static func outputs(_ m: Model, _ x: Tensor) throws(RuntimeError) -> Value {
        if x.rank == 2 && x.shape[1] == m.inputSize && !(x.shape[0] == 1 && x.rank == 1) {
            let p = try modelCall { () throws(ModelError) in try m.predict(x) }
            return .tensor(m.outputSize == 1 ? Tensor(p.data) : p)
        }
        return .tensor(try modelCall { () throws(ModelError) in try m(x) })
    }

    // MARK: - train

    static func train(_ c: inout Call) throws -> Value {
        let m = try modelArgument(c, "m")
        let (data, _) = try modelData(c, "data")
        var o = TrainOptions()
        o.lr = try c.number("lr")
        o.epochs = try c.int("epochs")
        o.batch = try c.int("batch")
        o.optimizer = try optimizerMethod(c, "optimizer")
        o.validation = try c.number("val")
        o.l2 = try c.number("l2")
        if c.given("patience") {
            o.patience = try c.int("patience")
            guard o.validation > 0 else { throw c.bad("patience", "stops on the held-out rows' loss, and val: 0 holds out none") }
        }
        o.seed = try seedArgument(&c)
        // The path costs (epochs + 1) x weights doubles: past this many it is not kept.
        let pathLimit = min(c.interp.limits.maxElements, 20_000_000)
        let pathCount = Double(o.epochs + 2) * Double(m.parameterCount)
        o.recordPath = pathCount <= Double(pathLimit)

        // A multiply-add per weight and row, forward and back, per epoch: about 100 to a step.
        try c.charge(Double(o.epochs) * Double(data.n) * Double(m.parameterCount + 1) / 100)
        let report = c.interp.progress
        var shown = false
        var lastShown = -1.0
        let live = try c.bool("live") ? LiveTraining(model: m, data: data, interp: c.interp) : nil
        let status: ((TrainProgress) -> Void)? = report.map { report in
            { p in
                // Only training that lasts shows a line, at most ten updates a second.
                guard p.elapsed >= 0.5, p.elapsed - lastShown >= 0.1 || p.epoch == p.epochs else { return }
                lastShown = p.elapsed
                shown = true
                report(.update(progressLine(p)))
            }
        }
        // A live view on a terminal carries the numbers in its title: no status line beside it.
        var progress = status
        if let live {
            progress = c.interp.liveFrame == nil ? { p in live.epoch(p); status?(p) } : { p in live.epoch(p) }
        }
        // Inside a search trial, every epoch's monitored loss goes to the trial (step = epoch),
        // and a prune ends training there.
        var reportError: Error?
        let trialReport: ((Int, Double) -> Bool)? = c.interp.trial.map { trial in
            { epoch, loss in
                do { return try trial.report(loss, step: epoch) } catch {
                    reportError = error
                    return true
                }
            }
        }
        let r: TrainResult
        do {
            r = try Training.train(m, on: data, options: o, progress: progress, report: trialReport)
        } catch {
            if shown { report?(.done) }
            throw RuntimeError(error.description)
        }
        if let reportError {
            if shown { report?(.done) }
            throw RuntimeError("train reports each epoch's loss to the search trial: \(reportError)")
        }
        if shown { report?(.done) }
        try live?.finish(weights: r.model.weights)
        var note = r.note
        if !o.recordPath {
            let skipped = "path not kept: \(o.epochs + 1) x \(m.parameterCount) weights is over \(pathLimit) numbers"
            note = note.map { $0 + "; " + skipped } ?? skipped
        }
        // A pruned trial's model says so in its note; the search counts them, so no line each.
        if let n = r.note, !r.pruned { report?(.note(n)) }
        var path: Tensor? = nil
        if o.recordPath, let w = r.path.first?.count {
            var flat = [Double]()
            flat.reserveCapacity(r.path.count * w)
            for row in r.path { flat.append(contentsOf: row) }
            path = Tensor(shape: [r.path.count, w], data: flat)
        }
        return .object(ModelObject(r.model, history: r.history, path: path, note: note, epochsRun: r.epochsRun))
    }

    /// "epoch 12/100  loss 0.3421  val acc 0.953  3 s left"
    static func progressLine(_ p: TrainProgress) -> String {
        var s = "epoch \(p.epoch)/\(p.epochs)  loss \(Descent.fmt(p.trainLoss, "%.4g"))"
        if let a = p.valAccuracy { s += "  val acc \(Descent.fmt(a, "%.3f"))" } else if let l = p.valLoss { s += "  val loss \(Descent.fmt(l, "%.4g"))" }
        let left = p.remaining
        if left.isFinite { s += left >= 90 ? "  \(Int((left / 60).rounded())) min left" : "  \(Int(left.rounded(.up))) s left" }
        return s
    }

    // MARK: - automl

    static func automl(_ c: inout Call) throws -> Value {
        let (data, _) = try modelData(c, "data")
        var o = AutoMLOptions(budget: .trials(try c.int("budget")))
        if c.given("seconds") {
            o.budget = .seconds(try c.number("seconds"))
        }
        o.seed = try seedArgument(&c)
        o.workers = try c.int("workers", or: o.workers)
        // Each trial trains a model of up to 128 units a layer for tens of epochs (a seconds budget
        // counts as 1,000 trials a second).
        let trials: Double
        switch o.budget {
        case .trials(let n): trials = Double(n)
        case .seconds(let s): trials = s * 1000
        }
        try c.charge(trials * Double(data.n) * Double(data.d + 1) * 128 * 30 / 100)
        let r: AutoMLResult
        do {
            r = try AutoML.run(data, options: o)
        } catch let e as RuntimeError {
            throw e
        } catch {
            throw RuntimeError("\(error)")
        }
        if let n = r.note { c.interp.progress?(.note(n)) }
        return .object(ResultObject(.automl(r, model: .object(ModelObject(r.model, note: r.note)))))
    }

    static func paramValue(_ p: ParamValue) -> Value {
        switch p {
        case .number(let x): return .number(x)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        }
    }
}
