import PsearchCore

/// The fast tiers behind the core's `ObjectiveCompiler`: a tape whose recomputed nodes are all
/// numbers becomes a `ScalarProgram` (straight-line slot code), translated to machine code
/// (`ScalarNativeCode`) after `nativeAfter` replays, with plain gradient descent fused around
/// it (`NativeDescent`). Any other tape is left to replay itself by the reference rules.
///
/// Every tier gives the bits the tape's own replay gives; the tests compare them.
public struct FastCompiler: ObjectiveCompiler {
    /// Whether replays may be translated to machine code (tests compare it with the interpreter).
    public var nativeCode: Bool

    /// Replays of one recording before it is translated to machine code. Worth it only for a
    /// program replayed many times: making the code costs a few system calls, about as much as
    /// a thousand interpreted replays of a small function.
    public static let nativeAfter = 1000

    /// Whether the common element functions get codes of their own (off: every one runs on the
    /// generic `unary` instruction a new primitive uses, so tests can check that path).
    public var unaryCodes: Bool

    public init(nativeCode: Bool = true, unaryCodes: Bool = true) {
        self.nativeCode = nativeCode
        self.unaryCodes = unaryCodes
    }

    public func compile(_ tape: Tape) -> (any CompiledObjective)? {
        guard let out = tape.output else { return nil }
        var program = ScalarProgram()
        guard tape.compileScalar(output: Int(out.id), into: &program, unaryCodes: unaryCodes) else {
            program.free()
            return nil
        }
        return ScalarObjective(program, nativeCode: nativeCode)
    }
}

/// A recording compiled to a `ScalarProgram`, interpreted until it has been replayed
/// `FastCompiler.nativeAfter` times, then run as machine code.
final class ScalarObjective: CompiledObjective {
    private(set) var program: ScalarProgram
    /// The program's pointers, taken once (a method call on the stored `ScalarProgram` would
    /// copy the whole struct).
    private(set) var run: ScalarRun
    let inputCount: Int
    private let nativeCode: Bool
    private var replays = 0

    init(_ program: ScalarProgram, nativeCode: Bool) {
        self.program = program
        run = program.run
        inputCount = program.inputCount
        self.nativeCode = nativeCode
    }

    deinit { program.free() }

    func replay(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double? {
        guard x.count == inputCount, g.count == inputCount else { return nil }
        if replays < FastCompiler.nativeAfter {
            replays += 1
            if replays == FastCompiler.nativeAfter { compileNative() }
        }
        return run.replay(x, g)
    }

    func evaluate(_ x: UnsafeBufferPointer<Double>) -> Double? {
        guard x.count == inputCount, run.runForward(x) else { return nil }
        return run.values[run.out]
    }

    func fusedDescent() -> (any FusedDescent)? {
        guard nativeCode, ScalarNativeCode.enabled, inputCount <= ScalarNativeCode.maxLoopDimension else { return nil }
        return NativeDescent(objective: self)
    }

    /// Translates the program to machine code, once.
    func compileNative() {
        guard nativeCode, !program.nativeTried else { return }
        program.nativeTried = true
        program.native = ScalarNativeCode.make(program)
        run = program.run
    }
}
