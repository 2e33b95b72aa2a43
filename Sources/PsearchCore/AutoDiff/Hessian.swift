import Foundation

extension Tape {
    /// Most gradient-and-Hessian numbers one `hessian()` may hold (8 bytes each): above it the
    /// function has too many inputs or nodes for a dense second-order sweep.
    public static let maxHessianWork = 50_000_000

    /// The exact Hessian (row-major, inputSize²) of the output at the values the tape holds now,
    /// by second-order forward mode over the recording: each element carries its gradient and
    /// Hessian with respect to the inputs, and every primitive applies its first and second
    /// local derivatives (for z = φ(x, y): ∇z = φₓ∇x + φᵧ∇y, Hz = φₓHx + φᵧHy + φₓₓ∇x∇xᵀ +
    /// φₓᵧ(∇x∇yᵀ + ∇y∇xᵀ) + φᵧᵧ∇y∇yᵀ). The primitives are the same ones `backward` knows, so
    /// any function `grad` differentiates has a Hessian; kinks (abs, max, min, floor, round)
    /// contribute 0 second derivative, as their gradients do a constant first one.
    ///
    /// The values must be the current point's: a tape with a compiler replays outside its
    /// columns, so the caller records on a tape without one.
    public func hessian() throws(AutoDiffError) -> [Double] {
        guard let out = output?.i else { throw .notReplayable }
        let n = inputSize
        let k = kernel
        let nodes = op.count
        let slots = nodes + tval.count
        guard Double(slots) * Double(n * n + n) <= Double(Tape.maxHessianWork) else {
            throw .notDifferentiable(op: "hessian of \(n) inputs over \(nodes) nodes (too large)")
        }
        var G = [Double](repeating: 0, count: slots * n)
        var H = [Double](repeating: 0, count: slots * n * n)
        // The slot of element j of node i.
        func slot(_ i: Int, _ j: Int = 0) -> Int { k.off[i] < 0 ? i : nodes + Int(k.off[i]) + j }
        var flat = 0
        for q in 0..<inputNodes.count {
            let node = Int(inputNodes[q])
            for e in 0..<Int(k.cnt[node]) {
                G[slot(node, e) * n + flat] = 1
                flat += 1
            }
        }
        let nn = n * n
        G.withUnsafeMutableBufferPointer { g in
            H.withUnsafeMutableBufferPointer { h in
                // z += c·x (first and second order).
                func addLinear(_ z: Int, _ c: Double, _ x: Int) {
                    if c == 0 { return }
                    for r in 0..<n { g[z * n + r] += c * g[x * n + r] }
                    for r in 0..<nn { h[z * nn + r] += c * h[x * nn + r] }
                }
                // Hz += c·(∇x∇yᵀ + ∇y∇xᵀ), with x = y allowed (x·x has φₓᵧ = 1 and gets 2∇x∇xᵀ).
                func addOuter(_ z: Int, _ c: Double, _ x: Int, _ y: Int) {
                    if c == 0 { return }
                    for r in 0..<n {
                        let gxr = g[x * n + r], gyr = g[y * n + r]
                        for s in 0..<n { h[z * nn + r * n + s] += c * (gxr * g[y * n + s] + gyr * g[x * n + s]) }
                    }
                }
                func unary(_ z: Int, _ x: Int, _ kind: UKind, _ xv: Double, _ zv: Double, _ e: Double) {
                    let (d1, d2) = Tape.unaryDerivatives(kind, xv, zv, e)
                    addLinear(z, d1, x)
                    addOuter(z, d2 / 2, x, x)
                }
                func binary(_ z: Int, _ x: Int, _ y: Int, _ kind: BKind, _ xv: Double, _ yv: Double, _ zv: Double) {
                    let (dx, dy, dxx, dxy, dyy) = Tape.binaryDerivatives(kind, xv, yv, zv)
                    addLinear(z, dx, x)
                    addLinear(z, dy, y)
                    addOuter(z, dxx / 2, x, x)
                    addOuter(z, dxy, x, y)
                    addOuter(z, dyy / 2, y, y)
                }
                for i in 0...out where k.dep[i] {
                    let ai = Int(k.a[i]), bi = Int(k.b[i])
                    switch k.op[i] {
                    case .constant, .input, .tconstant, .tinput, .guardOp:
                        break
                    case .add: binary(i, ai, bi, .add, k.val[ai], k.val[bi], k.val[i])
                    case .sub: binary(i, ai, bi, .sub, k.val[ai], k.val[bi], k.val[i])
                    case .mul: binary(i, ai, bi, .mul, k.val[ai], k.val[bi], k.val[i])
                    case .div: binary(i, ai, bi, .div, k.val[ai], k.val[bi], k.val[i])
                    case .pow: binary(i, ai, bi, .pow, k.val[ai], k.val[bi], k.val[i])
                    case .max: binary(i, ai, bi, .max, k.val[ai], k.val[bi], k.val[i])
                    case .min: binary(i, ai, bi, .min, k.val[ai], k.val[bi], k.val[i])
                    case .unary: unary(i, ai, UKind(rawValue: k.ip[i])!, k.val[ai], k.val[i], k.p[i])
                    case .index: addLinear(i, 1, slot(ai, Int(k.ip[i])))
                    case .sum, .mean:
                        let c = Int(k.cnt[ai])
                        let w = k.op[i] == .sum ? 1 : 1 / Double(c)
                        for j in 0..<c { addLinear(i, w, slot(ai, j)) }
                    case .norm:
                        // y = √s, s = Σ x²: s's derivatives into y's slot, then the square root's chain rule.
                        let c = Int(k.cnt[ai]), x = k.vp(ai), y = k.val[i]
                        var gs = [Double](repeating: 0, count: n), hs = [Double](repeating: 0, count: nn)
                        for j in 0..<c {
                            let e = slot(ai, j), xj = x[j]
                            for r in 0..<n { gs[r] += 2 * xj * g[e * n + r] }
                            for r in 0..<n {
                                for s in 0..<n { hs[r * n + s] += 2 * (g[e * n + r] * g[e * n + s] + xj * h[e * nn + r * n + s]) }
                            }
                        }
                        guard y > 0 else { break }
                        let d1 = 0.5 / y, d2 = -0.25 / (y * y * y)
                        for r in 0..<n { g[i * n + r] += d1 * gs[r] }
                        for r in 0..<n { for s in 0..<n { h[i * nn + r * n + s] += d1 * hs[r * n + s] + d2 * gs[r] * gs[s] } }
                    case .dot:
                        let c = Int(k.cnt[ai]), x = k.vp(ai), y = k.vp(bi)
                        for j in 0..<c {
                            let ea = slot(ai, j), eb = slot(bi, j)
                            addLinear(i, y[j], ea)
                            addLinear(i, x[j], eb)
                            addOuter(i, 1, ea, eb)
                        }
                    case .ewBinary:
                        let kind = BKind(rawValue: k.ip[i] >> 2)!
                        let sa = Int(k.ip[i] & 1), sb = Int((k.ip[i] >> 1) & 1)
                        let x = k.vp(ai), y = k.vp(bi), z = k.vp(i)
                        for j in 0..<Int(k.cnt[i]) {
                            binary(slot(i, j), slot(ai, j * sa), slot(bi, j * sb), kind, x[j * sa], y[j * sb], z[j])
                        }
                    case .ewUnary:
                        let kind = UKind(rawValue: k.ip[i])!
                        let x = k.vp(ai), z = k.vp(i)
                        for j in 0..<Int(k.cnt[i]) { unary(slot(i, j), slot(ai, j), kind, x[j], z[j], k.p[i]) }
                    case .matmul:
                        let at = Int(k.ip[i])
                        let m = Int(k.aux[at]), kk = Int(k.aux[at + 1]), cols = Int(k.aux[at + 2])
                        let x = k.vp(ai), y = k.vp(bi)
                        for r in 0..<m {
                            for c in 0..<cols {
                                let z = slot(i, r * cols + c)
                                for l in 0..<kk {
                                    let ea = slot(ai, r * kk + l), eb = slot(bi, l * cols + c)
                                    addLinear(z, y[l * cols + c], ea)
                                    addLinear(z, x[r * kk + l], eb)
                                    addOuter(z, 1, ea, eb)
                                }
                            }
                        }
                    case .gather:
                        let at = Int(k.ip[i])
                        for j in 0..<Int(k.cnt[i]) { addLinear(slot(i, j), 1, slot(ai, Int(k.aux[at + j]))) }
                    case .stack:
                        let at = Int(k.ip[i])
                        for j in 0..<Int(k.cnt[i]) { addLinear(slot(i, j), 1, Int(k.aux[at + j])) }
                    }
                }
            }
        }
        return Array(H[(out * nn)..<((out + 1) * nn)])
    }

