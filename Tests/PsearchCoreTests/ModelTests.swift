import Testing
@testable import PsearchCore

@Suite struct LinalgTests {
    /// Reference product by the definition.
    func reference(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        var c = Tensor.zeros([m, n])
        for i in 0..<m { for j in 0..<n { var s = 0.0; for p in 0..<k { s += a[i, p] * b[p, j] }; c[i, j] = s } }
        return c
    }

    func random(_ r: Int, _ c: Int, _ rng: inout Random) -> Tensor {
        Tensor(shape: [r, c], data: (0..<(r * c)).map { _ in rng.uniform(-1, 1) })
    }

    @Test(arguments: [(3, 4, 5), (32, 64, 32), (32, 32, 10), (70, 80, 60), (1, 7, 1)])
    func matmulMatchesDefinitionOnBothPaths(m: Int, k: Int, n: Int) throws {
        var rng = Random(seed: UInt64(m * 1000 + k * 10 + n))
        let a = random(m, k, &rng), b = random(k, n, &rng)
        let c = try Tensor.matmul(a, b)
        let ref = reference(a, b)
        for i in 0..<c.count { #expect(abs(c.data[i] - ref.data[i]) < 1e-12) }
        // Every transpose combination through both the loops and OpenBLAS.
        let at = a.transposed(), bt = b.transposed()
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let aa = ta ? at : a, bb = tb ? bt : b
            for useBLAS in [false, true] {
                var out = [Double](repeating: .nan, count: m * n)
                aa.data.withUnsafeBufferPointer { pa in
                    bb.data.withUnsafeBufferPointer { pb in
                        out.withUnsafeMutableBufferPointer { pc in
                            if useBLAS {
                                Linalg.blasGemm(transA: ta, transB: tb, m: m, n: n, k: k, a: pa.baseAddress!, lda: aa.shape[1],
                                                b: pb.baseAddress!, ldb: bb.shape[1], c: pc.baseAddress!, ldc: n)
                            } else {
                                Linalg.naiveGemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!,
                                                 lda: aa.shape[1], b: pb.baseAddress!, ldb: bb.shape[1], beta: 0,
                                                 c: pc.baseAddress!, ldc: n)
                            }
                        }
                    }
                }
                for i in 0..<out.count { #expect(abs(out[i] - ref.data[i]) < 1e-12) }
            }
        }
    }

    @Test func matrixVectorAndShapeErrors() throws {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(try Tensor.matmul(a, Tensor([1, 0, -1])) == Tensor([-2, -2]))
        #expect(try Tensor.matmul(Tensor([1, 1]), a) == Tensor([5, 7, 9]))
        #expect(throws: TensorError.shapeMismatch(op: "@", [2, 3], [2])) { try Tensor.matmul(a, Tensor([1, 2])) }
        var c = Tensor(shape: [2, 2], data: [1, 1, 1, 1])
        try Tensor.matmulAccumulate(a, a, into: &c, transposeB: true)
        #expect(c == Tensor(shape: [2, 2], data: [15, 33, 33, 78]))
    }

    @Test func bigMatrixVectorGoesThroughGemv() throws {
        var rng = Random(seed: 5)
        let a = random(3000, 40, &rng)
        let v = Tensor((0..<40).map { _ in rng.uniform(-1, 1) })
        let c = try Tensor.matmul(a, v)
        for i in stride(from: 0, to: 3000, by: 97) {
            var s = 0.0
            for p in 0..<40 { s += a[i, p] * v[p] }
            #expect(abs(c[i] - s) < 1e-12)
        }
    }
}

@Suite struct GradientCheckTests {
    /// Central finite differences of the model's loss against its backprop gradient.
    func check(_ model: Model, _ X: Tensor, _ y: [Double], l2: Double = 0) throws {
        let (_, g) = try model.lossAndGradient(X, y, l2: l2)
        let h = 1e-5
        for i in 0..<model.parameterCount {
            var wp = model.params, wm = model.params
            wp[i] += h
            wm[i] -= h
            let lp = try model.withParams(wp).lossAndGradient(X, y, l2: l2).loss
            let lm = try model.withParams(wm).lossAndGradient(X, y, l2: l2).loss
            let numeric = (lp - lm) / (2 * h)
            #expect(abs(numeric - g[i]) <= 1e-6 * max(1, abs(numeric)), "weight \(i): backprop \(g[i]) vs numeric \(numeric)")
        }
    }

