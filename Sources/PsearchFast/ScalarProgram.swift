import PsearchCore

/// One step of a `ScalarProgram`: an operation on value slots, 16 bytes.
///
/// Binary operations come in three flavours that compute the same thing (`v[a] op v[b]`, in the
/// recorded operand order) and differ only in which operands receive an adjoint: both, only `a`
/// (`b` is a constant of the traced function) or only `b`.
struct ScalarInstr: BitwiseCopyable {
    enum Code: UInt8, BitwiseCopyable {
        case add, addA, addB, sub, subA, subB, mul, mulA, mulB, div, divA, divB
        /// `pow`, `max`, `min` of two numbers; `mask` says which operands depend on an input.
        case pow, max, min
        /// An input element read by a second `index` node: it keeps its own adjoint so the
        /// element's adjoint is summed in the order the general sweep sums it.
        case copy
        /// A function of one number, its `UKind` in `b`, by `Kernel`'s rules: a new primitive
        /// needs nothing here. One with derivative 0 everywhere (`floor`, `round`) runs forward
        /// only and is never in the backward list.
        case unary
        /// The common functions with a code each, a speed-up over `unary` (its second dispatch
        /// on the kind cost 11% on a descent of tanh, exp, sin and sqrt, 2026-12-07). `powc`'s
        /// exponent is the constant in slot `b`; `square` the machine code computes inline.
        case neg, sqrt, exp, log, sin, cos, tanh, abs, powc, square, floor, round
        /// A recorded comparison: `dst` holds the comparison times two plus the recorded outcome.
        case guardOp
    }

    /// The element functions with a code of their own (see `Code.neg`).
    static let codes: [UKind: Code] = [.neg: .neg, .sqrt: .sqrt, .exp: .exp, .log: .log, .sin: .sin, .cos: .cos,
                                       .tanh: .tanh, .abs: .abs, .square: .square, .floor: .floor, .round: .round]

    /// The result is also squared into slot `dst + 1`: a node whose only use is `x * x` (as in
    /// `(a - b)^2`) and its square run as one instruction. Only the square's slot has an adjoint.
    static let squared: UInt8 = 4

    var code: Code
    /// Bits 0 and 1: which operands of `pow`, `max`, `min` depend on an input; `squared`.
    var mask: UInt8
    var dst: Int32
    var a: Int32
    var b: Int32
}

/// A tape whose recomputed nodes are all numbers, compiled to straight-line slot code.
///
/// Slots: the flat inputs first (so loading inputs and reading the gradient are plain copies),
/// then constants and results as they are met. Only nodes the output or a guard needs are
/// computed; the backward list holds the output's ancestors in reverse. Every rule is the
/// general `Kernel` rule with the same expressions and the same summation order (see
/// `Tape.compileScalar`), so a replay is bit-identical to the general path and to a fresh trace.
struct ScalarProgram {
    var forward = Column<ScalarInstr>()
    var backward = Column<ScalarInstr>()
    /// Slot values; constants are written once at compile time.
    var values = Column<Double>()
    var adjoints = Column<Double>()
    var zeros = Column<Double>()
    var inputCount = 0
    var out: Int32 = 0
    /// The program as machine code, made by `ScalarObjective` after many replays (nil: interpret).
    var native: ScalarNativeCode?
    var nativeTried = false

    func free() {
        forward.free(); backward.free(); values.free(); adjoints.free(); zeros.free()
    }

    mutating func removeAll() {
        forward.removeAll(); backward.removeAll(); values.removeAll(); adjoints.removeAll(); zeros.removeAll()
        inputCount = 0
        out = 0
        native = nil
        nativeTried = false
    }

    /// Raw pointers to the program, taken once per replay (a method call on the tape's stored
    /// `ScalarProgram` would copy the whole struct).
    @inline(__always)
    var run: ScalarRun {
        ScalarRun(forward: forward.base, forwardEnd: forward.base + forward.count, backward: backward.base,
                  backwardEnd: backward.base + backward.count, values: values.base, adjoints: adjoints.base,
                  zeros: zeros.base, inputCount: inputCount, out: Int(out), native: native?.entry)
    }
}

