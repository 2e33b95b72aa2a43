import Testing
@testable import PsearchCore

@Suite struct TrainingAccuracyTests {
    @Test func digitsMLPWithAdamMatchesScikitLearn() throws {
        let (train, test) = try Generators.digits().split(testFraction: 0.2, seed: 42)
        let m = try Model.mlp(sizes: [64, 64, 10], activation: .tanh, seed: 1)
        let r = try Training.train(m, on: train, options: TrainOptions(lr: 0.01, epochs: 20, batch: 32, optimizer: .adam, validation: 0, seed: 3))
        let acc = try r.model.accuracy(on: test)
        #expect(acc >= 0.96, "test accuracy \(acc)")
    }

    /// Workload g of the benchmark peers with this core's own initialisation and shuffles.
    @Test func workloadGConfiguration() throws {
        let digits = try Generators.digits()
        let test = digits.subset(Array(stride(from: 0, to: digits.n, by: 5)))
        let train = digits.subset((0..<digits.n).filter { $0 % 5 != 0 })
        #expect(train.n == 1437 && test.n == 360)
        let m = try Model.mlp(sizes: [64, 32, 10], activation: .tanh, seed: 7)
        let r = try Training.train(m, on: train, options: TrainOptions(lr: 0.1, epochs: 50, batch: 32, optimizer: .gd, validation: 0, seed: 7))
        let acc = try r.model.accuracy(on: test)
        #expect(acc >= 0.96, "test accuracy \(acc)")
        #expect(r.history.trainLoss.count == 50)
        #expect(r.path.count == 51)
    }

    @Test func moons() throws {
        let (train, test) = try Generators.moons(n: 500, noise: 0.2, seed: 1).split(testFraction: 0.2, seed: 2)
        let m = try Model.mlp(sizes: [2, 16, 16, 2], activation: .tanh, seed: 3)
        let r = try Training.train(m, on: train, options: TrainOptions(lr: 0.01, epochs: 60, optimizer: .adam, validation: 0))
        let acc = try r.model.accuracy(on: test)
        #expect(acc >= 0.95, "test accuracy \(acc)")
    }

    @Test func images() throws {
        let (train, test) = try Generators.images(n: 600, seed: 1).split(testFraction: 0.25, seed: 2)
        let m = try Model.mlp(sizes: [105, 16, 2], activation: .relu, seed: 3)
        let r = try Training.train(m, on: train, options: TrainOptions(lr: 0.01, epochs: 30, optimizer: .adam, validation: 0))
        let acc = try r.model.accuracy(on: test)
        #expect(acc >= 0.95, "test accuracy \(acc)")
        #expect(acc < 1.0, "images should not be trivially separable: \(acc)")
        let lg = try Training.train(try Model.logistic(d: 105), on: train, options: TrainOptions(lr: 0.1, epochs: 30, validation: 0))
        let lacc = try lg.model.accuracy(on: test)
        #expect(lacc >= 0.9, "logistic test accuracy \(lacc)")
    }

    @Test func logisticRegressionFullBatch() throws {
        let data = try Generators.moons(n: 400, noise: 0.1, seed: 4)
        let r = try Training.train(try Model.logistic(d: 2), on: data, options: TrainOptions(lr: 0.5, epochs: 200, batch: 400, validation: 0))
        #expect(try r.model.accuracy(on: data) >= 0.85)
        // Full-batch gradient descent on a convex loss goes down every epoch at this step size.
        for (a, b) in zip(r.history.trainLoss, r.history.trainLoss.dropFirst()) { #expect(b <= a + 1e-12) }
    }

    @Test func linearRegressionRecoversTheLine() throws {
        let data = try Generators.linear(n: 200, noise: 0.05, seed: 5)
        let r = try Training.train(try Model.linear(d: 1), on: data, options: TrainOptions(lr: 0.1, epochs: 100, batch: 20, optimizer: .momentum, validation: 0))
        #expect(abs(r.model.params[0] - 2) < 0.05)
        #expect(abs(r.model.params[1] - 1) < 0.05)
        #expect(try r.model.loss(on: data) < 0.01)
    }
}

@Suite struct TrainingBehaviourTests {
    let blobs = try! Generators.blobs(n: 120, classes: 3, noise: 0.2, seed: 9)

    @Test func inputIsUnchangedAndRunsAreDeterministic() throws {
        let m = try Model.mlp(sizes: [2, 8, 3], seed: 1)
        let a = try Training.train(m, on: blobs, options: TrainOptions(epochs: 5, seed: 4))
        let b = try Training.train(m, on: blobs, options: TrainOptions(epochs: 5, seed: 4))
        #expect(m == (try Model.mlp(sizes: [2, 8, 3], seed: 1)))
        #expect(a.model == b.model)
        #expect(a.history == b.history)
        #expect(a.history.valLoss.count == 5 && a.history.valAccuracy.count == 5)
        #expect(a.model != m)
    }

