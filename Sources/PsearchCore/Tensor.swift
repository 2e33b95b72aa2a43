/// Shaped Double storage: a vector is rank 1, a matrix rank 2, an RGB image rank 3.
///
/// Elements are contiguous and row-major. `data` is a Swift array, so a `Tensor` is a value
/// with copy-on-write: `var b = a; b[0] = 9` leaves `a` alone and copies only on that write.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var data: [Double]

    /// A tensor of the given shape over `data` (row-major). The caller guarantees the count.
    public init(shape: [Int], data: [Double]) {
        precondition(Tensor.count(of: shape) == data.count, "tensor shape \(shape) does not fit \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    /// A vector (rank 1).
    public init(_ vector: [Double]) {
        self.shape = [vector.count]
        self.data = vector
    }

    public init(repeating value: Double, shape: [Int]) {
        self.shape = shape
        self.data = [Double](repeating: value, count: Tensor.count(of: shape))
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    public var isVector: Bool { shape.count == 1 }
    public var isMatrix: Bool { shape.count == 2 }
    public var rows: Int { shape.count >= 1 ? shape[0] : 1 }
    public var cols: Int { shape.count >= 2 ? shape[1] : 1 }

    /// The number of elements of a shape: the product of its dimensions.
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The element count of `shape`, or nil when a dimension is negative or the product overflows.
    public static func checkedCount(of shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    public subscript(i: Int) -> Double {
        get { data[i] }
        set { data[i] = newValue }
    }

    public subscript(i: Int, j: Int) -> Double {
        get { data[i * shape[1] + j] }
        set { data[i * shape[1] + j] = newValue }
    }

    /// The same elements under another shape with the same count.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        guard Tensor.checkedCount(of: newShape) == count else { throw .reshape(from: shape, to: newShape) }
        return Tensor(shape: newShape, data: data)
    }

    /// The elements as a flat vector: a 7x5x3 image becomes a point in 105 dimensions.
    public var flattened: Tensor { Tensor(shape: [count], data: data) }

    /// Row `i` of a matrix as a vector (or sub-tensor `i` along the first axis).
    public func row(_ i: Int) -> Tensor {
        let inner = Array(shape.dropFirst())
        let n = Tensor.count(of: inner)
        return Tensor(shape: inner, data: Array(data[(i * n)..<((i + 1) * n)]))
    }

    /// Rows `indices` of a matrix (sub-tensors along the first axis), in that order.
    public func rows(_ indices: [Int]) -> Tensor {
        let inner = Array(shape.dropFirst())
        let n = Tensor.count(of: inner)
        var out = [Double]()
        out.reserveCapacity(indices.count * n)
        for i in indices { out.append(contentsOf: data[(i * n)..<((i + 1) * n)]) }
        return Tensor(shape: [indices.count] + inner, data: out)
    }
}

public enum TensorError: Error, Equatable, Sendable {
    case shapeMismatch(op: String, [Int], [Int])
    case reshape(from: [Int], to: [Int])
    case empty(op: String)
}

extension TensorError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .shapeMismatch(let op, let a, let b):
            return "shape mismatch in '\(op)': \(Tensor.describe(shape: a)) and \(Tensor.describe(shape: b))"
        case .reshape(let a, let b):
            return "cannot reshape \(Tensor.describe(shape: a)) (\(Tensor.count(of: a)) elements) to \(Tensor.describe(shape: b))"
        case .empty(let op):
            return "'\(op)' of an empty tensor"
        }
    }
}

// MARK: - Element-wise arithmetic

extension Tensor {
    /// "[3]", "[7, 5, 3]": how shapes are named in messages.
    public static func describe(shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    public func map(_ f: (Double) -> Double) -> Tensor {
        Tensor(shape: shape, data: data.map(f))
    }

    /// Element-wise `f(a, b)` for tensors of one shape.
    public static func zip(_ a: Tensor, _ b: Tensor, op: String, _ f: (Double, Double) -> Double) throws(TensorError) -> Tensor {
        guard a.shape == b.shape else { throw .shapeMismatch(op: op, a.shape, b.shape) }
        let n = a.count
        let out = [Double](unsafeUninitializedCapacity: n) { buf, initialized in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    for i in 0..<n { buf[i] = f(pa[i], pb[i]) }
                }
            }
            initialized = n
        }
        return Tensor(shape: a.shape, data: out)
    }

    public func sum() -> Double {
        var s = 0.0
        for x in data { s += x }
        return s
    }

    public func mean() -> Double { count == 0 ? .nan : sum() / Double(count) }

    /// Index of the smallest element (the first on ties; nan is never smallest), nil when empty.
    public func argmin() -> Int? {
        guard !data.isEmpty else { return nil }
        var best = 0
        for i in 1..<data.count where data[i] < data[best] || data[best].isNaN { best = i }
        return best
    }

    /// Index of the largest element (the first on ties), nil when empty.
    public func argmax() -> Int? {
        guard !data.isEmpty else { return nil }
        var best = 0
        for i in 1..<data.count where data[i] > data[best] || data[best].isNaN { best = i }
        return best
    }

    /// Euclidean norm.
    public func norm() -> Double {
        var s = 0.0
        for x in data { s += x * x }
        return s.squareRoot()
    }

    /// The dot product of two vectors of one length.
    public static func dot(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Double {
        guard a.count == b.count, a.rank == 1, b.rank == 1 else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
        var s = 0.0
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for i in 0..<pa.count { s += pa[i] * pb[i] }
            }
        }
        return s
    }

    public func transposed() -> Tensor {
        precondition(rank == 2, "transpose of a rank-\(rank) tensor")
        let (r, c) = (shape[0], shape[1])
        var out = [Double](repeating: 0, count: count)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = data[i * c + j] } }
        return Tensor(shape: [c, r], data: out)
    }
}