/// One replay of a `ScalarProgram`.
struct ScalarRun {
    let forward, forwardEnd, backward, backwardEnd: UnsafeMutablePointer<ScalarInstr>
    let values, adjoints: UnsafeMutablePointer<Double>
    /// `inputCount` zeros, to clear the inputs' adjoints with `copySmall`.
    let zeros: UnsafeMutablePointer<Double>
    let inputCount: Int
    let out: Int
    /// The same program as machine code, when it could be made (`ScalarNativeCode`).
    let native: ScalarNativeCode.Entry?

    /// Value and gradient at `inputs` (written into `gradient`), nil when a guard fails.
    ///
    /// One function with both sweeps, so the pointers stay in registers.
    @inline(__always)
    func replay(_ inputs: UnsafeBufferPointer<Double>, _ gradient: UnsafeMutableBufferPointer<Double>) -> Double? {
        if let native, let x = inputs.baseAddress, let gp = gradient.baseAddress {
            return native(values, adjoints, x, gp) != 0 ? values[out] : nil
        }
        return interpret(inputs, gradient)
    }

    /// `replay` by the interpreter (tests compare it with the native code).
    @inline(__always)
    func interpret(_ inputs: UnsafeBufferPointer<Double>, _ gradient: UnsafeMutableBufferPointer<Double>) -> Double? {
        guard runForward(inputs) else { return nil }
        let v = values, g = adjoints
        g[out] = 1
        var ip = backward
        let end = backwardEnd
        while ip < end {
            Self.backwardStep(ip.pointee, v, g)
            ip += 1
        }
        if let gradient = gradient.baseAddress { copySmall(gradient, g, inputCount) }
        return v[out]
    }

    /// One instruction of the backward sweep: adds its adjoint's share to its operands'.
    @inline(__always)
    static func backwardStep(_ ins: ScalarInstr, _ v: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) {
        let d = Int(ins.dst)
        var gd = g[d]
        if ins.mask & ScalarInstr.squared != 0 {
            // The square's rule first; its operand's adjoint would be 0 + this, which is
            // this or, for −0, +0: zero either way, and zero is skipped below.
            let gs = g[d + 1]
            if gs == 0 { return }
            gd = gs * Kernel.unaryDerivative(.square, v[d], v[d + 1], 0)
        }
        if gd == 0 { return }
        let x = Int(ins.a), y = Int(ins.b)
        switch ins.code {
        case .add:
            g[x] += gd
            g[y] += gd
        case .addA: g[x] += gd
        case .addB: g[y] += gd
        case .sub:
            g[x] += gd
            g[y] -= gd
        case .subA: g[x] += gd
        case .subB: g[y] -= gd
        case .mul:
            g[x] += gd * v[y]
            g[y] += gd * v[x]
        case .mulA: g[x] += gd * v[y]
        case .mulB: g[y] += gd * v[x]
        case .div:
            g[x] += gd / v[y]
            g[y] -= gd * v[d] / v[y]
        case .divA: g[x] += gd / v[y]
        case .divB: g[y] -= gd * v[d] / v[y]
        case .pow, .max, .min:
            let k: BKind = ins.code == .pow ? .pow : (ins.code == .max ? .max : .min)
            let (dx, dy) = Kernel.binaryDerivatives(k, v[x], v[y], v[d])
            if ins.mask & 1 != 0 { g[x] += gd * dx }
            if ins.mask & 2 != 0 { g[y] += gd * dy }
        case .copy: g[x] += gd
        case .unary: g[x] += gd * Kernel.unaryDerivative(UKind(rawValue: ins.b).unsafelyUnwrapped, v[x], v[d], 0)
        case .neg: g[x] += gd * Kernel.unaryDerivative(.neg, v[x], v[d], 0)
        case .sqrt: g[x] += gd * Kernel.unaryDerivative(.sqrt, v[x], v[d], 0)
        case .exp: g[x] += gd * Kernel.unaryDerivative(.exp, v[x], v[d], 0)
        case .log: g[x] += gd * Kernel.unaryDerivative(.log, v[x], v[d], 0)
        case .sin: g[x] += gd * Kernel.unaryDerivative(.sin, v[x], v[d], 0)
        case .cos: g[x] += gd * Kernel.unaryDerivative(.cos, v[x], v[d], 0)
        case .tanh: g[x] += gd * Kernel.unaryDerivative(.tanh, v[x], v[d], 0)
        case .abs: g[x] += gd * Kernel.unaryDerivative(.abs, v[x], v[d], 0)
        case .powc: g[x] += gd * Kernel.unaryDerivative(.powc, v[x], v[d], v[y])
        case .square: g[x] += gd * Kernel.unaryDerivative(.square, v[x], v[d], 0)
        case .floor, .round, .guardOp: break
        }
    }

