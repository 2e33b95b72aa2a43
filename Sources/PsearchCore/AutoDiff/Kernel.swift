import Foundation

/// Raw pointers to a tape's columns and the local rules of every primitive: `forward` computes a
/// node from its operands, `backward` adds its adjoint times the local derivative to theirs.
///
/// A snapshot of pointers, valid until the tape grows; recording takes a fresh one per node,
/// replay one per run.
package struct Kernel {
    let op: UnsafeMutablePointer<Op>
    let a: UnsafeMutablePointer<Int32>
    let b: UnsafeMutablePointer<Int32>
    let ip: UnsafeMutablePointer<Int32>
    let p: UnsafeMutablePointer<Double>
    let off: UnsafeMutablePointer<Int32>
    let cnt: UnsafeMutablePointer<Int32>
    let dep: UnsafeMutablePointer<Bool>
    let val: UnsafeMutablePointer<Double>
    let adj: UnsafeMutablePointer<Double>
    let tval: UnsafeMutablePointer<Double>
    let tadj: UnsafeMutablePointer<Double>
    let aux: UnsafeMutablePointer<Int32>

    /// Where node `n`'s elements are: its scalar slot or its run in the tensor pool.
    @inline(__always) func vp(_ n: Int) -> UnsafeMutablePointer<Double> {
        let o = off[n]
        return o < 0 ? val + n : tval + Int(o)
    }

    @inline(__always) func gp(_ n: Int) -> UnsafeMutablePointer<Double> {
        let o = off[n]
        return o < 0 ? adj + n : tadj + Int(o)
    }

    @inlinable package static func unaryValue(_ k: UKind, _ x: Double, _ e: Double) -> Double {
        switch k {
        case .neg: return -x
        case .sqrt: return x.squareRoot()
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tanh: return Foundation.tanh(x)
        case .abs: return Swift.abs(x)
        case .powc: return Foundation.pow(x, e)
        case .square: return x * x
        case .floor: return x.rounded(.down)
        case .round: return x.rounded(.toNearestOrAwayFromZero)
        }
    }

    /// d f(x) / dx given x, y = f(x) and the constant exponent e.
    @inlinable package static func unaryDerivative(_ k: UKind, _ x: Double, _ y: Double, _ e: Double) -> Double {
        switch k {
        case .neg: return -1
        case .sqrt: return 0.5 / y
        case .exp: return y
        case .log: return 1 / x
        case .sin: return Foundation.cos(x)
        case .cos: return -Foundation.sin(x)
        case .tanh: return 1 - y * y
        case .abs: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .powc: return e == 0 ? 0 : e * Foundation.pow(x, e - 1)
        case .square: return 2 * x
        case .floor, .round: return 0
        }
    }

    @inlinable package static func binaryValue(_ k: BKind, _ x: Double, _ y: Double) -> Double {
        switch k {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .pow: return Foundation.pow(x, y)
        case .max: return x.isNaN || y.isNaN ? .nan : (x >= y ? x : y)
        case .min: return x.isNaN || y.isNaN ? .nan : (x <= y ? x : y)
        }
    }

    /// Partial derivatives (d/dx, d/dy) of a two-argument element function at (x, y) with value z.
    @inlinable package static func binaryDerivatives(_ k: BKind, _ x: Double, _ y: Double, _ z: Double) -> (Double, Double) {
        switch k {
        case .add: return (1, 1)
        case .sub: return (1, -1)
        case .mul: return (y, x)
        case .div: return (1 / y, -z / y)
        case .pow:
            let dx = y == 0 ? 0 : y * Foundation.pow(x, y - 1)
            // As torch: the exponent's derivative is taken as 0 where the base is 0.
            let dy = x == 0 ? 0 : z * Foundation.log(x)
            return (dx, dy)
        case .max: return x >= y ? (1, 0) : (0, 1)
        case .min: return x <= y ? (1, 0) : (0, 1)
        }
    }

    /// Computes node i; false when i is a guard whose outcome differs from the recorded one.
    @inline(__always)
    func forward(_ i: Int) -> Bool {
        switch op[i] {
        case .constant, .input, .tconstant, .tinput:
            break
        case .add:
            val[i] = val[Int(a[i])] + val[Int(b[i])]
        case .sub:
            val[i] = val[Int(a[i])] - val[Int(b[i])]
        case .mul:
            val[i] = val[Int(a[i])] * val[Int(b[i])]
        case .div:
            val[i] = val[Int(a[i])] / val[Int(b[i])]
        case .unary:
            let k = UKind(rawValue: ip[i])!
            val[i] = Kernel.unaryValue(k, val[Int(a[i])], p[i])
        case .pow:
            val[i] = Kernel.binaryValue(.pow, val[Int(a[i])], val[Int(b[i])])
        case .max:
            val[i] = Kernel.binaryValue(.max, val[Int(a[i])], val[Int(b[i])])
        case .min:
            val[i] = Kernel.binaryValue(.min, val[Int(a[i])], val[Int(b[i])])
        case .index:
            val[i] = tval[Int(off[Int(a[i])]) + Int(ip[i])]
        case .sum:
            let x = vp(Int(a[i])), n = Int(cnt[Int(a[i])])
            var s = 0.0
            for j in 0..<n { s += x[j] }
            val[i] = s
        case .mean:
            let x = vp(Int(a[i])), n = Int(cnt[Int(a[i])])
            var s = 0.0
            for j in 0..<n { s += x[j] }
            val[i] = s / Double(n)
        case .norm:
            let x = vp(Int(a[i])), n = Int(cnt[Int(a[i])])
            var s = 0.0
            for j in 0..<n { s += x[j] * x[j] }
            val[i] = s.squareRoot()
        case .dot:
            let x = vp(Int(a[i])), y = vp(Int(b[i])), n = Int(cnt[Int(a[i])])
            var s = 0.0
            for j in 0..<n { s += x[j] * y[j] }
            val[i] = s
        case .guardOp:
            let c = Comparison(rawValue: UInt8(ip[i] >> 1))!
            return c.holds(val[Int(a[i])], val[Int(b[i])]) == (ip[i] & 1 == 1)
        case .ewBinary:
            let k = BKind(rawValue: ip[i] >> 2)!
            let sa = Int(ip[i] & 1), sb = Int((ip[i] >> 1) & 1)
            let x = vp(Int(a[i])), y = vp(Int(b[i])), z = vp(i), n = Int(cnt[i])
            switch k {
            case .add: for j in 0..<n { z[j] = x[j * sa] + y[j * sb] }
            case .sub: for j in 0..<n { z[j] = x[j * sa] - y[j * sb] }
            case .mul: for j in 0..<n { z[j] = x[j * sa] * y[j * sb] }
            case .div: for j in 0..<n { z[j] = x[j * sa] / y[j * sb] }
            case .pow, .max, .min: for j in 0..<n { z[j] = Kernel.binaryValue(k, x[j * sa], y[j * sb]) }
            }
        case .ewUnary:
            let k = UKind(rawValue: ip[i])!
            let x = vp(Int(a[i])), z = vp(i), n = Int(cnt[i]), e = p[i]
            for j in 0..<n { z[j] = Kernel.unaryValue(k, x[j], e) }
        case .matmul:
            let at = Int(ip[i])
            let m = Int(aux[at]), kk = Int(aux[at + 1]), n = Int(aux[at + 2])
            let x = vp(Int(a[i])), y = vp(Int(b[i])), z = vp(i)
            for r in 0..<m {
                for c in 0..<n {
                    var s = 0.0
                    for l in 0..<kk { s += x[r * kk + l] * y[l * n + c] }
                    z[r * n + c] = s
                }
            }
        case .gather:
            let at = Int(ip[i])
            let x = vp(Int(a[i])), z = vp(i), n = Int(cnt[i])
            for j in 0..<n { z[j] = x[Int(aux[at + j])] }
        case .stack:
            let at = Int(ip[i])
            let z = vp(i), n = Int(cnt[i])
            for j in 0..<n { z[j] = val[Int(aux[at + j])] }
        }
        return true
    }

    /// Adds node i's adjoint times its local derivatives to its operands' adjoints (only operands
    /// that depend on an input: the others are constants).
    @inline(__always)
    func backward(_ i: Int) {
        switch op[i] {
        case .constant, .input, .tconstant, .tinput, .guardOp:
            break
        case .add:
            let g = adj[i]
            if g == 0 { return }
            adj[Int(a[i])] += g
            adj[Int(b[i])] += g
        case .sub:
            let g = adj[i]
            if g == 0 { return }
            adj[Int(a[i])] += g
            adj[Int(b[i])] -= g
        case .mul:
            let g = adj[i]
            if g == 0 { return }
            let x = Int(a[i]), y = Int(b[i])
            adj[x] += g * val[y]
            adj[y] += g * val[x]
        case .div:
            let g = adj[i]
            if g == 0 { return }
            let x = Int(a[i]), y = Int(b[i])
            adj[x] += g / val[y]
            adj[y] -= g * val[i] / val[y]
        case .unary:
            let g = adj[i]
            if g == 0 { return }
            let x = Int(a[i])
            let k = UKind(rawValue: ip[i])!
            if k.isPiecewiseConstant { return }
            adj[x] += g * Kernel.unaryDerivative(k, val[x], val[i], p[i])
        case .pow, .max, .min:
            let g = adj[i]
            if g == 0 { return }
            let x = Int(a[i]), y = Int(b[i])
            let k: BKind = op[i] == .pow ? .pow : (op[i] == .max ? .max : .min)
            let (dx, dy) = Kernel.binaryDerivatives(k, val[x], val[y], val[i])
            if dep[x] { adj[x] += g * dx }
            if dep[y] { adj[y] += g * dy }
        case .index:
            let g = adj[i]
            if g == 0 { return }
            tadj[Int(off[Int(a[i])]) + Int(ip[i])] += g
        case .sum:
            let g = adj[i]
            let gx = gp(Int(a[i])), n = Int(cnt[Int(a[i])])
            for j in 0..<n { gx[j] += g }
        case .mean:
            let n = Int(cnt[Int(a[i])])
            let g = adj[i] / Double(n)
            let gx = gp(Int(a[i]))
            for j in 0..<n { gx[j] += g }
        case .norm:
            let g = adj[i], y = val[i]
            if g == 0 || y == 0 { return }
            let x = vp(Int(a[i])), gx = gp(Int(a[i])), n = Int(cnt[Int(a[i])])
            for j in 0..<n { gx[j] += g * x[j] / y }
        case .dot:
            let g = adj[i]
            let xa = Int(a[i]), ya = Int(b[i])
            let x = vp(xa), y = vp(ya), n = Int(cnt[xa])
            if dep[xa] {
                let gx = gp(xa)
                for j in 0..<n { gx[j] += g * y[j] }
            }
            if dep[ya] {
                let gy = gp(ya)
                for j in 0..<n { gy[j] += g * x[j] }
            }
        case .ewBinary:
            let k = BKind(rawValue: ip[i] >> 2)!
            let sa = Int(ip[i] & 1), sb = Int((ip[i] >> 1) & 1)
            let xa = Int(a[i]), ya = Int(b[i])
            let x = vp(xa), y = vp(ya), z = vp(i), gz = gp(i), n = Int(cnt[i])
            let gx = gp(xa), gy = gp(ya)
            let dx = dep[xa], dy = dep[ya]
            switch k {
            case .add:
                if dx { for j in 0..<n { gx[j * sa] += gz[j] } }
                if dy { for j in 0..<n { gy[j * sb] += gz[j] } }
            case .sub:
                if dx { for j in 0..<n { gx[j * sa] += gz[j] } }
                if dy { for j in 0..<n { gy[j * sb] -= gz[j] } }
            case .mul:
                if dx { for j in 0..<n { gx[j * sa] += gz[j] * y[j * sb] } }
                if dy { for j in 0..<n { gy[j * sb] += gz[j] * x[j * sa] } }
            case .div, .pow, .max, .min:
                for j in 0..<n {
                    let g = gz[j]
                    if g == 0 { continue }
                    let (ddx, ddy) = Kernel.binaryDerivatives(k, x[j * sa], y[j * sb], z[j])
                    if dx { gx[j * sa] += g * ddx }
                    if dy { gy[j * sb] += g * ddy }
                }
            }
        case .ewUnary:
            let k = UKind(rawValue: ip[i])!
            if k.isPiecewiseConstant { return }
            let xa = Int(a[i])
            let x = vp(xa), z = vp(i), gz = gp(i), gx = gp(xa), n = Int(cnt[i]), e = p[i]
            for j in 0..<n where gz[j] != 0 {
                gx[j] += gz[j] * Kernel.unaryDerivative(k, x[j], z[j], e)
            }
        case .matmul:
            let at = Int(ip[i])
            let m = Int(aux[at]), kk = Int(aux[at + 1]), n = Int(aux[at + 2])
            let xa = Int(a[i]), ya = Int(b[i])
            let x = vp(xa), y = vp(ya), gz = gp(i)
            if dep[xa] {
                let gx = gp(xa)
                for r in 0..<m {
                    for l in 0..<kk {
                        var s = 0.0
                        for c in 0..<n { s += gz[r * n + c] * y[l * n + c] }
                        gx[r * kk + l] += s
                    }
                }
            }
            if dep[ya] {
                let gy = gp(ya)
                for l in 0..<kk {
                    for c in 0..<n {
                        var s = 0.0
                        for r in 0..<m { s += x[r * kk + l] * gz[r * n + c] }
                        gy[l * n + c] += s
                    }
                }
            }
        case .gather:
            let at = Int(ip[i])
            let gx = gp(Int(a[i])), gz = gp(i), n = Int(cnt[i])
            for j in 0..<n { gx[Int(aux[at + j])] += gz[j] }
        case .stack:
            let at = Int(ip[i])
            let gz = gp(i), n = Int(cnt[i])
            for j in 0..<n {
                let s = Int(aux[at + j])
                if dep[s] { adj[s] += gz[j] }
            }
        }
    }
}