    /// f′ and f″ of a one-argument primitive at x with value y (e: powc's exponent).
    static func unaryDerivatives(_ k: UKind, _ x: Double, _ y: Double, _ e: Double) -> (Double, Double) {
        let d1 = Kernel.unaryDerivative(k, x, y, e)
        switch k {
        case .neg, .abs, .floor, .round: return (d1, 0)
        case .sqrt: return (d1, -0.25 / (y * y * y))
        case .exp: return (d1, y)
        case .log: return (d1, -1 / (x * x))
        case .sin: return (d1, -y)
        case .cos: return (d1, -y)
        case .tanh: return (d1, -2 * y * (1 - y * y))
        case .powc: return (d1, e == 0 || e == 1 ? 0 : e * (e - 1) * Foundation.pow(x, e - 2))
        case .square: return (d1, 2)
        }
    }

    /// φₓ, φᵧ, φₓₓ, φₓᵧ, φᵧᵧ of a two-argument primitive at (x, y) with value z; the first two
    /// are the kernel's (the same conventions at 0 for pow).
    static func binaryDerivatives(_ k: BKind, _ x: Double, _ y: Double, _ z: Double)
        -> (Double, Double, Double, Double, Double) {
        let (dx, dy) = Kernel.binaryDerivatives(k, x, y, z)
        switch k {
        case .add, .sub, .max, .min: return (dx, dy, 0, 0, 0)
        case .mul: return (dx, dy, 0, 1, 0)
        case .div: return (dx, dy, 0, -1 / (y * y), 2 * x / (y * y * y))
        case .pow:
            let dxx = y == 0 || y == 1 ? 0 : y * (y - 1) * Foundation.pow(x, y - 2)
            let lx = x > 0 ? Foundation.log(x) : 0
            let dxy = x == 0 ? 0 : Foundation.pow(x, y - 1) * (1 + y * lx)
            let dyy = x == 0 ? 0 : z * lx * lx
            return (dx, dy, dxx, dxy, dyy)
        }
    }
}

extension TapeObjective {
    /// The exact Hessian at x (see `Tape.hessian`); also writes the gradient into g and returns
    /// the value. The objective must have been made without a compiler, so the tape holds x's values.
    public func hessian(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) throws -> (Double, [Double]) {
        let v = try self(x, g)
        return (v, try tape.hessian())
    }
}
