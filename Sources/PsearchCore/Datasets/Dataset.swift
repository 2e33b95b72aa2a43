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
    /// The means and deviations `standardized()` divided out, so another set (a test file) can
    /// be scaled by the same numbers; nil for data never standardized.
    public var scaling: Standardizer? = nil

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

    /// Class ids as Ints (classification only: ids are checked to be 0 ..< k at init).
    public var labels: [Int] {
        precondition(kind == .classification, "labels of a regression")
        return y.map { Int($0) }
    }

    /// The first feature cell that is nan or infinite, as (row, column name, value).
    public var firstNonFinite: (row: Int, feature: String, value: Double)? {
        guard let i = X.data.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (i / d, featureNames[i % d], X.data[i])
    }

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
    ///
    /// `stratify` keeps each class's share in both sides: every class gives the floor of its
    /// share of the test rows, and the rows left over go to the classes with the largest
    /// remainders (the lower id first on a tie).
    public func split(testFraction: Double, seed: UInt64, stratify: Bool = false) throws(DataError) -> (train: Dataset, test: Dataset) {
        guard testFraction > 0 && testFraction < 1 else {
            throw .badArgument("split fraction must be between 0 and 1, got \(testFraction)")
        }
        let nTest = Int((testFraction * Double(n)).rounded())
        guard nTest >= 1 && nTest < n else {
            throw .badArgument("split of \(n) samples with fraction \(testFraction) leaves an empty side")
        }
        var rng = Random(seed: seed)
        var test: [Int]
        if stratify {
            guard kind == .classification else { throw .badArgument("stratify needs a classification, not a regression") }
            var members = [[Int]](repeating: [], count: k)
            for (i, c) in labels.enumerated() { members[c].append(i) }
            let shares = members.map { testFraction * Double($0.count) }
            var take = shares.map { Int($0.rounded(.down)) }
            let order = shares.indices.sorted { a, b in
                let (ra, rb) = (shares[a] - Double(take[a]), shares[b] - Double(take[b]))
                return ra != rb ? ra > rb : a < b
            }
            for c in order.prefix(nTest - take.reduce(0, +)) { take[c] += 1 }
            test = []
            for (c, rows) in members.enumerated() {
                let p = rng.permutation(rows.count)
                test += p.prefix(take[c]).map { rows[$0] }
            }
        } else {
            test = Array(rng.permutation(n).prefix(nTest))
        }
        // Sorted within each side so a split keeps the file order of rows (easier to inspect).
        test.sort()
        var inTest = [Bool](repeating: false, count: n)
        for i in test { inTest[i] = true }
        return (subset((0..<n).filter { !inTest[$0] }), subset(test))
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

    /// This scaling after `first`: one shift and scale from the data `first` was fitted on.
    func after(_ first: Standardizer) -> Standardizer {
        var s = self
        s.mean = mean.indices.map { first.mean[$0] + mean[$0] * first.std[$0] }
        s.std = std.indices.map { first.std[$0] * std[$0] }
        return s
    }
}

extension Dataset {
    /// Every feature scaled to mean 0 and standard deviation 1 (constant features become 0);
    /// the result remembers the means and deviations (of the raw data, when `self` was
    /// standardized before) in `scaling`.
    public func standardized() throws(DataError) -> Dataset {
        let fit = try Standardizer(fitting: self)
        var out = try fit.apply(self)
        out.scaling = scaling.map { fit.after($0) } ?? fit
        return out
    }

    /// `self` scaled by the statistics of `reference`: its remembered `scaling` when it was
    /// standardized, else a fit on it. A test set scaled by its own statistics leaks it.
    public func standardized(like reference: Dataset) throws(DataError) -> Dataset {
        guard scaling == nil else {
            throw .badArgument("the data is already standardized; scale the raw data like the reference")
        }
        guard reference.d == d else {
            throw .badArgument("the reference has \(reference.d) features, the data \(d)")
        }
        let fit = if let s = reference.scaling { s } else { try Standardizer(fitting: reference) }
        var out = try fit.apply(self)
        out.scaling = fit
        return out
    }
}
