import Foundation

/// Settings of one `Training.train` run; the defaults are the language's defaults.
public struct TrainOptions: Sendable, Equatable {
    /// The optimiser's hyper-parameters, the learning rate among them.
    public var settings: Optimizer.Settings
    public var lr: Double {
        get { settings.lr }
        set { settings.lr = newValue }
    }
    public var epochs: Int
    public var batch: Int
    /// The update rule, the same as `descend`'s (`Optimizer`).
    public var optimizer: Optimizer.Method
    /// Fraction of the rows held out (seeded) to measure validation loss and accuracy; 0 for none.
    public var validation: Double
    /// Weight decay: adds 0.5·l2·|W|² to the loss (weight matrices only, not biases).
    public var l2: Double
    /// Stop after this many epochs without improvement of the monitored loss (validation
    /// loss, or training loss without a validation set) and keep the best epoch's weights.
    public var patience: Int?
    /// Seeds the validation split and the per-epoch shuffles (model weights have their own seed).
    public var seed: UInt64
    /// Keep the flat weights after every epoch in `TrainResult.path` (epochs x weights doubles).
    public var recordPath: Bool = true

    public init(
        lr: Double = 0.1, epochs: Int = 100, batch: Int = 32, optimizer: Optimizer.Method = .gd,
        validation: Double = 0.2, l2: Double = 0, patience: Int? = nil, seed: UInt64 = Random.defaultSeed
    ) {
        settings = Optimizer.Settings(lr: lr)
        self.epochs = epochs
        self.batch = batch
        self.optimizer = optimizer
        self.validation = validation
        self.l2 = l2
        self.patience = patience
        self.seed = seed
    }
}

/// Per-epoch curves. `valLoss`/`valAccuracy` are empty without a validation set, and
/// `valAccuracy` is empty for regression.
public struct TrainHistory: Sendable, Equatable {
    /// Mean of the minibatch losses over the epoch (data loss, without the l2 term), as Keras reports it.
    public var trainLoss: [Double] = []
    public var valLoss: [Double] = []
    public var valAccuracy: [Double] = []
}

/// What the progress callback sees after each epoch.
public struct TrainProgress: Sendable, Equatable {
    public var epoch: Int
    public var epochs: Int
    public var trainLoss: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    /// Seconds since training started.
    public var elapsed: Double
    /// The weights after this epoch (shared storage: no copy unless the reader keeps them while
    /// training goes on), for a live view of the model.
    public var weights: [Double] = []

    /// Seconds left at the pace so far.
    public var remaining: Double { epoch > 0 ? elapsed / Double(epoch) * Double(epochs - epoch) : .nan }
}

/// The result of `Training.train`: a new model (the argument is untouched) and how it got there.
public struct TrainResult: Sendable {
    public var model: Model
    public var history: TrainHistory
    /// Flat weights: path[0] is the starting point, path[e] the weights after epoch e (after an
    /// interrupt, one more entry: the weights at the batch where training stopped).
    public var path: [[Double]]
    /// Epochs completed (fewer than asked after early stopping, divergence or an interrupt).
    public var epochsRun: Int
    /// The epoch whose weights `model` holds (differs from `epochsRun` after early stopping).
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    /// A search's prune rule stopped training (see `train`'s `report`).
    public var pruned = false
    public var interrupted: Bool
    /// A one-line remark for the user: why training stopped before `epochs`, if it did.
    public var note: String?
    public var seconds: Double
}

public enum Training {
    /// Trains a copy of `model` on `data` by minibatch gradient descent; see `TrainOptions`.
    ///
    /// `shouldStop` is polled after every batch (by default: Ctrl-C); when it returns true,
    /// training ends after that batch and returns the model so far with a note. The flag is not
    /// cleared: the caller acknowledges it. `progress` is called after every epoch on the
    /// calling thread. `report` is called after every epoch with the monitored loss (validation
    /// loss, or training loss without a validation set); when it returns true (a search's prune
    /// rule), training stops there and the result is marked pruned.
    public static func train(
        _ model: Model, on data: Dataset, options: TrainOptions = TrainOptions(),
        shouldStop: () -> Bool = { Interrupt.isRequested },
        progress: ((TrainProgress) -> Void)? = nil,
        report: ((_ epoch: Int, _ loss: Double) -> Bool)? = nil
    ) throws(ModelError) -> TrainResult {
        let o = options
        guard o.lr > 0 && o.lr.isFinite else { throw .badArgument("learning rate must be a positive number, got \(o.lr)") }
        guard o.epochs >= 1 else { throw .badArgument("epochs must be at least 1, got \(o.epochs)") }
        guard o.batch >= 1 else { throw .badArgument("batch size must be at least 1, got \(o.batch)") }
        guard o.validation >= 0 && o.validation < 1 else {
            throw .badArgument("validation fraction must be in [0, 1), got \(o.validation)")
        }
        guard o.l2 >= 0 && o.l2.isFinite else { throw .badArgument("l2 must be >= 0, got \(o.l2)") }
        if let (name, v) = o.settings.invalid { throw .badArgument("\(name) must be in [0, 1), got \(v)") }
        if let p = o.patience, p < 1 { throw .badArgument("patience must be at least 1 epoch, got \(p)") }
        guard data.X.rank == 2, data.X.shape[0] == data.y.count else {
            throw .data(.lengthMismatch(rows: data.X.rank == 2 ? data.X.shape[0] : data.X.count, labels: data.y.count))
        }
        try model.checkData(data)

        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }

        var rng = Random(seed: o.seed)
        var trainRows = Array(0..<data.n), valRows = [Int]()
        if o.validation > 0 {
            let nVal = Int((o.validation * Double(data.n)).rounded())
            guard nVal >= 1 && nVal < data.n else {
                throw .badArgument("validation fraction \(o.validation) of \(data.n) samples leaves an empty side")
            }
            let order = rng.permutation(data.n)
            valRows = order.prefix(nVal).sorted()
            trainRows = order.dropFirst(nVal).sorted()
        }
        let train = valRows.isEmpty ? data : data.subset(trainRows)
        let val = valRows.isEmpty ? nil : data.subset(valRows)
        let n = train.n
        let batch = min(o.batch, n)
        let fullBatch = batch == n
        let d = data.d
        // About 256 KB of input rows per chunk: fits in L2 next to the activations.
        let chunk = min(batch, max(32, 32_768 / max(d, 1)))
        let engine = Engine(model: model, maxBatch: chunk)
        var xBatch = [Double](repeating: 0, count: fullBatch ? 0 : batch * d)
        let evalEngine = val == nil ? nil : Engine(model: model, maxBatch: min(val!.n, 1024))

        var w = model.weights
        let p = w.count
        var grad = [Double](repeating: 0, count: p)
        var optimizer = Optimizer(o.optimizer, o.settings, dimension: p)
        var yBatch = [Double](repeating: 0, count: batch)
        var order = Array(0..<n)

        var history = TrainHistory()
        var path: [[Double]] = o.recordPath ? [w] : []
        var best = (loss: Double.infinity, epoch: 0, weights: w)
        var sinceBest = 0
        var epochsRun = 0
        var note: String? = nil
        var stoppedEarly = false, interrupted = false, pruned = false
        var lastGood = w

