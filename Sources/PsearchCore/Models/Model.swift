import Foundation

/// The hidden-layer non-linearity of an MLP.
public enum Activation: String, Sendable, Equatable, CaseIterable {
    case relu, tanh, sigmoid
}

/// A model is a map from R^d to R^k: dense layers, a hidden activation and an output head.
///
/// All weights live in one flat vector, a point in weight space: for each layer its weight
/// matrix W (inputs x outputs, row-major) then its bias vector. `linear`, `logistic` and
/// `softmax` are one dense layer; `mlp` stacks them. Classifiers output probabilities
/// (`logistic` outputs one: the probability of class 1).
public struct Model: Sendable, Equatable, CustomStringConvertible {
    public enum Family: String, Sendable, Equatable {
        case linear, logistic, softmax, mlp
    }

    /// How the last layer's outputs become predictions, and the loss that trains them.
    public enum Head: String, Sendable, Equatable {
        /// Raw outputs, mean squared error.
        case identity
        /// One sigmoid probability, binary cross-entropy.
        case sigmoid
        /// Softmax probabilities, cross-entropy.
        case softmax
    }

    public let family: Family
    /// Layer widths [d, h1, ..., k].
    public let sizes: [Int]
    /// Hidden activation (unused by single-layer families).
    public let activation: Activation
    public let head: Head
    /// All weights, layer by layer: W (sizes[l] x sizes[l+1], row-major), then b.
    public private(set) var weights: [Double]

    init(family: Family, sizes: [Int], activation: Activation, head: Head, weights: [Double]) {
        self.family = family
        self.sizes = sizes
        self.activation = activation
        self.head = head
        self.weights = weights
    }

    /// Number of weights of a network with layer widths `sizes`.
    public static func parameterCount(sizes: [Int]) -> Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    private static func checkSizes(_ sizes: [Int], _ what: String) throws(ModelError) {
        for s in sizes where s < 1 || s > 1_000_000 {
            throw .badArgument("\(what): layer sizes must be between 1 and 1,000,000, got \(s)")
        }
    }

    /// Linear regression R^d -> R^k (mean squared error), weights zero.
    public static func linear(d: Int, k: Int = 1) throws(ModelError) -> Model {
        try checkSizes([d, k], "linear")
        return Model(family: .linear, sizes: [d, k], activation: .tanh, head: .identity,
                     weights: [Double](repeating: 0, count: parameterCount(sizes: [d, k])))
    }

    /// Logistic regression R^d -> probability of class 1, weights zero.
    public static func logistic(d: Int) throws(ModelError) -> Model {
        try checkSizes([d], "logistic")
        return Model(family: .logistic, sizes: [d, 1], activation: .tanh, head: .sigmoid,
                     weights: [Double](repeating: 0, count: d + 1))
    }

    /// Multinomial logistic regression R^d -> k class probabilities, weights zero.
    public static func softmax(d: Int, k: Int) throws(ModelError) -> Model {
        try checkSizes([d, k], "softmax")
        guard k >= 2 else { throw .badArgument("softmax needs k >= 2 classes, got \(k)") }
        return Model(family: .softmax, sizes: [d, k], activation: .tanh, head: .softmax,
                     weights: [Double](repeating: 0, count: parameterCount(sizes: [d, k])))
    }

