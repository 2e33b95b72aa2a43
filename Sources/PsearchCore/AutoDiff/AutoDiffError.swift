/// Why a gradient could not be taken or a tape could not record an operation.
public enum AutoDiffError: Error, Equatable, Sendable {
    /// The operation has no derivative (`%`, a string, a comparison of tensors).
    case notDifferentiable(op: String)
    case shapeMismatch(op: String, [Int], [Int])
    case indexOutOfRange(op: String, index: Int, count: Int)
    /// An operation that needs a tensor got a number, or the reverse.
    case wrongKind(op: String, expected: String)
    /// The function being differentiated returned a tensor, not a number.
    case outputNotScalar([Int])
    case emptyTensor(op: String)
    /// A replay-only call found a tape that must be traced again.
    case notReplayable
}

extension AutoDiffError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notDifferentiable(let op):
            return "cannot differentiate through '\(op)'"
        case .shapeMismatch(let op, let a, let b):
            return "shape mismatch in '\(op)': \(Tensor.describe(shape: a)) and \(Tensor.describe(shape: b))"
        case .indexOutOfRange(let op, let i, let n):
            return "index \(i) out of range in '\(op)' (\(n) elements)"
        case .wrongKind(let op, let expected):
            return "'\(op)' expects \(expected)"
        case .outputNotScalar(let shape):
            return "gradient needs a function that returns a number, got a tensor of shape \(Tensor.describe(shape: shape))"
        case .emptyTensor(let op):
            return "'\(op)' of an empty tensor"
        case .notReplayable:
            return "the recorded function must be traced again, which a replay cannot do"
        }
    }
}