        let isClassifier = model.isClassifier || data.kind == .classification
        epochs: for epoch in 1...o.epochs {
            if !fullBatch { order = shuffled(n, &rng) }
            var lossSum = 0.0
            var batchesRun = 0
            var stopNow = false
            train.X.data.withUnsafeBufferPointer { xAll in
                train.y.withUnsafeBufferPointer { yAll in
                    order.withUnsafeBufferPointer { ord in
                        w.withUnsafeMutableBufferPointer { wp in
                            grad.withUnsafeMutableBufferPointer { gp in
                                yBatch.withUnsafeMutableBufferPointer { yb in xBatch.withUnsafeMutableBufferPointer { xb in
                                    var s = 0
                                    while s < n {
                                        let rows = min(batch, n - s)
                                        let x: UnsafePointer<Double>, y: UnsafePointer<Double>
                                        if fullBatch {
                                            (x, y) = (xAll.baseAddress!, yAll.baseAddress!)
                                        } else {
                                            let idx = UnsafeBufferPointer(rebasing: ord[s..<(s + rows)])
                                            for (r, i) in idx.enumerated() {
                                                (xb.baseAddress! + r * d).update(from: xAll.baseAddress! + i * d, count: d)
                                                yb[r] = yAll[i]
                                            }
                                            (x, y) = (UnsafePointer(xb.baseAddress!), UnsafePointer(yb.baseAddress!))
                                        }
                                        // Large batches run in cache-sized chunks: each chunk's rows are
                                        // read by the forward product and again, still cached, by the
                                        // backward one. Gradients add up over chunks.
                                        var c = 0
                                        while c < rows {
                                            let cr = min(chunk, rows - c)
                                            engine.forward(w: wp.baseAddress!, x: x + c * d, rows: cr)
                                            lossSum += engine.headLoss(y: y + c, rows: cr, delta: true, batchRows: rows) * Double(rows)
                                            engine.backward(w: wp.baseAddress!, x: x + c * d, rows: cr, grad: gp.baseAddress!, accumulate: c > 0)
                                            c += cr
                                        }
                                        if o.l2 > 0 { _ = engine.addL2(w: wp.baseAddress!, l2: o.l2, grad: gp.baseAddress!) }
                                        optimizer.update(wp, UnsafeBufferPointer(gp))
                                        batchesRun += 1
                                        s += rows
                                        if shouldStop() {
                                            stopNow = true
                                            return
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
            if stopNow {
                interrupted = true
                note = "interrupted in epoch \(epoch) after \(batchesRun) batch\(batchesRun == 1 ? "" : "es"): returning the model trained so far"
                if o.recordPath { path.append(w) }
                epochsRun = epoch - 1
                break epochs
            }
            let trainLoss = lossSum / Double(n)
            if !trainLoss.isFinite || w.contains(where: { !$0.isFinite }) {
                note = "training diverged in epoch \(epoch) (loss \(trainLoss.isNaN ? "nan" : "\(trainLoss)")): returning the weights of epoch \(epoch - 1); try a smaller learning rate"
                w = lastGood
                epochsRun = epoch - 1
                break epochs
            }
            epochsRun = epoch
            lastGood = w
            history.trainLoss.append(trainLoss)
            var monitored = trainLoss
            var vLoss: Double? = nil, vAcc: Double? = nil
            if let val, let evalEngine {
                let (l, a) = evaluate(evalEngine, w, val)
                history.valLoss.append(l)
                vLoss = l
                monitored = l
                if isClassifier {
                    history.valAccuracy.append(a)
                    vAcc = a
                }
            }
            if o.recordPath { path.append(w) }
            progress?(TrainProgress(epoch: epoch, epochs: o.epochs, trainLoss: trainLoss, valLoss: vLoss,
                                    valAccuracy: vAcc, elapsed: elapsed(), weights: w))
            if let report, report(epoch, monitored) {
                pruned = true
                note = "pruned after epoch \(epoch) by the search (\(val == nil ? "training" : "validation") loss \(monitored))"
                break epochs
            }
            if let patience = o.patience {
                // An improvement must beat the best by a hair, so float noise does not reset patience.
                // (Before the first epoch the best is infinite: inf - inf would be nan and never beaten.)
                let margin = best.loss.isFinite ? 1e-9 * max(1, abs(best.loss)) : 0
                if monitored < best.loss - margin {
                    best = (monitored, epoch, w)
                    sinceBest = 0
                } else {
                    sinceBest += 1
                    if sinceBest >= patience {
                        stoppedEarly = true
                        note = "stopped early after epoch \(epoch): no improvement for \(patience) epoch\(patience == 1 ? "" : "s"); keeping epoch \(best.epoch)"
                        break epochs
                    }
                }
            }
        }
        let trained = try model.withParams(stoppedEarly ? best.weights : w)
        return TrainResult(
            model: trained, history: history, path: path, epochsRun: epochsRun,
            bestEpoch: stoppedEarly ? best.epoch : epochsRun, stoppedEarly: stoppedEarly, pruned: pruned,
            interrupted: interrupted, note: note, seconds: elapsed())
    }

    private static func shuffled(_ n: Int, _ rng: inout Random) -> [Int] { rng.permutation(n) }

    /// Mean loss and accuracy of weights `w` on `data`, in chunks of the engine's batch size.
    static func evaluate(_ engine: Engine, _ w: [Double], _ data: Dataset) -> (loss: Double, accuracy: Double) {
        let d = data.d, k = engine.outputSize
        var total = 0.0
        var hits = 0
        w.withUnsafeBufferPointer { wp in
            data.X.data.withUnsafeBufferPointer { xp in
                data.y.withUnsafeBufferPointer { yp in
                    var s = 0
                    while s < data.n {
                        let rows = min(engine.maxBatch, data.n - s)
                        engine.forward(w: wp.baseAddress!, x: xp.baseAddress! + s * d, rows: rows)
                        total += engine.headLoss(y: yp.baseAddress! + s, rows: rows, delta: false) * Double(rows)
                        let out = engine.acts[engine.layers - 1]
                        for r in 0..<rows {
                            let pred: Int
                            if k == 1 {
                                pred = out[r] >= 0.5 ? 1 : 0
                            } else {
                                var b = 0
                                for j in 1..<k where out[r * k + j] > out[r * k + b] { b = j }
                                pred = b
                            }
                            if Double(pred) == yp[s + r] { hits += 1 }
                        }
                        s += rows
                    }
                }
            }
        }
        return (total / Double(data.n), Double(hits) / Double(data.n))
    }
}
