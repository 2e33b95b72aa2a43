/// One step of a compiled tape: scalar arithmetic is inlined (with constant operands folded
/// in), everything else defers to the node's `Kernel` rule.
struct Instr: BitwiseCopyable {
    enum Code: UInt8, BitwiseCopyable {
        case add, sub, mul, div
        /// x + c, x − c, c − x, x·c, x / c, c / x: one operand is a constant of the traced function.
        case addc, subc, rsubc, mulc, divc, rdivc
        case square, neg
        /// A number read from a tensor: `a` is the element's offset in the tensor pool.
        case index
        /// Any other node, by the general rule.
        case generic
    }

    var code: Code
    var dst: Int32
    var a: Int32
    var b: Int32
    var c: Double
}

extension Tape {
    /// Compiles the recording for replay: by the tape's `compiler` when it takes this tape,
    /// else as `program`, the nodes replay must recompute (those that depend on an input).
    ///
    /// The arithmetic is the same as the general rules' (same operations, same order), so a
    /// replay is bit-identical to recording afresh at the same inputs.
    func compile() {
        program.removeAll()
        compiled = true
        if let compiler, output != nil, notReplayableReason == nil, let fast = compiler.compile(self) {
            compiledObjective = fast
            return
        }
        let n = op.count
        for i in 0..<n where dep[i] {
            let x = a[i], y = b[i]
            func fold(_ both: Instr.Code, _ constRight: Instr.Code, _ constLeft: Instr.Code) -> Instr {
                if !dep[Int(y)] { return Instr(code: constRight, dst: Int32(i), a: x, b: -1, c: val[Int(y)]) }
                if !dep[Int(x)] { return Instr(code: constLeft, dst: Int32(i), a: y, b: -1, c: val[Int(x)]) }
                return Instr(code: both, dst: Int32(i), a: x, b: y, c: 0)
            }
            switch op[i] {
            case .input, .tinput:
                continue
            case .add: program.append(fold(.add, .addc, .addc))
            case .sub: program.append(fold(.sub, .subc, .rsubc))
            case .mul: program.append(fold(.mul, .mulc, .mulc))
            case .div: program.append(fold(.div, .divc, .rdivc))
            case .unary where ip[i] == UKind.square.rawValue:
                program.append(Instr(code: .square, dst: Int32(i), a: x, b: -1, c: 0))
            case .unary where ip[i] == UKind.neg.rawValue:
                program.append(Instr(code: .neg, dst: Int32(i), a: x, b: -1, c: 0))
            case .index:
                program.append(Instr(code: .index, dst: Int32(i), a: off[Int(x)] + ip[i], b: -1, c: 0))
            default:
                program.append(Instr(code: .generic, dst: Int32(i), a: -1, b: -1, c: 0))
            }
        }
        adj.resize(n, fill: 0)
        tadj.resize(tval.count, fill: 0)
    }

    /// Runs the compiled forward pass; false when a guard fails.
    @inline(__always)
    func runForward() -> Bool {
        let k = kernel
        let v = k.val, tv = k.tval
        let prog = program.base
        for q in 0..<program.count {
            let ins = prog[q]
            let d = Int(ins.dst)
            switch ins.code {
            case .add: v[d] = v[Int(ins.a)] + v[Int(ins.b)]
            case .sub: v[d] = v[Int(ins.a)] - v[Int(ins.b)]
            case .mul: v[d] = v[Int(ins.a)] * v[Int(ins.b)]
            case .div: v[d] = v[Int(ins.a)] / v[Int(ins.b)]
            case .addc: v[d] = v[Int(ins.a)] + ins.c
            case .subc: v[d] = v[Int(ins.a)] - ins.c
            case .rsubc: v[d] = ins.c - v[Int(ins.a)]
            case .mulc: v[d] = v[Int(ins.a)] * ins.c
            case .divc: v[d] = v[Int(ins.a)] / ins.c
            case .rdivc: v[d] = ins.c / v[Int(ins.a)]
            case .square:
                let x = v[Int(ins.a)]
                v[d] = x * x
            case .neg: v[d] = -v[Int(ins.a)]
            case .index: v[d] = tv[Int(ins.a)]
            case .generic: if !k.forward(d) { return false }
            }
        }
        return true
    }

    /// Runs the compiled backward pass from `out` (adjoints already zeroed, adj[out] = 1).
    @inline(__always)
    func runBackward(from out: Int) {
        let k = kernel
        let v = k.val, g = k.adj, tg = k.tadj
        let prog = program.base
        var q = program.count - 1
        while q >= 0 && Int(prog[q].dst) > out { q -= 1 }
        while q >= 0 {
            let ins = prog[q]
            q -= 1
            let d = Int(ins.dst)
            if ins.code == .generic {
                k.backward(d)
                continue
            }
            let gd = g[d]
            if gd == 0 { continue }
            let x = Int(ins.a)
            switch ins.code {
            case .add:
                g[x] += gd
                g[Int(ins.b)] += gd
            case .sub:
                g[x] += gd
                g[Int(ins.b)] -= gd
            case .mul:
                let y = Int(ins.b)
                g[x] += gd * v[y]
                g[y] += gd * v[x]
            case .div:
                let y = Int(ins.b)
                g[x] += gd / v[y]
                g[y] -= gd * v[d] / v[y]
            case .addc, .subc: g[x] += gd
            case .rsubc: g[x] -= gd
            case .mulc: g[x] += gd * ins.c
            case .divc: g[x] += gd / ins.c
            case .rdivc: g[x] -= gd * v[d] / v[x]
            case .square: g[x] += gd * (2 * v[x])
            case .neg: g[x] += gd * -1
            case .index: tg[x] += gd
            case .generic: break
            }
        }
    }
}
