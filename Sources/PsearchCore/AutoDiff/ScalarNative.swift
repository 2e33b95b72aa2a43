#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A `ScalarProgram` translated to x86-64 machine code: both sweeps as one straight-line function.
///
/// Interpreting the program costs a dispatch, operand decoding and loads per instruction, about
/// 30 machine instructions for a single `addsd`; a long descent on a small function spends most
/// of its time there. The arithmetic instructions (`+ - * /` in every flavour, `copy`, `square`
/// and merged squares) become SSE2 instructions on the slot arrays, in the interpreter's
/// operation order and with its skip-zero-adjoint test, so results are bit-identical (no fused
/// multiply-add, no reassociation). Every other instruction calls the interpreter's own step
/// for that one instruction, so its rules exist once.
///
/// Built only on x86-64 Linux, when the kernel grants an executable mapping (written first, then
/// made read-and-execute, never both); otherwise, or with `PSEARCH_NO_NATIVE=1` in the
/// environment, the interpreter runs.
final class ScalarNativeCode {
    /// `(values, adjoints, inputs, gradient) -> 1`, or 0 when a guard fails.
    typealias Entry = @convention(c) (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>,
                                      UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Int32

    let entry: Entry
    private let code: UnsafeMutableRawPointer
    private let codeSize: Int
    /// The instructions that run through the interpreter's step functions, which receive a
    /// pointer into this copy (the program's own columns may move when it is rebuilt).
    private let called: UnsafeMutablePointer<ScalarInstr>

    /// Whether native code may be made at all (read once).
    static let enabled: Bool = {
        #if arch(x86_64) && os(Linux)
        if let v = getenv("PSEARCH_NO_NATIVE"), v.pointee != 0, String(cString: v) != "0" { return false }
        return true
        #else
        return false
        #endif
    }()

    /// Programs beyond this many instructions stay interpreted: each instruction is up to ~40
    /// bytes of code, and a straight-line function far bigger than the caches gains nothing.
    static let maxInstructions = 20_000

    private init(entry: Entry, code: UnsafeMutableRawPointer, codeSize: Int, called: UnsafeMutablePointer<ScalarInstr>) {
        self.entry = entry
        self.code = code
        self.codeSize = codeSize
        self.called = called
    }

    deinit {
        munmap(code, codeSize)
        called.deallocate()
    }

    /// Translates `p`; nil where native code is unavailable or the program is too big.
    static func make(_ p: ScalarProgram) -> ScalarNativeCode? {
        #if arch(x86_64) && os(Linux)
        guard enabled, p.forward.count + p.backward.count <= maxInstructions, p.inputCount <= 4096,
              p.values.count < (1 << 27) else { return nil }
        let called = UnsafeMutablePointer<ScalarInstr>.allocate(capacity: max(1, p.forward.count + p.backward.count))
        var e = Emitter()
        e.prologue()
        // Inputs into their slots, their adjoints cleared (the interpreter's `copySmall`s).
        for i in 0..<p.inputCount {
            e.sse(0xF2, 0x10, 0, .inputs, i)
            e.sse(0xF2, 0x11, 0, .values, i)
            e.sse(0xF2, 0x11, Emitter.zero, .adjoints, i)
        }
        var nCalled = 0
        func call(_ helper: UnsafeRawPointer, _ ins: ScalarInstr, checkResult: Bool) {
            called[nCalled] = ins
            e.callHelper(helper, UnsafeRawPointer(called + nCalled), checkResult: checkResult)
            nCalled += 1
        }
        for k in 0..<p.forward.count {
            let ins = p.forward[k]
            let d = Int(ins.dst), x = Int(ins.a), y = Int(ins.b)
            switch ins.code {
            case .add, .addA, .addB, .sub, .subA, .subB, .mul, .mulA, .mulB, .div, .divA, .divB:
                e.sse(0xF2, 0x10, 0, .values, x)
                e.sse(0xF2, Emitter.arith(ins.code), 0, .values, y)
            case .copy:
                e.sse(0xF2, 0x10, 0, .values, x)
            case .square:
                e.sse(0xF2, 0x10, 0, .values, x)
                e.sseRR(0xF2, 0x59, 0, 0)
            default:
                call(forwardStepAddress, ins, checkResult: true)
                continue
            }
            e.sse(0xF2, 0x11, 0, .values, d)
            e.sse(0xF2, 0x11, Emitter.zero, .adjoints, d)
            if ins.mask & ScalarInstr.squared != 0 {
                e.sseRR(0x66, 0x28, 1, 0)
                e.sseRR(0xF2, 0x59, 1, 0)
                e.sse(0xF2, 0x11, 1, .values, d + 1)
                e.sse(0xF2, 0x11, Emitter.zero, .adjoints, d + 1)
            }
        }
        e.storeOne(adjointSlot: Int(p.out))
        for k in 0..<p.backward.count {
            let ins = p.backward[k]
            let d = Int(ins.dst), x = Int(ins.a), y = Int(ins.b)
            switch ins.code {
            case .add, .addA, .addB, .sub, .subA, .subB, .mul, .mulA, .mulB, .div, .divA, .divB, .copy, .square:
                break
            default:
                call(backwardStepAddress, ins, checkResult: false)
                continue
            }
            let skip = e.newLabel()
            if ins.mask & ScalarInstr.squared != 0 {
                // gd = g[d+1] * (2 * v[d]), skipped when g[d+1] is zero.
                e.sse(0xF2, 0x10, 1, .adjoints, d + 1)
                e.jumpIfZero(1, skip)
                e.sseRR(0x66, 0x28, 0, Emitter.two)
                e.sse(0xF2, 0x59, 0, .values, d)
                e.sseRR(0xF2, 0x59, 0, 1)
            } else {
                e.sse(0xF2, 0x10, 0, .adjoints, d)
            }
            e.jumpIfZero(0, skip)
            // gd is in xmm0; each rule is `g[t] = g[t] ± term`, term in xmm1.
            func accumulate(_ target: Int, subtract: Bool = false) {
                e.sse(0xF2, 0x10, 2, .adjoints, target)
                e.sseRR(0xF2, subtract ? 0x5C : 0x58, 2, 1)
                e.sse(0xF2, 0x11, 2, .adjoints, target)
            }
            func termIsGd() { e.sseRR(0x66, 0x28, 1, 0) }
            func termIsGdTimes(_ slot: Int) {
                termIsGd()
                e.sse(0xF2, 0x59, 1, .values, slot)
            }
            switch ins.code {
            case .add: termIsGd(); accumulate(x); accumulate(y)
            case .addA, .copy: termIsGd(); accumulate(x)
            case .addB: termIsGd(); accumulate(y)
            case .sub: termIsGd(); accumulate(x); accumulate(y, subtract: true)
            case .subA: termIsGd(); accumulate(x)
            case .subB: termIsGd(); accumulate(y, subtract: true)
            case .mul: termIsGdTimes(y); accumulate(x); termIsGdTimes(x); accumulate(y)
            case .mulA: termIsGdTimes(y); accumulate(x)
            case .mulB: termIsGdTimes(x); accumulate(y)
            case .div, .divA, .divB:
                if ins.code != .divB {
                    termIsGd()
                    e.sse(0xF2, 0x5E, 1, .values, y)
                    accumulate(x)
                }
                if ins.code != .divA {
                    termIsGdTimes(d)
                    e.sse(0xF2, 0x5E, 1, .values, y)
                    accumulate(y, subtract: true)
                }
            case .square:
                // gd * (2 * v[x])
                e.sseRR(0x66, 0x28, 1, Emitter.two)
                e.sse(0xF2, 0x59, 1, .values, x)
                e.sseRR(0xF2, 0x59, 1, 0)
                accumulate(x)
            default:
                break
            }
            e.bind(skip)
        }
        for i in 0..<p.inputCount {
            e.sse(0xF2, 0x10, 0, .adjoints, i)
            e.sse(0xF2, 0x11, 0, .gradient, i)
        }
        e.epilogue()

        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = (e.bytes.count + page - 1) / page * page
        guard let mem = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mem != MAP_FAILED else {
            called.deallocate()
            return nil
        }
        e.bytes.withUnsafeBytes { mem.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        guard mprotect(mem, size, PROT_READ | PROT_EXEC) == 0 else {
            munmap(mem, size)
            called.deallocate()
            return nil
        }
        return ScalarNativeCode(entry: unsafeBitCast(mem, to: Entry.self), code: mem, codeSize: size, called: called)
        #else
        return nil
        #endif
    }
}

#if arch(x86_64) && os(Linux)
/// `(values, adjoints, instruction)`; the instruction is a `ScalarInstr`, which C cannot name.
private typealias Step = @convention(c) (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeRawPointer) -> Int32

/// One forward instruction by the interpreter's rule; 0 when it is a guard that fails.
private let forwardStep: Step = { v, g, ins in
    ScalarRun.forwardStep(ins.load(as: ScalarInstr.self), v, g) ? 1 : 0
}
/// One backward instruction by the interpreter's rule.
private let backwardStep: Step = { v, g, ins in
    ScalarRun.backwardStep(ins.load(as: ScalarInstr.self), v, g)
    return 1
}
private var forwardStepAddress: UnsafeRawPointer { unsafeBitCast(forwardStep, to: UnsafeRawPointer.self) }
private var backwardStepAddress: UnsafeRawPointer { unsafeBitCast(backwardStep, to: UnsafeRawPointer.self) }

/// A tiny x86-64 assembler for the function `ScalarNativeCode` makes.
///
/// Registers: rbx = values, rbp = adjoints, r13 = inputs, r14 = gradient (callee-saved, so they
/// survive the helper calls); xmm0–xmm2 scratch; xmm6 = 2.0 and xmm7 = 0.0, set again after
/// every call (the ABI lets the callee change every xmm register).
private struct Emitter {
    enum Base: UInt8 {
        case values = 3, adjoints = 5, inputs = 13, gradient = 14
    }

    static let two: UInt8 = 6
    static let zero: UInt8 = 7

    var bytes: [UInt8] = []
    /// Jump sites (offset of the rel32) by label, and where labels were bound.
    private var fixups: [(at: Int, label: Int)] = []
    private var labels: [Int] = []
    private var failLabel = -1

    static func arith(_ c: ScalarInstr.Code) -> UInt8 {
        switch c {
        case .add, .addA, .addB: return 0x58
        case .sub, .subA, .subB: return 0x5C
        case .mul, .mulA, .mulB: return 0x59
        default: return 0x5E
        }
    }

    mutating func emit(_ b: UInt8...) { bytes.append(contentsOf: b) }
    mutating func emit32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func emit64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// `op xmm(reg), [base + 8·slot]` (or the store form), with the mandatory prefix first.
    mutating func sse(_ prefix: UInt8, _ opcode: UInt8, _ reg: UInt8, _ base: Base, _ slot: Int) {
        emit(prefix)
        if base.rawValue >= 8 { emit(0x41) }
        emit(0x0F, opcode, 0x80 | (reg << 3) | (base.rawValue & 7))
        emit32(Int32(slot * 8))
    }

    /// `op xmm(dst), xmm(src)`.
    mutating func sseRR(_ prefix: UInt8, _ opcode: UInt8, _ dst: UInt8, _ src: UInt8) {
        emit(prefix, 0x0F, opcode, 0xC0 | (dst << 3) | src)
    }

    mutating func constants() {
        emit(0x66, 0x0F, 0x57, 0xFF)                      // xorpd xmm7, xmm7
        emit(0x48, 0xB8); emit64((2.0).bitPattern)         // mov rax, 2.0
        emit(0x66, 0x48, 0x0F, 0x6E, 0xF0)                // movq xmm6, rax
    }

    mutating func prologue() {
        emit(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56)  // push rbx, rbp, r12, r13, r14
        emit(0x48, 0x89, 0xFB)                                // mov rbx, rdi
        emit(0x48, 0x89, 0xF5)                                // mov rbp, rsi
        emit(0x49, 0x89, 0xD5)                                // mov r13, rdx
        emit(0x49, 0x89, 0xCE)                                // mov r14, rcx
        constants()
        failLabel = newLabel()
    }

    mutating func epilogue() {
        emit(0xB8); emit32(1)                                  // mov eax, 1
        let done = newLabel()
        jump(done)
        bind(failLabel)
        emit(0x31, 0xC0)                                       // xor eax, eax
        bind(done)
        emit(0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B)   // pop r14, r13, r12, rbp, rbx
        emit(0xC3)                                             // ret
        for f in fixups {
            let rel = Int32(labels[f.label] - (f.at + 4))
            withUnsafeBytes(of: rel.littleEndian) { for (i, b) in $0.enumerated() { bytes[f.at + i] = b } }
        }
    }

    /// `g[slot] = 1.0`.
    mutating func storeOne(adjointSlot slot: Int) {
        emit(0x48, 0xB8); emit64((1.0).bitPattern)            // mov rax, 1.0
        emit(0x48, 0x89, 0x85); emit32(Int32(slot * 8))       // mov [rbp + 8·slot], rax
    }

    /// `helper(values, adjoints, instruction)`; with `checkResult`, a 0 result returns 0.
    mutating func callHelper(_ helper: UnsafeRawPointer, _ instruction: UnsafeRawPointer, checkResult: Bool) {
        emit(0x48, 0x89, 0xDF)                                 // mov rdi, rbx
        emit(0x48, 0x89, 0xEE)                                 // mov rsi, rbp
        emit(0x48, 0xBA); emit64(UInt64(UInt(bitPattern: instruction)))  // mov rdx, imm64
        emit(0x48, 0xB8); emit64(UInt64(UInt(bitPattern: helper)))       // mov rax, imm64
        emit(0xFF, 0xD0)                                       // call rax
        if checkResult {
            emit(0x85, 0xC0)                                   // test eax, eax
            emit(0x0F, 0x84); fixup(failLabel)                 // jz fail
        }
        constants()
    }

    mutating func newLabel() -> Int {
        labels.append(-1)
        return labels.count - 1
    }

    mutating func bind(_ label: Int) { labels[label] = bytes.count }

    private mutating func fixup(_ label: Int) {
        fixups.append((bytes.count, label))
        emit32(0)
    }

    mutating func jump(_ label: Int) {
        emit(0xE9); fixup(label)
    }

    /// Jumps when xmm(reg) == 0 (+0 or −0); NaN is not zero (ucomisd sets ZF and PF for it).
    mutating func jumpIfZero(_ reg: UInt8, _ label: Int) {
        emit(0x66, 0x0F, 0x2E, 0xC0 | (reg << 3) | Emitter.zero)  // ucomisd xmm(reg), xmm7
        emit(0x0F, 0x8A, 0x06, 0x00, 0x00, 0x00)               // jp +6: unordered, not zero
        emit(0x0F, 0x84); fixup(label)                         // je label
    }
}
#endif