    /// A multi-layer perceptron with layer widths [d, h..., k] and Glorot-uniform initial weights.
    ///
    /// The output head is softmax for k >= 2 and a sigmoid for k = 1 unless `head` says
    /// otherwise (`.identity` makes a regression network, trained on squared error). Initial weights are
    /// uniform in ±sqrt(f / (fan_in + fan_out)) with f = 6 (2 for sigmoid), as scikit-learn's
    /// MLPClassifier; biases start at 0.
    public static func mlp(sizes: [Int], activation: Activation = .relu, head: Head? = nil, seed: UInt64) throws(ModelError) -> Model {
        guard sizes.count >= 2 else {
            throw .badArgument("mlp needs at least [inputs, outputs] layer sizes, got \(sizes.count)")
        }
        try checkSizes(sizes, "mlp")
        if head == .softmax && sizes.last! < 2 { throw .badArgument("a softmax head needs at least 2 outputs") }
        if head == .sigmoid && sizes.last! != 1 { throw .badArgument("a sigmoid head has exactly 1 output, got \(sizes.last!)") }
        var rng = Random(seed: seed)
        var w = [Double]()
        w.reserveCapacity(parameterCount(sizes: sizes))
        let factor = activation == .sigmoid ? 2.0 : 6.0
        for (fanIn, fanOut) in zip(sizes, sizes.dropFirst()) {
            let bound = (factor / Double(fanIn + fanOut)).squareRoot()
            for _ in 0..<(fanIn * fanOut) { w.append(rng.uniform(-bound, bound)) }
            w.append(contentsOf: repeatElement(0, count: fanOut))
        }
        return Model(family: .mlp, sizes: sizes, activation: activation,
                     head: head ?? (sizes.last! == 1 ? .sigmoid : .softmax), weights: w)
    }

    /// Input dimension d.
    public var inputSize: Int { sizes[0] }
    /// Output dimension k.
    public var outputSize: Int { sizes[sizes.count - 1] }
    public var parameterCount: Int { weights.count }
    public var isClassifier: Bool { head != .identity }

    /// All weights as one flat vector: a point in weight space.
    public var params: [Double] { weights }

    /// The same architecture with the flat weight vector `w`.
    public func withParams(_ w: [Double]) throws(ModelError) -> Model {
        guard w.count == weights.count else {
            throw .shapeMismatch("\(family.rawValue) has \(weights.count) weights, got a vector of \(w.count)")
        }
        var m = self
        m.weights = w
        return m
    }

    /// "mlp R^105 -> R^16 -> R^2 (1,730 weights)".
    public var description: String {
        let map = sizes.map { "R^\($0)" }.joined(separator: " -> ")
        let count = parameterCount
        return "\(family.rawValue) \(map) (\(Model.grouped(count)) weight\(count == 1 ? "" : "s"))"
    }

    /// 1730 -> "1,730".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}

/// What goes wrong building, evaluating or training a model.
public enum ModelError: Error, Equatable, Sendable {
    case badArgument(String)
    case shapeMismatch(String)
    case data(DataError)
}

extension ModelError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .badArgument(let m), .shapeMismatch(let m): return m
        case .data(let e): return e.description
        }
    }
}

// MARK: - Evaluation

extension Model {
    /// Throws unless an input of `count` features fits this model.
    func checkInput(features count: Int, shape: [Int]) throws(ModelError) {
        guard count == inputSize else {
            throw .shapeMismatch(
                "shape mismatch: \(description) expects inputs of \(Tensor.describe(shape: [inputSize])), got \(Tensor.describe(shape: shape))")
        }
    }

