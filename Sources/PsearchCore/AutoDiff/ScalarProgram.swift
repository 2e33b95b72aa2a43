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
        /// Functions of one number; `powc`'s exponent is the constant in slot `b`.
        case neg, sqrt, exp, log, sin, cos, tanh, abs, powc, square
        /// A recorded comparison: `dst` holds the comparison times two plus the recorded outcome.
        case guardOp
    }

    var code: Code
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
    var inputCount = 0
    var out: Int32 = 0

    func free() {
        forward.free(); backward.free(); values.free(); adjoints.free()
    }

    mutating func removeAll() {
        forward.removeAll(); backward.removeAll(); values.removeAll(); adjoints.removeAll()
        inputCount = 0
        out = 0
    }

    /// Raw pointers to the program, taken once per replay (a method call on the tape's stored
    /// `ScalarProgram` would copy the whole struct).
    @inline(__always)
    var run: ScalarRun {
        ScalarRun(forward: forward.base, forwardEnd: forward.base + forward.count, backward: backward.base,
                  backwardEnd: backward.base + backward.count, values: values.base, adjoints: adjoints.base,
                  inputCount: inputCount, out: Int(out))
    }
}

/// One replay of a `ScalarProgram`.
struct ScalarRun {
    let forward, forwardEnd, backward, backwardEnd: UnsafeMutablePointer<ScalarInstr>
    let values, adjoints: UnsafeMutablePointer<Double>
    let inputCount: Int
    let out: Int

    /// Loads inputs and runs the forward list; false when a guard's outcome differs. Zeroes every
    /// adjoint the backward sweep reads on the way, so no separate clearing pass is needed.
    @inline(__always)
    func runForward(_ inputs: UnsafeBufferPointer<Double>) -> Bool {
        let v = values, g = adjoints
        for j in 0..<inputCount {
            v[j] = inputs[j]
            g[j] = 0
        }
        var ip = forward
        let end = forwardEnd
        while ip < end {
            let ins = ip.pointee
            ip += 1
            let d = Int(ins.dst), x = Int(ins.a), y = Int(ins.b)
            switch ins.code {
            case .add, .addA, .addB: v[d] = v[x] + v[y]
            case .sub, .subA, .subB: v[d] = v[x] - v[y]
            case .mul, .mulA, .mulB: v[d] = v[x] * v[y]
            case .div, .divA, .divB: v[d] = v[x] / v[y]
            case .pow: v[d] = Kernel.binaryValue(.pow, v[x], v[y])
            case .max: v[d] = Kernel.binaryValue(.max, v[x], v[y])
            case .min: v[d] = Kernel.binaryValue(.min, v[x], v[y])
            case .copy: v[d] = v[x]
            case .neg: v[d] = Kernel.unaryValue(.neg, v[x], 0)
            case .sqrt: v[d] = Kernel.unaryValue(.sqrt, v[x], 0)
            case .exp: v[d] = Kernel.unaryValue(.exp, v[x], 0)
            case .log: v[d] = Kernel.unaryValue(.log, v[x], 0)
            case .sin: v[d] = Kernel.unaryValue(.sin, v[x], 0)
            case .cos: v[d] = Kernel.unaryValue(.cos, v[x], 0)
            case .tanh: v[d] = Kernel.unaryValue(.tanh, v[x], 0)
            case .abs: v[d] = Kernel.unaryValue(.abs, v[x], 0)
            case .powc: v[d] = Kernel.unaryValue(.powc, v[x], v[y])
            case .square: v[d] = Kernel.unaryValue(.square, v[x], 0)
            case .guardOp:
                let c = Comparison(rawValue: UInt8(truncatingIfNeeded: d >> 1)) ?? .eq
                if c.holds(v[x], v[y]) != (d & 1 == 1) { return false }
                continue
            }
            g[d] = 0
        }
        return true
    }

    /// Sweeps the output's ancestors backwards from adjoint 1 at the output.
    @inline(__always)
    func runBackward() {
        let v = values, g = adjoints
        g[out] = 1
        var ip = backward
        let end = backwardEnd
        while ip < end {
            let ins = ip.pointee
            ip += 1
            let d = Int(ins.dst)
            let gd = g[d]
            if gd == 0 { continue }
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
            case .guardOp: break
            }
        }
    }
}

extension Tape {
    /// Compiles the tape to a `ScalarProgram` when every node replay recomputes is a number (the
    /// inputs may be tensors, read element by element with `index`); false otherwise, and the
    /// general program is used.
    ///
    /// Exactness: a node's adjoint is a sum started from +0 in reverse node order, and each rule
    /// below is the general rule's expression. An input element read by several `index` nodes
    /// lets the last of them write straight into the element's slot: the general sweep adds that
    /// node's finished adjoint to the element's +0 first (0 + a == a, as a sum started from +0
    /// is never −0), and the earlier `index` nodes keep their own adjoints (`copy`).
    func compileScalar(output out: Int) -> Bool {
        let n = op.count
        guard out < n else { return false }
        var sp = scalar
        sp.removeAll()
        defer { scalar = sp }

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
                    if dep[x] { live[x] = true; if grad[i] { grad[x] = true } }
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
        // The last live `index` node of each input element aliases the element's slot.
        var lastIndex = [Int32: Int]()
        for i in 0..<n where live[i] && op[i] == .index {
            guard let base = tensorBase[a[i]] else { return false }
            lastIndex[base + ip[i]] = i
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

        var backwardList: [ScalarInstr] = []
        for i in 0..<n where live[i] {
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
                if lastIndex[element] == i {
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
                switch k {
                case .neg: ins.code = .neg
                case .sqrt: ins.code = .sqrt
                case .exp: ins.code = .exp
                case .log: ins.code = .log
                case .sin: ins.code = .sin
                case .cos: ins.code = .cos
                case .tanh: ins.code = .tanh
                case .abs: ins.code = .abs
                case .square: ins.code = .square
                case .powc:
                    ins.code = .powc
                    ins.b = newSlot()
                    sp.values[Int(ins.b)] = p[i]
                }
                ins.a = operand(x)
            case .guardOp:
                ins.code = .guardOp
                ins.a = operand(x)
                ins.b = operand(y)
                ins.dst = ip[i]
                sp.forward.append(ins)
                continue
            case .constant, .tconstant, .sum, .mean, .norm, .dot, .ewBinary, .ewUnary, .matmul, .gather, .stack:
                return false
            }
            ins.dst = newSlot()
            slot[i] = ins.dst
            sp.forward.append(ins)
            if grad[i] { backwardList.append(ins) }
        }
        for ins in backwardList.reversed() { sp.backward.append(ins) }
        sp.out = operand(out)
        sp.adjoints.resize(sp.values.count, fill: 0)
        return true
    }
}