    /// Loads inputs and runs the forward list; false when a guard's outcome differs. Zeroes every
    /// adjoint the backward sweep reads on the way, so no separate clearing pass is needed.
    @inline(__always)
    func runForward(_ inputs: UnsafeBufferPointer<Double>) -> Bool {
        let v = values, g = adjoints
        if let x = inputs.baseAddress {
            copySmall(v, x, inputCount)
            copySmall(g, zeros, inputCount)
        }
        var ip = forward
        let end = forwardEnd
        while ip < end {
            guard Self.forwardStep(ip.pointee, v, g) else { return false }
            ip += 1
        }
        return true
    }

    /// One instruction of the forward sweep; false when it is a guard whose outcome differs.
    @inline(__always)
    static func forwardStep(_ ins: ScalarInstr, _ v: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Bool {
        let d = Int(ins.dst), x = Int(ins.a), y = Int(ins.b)
        let r: Double
        switch ins.code {
        case .add, .addA, .addB: r = v[x] + v[y]
        case .sub, .subA, .subB: r = v[x] - v[y]
        case .mul, .mulA, .mulB: r = v[x] * v[y]
        case .div, .divA, .divB: r = v[x] / v[y]
        case .pow: r = Kernel.binaryValue(.pow, v[x], v[y])
        case .max: r = Kernel.binaryValue(.max, v[x], v[y])
        case .min: r = Kernel.binaryValue(.min, v[x], v[y])
        case .copy: r = v[x]
        case .unary: r = Kernel.unaryValue(UKind(rawValue: ins.b).unsafelyUnwrapped, v[x], 0)
        case .neg: r = Kernel.unaryValue(.neg, v[x], 0)
        case .sqrt: r = Kernel.unaryValue(.sqrt, v[x], 0)
        case .exp: r = Kernel.unaryValue(.exp, v[x], 0)
        case .log: r = Kernel.unaryValue(.log, v[x], 0)
        case .sin: r = Kernel.unaryValue(.sin, v[x], 0)
        case .cos: r = Kernel.unaryValue(.cos, v[x], 0)
        case .tanh: r = Kernel.unaryValue(.tanh, v[x], 0)
        case .abs: r = Kernel.unaryValue(.abs, v[x], 0)
        case .powc: r = Kernel.unaryValue(.powc, v[x], v[y])
        case .square: r = Kernel.unaryValue(.square, v[x], 0)
        case .floor: r = Kernel.unaryValue(.floor, v[x], 0)
        case .round: r = Kernel.unaryValue(.round, v[x], 0)
        case .guardOp:
            let c = Comparison(rawValue: UInt8(truncatingIfNeeded: d >> 1)) ?? .eq
            return c.holds(v[x], v[y]) == (d & 1 == 1)
        }
        v[d] = r
        g[d] = 0
        if ins.mask & ScalarInstr.squared != 0 {
            v[d + 1] = Kernel.unaryValue(.square, r, 0)
            g[d + 1] = 0
        }
        return true
    }
}

extension Tape {
    /// Compiles the tape to a `ScalarProgram` when every node replay recomputes is a number (the
    /// inputs may be tensors, read element by element with `index`); false otherwise, and the
    /// general program is used.
    ///
    /// Exactness: a node's adjoint is a sum started from +0 in reverse node order, and each rule
    /// is the general rule's expression. An input element read by several `index` nodes lets the
    /// last of them write straight into the element's slot: the general sweep adds that node's
    /// finished adjoint to the element's +0 first (0 + a == a, as a sum started from +0 is never
    /// −0), and the earlier `index` nodes keep their own adjoints (`copy`) unless the element gets
    /// two terms in all. A merged square runs its rule where its operand's rule ran: the operand
    /// has no other use, so nothing else touches its adjoint in between.
    func compileScalar(output out: Int, into sp: inout ScalarProgram, unaryCodes: Bool = true) -> Bool {
        let n = op.count
        guard out < n else { return false }
        sp.removeAll()

        // Which nodes the output or a guard needs, and which the output's gradient needs.
        var live = [Bool](repeating: false, count: n)
        var grad = [Bool](repeating: false, count: n)
        if dep[out] { live[out] = true; grad[out] = true }
        for i in 0..<n where op[i] == .guardOp { live[i] = true }
        var i = n - 1
        while i >= 0 {
            if live[i] {
                let o = op[i]
                switch o {
                case .input, .tinput, .constant, .tconstant:
                    break
                case .add, .sub, .mul, .div, .pow, .max, .min, .guardOp, .unary, .index:
                    let x = Int(a[i])
                    // A piecewise-constant function passes no gradient to its operand.
                    let passes = o != .unary || !(UKind(rawValue: ip[i])?.isPiecewiseConstant ?? false)
                    if dep[x] { live[x] = true; if grad[i] && passes { grad[x] = true } }
                    if o != .unary && o != .index {
                        let y = Int(b[i])
                        if dep[y] { live[y] = true; if grad[i] { grad[y] = true } }
                    }
                case .sum, .mean, .norm, .dot, .ewBinary, .ewUnary, .matmul, .gather, .stack:
                    return false
                }
            }
            i -= 1
        }

        var slot = [Int32](repeating: -1, count: n)
        // Inputs: scalar inputs and tensor inputs' first elements, in the flat order.
        var tensorBase = [Int32: Int32]()
        var next: Int32 = 0
        for q in 0..<inputNodes.count {
            let node = Int(inputNodes[q])
            if off[node] < 0 {
                slot[node] = next
                next += 1
            } else {
                tensorBase[Int32(node)] = next
                next += cnt[node]
            }
        }
        sp.inputCount = Int(next)
        sp.values.resize(Int(next), fill: 0)
        // Uses of each node by live nodes (the output counts as one).
        var uses = [Int32](repeating: 0, count: n)
        var user = [Int](repeating: -1, count: n)
        uses[out] += 1
        for i in 0..<n where live[i] {
            switch op[i] {
            case .add, .sub, .mul, .div, .pow, .max, .min, .guardOp:
                uses[Int(a[i])] += 1
                uses[Int(b[i])] += 1
                user[Int(a[i])] = i
                user[Int(b[i])] = i
            case .unary, .index:
                uses[Int(a[i])] += 1
                user[Int(a[i])] = i
            default:
                break
            }
        }
        // Which `index` nodes read straight from their input element's slot: all of them when the
        // element's adjoint has at most two terms (a sum of two is the same in any order), else
        // the last one.
        var lastIndex = [Int32: Int]()
        var terms = [Int32: Int32]()
        for i in 0..<n where live[i] && op[i] == .index {
            guard let base = tensorBase[a[i]] else { return false }
            lastIndex[base + ip[i]] = i
            terms[base + ip[i], default: 0] += uses[i]
        }

        func newSlot() -> Int32 {
            let s = Int32(sp.values.count)
            sp.values.append(0)
            return s
        }
        /// The slot of an operand: a constant gets one holding its recorded value.
        func operand(_ j: Int) -> Int32 {
            if slot[j] < 0 {
                slot[j] = newSlot()
                sp.values[Int(slot[j])] = val[j]
            }
            return slot[j]
        }

        func squaredBy(_ i: Int) -> Int? {
            let u = user[i]
            guard uses[i] == 1, u >= 0, op[u] == .unary, ip[u] == UKind.square.rawValue else { return nil }
            return u
        }
        // A node whose only use is a square computes the square too (`ScalarInstr.squared`).
        var absorbed = [Bool](repeating: false, count: n)

        var list: [(ins: ScalarInstr, grad: Bool)] = []
        for i in 0..<n where live[i] && !absorbed[i] {
            let x = Int(a[i]), y = Int(b[i])
            var ins = ScalarInstr(code: .copy, mask: 0, dst: 0, a: 0, b: 0)
            func binary(_ both: ScalarInstr.Code, _ onlyA: ScalarInstr.Code, _ onlyB: ScalarInstr.Code) {
                ins.code = dep[x] ? (dep[y] ? both : onlyA) : onlyB
                ins.a = operand(x)
                ins.b = operand(y)
            }
            switch op[i] {
            case .input, .tinput:
                continue
            case .index:
                let element = tensorBase[a[i]]! + ip[i]
                if lastIndex[element] == i || terms[element]! <= 2 {
                    slot[i] = element
                    continue
                }
                ins.code = .copy
                ins.a = element
            case .add: binary(.add, .addA, .addB)
            case .sub: binary(.sub, .subA, .subB)
            case .mul: binary(.mul, .mulA, .mulB)
            case .div: binary(.div, .divA, .divB)
            case .pow, .max, .min:
                ins.code = op[i] == .pow ? .pow : (op[i] == .max ? .max : .min)
                ins.mask = (dep[x] ? 1 : 0) | (dep[y] ? 2 : 0)
                ins.a = operand(x)
                ins.b = operand(y)
            case .unary:
                guard let k = UKind(rawValue: ip[i]) else { return false }
                if k == .powc {
                    ins.code = .powc
                    ins.b = newSlot()
                    sp.values[Int(ins.b)] = p[i]
                } else if unaryCodes, let code = ScalarInstr.codes[k] {
                    ins.code = code
                } else {
                    // A kind without a code of its own (a new primitive) runs on the generic one.
                    ins.code = .unary
                    ins.b = k.rawValue
                }
                ins.a = operand(x)
            case .guardOp:
                ins.code = .guardOp
                ins.a = operand(x)
                ins.b = operand(y)
                ins.dst = ip[i]
                list.append((ins, false))
                continue
            case .constant, .tconstant, .sum, .mean, .norm, .dot, .ewBinary, .ewUnary, .matmul, .gather, .stack:
                return false
            }
            ins.dst = newSlot()
            slot[i] = ins.dst
            if let sq = squaredBy(i) {
                ins.mask |= ScalarInstr.squared
                slot[sq] = newSlot()
                absorbed[sq] = true
            }
            // A floor or round (with any square merged into it) sends nothing backwards.
            let flat = ins.code == .floor || ins.code == .round || (ins.code == .unary && UKind(rawValue: ins.b)?.isPiecewiseConstant == true)
            list.append((ins, grad[i] && !flat))
        }
        sp.out = operand(out)
        sp.adjoints.resize(sp.values.count, fill: 0)
        sp.zeros.resize(sp.inputCount, fill: 0)
        for (ins, _) in list { sp.forward.append(ins) }
        for (ins, g) in list.reversed() where g { sp.backward.append(ins) }
        return true
    }
}

/// Copies `n` doubles. A point has a handful of numbers, where a plain loop's vectorised set-up
/// costs more than the copy itself.
@inline(__always)
func copySmall(_ dst: UnsafeMutablePointer<Double>, _ src: UnsafePointer<Double>, _ n: Int) {
    switch n {
    case 0: break
    case 1: dst[0] = src[0]
    case 2: dst[0] = src[0]; dst[1] = src[1]
    case 3: dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2]
    case 4: dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2]; dst[3] = src[3]
    default: dst.update(from: src, count: n)
    }
}
