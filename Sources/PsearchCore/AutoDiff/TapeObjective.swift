/// An objective whose value and gradient come from a tape: traced once, replayed natively each
/// call, retraced only when a guard fails (the function's control flow depends on its input).
/// With a `compiler` (PsearchFast's), replays run what it compiled.
///
/// `trace` receives a reset tape and the point; it creates the inputs (one vector or several
/// numbers: the flat layout must have `x.count` elements) and returns the output node.
public final class TapeObjective {
    public typealias Trace = (Tape, [Double]) throws -> Node

    public let tape: Tape
    private let trace: Trace
    private var traced = false
    /// How many times the function was traced (the first time included).
    public private(set) var traces = 0
    /// How many calls were answered by replaying the tape.
    public private(set) var replays = 0

    public init(compiler: (any ObjectiveCompiler)? = nil, trace: @escaping Trace) {
        tape = Tape(compiler: compiler)
        self.trace = trace
    }

    /// Writes the gradient at x into g and returns the value.
    public func callAsFunction(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) throws -> Double {
        if traced, let v = tape.replay(x, gradient: g) {
            replays += 1
            return v
        }
        tape.reset()
        traces += 1
        traced = false
        let out = try trace(tape, Array(x))
        guard tape.inputSize == x.count else {
            throw AutoDiffError.shapeMismatch(op: "grad", [tape.inputSize], [x.count])
        }
        let grad = try tape.gradient(of: out)
        for i in 0..<grad.count { g[i] = grad[i] }
        traced = true
        return tape.scalar(out)
    }

    /// Whether every further call is answered by replaying the tape: it was traced, and the
    /// function neither branches on its input nor does what a replay cannot repeat. Calls are
    /// then a pure function of the point.
    public var replaysWithoutTracing: Bool {
        traced && tape.guardCount == 0 && tape.notReplayableReason == nil
    }

    /// The objective answered by replays alone, for a tape that `replaysWithoutTracing`: it never
    /// calls `trace`, so it runs without the interpreter that traced the function.
    public var replayOnly: Descent.Objective {
        let tape = self.tape
        return { x, g in
            guard x.count == tape.inputSize, g.count == tape.inputSize, let v = tape.replay(x, gradient: g) else {
                throw AutoDiffError.notReplayable
            }
            return v
        }
    }

    /// Plain gradient descent fused with the compiled objective, for a tape that
    /// `replaysWithoutTracing`; nil without a compiler or where it fuses none.
    public var fusedDescent: (any FusedDescent)? {
        guard replaysWithoutTracing else { return nil }
        if !tape.compiled { tape.compile() }
        return tape.compiledObjective?.fusedDescent()
    }

    /// The objective as a closure for `Descent.descend`: a compiled recording is called straight
    /// (without `replay`'s checks, which hold until the tape changes and drops it).
    public var objective: Descent.Objective {
        let tape = self.tape
        return { x, g in
            if let v = tape.unretainedObjective?.replay(x, g) {
                self.replays += 1
                return v
            }
            return try self(x, g)
        }
    }
}
