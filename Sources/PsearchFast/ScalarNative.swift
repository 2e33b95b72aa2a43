#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PsearchCore

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

    /// `(state) -> exit code`: plain gradient descent around `entry` (`NativeDescent`).
    typealias LoopEntry = @convention(c) (UnsafeMutableRawPointer) -> Int32

    let entry: Entry
    /// Made for points of at most `maxLoopDimension` numbers.
    let loopEntry: LoopEntry?
    let inputCount: Int
    static let maxLoopDimension = 64
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

    private init(entry: Entry, loopEntry: LoopEntry?, inputCount: Int, code: UnsafeMutableRawPointer, codeSize: Int,
                 called: UnsafeMutablePointer<ScalarInstr>) {
        self.entry = entry
        self.loopEntry = loopEntry
        self.inputCount = inputCount
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
        /// The code; with `needed`, stores only those slots to memory (the rest live in registers).
        func translate(needed: Set<Emitter.Key>?) -> Emitter {
            var e = Emitter()
            e.needed = needed
            e.prologue()
            // Inputs into their slots, their adjoints cleared (the interpreter's `copySmall`s).
            for i in 0..<p.inputCount {
                let r = e.load(.inputs, i)
                e.store(r, .values, i)
                e.storeZero(.adjoints, i)
                e.endRule()
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
                let r: UInt8
                switch ins.code {
                case .add, .addA, .addB, .sub, .subA, .subB, .mul, .mulA, .mulB, .div, .divA, .divB:
                    r = e.compute(.values, x, Emitter.arith(ins.code), .values, y)
                case .copy:
                    r = e.load(.values, x)
                case .square:
                    r = e.compute(.values, x, 0x59, .values, x)
                default:
                    call(forwardStepAddress, ins, checkResult: true)
                    continue
                }
                e.store(r, .values, d)
                e.storeZero(.adjoints, d)
                if ins.mask & ScalarInstr.squared != 0 {
                    let sq = e.compute(.values, d, 0x59, .values, d)
                    e.store(sq, .values, d + 1)
                    e.storeZero(.adjoints, d + 1)
                }
                e.endRule()
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
                // Everything the rules read or update is in registers before the jumps, and the
                // adjoints are updated in place, so both paths reach the label with the same cache.
                var targets: [Int] = [], reads: [Int] = []
                switch ins.code {
                case .add, .sub: targets = [x, y]
                case .addA, .subA, .copy: targets = [x]
                case .addB, .subB: targets = [y]
                case .mul: targets = [x, y]; reads = [y, x]
                case .mulA: targets = [x]; reads = [y]
                case .mulB: targets = [y]; reads = [x]
                case .div: targets = [x, y]; reads = [y, d]
                case .divA: targets = [x]; reads = [y]
                case .divB: targets = [y]; reads = [y, d]
                case .square: targets = [x]; reads = [x]
                default: break
                }
                if ins.mask & ScalarInstr.squared != 0 { reads.append(d) }
                for t in targets { e.materialize(.adjoints, t) }
                for r in reads { _ = e.load(.values, r) }
                let skip = e.newLabel()
                let gd: UInt8
                if ins.mask & ScalarInstr.squared != 0 {
                    // gd = g[d+1] * (2 * v[d]), skipped when g[d+1] is zero.
                    let gs = e.load(.adjoints, d + 1)
                    e.jumpIfZero(gs, skip)
                    let twice = e.scale(Emitter.two, .values, d)
                    gd = e.multiply(twice, gs)
                } else {
                    gd = e.load(.adjoints, d)
                }
                e.jumpIfZero(gd, skip)
                // Each rule is `g[t] = g[t] ± term`.
                func accumulate(_ target: Int, _ term: UInt8, subtract: Bool = false) {
                    e.update(.adjoints, target, subtract ? 0x5C : 0x58, term)
                }
                switch ins.code {
                case .add: accumulate(x, gd); accumulate(y, gd)
                case .addA, .copy: accumulate(x, gd)
                case .addB: accumulate(y, gd)
                case .sub: accumulate(x, gd); accumulate(y, gd, subtract: true)
                case .subA: accumulate(x, gd)
                case .subB: accumulate(y, gd, subtract: true)
                case .mul: accumulate(x, e.scale(gd, .values, y)); accumulate(y, e.scale(gd, .values, x))
                case .mulA: accumulate(x, e.scale(gd, .values, y))
                case .mulB: accumulate(y, e.scale(gd, .values, x))
                case .div, .divA, .divB:
                    if ins.code != .divB { accumulate(x, e.scale(gd, .values, y, op: 0x5E)) }
                    if ins.code != .divA {
                        let t = e.scale(gd, .values, d)
                        accumulate(y, e.scale(t, .values, y, op: 0x5E), subtract: true)
                    }
                case .square:
                    // gd * (2 * v[x])
                    accumulate(x, e.multiply(e.scale(Emitter.two, .values, x), gd))
                default:
                    break
                }
                e.bind(skip)
            }
            for i in 0..<p.inputCount {
                e.store(e.load(.adjoints, i), .gradient, i)
                e.endRule()
            }
            e.epilogue()
            return e
        }
        var e = translate(needed: nil)
        if e.calls == 0 {
            // Nothing but the code itself reads the slot arrays (no helper, and the caller reads
            // only the output's value): a store is needed only where the code loads the slot
            // back. The second translation makes the same register choices, so the same loads.
            e = translate(needed: e.missed.union([Emitter.Key(base: .values, slot: Int(p.out))]))
        }

        var bytes = e.bytes
        var loopOffset: Int?
        if p.inputCount <= maxLoopDimension {
            while bytes.count % 16 != 0 { bytes.append(0xCC) }
            loopOffset = bytes.count
            bytes += NativeDescent.loopCode(dimension: p.inputCount, out: Int(p.out), entryOffset: -bytes.count)
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = (bytes.count + page - 1) / page * page
        guard let mem = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mem != MAP_FAILED else {
            called.deallocate()
            return nil
        }
        bytes.withUnsafeBytes { mem.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        guard mprotect(mem, size, PROT_READ | PROT_EXEC) == 0 else {
            munmap(mem, size)
            called.deallocate()
            return nil
        }
        return ScalarNativeCode(entry: unsafeBitCast(mem, to: Entry.self),
                                loopEntry: loopOffset.map { unsafeBitCast(mem + $0, to: LoopEntry.self) },
                                inputCount: p.inputCount, code: mem, codeSize: size, called: called)
        #else
        return nil
        #endif
    }
}

/// Plain gradient descent (`x ← x − lr·g`) on a pure objective's machine code, the loop itself in
/// machine code too: what `Descent.descend` does per step for method "gd" without a recorded
/// path, operation for operation, so it ends on the same bits (the stopping rules are
/// `FusedDescent`'s). Between calls the objective's function is entered directly, with no
/// closure, optional or counter on the way. It runs once the objective has machine code.
struct NativeDescent: FusedDescent {
    let objective: ScalarObjective

    /// The loop's exit codes.
    enum Stop: Int32 {
        case nearTolerance = 1, stepLimit = 2, diverged = 4, guardFailed = 5
    }

    var dimension: Int { objective.inputCount }

    func run(x: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Double>, lr: Double, tolBound: Double, limit: Double,
             stopAt: Int, steps: inout Int, loss: inout Double, gnorm2: inout Double) -> FusedDescentStop? {
        guard let entry = objective.program.native?.loopEntry else { return nil }
        let run = objective.run
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 11) { st in
            st[0] = UInt64(UInt(bitPattern: run.values))
            st[1] = UInt64(UInt(bitPattern: run.adjoints))
            st[2] = UInt64(UInt(bitPattern: x))
            st[3] = UInt64(UInt(bitPattern: g))
            st[4] = lr.bitPattern
            st[5] = tolBound.bitPattern
            st[6] = limit.bitPattern
            st[7] = UInt64(bitPattern: Int64(stopAt))
            st[8] = UInt64(bitPattern: Int64(steps))
            st[9] = loss.bitPattern
            st[10] = gnorm2.bitPattern
            let stop = Stop(rawValue: entry(UnsafeMutableRawPointer(st.baseAddress!))) ?? .guardFailed
            steps = Int(Int64(bitPattern: st[8]))
            loss = Double(bitPattern: st[9])
            gnorm2 = Double(bitPattern: st[10])
            switch stop {
            case .nearTolerance: return .nearTolerance
            case .stepLimit: return .stepLimit
            case .diverged: return .diverged
            case .guardFailed: return .guardFailed
            }
        }
    }

    #if arch(x86_64) && os(Linux)
    /// The loop's code. State words (r15): values 0, adjoints 8, x 16, g 24, lr 32, tolBound 40,
    /// limit 48, stopAt 56, steps 64, loss 72, gnorm2 80. rbx = x, rbp = g. `entryOffset` is the
    /// objective's function relative to the loop's first byte.
    static func loopCode(dimension n: Int, out: Int, entryOffset: Int) -> [UInt8] {
        var b: [UInt8] = []
        func emit(_ x: UInt8...) { b.append(contentsOf: x) }
        func d32(_ v: Int) { withUnsafeBytes(of: Int32(v).littleEndian) { b.append(contentsOf: $0) } }
        var fix: [(at: Int, to: Int)] = []
        var labels = [Int](repeating: -1, count: 8)
        func jcc(_ cc: UInt8, _ label: Int) { emit(0x0F, cc); fix.append((b.count, label)); d32(0) }
        // Labels: 0 top, 1-5 exits by code, 6 done.
        emit(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57)  // push rbx rbp r12 r13 r14 r15
        emit(0x48, 0x83, 0xEC, 0x08)                                    // sub rsp, 8 (align calls)
        emit(0x49, 0x89, 0xFF)                                          // mov r15, rdi
        emit(0x49, 0x8B, 0x9F); d32(16)                                 // mov rbx, [r15+16]
        emit(0x49, 0x8B, 0xAF); d32(24)                                 // mov rbp, [r15+24]
        labels[0] = b.count
        emit(0xF2, 0x41, 0x0F, 0x10, 0x87); d32(80)                     // movsd xmm0, gnorm2
        emit(0xF2, 0x41, 0x0F, 0x10, 0x8F); d32(40)                     // movsd xmm1, tolBound
        emit(0x66, 0x0F, 0x2E, 0xC8)                                    // ucomisd xmm1, xmm0
        jcc(0x87, 1)                                                    // ja: gnorm2 < tolBound
        emit(0x49, 0x8B, 0x87); d32(64)                                 // mov rax, steps
        emit(0x49, 0x3B, 0x87); d32(56)                                 // cmp rax, stopAt
        jcc(0x8D, 2)                                                    // jge
        for i in 0..<n {                                                // x[i] = x[i] - lr * g[i]
            emit(0xF2, 0x0F, 0x10, 0x85); d32(8 * i)                    // movsd xmm0, [rbp+8i]
            emit(0xF2, 0x41, 0x0F, 0x59, 0x87); d32(32)                 // mulsd xmm0, lr
            emit(0xF2, 0x0F, 0x10, 0x8B); d32(8 * i)                    // movsd xmm1, [rbx+8i]
            emit(0xF2, 0x0F, 0x5C, 0xC8)                                // subsd xmm1, xmm0
            emit(0xF2, 0x0F, 0x11, 0x8B); d32(8 * i)                    // movsd [rbx+8i], xmm1
        }
        emit(0x49, 0x8B, 0xBF); d32(0)                                  // mov rdi, values
        emit(0x49, 0x8B, 0xB7); d32(8)                                  // mov rsi, adjoints
        emit(0x48, 0x89, 0xDA)                                          // mov rdx, rbx
        emit(0x48, 0x89, 0xE9)                                          // mov rcx, rbp
        emit(0xE8); d32(entryOffset - (b.count + 4))                    // call entry
        emit(0x85, 0xC0)                                                // test eax, eax
        jcc(0x84, 5)                                                    // jz: a guard failed
        emit(0x49, 0x8B, 0x87); d32(0)                                  // mov rax, values
        emit(0xF2, 0x0F, 0x10, 0x90); d32(8 * out)                      // movsd xmm2, [rax+8·out]
        emit(0xF2, 0x41, 0x0F, 0x11, 0x97); d32(72)                     // movsd loss, xmm2
        emit(0x49, 0xFF, 0x87); d32(64)                                 // inc steps
        emit(0x66, 0x0F, 0x57, 0xDB)                                    // xorpd xmm3, xmm3
        for i in 0..<n {                                                // s = s + g[i] * g[i]
            emit(0xF2, 0x0F, 0x10, 0x85); d32(8 * i)                    // movsd xmm0, [rbp+8i]
            emit(0xF2, 0x0F, 0x59, 0xC0)                                // mulsd xmm0, xmm0
            emit(0xF2, 0x0F, 0x58, 0xD8)                                // addsd xmm3, xmm0
        }
        emit(0xF2, 0x41, 0x0F, 0x11, 0x9F); d32(80)                     // movsd gnorm2, xmm3
        // Diverged when !(|loss| <= limit), s is not finite or a coordinate is not finite.
        emit(0x66, 0x48, 0x0F, 0x7E, 0xD0)                              // movq rax, xmm2
        emit(0x48, 0x0F, 0xBA, 0xF0, 0x3F)                              // btr rax, 63
        emit(0x66, 0x48, 0x0F, 0x6E, 0xC0)                              // movq xmm0, rax
        emit(0xF2, 0x41, 0x0F, 0x10, 0x8F); d32(48)                     // movsd xmm1, limit
        emit(0x66, 0x0F, 0x2E, 0xC8)                                    // ucomisd xmm1, xmm0
        jcc(0x82, 4)                                                    // jb: limit < |loss| or nan
        emit(0x48, 0xB9); withUnsafeBytes(of: UInt64(0x7FF0_0000_0000_0000).littleEndian) { b.append(contentsOf: $0) }  // mov rcx, inf bits
        emit(0x66, 0x48, 0x0F, 0x7E, 0xD8)                              // movq rax, xmm3
        emit(0x48, 0x0F, 0xBA, 0xF0, 0x3F)                              // btr rax, 63
        emit(0x48, 0x39, 0xC8)                                          // cmp rax, rcx
        jcc(0x83, 4)                                                    // jae: inf or nan
        for i in 0..<n {
            emit(0x48, 0x8B, 0x83); d32(8 * i)                          // mov rax, [rbx+8i]
            emit(0x48, 0x0F, 0xBA, 0xF0, 0x3F)                          // btr rax, 63
            emit(0x48, 0x39, 0xC8)                                      // cmp rax, rcx
            jcc(0x83, 4)                                                // jae
        }
        emit(0xE9); fix.append((b.count, 0)); d32(0)                    // jmp top
        for code in [1, 2, 4, 5] {
            labels[code] = b.count
            emit(0xB8); d32(code)                                       // mov eax, code
            emit(0xE9); fix.append((b.count, 6)); d32(0)                // jmp done
        }
        labels[6] = b.count
        emit(0x48, 0x83, 0xC4, 0x08)                                    // add rsp, 8
        emit(0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3)  // pop r15 r14 r13 r12 rbp rbx; ret
        for f in fix {
            let rel = Int32(labels[f.to] - (f.at + 4))
            withUnsafeBytes(of: rel.littleEndian) { for (i, x) in $0.enumerated() { b[f.at + i] = x } }
        }
        return b
    }
    #endif
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

/// A tiny x86-64 assembler for the function `ScalarNativeCode` makes, with a write-through cache
/// of slots in xmm registers.
///
/// Registers: rbx = values, rbp = adjoints, r13 = inputs, r14 = gradient (callee-saved, so they
/// survive the helper calls); xmm6 = 2.0 and xmm7 = 0.0, set again after every call (the ABI lets
/// the callee change every xmm register); the other fourteen hold slots. Every result is stored
/// at once, so memory is always current and a cached register only saves the load: the chain of
/// dependent operations runs through registers instead of store-to-load forwarding, which is
/// what made a step slow. Where a skipped rule's jump lands, only what both paths agree on stays
/// cached.
private struct Emitter {
    enum Base: UInt8 {
        case values = 3, adjoints = 5, inputs = 13, gradient = 14
    }

    struct Key: Hashable {
        let base: Base
        let slot: Int
    }

    static let two: UInt8 = 6
    static let zero: UInt8 = 7
    static let allocatable: [UInt8] = [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15]

    var bytes: [UInt8] = []
    /// Jump sites (offset of the rel32) by label, and where labels were bound.
    private var fixups: [(at: Int, label: Int)] = []
    private var labels: [Int] = []
    private var failLabel = -1
    /// Which register holds a slot's current value, and the reverse (a register may hold several
    /// slots after a copy; any number of adjoints known to be zero map to xmm7, not tracked here).
    private var cached: [Key: UInt8] = [:]
    private var holds: [UInt8: [Key]] = [:]
    /// When each register was last used, for evicting the least recently used.
    private var lastUse = [Int](repeating: 0, count: 16)
    private var clock = 0
    /// Registers the current operation still needs.
    private var pinned: Set<UInt8> = []
    /// The cache at each pending forward jump, by label.
    private var cacheAtJump: [Int: [Key: UInt8]] = [:]
    /// Slots to store to memory (nil: all); the values and adjoints loaded from memory; helper calls.
    var needed: Set<Key>?
    private(set) var missed: Set<Key> = []
    private(set) var calls = 0

    private func stores(_ key: Key) -> Bool {
        key.base == .gradient || needed?.contains(key) ?? true
    }

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

    private mutating func rex(r: UInt8, b: UInt8) {
        let rex: UInt8 = 0x40 | (r >= 8 ? 4 : 0) | (b >= 8 ? 1 : 0)
        if rex != 0x40 { emit(rex) }
    }

    /// `op xmm(reg), [base + 8·slot]` (or the store form), with the mandatory prefix first.
    private mutating func sse(_ prefix: UInt8, _ opcode: UInt8, _ reg: UInt8, _ base: Base, _ slot: Int) {
        emit(prefix)
        rex(r: reg, b: base.rawValue)
        emit(0x0F, opcode, 0x80 | ((reg & 7) << 3) | (base.rawValue & 7))
        emit32(Int32(slot * 8))
    }

    /// `op xmm(dst), xmm(src)`.
    private mutating func sseRR(_ prefix: UInt8, _ opcode: UInt8, _ dst: UInt8, _ src: UInt8) {
        emit(prefix)
        rex(r: dst, b: src)
        emit(0x0F, opcode, 0xC0 | ((dst & 7) << 3) | (src & 7))
    }

    // MARK: Register cache

    private mutating func touch(_ r: UInt8) {
        clock += 1
        lastUse[Int(r)] = clock
    }

    /// A register to overwrite: a free one, else the least recently used one not pinned. One
    /// rule pins at most 12 registers (a merged square's adjoint and both rules of a division).
    private mutating func allocate() -> UInt8 {
        var best: UInt8 = 255
        for r in Self.allocatable where !pinned.contains(r) {
            if holds[r, default: []].isEmpty { best = r; break }
            if best == 255 || lastUse[Int(r)] < lastUse[Int(best)] { best = r }
        }
        precondition(best != 255, "every register is pinned")
        for key in holds[best, default: []] { cached[key] = nil }
        holds[best] = nil
        pinned.insert(best)
        touch(best)
        return best
    }

    private mutating func uncache(_ key: Key) {
        guard let r = cached.removeValue(forKey: key) else { return }
        holds[r]?.removeAll { $0 == key }
    }

    private mutating func cache(_ key: Key, in r: UInt8) {
        uncache(key)
        cached[key] = r
        if r != Self.zero && r != Self.two { holds[r, default: []].append(key) }
    }

    /// A register holding the slot (loaded if it is not cached), pinned until `release`.
    mutating func load(_ base: Base, _ slot: Int) -> UInt8 {
        let key = Key(base: base, slot: slot)
        if let r = cached[key] {
            if r != Self.zero { pinned.insert(r); touch(r) }
            return r
        }
        let r = allocate()
        sse(0xF2, 0x10, r, base, slot)
        if base != .inputs {
            cache(key, in: r)
            missed.insert(key)
        }
        return r
    }

    /// Stores a register into the slot and caches it there.
    mutating func store(_ r: UInt8, _ base: Base, _ slot: Int) {
        if stores(Key(base: base, slot: slot)) { sse(0xF2, 0x11, r, base, slot) }
        if base != .gradient && base != .inputs { cache(Key(base: base, slot: slot), in: r) }
    }

    /// The registers one rule used may be overwritten from here on.
    mutating func endRule() { pinned.removeAll() }

    /// Makes sure the slot is in an allocatable register of its own (a zero known to be zero
    /// is copied out of xmm7), pinned, so `update` can change it in place.
    mutating func materialize(_ base: Base, _ slot: Int) {
        let key = Key(base: base, slot: slot)
        if cached[key] == Self.zero {
            let r = allocate()
            sseRR(0x66, 0x28, r, Self.zero)   // movapd r, xmm7
            cache(key, in: r)
        } else {
            _ = load(base, slot)
        }
    }

    /// `slot = slot op other` in the slot's own register (after `materialize`), stored at once.
    mutating func update(_ base: Base, _ slot: Int, _ op: UInt8, _ other: UInt8) {
        let key = Key(base: base, slot: slot)
        guard let r = cached[key], r != Self.zero, pinned.contains(r) else {
            preconditionFailure("update of a slot that was not materialized")
        }
        sseRR(0xF2, op, r, other)
        if stores(key) { sse(0xF2, 0x11, r, base, slot) }
        // Other slots that shared the register (after a copy) no longer match it.
        for other in holds[r, default: []] where other != key { cached[other] = nil }
        holds[r] = [key]
    }

    mutating func storeZero(_ base: Base, _ slot: Int) {
        if stores(Key(base: base, slot: slot)) { sse(0xF2, 0x11, Self.zero, base, slot) }
        cache(Key(base: base, slot: slot), in: Self.zero)
    }

    /// A new register with `reg op other` (neither operand register changes).
    mutating func combine(_ reg: UInt8, _ op: UInt8, _ other: UInt8) -> UInt8 {
        let t = allocate()
        sseRR(0x66, 0x28, t, reg)    // movapd t, reg
        sseRR(0xF2, op, t, other)
        return t
    }

    mutating func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 { combine(a, 0x59, b) }

    /// A new register with `reg op slot` (multiplication by default).
    mutating func scale(_ reg: UInt8, _ base: Base, _ slot: Int, op: UInt8 = 0x59) -> UInt8 {
        combine(reg, op, load(base, slot))
    }

    /// A new register with `slot(x) op slot(y)`.
    mutating func compute(_ bx: Base, _ x: Int, _ op: UInt8, _ by: Base, _ y: Int) -> UInt8 {
        let rx = load(bx, x)
        let ry = load(by, y)
        return combine(rx, op, ry)
    }

    private mutating func forgetAll() {
        cached.removeAll(keepingCapacity: true)
        holds.removeAll(keepingCapacity: true)
        pinned.removeAll()
    }

    // MARK: Code

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
        emit(0xE9); fixup(done)                                // jmp done
        labels[failLabel] = bytes.count
        emit(0x31, 0xC0)                                       // xor eax, eax
        labels[done] = bytes.count
        emit(0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B)   // pop r14, r13, r12, rbp, rbx
        emit(0xC3)                                             // ret
        for f in fixups {
            let rel = Int32(labels[f.label] - (f.at + 4))
            withUnsafeBytes(of: rel.littleEndian) { for (i, b) in $0.enumerated() { bytes[f.at + i] = b } }
        }
    }

    /// `g[slot] = 1.0`, kept in a register.
    mutating func storeOne(adjointSlot slot: Int) {
        let r = allocate()
        emit(0x48, 0xB8); emit64((1.0).bitPattern)            // mov rax, 1.0
        emit(0x66, r >= 8 ? 0x4C : 0x48, 0x0F, 0x6E, 0xC0 | ((r & 7) << 3))  // movq xmm(r), rax
        store(r, .adjoints, slot)
        endRule()
    }

    /// `helper(values, adjoints, instruction)`; with `checkResult`, a 0 result returns 0. The
    /// helper may change any slot and any xmm register: the cache starts empty after it.
    mutating func callHelper(_ helper: UnsafeRawPointer, _ instruction: UnsafeRawPointer, checkResult: Bool) {
        calls += 1
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
        forgetAll()
    }

    mutating func newLabel() -> Int {
        labels.append(-1)
        return labels.count - 1
    }

    /// Binds a forward-jump target: keeps the cache entries the jump sites agree with.
    mutating func bind(_ label: Int) {
        labels[label] = bytes.count
        if let atJump = cacheAtJump.removeValue(forKey: label) {
            for (key, r) in cached where atJump[key] != r { uncache(key) }
        }
        pinned.removeAll()
    }

    private mutating func fixup(_ label: Int) {
        fixups.append((bytes.count, label))
        emit32(0)
    }

    /// Jumps when xmm(reg) == 0 (+0 or −0); NaN is not zero (ucomisd sets ZF and PF for it).
    mutating func jumpIfZero(_ reg: UInt8, _ label: Int) {
        sseRR(0x66, 0x2E, reg, Self.zero)                      // ucomisd xmm(reg), xmm7
        emit(0x0F, 0x8A, 0x06, 0x00, 0x00, 0x00)               // jp +6: unordered, not zero
        emit(0x0F, 0x84); fixup(label)                         // je label
        // Entries valid at every jump to the label (jumps to one label are all at the same state
        // here, or an earlier one, which the intersection covers).
        if let earlier = cacheAtJump[label] {
            cacheAtJump[label] = earlier.filter { cached[$0.key] == $0.value }
        } else {
            cacheAtJump[label] = cached
        }
    }
}
#endif