    func data(n: Int, d: Int, seed: UInt64) -> Tensor {
        var rng = Random(seed: seed)
        return Tensor(shape: [n, d], data: (0..<(n * d)).map { _ in rng.uniform(-1.5, 1.5) })
    }

    @Test(arguments: Activation.allCases)
    func mlpSoftmaxCrossEntropy(act: Activation) throws {
        var m = try Model.mlp(sizes: [4, 5, 3, 3], activation: act, seed: 1)
        // Relu's kink: shift biases so no unit sits exactly at 0 for these inputs.
        if act == .relu { m = try m.withParams(m.params.map { $0 + 0.01 }) }
        try check(m, data(n: 7, d: 4, seed: 2), [0, 1, 2, 1, 0, 2, 2])
        try check(m, data(n: 7, d: 4, seed: 2), [0, 1, 2, 1, 0, 2, 2], l2: 0.3)
    }

    @Test func mlpSigmoidHead() throws {
        let m = try Model.mlp(sizes: [3, 4, 1], activation: .tanh, seed: 3)
        try check(m, data(n: 6, d: 3, seed: 4), [0, 1, 1, 0, 1, 0])
    }

    @Test func logisticAndSoftmaxAndLinear() throws {
        var rng = Random(seed: 8)
        let lg = try Model.logistic(d: 3).withParams((0..<4).map { _ in rng.uniform(-1, 1) })
        try check(lg, data(n: 5, d: 3, seed: 9), [1, 0, 1, 1, 0])
        let sm = try Model.softmax(d: 3, k: 4).withParams((0..<16).map { _ in rng.uniform(-1, 1) })
        try check(sm, data(n: 5, d: 3, seed: 10), [3, 0, 1, 2, 3])
        let ln = try Model.linear(d: 3).withParams((0..<4).map { _ in rng.uniform(-1, 1) })
        try check(ln, data(n: 5, d: 3, seed: 11), [0.5, -1, 2, 0.1, 3])
        let ln2 = try Model.linear(d: 3, k: 3).withParams((0..<12).map { _ in rng.uniform(-1, 1) })
        try check(ln2, data(n: 5, d: 3, seed: 12), [0, 2, 1, 1, 0], l2: 0.1)
    }
}

@Suite struct ModelTests {
    @Test func describesItsMap() throws {
        #expect(try Model.mlp(sizes: [105, 16, 2], seed: 1).description == "mlp R^105 -> R^16 -> R^2 (1,730 weights)")
        #expect(try Model.logistic(d: 2).description == "logistic R^2 -> R^1 (3 weights)")
        #expect(try Model.softmax(d: 64, k: 10).description == "softmax R^64 -> R^10 (650 weights)")
        #expect(Model.grouped(1_234_567) == "1,234,567")
    }

    @Test func paramsRoundTripAndShapeErrors() throws {
        let m = try Model.mlp(sizes: [2, 3, 2], seed: 4)
        #expect(try m.withParams(m.params) == m)
        #expect(throws: ModelError.self) { try m.withParams([1, 2]) }
        let p = try m(Tensor([0.5, -0.5]))
        #expect(abs(p.sum() - 1) < 1e-12)
        let images = try Generators.images(n: 10, seed: 1)
        do {
            _ = try Training.train(m, on: images)
            Issue.record("expected a shape error")
        } catch {
            #expect(error.description.contains("[2]") && error.description.contains("[10, 105]"))
        }
        // An image tensor is flattened when called.
        let big = try Model.mlp(sizes: [105, 4, 2], seed: 1)
        let img = try images.X.row(0).reshaped([7, 5, 3])
        #expect(try big(img).count == 2)
    }

    @Test func confusionCountsEveryRow() throws {
        let data = try Generators.blobs(n: 60, classes: 3, noise: 0.1, seed: 2)
        let r = try Training.train(try Model.softmax(d: 2, k: 3), on: data, options: TrainOptions(lr: 0.5, epochs: 30, validation: 0))
        let c = try r.model.confusion(on: data)
        #expect(c.shape == [3, 3])
        #expect(c.sum() == 60)
        let acc = try r.model.accuracy(on: data)
        #expect(acc >= 0.95, "accuracy \(acc), loss \(r.history.trainLoss.last!)")
    }
}