    /// The outputs for one input (any shape with d elements: an image is flattened).
    public func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        try checkInput(features: x.count, shape: x.shape)
        let out = Engine(model: self, maxBatch: 1).infer(weights: weights, x: x.data, rows: 1)
        return Tensor(out)
    }

    /// Outputs for every row of X (n x d): an n x k matrix of probabilities (or values).
    public func predict(_ X: Tensor) throws(ModelError) -> Tensor {
        guard X.rank == 2 else {
            if X.count == inputSize { return Tensor(shape: [1, outputSize], data: try callAsFunction(X).data) }
            throw .shapeMismatch("shape mismatch: \(description) expects rows of \(inputSize) features, got \(Tensor.describe(shape: X.shape))")
        }
        try checkInput(features: X.shape[1], shape: X.shape)
        let n = X.shape[0]
        let chunk = 1024
        let engine = Engine(model: self, maxBatch: min(n, chunk))
        var out = [Double]()
        out.reserveCapacity(n * outputSize)
        var start = 0
        while start < n {
            let rows = min(chunk, n - start)
            let slice = Array(X.data[(start * inputSize)..<((start + rows) * inputSize)])
            out.append(contentsOf: engine.infer(weights: weights, x: slice, rows: rows))
            start += rows
        }
        return Tensor(shape: [n, outputSize], data: out)
    }

    /// Predicted class ids for every row (argmax; p >= 0.5 for a single sigmoid output).
    public func classify(_ X: Tensor) throws(ModelError) -> [Int] {
        let p = try predict(X)
        let k = outputSize
        return (0..<p.rows).map { i in
            if k == 1 { return p.data[i] >= 0.5 ? 1 : 0 }
            var best = 0
            for j in 1..<k where p.data[i * k + j] > p.data[i * k + best] { best = j }
            return best
        }
    }

    /// Throws unless this model can be scored or trained on `data`.
    func checkData(_ data: Dataset) throws(ModelError) {
        guard data.n > 0 else { throw .data(.empty("dataset")) }
        try checkInput(features: data.d, shape: [data.n, data.d])
        switch head {
        case .softmax:
            guard data.kind == .classification else {
                throw .badArgument("\(description) is a classifier but the data is a regression set")
            }
            guard data.k <= outputSize else {
                throw .shapeMismatch("shape mismatch: \(description) has \(outputSize) outputs but the data has \(data.k) classes")
            }
        case .sigmoid:
            guard data.kind == .classification, data.k <= 2 else {
                throw .badArgument("\(description) needs two classes (0 and 1), the data has \(data.kind == .classification ? "\(data.k) classes" : "regression targets")")
            }
        case .identity:
            if outputSize > 1 && data.kind == .classification && data.k > outputSize {
                throw .shapeMismatch("shape mismatch: \(description) has \(outputSize) outputs but the data has \(data.k) classes")
            }
            if outputSize > 1 && data.kind == .regression {
                throw .shapeMismatch("shape mismatch: \(description) has \(outputSize) outputs but the data has one target")
            }
        }
    }

    /// Fraction of rows classified correctly.
    public func accuracy(on data: Dataset) throws(ModelError) -> Double {
        try checkData(data)
        guard data.kind == .classification else {
            throw .badArgument("accuracy needs a classification set; use loss for regression")
        }
        let predicted = try classify(data.X)
        var hits = 0
        for (p, t) in zip(predicted, data.y) where Double(p) == t { hits += 1 }
        return Double(hits) / Double(data.n)
    }

    /// Mean loss over the rows: cross-entropy for classifiers, squared error for `linear`.
    public func loss(on data: Dataset) throws(ModelError) -> Double {
        try checkData(data)
        let engine = Engine(model: self, maxBatch: min(data.n, 1024))
        var total = 0.0
        var start = 0
        while start < data.n {
            let rows = min(1024, data.n - start)
            let slice = Array(data.X.data[(start * inputSize)..<((start + rows) * inputSize)])
            let targets = Array(data.y[start..<(start + rows)])
            total += engine.loss(weights: weights, x: slice, y: targets, rows: rows) * Double(rows)
            start += rows
        }
        return total / Double(data.n)
    }

    /// k x k counts: row = true class, column = predicted class.
    public func confusion(on data: Dataset) throws(ModelError) -> Tensor {
        try checkData(data)
        guard data.kind == .classification else { throw .badArgument("confusion needs a classification set") }
        let k = max(data.k, outputSize == 1 ? 2 : outputSize)
        var m = Tensor.zeros([k, k])
        for (p, t) in zip(try classify(data.X), data.y) { m[Int(t), p] += 1 }
        return m
    }

    /// Mean loss and its gradient with respect to the flat weights on (X, y), plus 0.5·l2·|W|²
    /// over the weight matrices (not the biases). For gradient checks and custom optimisers.
    public func lossAndGradient(_ X: Tensor, _ y: [Double], l2: Double = 0) throws(ModelError) -> (loss: Double, gradient: [Double]) {
        let data: Dataset
        do {
            data = try Dataset(X: X, y: y, kind: head == .identity && outputSize == 1 ? .regression : .classification,
                               classNames: head == .identity && outputSize == 1 ? [] : (0..<max(outputSize, 2)).map(String.init))
        } catch {
            throw .data(error)
        }
        try checkData(data)
        let engine = Engine(model: self, maxBatch: data.n)
        var grad = [Double](repeating: 0, count: weights.count)
        let loss = engine.lossAndGradient(weights: weights, x: X.data, y: y, rows: data.n, l2: l2, gradient: &grad)
        return (loss, grad)
    }
}