    @Test func earlyStoppingKeepsTheBestEpoch() throws {
        let m = try Model.mlp(sizes: [2, 32, 3], seed: 1)
        let r = try Training.train(m, on: blobs, options: TrainOptions(lr: 0.05, epochs: 500, optimizer: .adam, patience: 3))
        #expect(r.stoppedEarly)
        #expect(r.epochsRun < 500)
        #expect(r.bestEpoch == r.epochsRun - 3)
        #expect(r.model.params == r.path[r.bestEpoch])
        #expect(r.note?.contains("stopped early") == true)
    }

    /// The first epoch counts as an improvement on the (infinite) loss before training, so a
    /// run that gets worse from epoch 2 on keeps epoch 1, never the untrained weights.
    @Test func earlyStoppingFromTheFirstEpoch() throws {
        let r = try Training.train(try Model.softmax(d: 2, k: 3), on: blobs,
                                   options: TrainOptions(lr: 0.5, epochs: 20, optimizer: .momentum, patience: 1, seed: 1))
        #expect(r.bestEpoch >= 1)
        #expect(r.epochsRun >= 2)
        #expect(r.model.params == r.path[r.bestEpoch])
    }

    @Test func stopRequestEndsAtTheBatch() throws {
        var polls = 0
        let m = try Model.mlp(sizes: [2, 8, 3], seed: 1)
        let r = try Training.train(m, on: blobs, options: TrainOptions(epochs: 10, batch: 8, validation: 0), shouldStop: {
            polls += 1
            return polls == 20  // 120 rows / 8 = 15 batches per epoch: stops in epoch 2
        })
        #expect(r.interrupted)
        #expect(r.epochsRun == 1)
        #expect(r.note?.contains("interrupted in epoch 2 after 5 batches") == true)
        #expect(r.model != m)
    }

    @Test func progressIsReportedEachEpoch() throws {
        var seen = [Int]()
        _ = try Training.train(try Model.softmax(d: 2, k: 3), on: blobs, options: TrainOptions(epochs: 4), progress: { p in
            seen.append(p.epoch)
            #expect(p.valAccuracy != nil && p.elapsed >= 0)
        })
        #expect(seen == [1, 2, 3, 4])
    }

    @Test func badArgumentsAreClearErrors() throws {
        let m = try Model.softmax(d: 2, k: 3)
        for (opts, text) in [
            (TrainOptions(lr: 0), "learning rate"), (TrainOptions(lr: .nan), "learning rate"),
            (TrainOptions(epochs: 0), "epochs"), (TrainOptions(batch: 0), "batch"),
            (TrainOptions(validation: 1), "validation"), (TrainOptions(patience: 0), "patience"),
        ] {
            #expect { try Training.train(m, on: blobs, options: opts) } throws: { "\($0)".contains(text) }
        }
        var bad = blobs
        bad.y.removeLast()
        #expect { try Training.train(m, on: bad) } throws: { "\($0)".contains("120 rows but y has 119") }
        let empty = try Dataset(X: Tensor(shape: [0, 2], data: []), y: [], kind: .classification, classNames: ["a", "b"])
        #expect { try Training.train(m, on: empty) } throws: { "\($0)".contains("empty") }
        #expect { try Training.train(try Model.softmax(d: 2, k: 2), on: blobs) } throws: { "\($0)".contains("2 outputs but the data has 3 classes") }
    }

    @Test func divergenceReturnsTheLastFiniteWeights() throws {
        let data = try Generators.linear(n: 50, noise: 0.1, seed: 1)
        let scaled = try Dataset(X: data.X.map { $0 * 1e3 }, y: data.y, kind: .regression)
        let r = try Training.train(try Model.linear(d: 1), on: scaled, options: TrainOptions(lr: 10, epochs: 50, validation: 0))
        #expect(r.note?.contains("diverged") == true)
        #expect(r.model.params.allSatisfy { $0.isFinite })
    }
}

/// The methods train gained from sharing descend's optimiser: each lowers the loss, and its first
/// two full-batch steps are the torch.optim rule computed here by hand from the model's gradient.
@Suite struct TrainingOptimizerTests {
    let blobs = try! Generators.blobs(n: 120, classes: 3, noise: 0.2, seed: 9)

    /// Two full-batch epochs (one update each) from softmax's zero weights.
    func twoSteps(_ method: Optimizer.Method, lr: Double) throws -> (start: [Double], path: [[Double]], model: Model) {
        let m = try Model.softmax(d: 2, k: 3)
        let r = try Training.train(m, on: blobs, options: TrainOptions(lr: lr, epochs: 2, batch: blobs.n, optimizer: method, validation: 0))
        return (m.params, r.path, m)
    }

