import Foundation
import Testing
@testable import PsearchCore

/// Speed figures for the issue-5 core, not assertions: run in a release build with
///     PSEARCH_BENCH=1 swift test -c release --filter Benchmarks
/// Each line prints the minimum over repetitions (noise on a shared machine only adds time).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PSEARCH_BENCH"] == "1"), .serialized)
struct Benchmarks {
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let t = clock.now
        try body()
        let d = clock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    func best(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
        var m = Double.infinity
        for _ in 0..<reps { m = min(m, try seconds(body)) }
        return m
    }

    @Test func matmulLoopsVersusOpenBLAS() {
        var rng = Random(seed: 1)
        print("matmul (m x k @ k x n): plain loops vs cblas_dgemm/dgemv, µs per product, min over reps")
        for (m, k, n, reps) in [(2, 2, 2, 200000), (8, 2, 8, 200000), (8, 8, 8, 100000), (16, 16, 16, 50000), (32, 2, 16, 50000), (32, 64, 32, 20000), (32, 32, 10, 50000), (64, 32, 32, 20000), (64, 64, 64, 5000),
                                (100, 100, 100, 1000), (128, 128, 128, 500), (100_000, 20, 1, 30), (512, 512, 512, 5)] {
            let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
            let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
            var c = [Double](repeating: 0, count: m * n)
            var times = [Double]()
            for useBLAS in [false, true] {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    let inner = max(1, reps / 10)
                    let t = best(10) {
                        for _ in 0..<inner {
                            if useBLAS {
                                Linalg.blasGemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                            } else {
                                Linalg.naiveGemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
                                                 b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                            }
                        }
                    }
                    times.append(t / Double(inner) * 1e6)
                } } }
            }
            // The dispatching entry point as used by training.
            let tensorA = Tensor(shape: [m, k], data: a), tensorB = n == 1 ? Tensor(b) : Tensor(shape: [k, n], data: b)
            let inner = max(1, reps / 10)
            let t = best(10) { for _ in 0..<inner { _ = try! Tensor.matmul(tensorA, tensorB) } } / Double(inner) * 1e6
            print(String(format: "  %6dx%-4d @ %4dx%-4d  loops %10.2f  blas %10.2f  Tensor.matmul %10.2f", m, k, k, n, times[0], times[1], t))
        }
    }

    /// Workload g with `Training.train` (own init and shuffles) and, for the exact peer result,
    /// the same engine driven with the peers' splitmix64 weights and batch orders.
    @Test func workloadG() throws {
        let digits = try Generators.digits()
        let test = digits.subset(Array(stride(from: 0, to: digits.n, by: 5)))
        let train = digits.subset((0..<digits.n).filter { $0 % 5 != 0 })
        let m = try Model.mlp(sizes: [64, 32, 10], activation: .tanh, seed: 7)
        var result: TrainResult? = nil
        let t = try best(7) {
            result = try Training.train(m, on: train, options: TrainOptions(lr: 0.1, epochs: 50, batch: 32, optimizer: .gd, validation: 0, seed: 7), shouldStop: { false })
        }
        let r = result!
        print(String(format: "workload g via train(): %.3f ms/epoch (50 epochs %.1f ms), train loss %.6f, train acc %.4f, test acc %.4f",
                     t / 50 * 1e3, t * 1e3, try r.model.loss(on: train), try r.model.accuracy(on: train), try r.model.accuracy(on: test)))

        // Exact replica of the peers' run.
        var sm = SplitMix64(seed: 7)
        func u() -> Double { Double(sm.next() >> 11) * 0x1.0p-53 }
        var w = [Double]()
        for _ in 0..<(64 * 32) { w.append((2 * u() - 1) * (1 / 8.0)) }
        w += [Double](repeating: 0, count: 32)
        for _ in 0..<(32 * 10) { w.append((2 * u() - 1) * (1 / 32.0.squareRoot())) }
        w += [Double](repeating: 0, count: 10)
        var orders = [[Int]]()
        for _ in 0..<50 {
            var p = Array(0..<1437)
            for i in stride(from: 1436, through: 1, by: -1) { p.swapAt(i, Int(sm.next() % UInt64(i + 1))) }
            orders.append(p)
        }
        let engine = Engine(model: m, maxBatch: 32)
        var grad = [Double](repeating: 0, count: w.count)
        var yb = [Double](repeating: 0, count: 32)
        var final = w
        let te = best(7) {
            var wk = w
            wk.withUnsafeMutableBufferPointer { wp in grad.withUnsafeMutableBufferPointer { gp in yb.withUnsafeMutableBufferPointer { ybp in
                train.X.data.withUnsafeBufferPointer { xp in
                    for order in orders {
                        order.withUnsafeBufferPointer { op in
                            var s = 0
                            while s < 1437 {
                                let rows = min(32, 1437 - s)
                                let idx = UnsafeBufferPointer(rebasing: op[s..<(s + rows)])
                                engine.gather(xp.baseAddress!, indices: idx)
                                for (r, i) in idx.enumerated() { ybp[r] = train.y[i] }
                                engine.forward(w: wp.baseAddress!, x: engine.input, rows: rows)
                                _ = engine.headLoss(y: ybp.baseAddress!, rows: rows, delta: true)
                                engine.backward(w: wp.baseAddress!, x: engine.input, rows: rows, grad: gp.baseAddress!)
                                for i in 0..<wp.count { wp[i] -= 0.1 * gp[i] }
                                s += rows
                            }
                        }
                    }
                }
            } } }
            final = wk
        }
        let fm = try m.withParams(final)
        print(String(format: "workload g replica (peers' init and orders): %.3f ms/epoch; loss=%.6f train_acc=%.4f test_acc=%.4f (peers: loss=0.057808 train_acc=0.9910 test_acc=0.9667)",
                     te / 50 * 1e3, try fm.loss(on: train), try fm.accuracy(on: train), try fm.accuracy(on: test)))
    }

    /// Workload f: the peers' logreg data generated here with splitmix64 (same doubles as data/logreg.csv).
    @Test func workloadF() throws {
        var sm = SplitMix64(seed: 42)
        let n = 100_000, d = 20
        var x = [Double](), y = [Double]()
        x.reserveCapacity(n * d)
        let w = (0..<d).map { (Double($0) - 9.5) / 8 }
        for _ in 0..<n {
            var s = 0.25
            for j in 0..<d {
                let v = (Double(sm.next() >> 56) - 128) / 64
                x.append(v)
                s += w[j] * v
            }
            let e = (Double(sm.next() >> 56) - 128) / 64
            s += 2 * e
            y.append(s > 0 ? 1 : 0)
        }
        #expect(y.reduce(0, +) == 52021)
        let data = try Dataset(X: Tensor(shape: [n, d], data: x), y: y, kind: .classification, classNames: ["0", "1"])
        var result: TrainResult? = nil
        let t = try best(5) {
            result = try Training.train(try Model.logistic(d: d), on: data,
                                        options: TrainOptions(lr: 0.5, epochs: 200, batch: n, validation: 0), shouldStop: { false })
        }
        let p = result!.model.params
        print(String(format: "workload f via train(): %.3f ms/epoch (200 epochs %.1f ms); loss=%.10f acc=%.5f b=%.8f w0=%.8f w19=%.8f",
                     t / 200 * 1e3, t * 1e3, try result!.model.loss(on: data), try result!.model.accuracy(on: data), p[20], p[0], p[19]))
        print("  peers: loss=0.3842782826 acc=0.80764 b=0.16052345 w0=-0.86330304 w19=0.85142783")
    }
}
