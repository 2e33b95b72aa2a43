/// An objective whose value and gradient come from a tape: traced once, replayed natively each
/// call, retraced only when a guard fails (the function's control flow depends on its input).
///
/// `trace` receives a reset tape and the point; it creates the inputs (one vector or several
/// numbers: the flat layout must have `x.count` elements) and returns the output node.
public final class TapeObjective {
    public typealias Trace = (Tape, [Double]) throws -> Node

    public let tape = Tape()
    private let trace: Trace
    private var traced = false
    /// How many times the function was traced (the first time included).
    public private(set) var traces = 0
    /// How many calls were answered by replaying the tape.
    public private(set) var replays = 0
    /// Replays of the current recording; at `nativeAfter` it is translated to machine code.
    private var replaysSinceTrace = 0
    static let nativeAfter = 1000

    public init(trace: @escaping Trace) {
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
        replaysSinceTrace = 0
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

    /// The compiled scalar program's replay, when the tape has one and the sizes fit; nil
    /// otherwise or when a guard fails. `replay`'s checks hold until the tape changes, and the
    /// tape drops `scalarRun` whenever it does.
    @inline(__always)
    static func replayScalar(_ tape: Tape, _ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double? {
        guard let run = tape.scalarRun, x.count == run.inputCount, g.count == run.inputCount else { return nil }
        return run.replay(x, g)
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
            if let v = TapeObjective.replayScalar(tape, x, g) { return v }
            guard x.count == tape.inputSize, g.count == tape.inputSize, let v = tape.replay(x, gradient: g) else {
                throw AutoDiffError.notReplayable
            }
            return v
        }
    }

    /// Plain gradient descent in machine code around this objective, once the tape is pure and
    /// translated (nil before, and where machine code is not made).
    public var fusedDescent: FusedDescent? {
        guard replaysWithoutTracing, let run = tape.scalarRun else { return nil }
        return FusedDescent(tape.scalar.native, run)
    }

    /// The objective as a closure for `Descent.descend`: a tape of numbers is replayed straight
    /// from its compiled program (`replayScalar`), translated to machine code after
    /// `nativeAfter` replays.
    public var objective: Descent.Objective {
        let tape = self.tape
        return { x, g in
            if let v = TapeObjective.replayScalar(tape, x, g) {
                self.replays += 1
                self.replaysSinceTrace += 1
                if self.replaysSinceTrace == TapeObjective.nativeAfter { tape.compileNative() }
                return v
            }
            return try self(x, g)
        }
    }
}