    func gradient(_ m: Model, at w: [Double]) throws -> [Double] {
        try m.withParams(w).lossAndGradient(blobs.X, blobs.y).gradient
    }

    func lossFalls(_ method: Optimizer.Method, lr: Double) throws {
        let r = try Training.train(try Model.mlp(sizes: [2, 8, 3], seed: 1), on: blobs,
                                   options: TrainOptions(lr: lr, epochs: 20, batch: 16, optimizer: method, validation: 0, seed: 2))
        let h = r.history.trainLoss
        #expect(h.count == 20)
        #expect(h.last! < 0.5 * h.first!, "\(method): \(h.first!) -> \(h.last!)")
        #expect(try r.model.accuracy(on: blobs) >= 0.9)
    }

    /// Nearly equal: the hand rule follows torch's formula, not necessarily its operation order.
    func near(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-13 * max(1, abs($1)) }
    }

    @Test func nesterovLowersTheLossAndFollowsTorchsRule() throws {
        try lossFalls(.nesterov, lr: 0.05)
        let (w0, path, m) = try twoSteps(.nesterov, lr: 0.1)
        let mu = 0.9, lr = 0.1
        // torch: b₁ = g₁; b₂ = μ·b₁ + g₂; x ← x − lr·(g + μ·b).
        let g1 = try gradient(m, at: w0)
        let b1 = g1
        let w1 = (0..<w0.count).map { w0[$0] - lr * (g1[$0] + mu * b1[$0]) }
        #expect(near(path[1], w1))
        let g2 = try gradient(m, at: path[1])
        let b2 = (0..<w0.count).map { mu * b1[$0] + g2[$0] }
        let w2 = (0..<w0.count).map { path[1][$0] - lr * (g2[$0] + mu * b2[$0]) }
        #expect(near(path[2], w2))
    }

    @Test func adagradLowersTheLossAndFollowsTorchsRule() throws {
        try lossFalls(.adagrad, lr: 0.1)
        let (w0, path, m) = try twoSteps(.adagrad, lr: 0.1)
        let lr = 0.1, eps = 1e-10
        // torch: s ← s + g²; x ← x − lr·g / (√s + ε), ε 1e-10 (not the 1e-8 of the others).
        let g1 = try gradient(m, at: w0)
        let s1 = g1.map { $0 * $0 }
        let w1 = (0..<w0.count).map { w0[$0] - lr * g1[$0] / (s1[$0].squareRoot() + eps) }
        #expect(near(path[1], w1))
        let g2 = try gradient(m, at: path[1])
        let s2 = (0..<w0.count).map { s1[$0] + g2[$0] * g2[$0] }
        let w2 = (0..<w0.count).map { path[1][$0] - lr * g2[$0] / (s2[$0].squareRoot() + eps) }
        #expect(near(path[2], w2))
    }

    @Test func rmspropLowersTheLossAndFollowsTorchsRule() throws {
        try lossFalls(.rmsprop, lr: 0.01)
        let (w0, path, m) = try twoSteps(.rmsprop, lr: 0.01)
        let lr = 0.01, alpha = 0.99, eps = 1e-8
        // torch: v ← α·v + (1 − α)·g²; x ← x − lr·g / (√v + ε).
        let g1 = try gradient(m, at: w0)
        let v1 = g1.map { (1 - alpha) * $0 * $0 }
        let w1 = (0..<w0.count).map { w0[$0] - lr * g1[$0] / (v1[$0].squareRoot() + eps) }
        #expect(near(path[1], w1))
        let g2 = try gradient(m, at: path[1])
        let v2 = (0..<w0.count).map { alpha * v1[$0] + (1 - alpha) * g2[$0] * g2[$0] }
        let w2 = (0..<w0.count).map { path[1][$0] - lr * g2[$0] / (v2[$0].squareRoot() + eps) }
        #expect(near(path[2], w2))
    }

    /// Heavy ball (v ← μ·v − lr·g; w ← w + v), train's momentum before the optimisers were one,
    /// is torch's rule with v = −lr·b: the same steps to rounding.
    @Test func momentumIsTheHeavyBallToRounding() throws {
        let (w0, path, m) = try twoSteps(.momentum, lr: 0.1)
        let mu = 0.9, lr = 0.1
        var w = w0, v = [Double](repeating: 0, count: w0.count)
        for e in 1...2 {
            let g = try gradient(m, at: w)
            for i in 0..<w.count {
                v[i] = mu * v[i] - lr * g[i]
                w[i] += v[i]
            }
            #expect(near(path[e], w))
        }
    }

    @Test func constantsOutOfRangeAreClearErrors() throws {
        var o = TrainOptions(epochs: 1, optimizer: .momentum)
        o.settings.momentum = 1
        #expect { try Training.train(try Model.softmax(d: 2, k: 3), on: blobs, options: o) } throws: { "\($0)".contains("momentum must be in [0, 1), got 1.0") }
    }
}
