/// Compiles a recorded tape into something faster to replay: the one door through which the
/// fast tiers (the PsearchFast target: scalar programs, machine code, fused descent) reach the
/// core. The core never needs one: a tape without a compiler replays by the reference rules
/// (`Kernel`), and a compiled objective must give the same bits.
///
/// `compile` is asked each time a recording is compiled for replay (the first replay after a
/// trace, or after the output changes); nil means "not this tape", and the tape replays itself.
public protocol ObjectiveCompiler: Sendable {
    func compile(_ tape: Tape) -> (any CompiledObjective)?
}

/// A recording compiled for replay: value and gradient at a new point, bit-identical to the
/// tape's own replay. It owns its buffers, so it outlives changes to the tape (which drops it).
public protocol CompiledObjective: AnyObject {
    /// Length of the flat input and gradient.
    var inputCount: Int { get }

    /// Writes the gradient at `x` into `g` and returns the value; nil when a guard's outcome
    /// differs (the function must be traced again) or the sizes do not fit.
    func replay(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double?

    /// The value at `x` alone; nil as for `replay`.
    func evaluate(_ x: UnsafeBufferPointer<Double>) -> Double?

    /// Plain gradient descent fused with this objective, or nil when it has none.
    func fusedDescent() -> (any FusedDescent)?
}

extension CompiledObjective {
    /// By `replay`, into a scratch gradient.
    public func evaluate(_ x: UnsafeBufferPointer<Double>) -> Double? {
        var g = [Double](repeating: 0, count: x.count)
        return g.withUnsafeMutableBufferPointer { replay(x, $0) }
    }

    /// Fusing the descent loop is optional.
    public func fusedDescent() -> (any FusedDescent)? { nil }
}

/// Plain gradient descent (`x ← x − lr·g`, method "gd", no recorded path) run by a compiled
/// objective itself, in stretches: what `Descent.descend`'s loop does per step, operation for
/// operation, so it ends on the same bits.
///
/// A run stops, at the top of an iteration, when the squared gradient norm is below `tolBound`
/// (the caller decides convergence exactly), at `stopAt` steps (the caller polls Ctrl-C between
/// runs), or after a step whose loss, gradient or point diverged (the caller writes the message).
public protocol FusedDescent {
    /// Length of the point it runs on.
    var dimension: Int { get }

    /// Runs from `x` (gradient `g`, squared gradient norm `gnorm2`) and updates them, `steps` and
    /// `loss`; nil when it cannot run yet (no step was made: the caller makes one itself).
    func run(x: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Double>, lr: Double, tolBound: Double, limit: Double,
             stopAt: Int, steps: inout Int, loss: inout Double, gnorm2: inout Double) -> FusedDescentStop?
}

/// Why a stretch of fused steps returned.
public enum FusedDescentStop: Sendable {
    case nearTolerance, stepLimit, diverged, guardFailed
}
