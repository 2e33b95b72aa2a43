/// A table of samples: features `X` (n x d) and one label or target per row.
///
/// For classification `y` holds class ids 0..<k as Doubles and `classNames[id]` names them;
/// for regression `y` holds the targets and `classNames` is empty.
public struct Dataset: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case classification, regression
    }

    public var X: Tensor
    public var y: [Double]
    public var classNames: [String]
    public var featureNames: [String]
    public var kind: Kind
    /// The shape of one sample before flattening ([7, 5, 3] for images), so rows reshape back.
    public var sampleShape: [Int]

    /// A dataset over X (n x d) and y; throws when the lengths differ or labels are not class ids.
    public init(
        X: Tensor, y: [Double], kind: Kind, classNames: [String] = [], featureNames: [String]? = nil,
        sampleShape: [Int]? = nil
    ) throws(DataError) {
        guard X.rank == 2 else { throw .notAMatrix(X.shape) }
        guard X.shape[0] == y.count else { throw .lengthMismatch(rows: X.shape[0], labels: y.count) }
        if kind == .classification {
            let k = classNames.count
            for (i, v) in y.enumerated() where !(v >= 0 && v < Double(k) && v == v.rounded()) {
                throw .badLabel(row: i, value: v, classes: k)
            }
        }
        self.X = X
        self.y = y
        self.kind = kind
        self.classNames = classNames
        self.featureNames = featureNames ?? (0..<X.shape[1]).map { "x\($0)" }
        self.sampleShape = sampleShape ?? [X.shape[1]]
    }

    /// Rows.
    public var n: Int { X.shape[0] }
    /// Features per row.
    public var d: Int { X.shape[1] }
    /// Number of classes (0 for regression).
    public var k: Int { classNames.count }

    /// Class ids as Ints (classification only; regression targets are truncated).
    public var labels: [Int] { y.map { Int($0) } }

    /// The rows `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var copy = self
        copy.X = X.rows(indices)
        copy.y = indices.map { y[$0] }
        return copy
    }

    /// "classification: 1797 samples x 64 features, 10 classes (0, 1, ..., 9)".
    public var summary: String {
        let head = "\(kind.rawValue): \(n) samples x \(d) features"
        if kind == .regression { return head }
        let names = classNames.count <= 6
            ? classNames.joined(separator: ", ")
            : classNames.prefix(3).joined(separator: ", ") + ", ..., " + classNames.last!
        return head + ", \(k) classes (\(names))"
    }
}

/// What goes wrong building, loading, splitting or scaling data.
public enum DataError: Error, Equatable, Sendable {
    case notAMatrix([Int])
    case lengthMismatch(rows: Int, labels: Int)
    case badLabel(row: Int, value: Double, classes: Int)
    case empty(String)
    case badArgument(String)
    case unknownDataset(String)
    case cannotRead(path: String, reason: String)
    case csv(path: String, line: Int, column: String?, message: String)
    case missingLabelColumn(path: String, label: String, columns: [String])
    case missingResource(String)
}

extension DataError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notAMatrix(let s): return "features must be a matrix (n x d), got \(Tensor.describe(shape: s))"
        case .lengthMismatch(let r, let l): return "X has \(r) rows but y has \(l) labels"
        case .badLabel(let row, let v, let k):
            return "label \(v) in row \(row) is not a class id 0..\(k - 1)"
        case .empty(let what): return "\(what) is empty"
        case .badArgument(let m): return m
        case .unknownDataset(let name):
            return "unknown dataset '\(name)' (expected moons, circles, blobs, xor, spiral or linear)"
        case .cannotRead(let p, let r): return "cannot read '\(p)': \(r)"
        case .csv(let p, let line, let col, let m):
            if let col { return "\(p):\(line): column '\(col)': \(m)" }
            return "\(p):\(line): \(m)"
        case .missingLabelColumn(let p, let l, let cols):
            return "\(p):1: no label column '\(l)' (columns: \(cols.joined(separator: ", ")))"
        case .missingResource(let name): return "bundled resource '\(name)' is missing"
        }
    }
}

// MARK: - Splitting and scaling

extension Dataset {
    /// Shuffles with `seed` and puts `round(testFraction · n)` rows in `test`, the rest in `train`.
    public func split(testFraction: Double, seed: UInt64) throws(DataError) -> (train: Dataset, test: Dataset) {
        guard testFraction > 0 && testFraction < 1 else {
            throw .badArgument("split fraction must be between 0 and 1, got \(testFraction)")
        }
        let nTest = Int((testFraction * Double(n)).rounded())
        guard nTest >= 1 && nTest < n else {
            throw .badArgument("split of \(n) samples with fraction \(testFraction) leaves an empty side")
        }
        var rng = Random(seed: seed)
        let order = rng.permutation(n)
        // Sorted within each side so a split keeps the file order of rows (easier to inspect).
        let test = order.prefix(nTest).sorted()
        let train = order.dropFirst(nTest).sorted()
        return (subset(train), subset(test))
    }
}

/// Per-feature mean and standard deviation, fitted on one set and applied to others.
///
/// A constant feature (standard deviation 0) is centred but left unscaled, so it becomes all
/// zeros instead of nan: standardising must not fail on a useless column.
public struct Standardizer: Sendable, Equatable {
    public var mean: [Double]
    public var std: [Double]

    /// Fits the mean and population standard deviation of each column of `data`.
    public init(fitting data: Dataset) throws(DataError) {
        guard data.n > 0 else { throw .empty("dataset to standardize") }
        let (n, d) = (data.n, data.d)
        var mean = [Double](repeating: 0, count: d)
        var varsum = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += data.X.data[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<n {
            for j in 0..<d {
                let t = data.X.data[i * d + j] - mean[j]
                varsum[j] += t * t
            }
        }
        self.mean = mean
        self.std = varsum.map { s in
            let sd = (s / Double(n)).squareRoot()
            return sd > 1e-12 ? sd : 1
        }
    }

    /// `data` with every feature shifted and scaled by this fit.
    public func apply(_ data: Dataset) throws(DataError) -> Dataset {
        guard data.d == mean.count else {
            throw .badArgument("standardizer fitted on \(mean.count) features applied to \(data.d)")
        }
        var out = data
        let d = data.d
        out.X.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                let j = i % d
                p[i] = (p[i] - mean[j]) / std[j]
            }
        }
        return out
    }
}

extension Dataset {
    /// Every feature scaled to mean 0 and standard deviation 1 (constant features become 0).
    public func standardized() throws(DataError) -> Dataset {
        try Standardizer(fitting: self).apply(self)
    }
}
