import Foundation

/// Forward and backward passes of a `Model` over a batch, with buffers allocated once.
///
/// Backprop is written once per layer type: dense (a product through `Linalg.gemm`), each
/// hidden activation, and each head with its loss (softmax + cross-entropy, sigmoid + binary
/// cross-entropy, identity + mean squared error). One engine serves one thread; trials each
/// build their own.
final class Engine {
    let sizes: [Int]
    let layers: Int
    let activation: Activation
    let head: Model.Head
    let maxBatch: Int
    /// Where each layer's W and b start in the flat weight vector.
    let wOffset: [Int]
    let bOffset: [Int]
    /// Per layer: its outputs after the activation (the head's probabilities for the last).
    let acts: [UnsafeMutablePointer<Double>]
    /// Per layer: dLoss/dz of its pre-activation outputs.
    let deltas: [UnsafeMutablePointer<Double>]
    /// The last layer's pre-head outputs (logits) and, for softmax, each row's log-sum-exp.
    let logits: UnsafeMutablePointer<Double>
    let lse: UnsafeMutablePointer<Double>
    /// Rows gathered for a minibatch.
    let input: UnsafeMutablePointer<Double>

    init(model: Model, maxBatch: Int) {
        sizes = model.sizes
        layers = sizes.count - 1
        activation = model.activation
        head = model.head
        self.maxBatch = max(maxBatch, 1)
        var wo = [Int](), bo = [Int](), off = 0
        for l in 0..<layers {
            wo.append(off)
            off += sizes[l] * sizes[l + 1]
            bo.append(off)
            off += sizes[l + 1]
        }
        wOffset = wo
        bOffset = bo
        let mb = self.maxBatch
        acts = (1...layers).map { UnsafeMutablePointer<Double>.allocate(capacity: mb * model.sizes[$0]) }
        deltas = (1...layers).map { UnsafeMutablePointer<Double>.allocate(capacity: mb * model.sizes[$0]) }
        logits = .allocate(capacity: mb * model.outputSize)
        lse = .allocate(capacity: mb)
        input = .allocate(capacity: mb * model.inputSize)
    }

    deinit {
        for p in acts { p.deallocate() }
        for p in deltas { p.deallocate() }
        logits.deallocate()
        lse.deallocate()
        input.deallocate()
    }

    var outputSize: Int { sizes[layers] }

    /// Copies rows `indices` of X (row stride d) into the input buffer.
    func gather(_ X: UnsafePointer<Double>, indices: UnsafeBufferPointer<Int>) {
        let d = sizes[0]
        for (r, i) in indices.enumerated() {
            (input + r * d).update(from: X + i * d, count: d)
        }
    }

    // MARK: forward

    /// Runs the network on `rows` inputs at `x`; the output lands in `acts[layers - 1]`.
    func forward(w: UnsafePointer<Double>, x: UnsafePointer<Double>, rows: Int) {
        var prev = x
        for l in 0..<layers {
            let (nIn, nOut) = (sizes[l], sizes[l + 1])
            let out = acts[l]
            let b = w + bOffset[l]
            if nOut == 1 {
                out.update(repeating: b[0], count: rows)
            } else {
                for r in 0..<rows { for j in 0..<nOut { out[r * nOut + j] = b[j] } }
            }
            Linalg.gemm(m: rows, n: nOut, k: nIn, a: prev, lda: nIn, b: w + wOffset[l], ldb: nOut,
                        beta: 1, c: out, ldc: nOut)
            if l < layers - 1 {
                applyActivation(out, count: rows * nOut)
            } else {
                applyHead(out, rows: rows)
            }
            prev = UnsafePointer(out)
        }
    }

    private func applyActivation(_ p: UnsafeMutablePointer<Double>, count: Int) {
        switch activation {
        case .relu: for i in 0..<count where p[i] < 0 { p[i] = 0 }
        case .tanh: for i in 0..<count { p[i] = Foundation.tanh(p[i]) }
        case .sigmoid: for i in 0..<count { p[i] = Engine.sigmoid(p[i]) }
        }
    }

    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        // Two branches so exp never overflows.
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }

    private func applyHead(_ p: UnsafeMutablePointer<Double>, rows: Int) {
        let k = outputSize
        logits.update(from: p, count: rows * k)
        switch head {
        case .identity:
            break
        case .sigmoid:
            // k = 1 here: lse[r] keeps 1 + e^-|z|, so the loss needs no second exp.
            for r in 0..<rows {
                let z = p[r]
                let e = exp(-abs(z))
                let q = 1 + e
                lse[r] = q
                p[r] = z >= 0 ? 1 / q : e / q
            }
        case .softmax:
            for r in 0..<rows {
                let z = logits + r * k, q = p + r * k
                var m = z[0]
                for j in 1..<k where z[j] > m { m = z[j] }
                var s = 0.0
                for j in 0..<k {
                    let e = exp(z[j] - m)
                    q[j] = e
                    s += e
                }
                let inv = 1 / s
                for j in 0..<k { q[j] *= inv }
                lse[r] = m + log(s)
            }
        }
    }

    // MARK: loss and backward

    /// Loss of the last forward pass against targets `y`, summed over its rows and divided by
    /// `batchRows` (the whole batch when it is processed in chunks; `rows` by default); when
    /// `delta` is set, also writes dLoss/dlogits into the last layer's delta buffer.
    func headLoss(y: UnsafePointer<Double>, rows: Int, delta: Bool, batchRows: Int? = nil) -> Double {
        let k = outputSize
        let p = acts[layers - 1]
        let d = deltas[layers - 1]
        let invB = 1 / Double(batchRows ?? rows)
        var total = 0.0
        switch head {
        case .softmax:
            for r in 0..<rows {
                let c = Int(y[r])
                total += lse[r] - logits[r * k + c]
                if delta {
                    for j in 0..<k { d[r * k + j] = p[r * k + j] * invB }
                    d[r * k + c] -= invB
                }
            }
        case .sigmoid:
            // log(1 + e^z) - t·z = max(z, 0) - t·z + log(1 + e^-|z|). The logs are summed as the
            // log of a product over chunks (each factor is in [1, 2], so 512 of them cannot
            // overflow): one log per 512 rows instead of one per row.
            var product = 1.0
            for r in 0..<rows {
                let z = logits[r], t = y[r]
                total += max(z, 0) - t * z
                product *= lse[r]
                if r & 511 == 511 {
                    total += log(product)
                    product = 1
                }
                if delta { d[r] = (p[r] - t) * invB }
            }
            total += log(product)
        case .identity:
            let scale = 2 * invB / Double(k)
            for r in 0..<rows {
                for j in 0..<k {
                    // k = 1: the target itself; k > 1: the one-hot code of a class id.
                    let t = k == 1 ? y[r] : (Int(y[r]) == j ? 1.0 : 0.0)
                    let e = p[r * k + j] - t
                    total += e * e / Double(k)
                    if delta { d[r * k + j] = scale * e }
                }
            }
        }
        return total * invB
    }

    /// Gradient of the last forward pass's loss (after `headLoss(delta: true)`) into `grad`:
    /// overwritten, or added to when `accumulate` (the later chunks of one batch).
    func backward(
        w: UnsafePointer<Double>, x: UnsafePointer<Double>, rows: Int, grad: UnsafeMutablePointer<Double>,
        accumulate: Bool = false
    ) {
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let (nIn, nOut) = (sizes[l], sizes[l + 1])
            let prev = l == 0 ? x : UnsafePointer(acts[l - 1])
            let delta = deltas[l]
            // dW = prevᵀ · delta
            Linalg.gemm(transA: true, m: nIn, n: nOut, k: rows, a: prev, lda: nIn, b: delta, ldb: nOut,
                        beta: accumulate ? 1 : 0, c: grad + wOffset[l], ldc: nOut)
            // db = column sums of delta
            let gb = grad + bOffset[l]
            if !accumulate { for j in 0..<nOut { gb[j] = 0 } }
            if nOut == 1 {
                // One column: sum in a register, in the same order (through memory every add
                // waited for the previous store, 100,000 times an epoch for logistic regression).
                var sum = gb[0]
                for r in 0..<rows { sum += delta[r] }
                gb[0] = sum
            } else {
                for r in 0..<rows {
                    let dr = delta + r * nOut
                    for j in 0..<nOut { gb[j] += dr[j] }
                }
            }
            if l > 0 {
                // delta_prev = (delta · Wᵀ) ⊙ act'(prev)
                let dp = deltas[l - 1]
                Linalg.gemm(transB: true, m: rows, n: nIn, k: nOut, a: delta, lda: nOut, b: w + wOffset[l], ldb: nOut,
                            beta: 0, c: dp, ldc: nIn)
                let a = acts[l - 1]
                let count = rows * nIn
                switch activation {
                case .relu: for i in 0..<count where a[i] <= 0 { dp[i] = 0 }
                case .tanh: for i in 0..<count { dp[i] *= 1 - a[i] * a[i] }
                case .sigmoid: for i in 0..<count { dp[i] *= a[i] * (1 - a[i]) }
                }
            }
        }
    }

    /// Adds 0.5·l2·|W|² to a loss and l2·W to the gradient (weight matrices only).
    func addL2(w: UnsafePointer<Double>, l2: Double, grad: UnsafeMutablePointer<Double>?) -> Double {
        var s = 0.0
        for l in 0..<layers {
            let o = wOffset[l]
            for i in o..<(o + sizes[l] * sizes[l + 1]) {
                s += w[i] * w[i]
                if let grad { grad[i] += l2 * w[i] }
            }
        }
        return 0.5 * l2 * s
    }

    // MARK: array conveniences (allocate; not for inner loops)

    func infer(weights: [Double], x: [Double], rows: Int) -> [Double] {
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xp in
                forward(w: w.baseAddress!, x: xp.baseAddress!, rows: rows)
            }
        }
        return Array(UnsafeBufferPointer(start: acts[layers - 1], count: rows * outputSize))
    }

    func loss(weights: [Double], x: [Double], y: [Double], rows: Int) -> Double {
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    forward(w: w.baseAddress!, x: xp.baseAddress!, rows: rows)
                    return headLoss(y: yp.baseAddress!, rows: rows, delta: false)
                }
            }
        }
    }

    func lossAndGradient(weights: [Double], x: [Double], y: [Double], rows: Int, l2: Double, gradient: inout [Double]) -> Double {
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    gradient.withUnsafeMutableBufferPointer { g in
                        forward(w: w.baseAddress!, x: xp.baseAddress!, rows: rows)
                        var loss = headLoss(y: yp.baseAddress!, rows: rows, delta: true)
                        backward(w: w.baseAddress!, x: xp.baseAddress!, rows: rows, grad: g.baseAddress!)
                        if l2 > 0 { loss += addL2(w: w.baseAddress!, l2: l2, grad: g.baseAddress!) }
                        return loss
                    }
                }
            }
        }
    }
}
