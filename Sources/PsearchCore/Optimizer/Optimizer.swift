import Foundation

/// The state of one optimiser run (buffers and step count) and its update rule: one set of
/// `torch.optim` rules shared by `Descent.descend` and `Training.train`.
///
/// Every case is written as torch computes it, in the same operation order, so a descent is
/// bit for bit the run torch would make in doubles (weight decay 0, dampening 0, not centred,
/// no amsgrad). Training adds its l2 term to the gradient before the update.
public struct Optimizer {
    /// An update rule, with `torch.optim`'s defaults.
    public enum Method: String, CaseIterable, Sendable {
        /// SGD: x ← x − lr·g.
        case gd
        /// SGD with momentum μ: b ← μ·b + g (b = g on the first step); x ← x − lr·b.
        case momentum
        /// SGD with Nesterov momentum: b as for momentum; x ← x − lr·(g + μ·b).
        case nesterov
        /// Adagrad: s ← s + g²; x ← x − lr·g / (√s + ε), ε = 1e-10.
        case adagrad
        /// RMSprop (not centred): v ← α·v + (1 − α)·g²; x ← x − lr·g / (√v + ε), α = 0.99, ε = 1e-8.
        case rmsprop
        /// Adam: m ← lerp(m, g, 1 − β₁); v ← β₂·v + (1 − β₂)·g²;
        /// x ← x − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).
        case adam

        /// Other names the language accepts: "sgd" is `train`'s name for gd from before the two
        /// vocabularies were one, and lessons and scripts still say it.
        public static let aliases: [String: Method] = ["sgd": .gd]

        /// The method called `name`, its own name or an alias.
        public init?(name: String) {
            guard let m = Method(rawValue: name) ?? Method.aliases[name] else { return nil }
            self = m
        }
    }

    /// The hyper-parameters of every method; each reads the ones its rule names.
    public struct Settings: Sendable, Equatable {
        public var lr: Double
        /// μ for momentum and nesterov.
        public var momentum = 0.9
        public var beta1 = 0.9
        public var beta2 = 0.999
        /// RMSprop's smoothing constant.
        public var alpha = 0.99
        /// nil: the method's torch default (1e-10 for adagrad, 1e-8 otherwise).
        public var eps: Double?

        public init(lr: Double) { self.lr = lr }

        /// ε as `method` uses it.
        public func epsilon(for method: Method) -> Double { eps ?? (method == .adagrad ? 1e-10 : 1e-8) }

        /// The first constant outside its range (μ, β₁ and β₂ in [0, 1)), if any; the learning
        /// rate is checked by the caller, which words its own message.
        public var invalid: (name: String, value: Double)? {
            for (name, v) in [("momentum", momentum), ("beta1", beta1), ("beta2", beta2)] where !(v >= 0 && v < 1) {
                return (name, v)
            }
            return nil
        }
    }

    public let method: Method
    let lr, mu, beta1, beta2, alpha, eps: Double
    /// Momentum buffer, Adagrad's sum, RMSprop's average or Adam's first moment.
    var buf: [Double]
    /// Adam's second moment.
    var sq: [Double]
    /// Updates made.
    public private(set) var t = 0

    /// A fresh state for points of `dimension` numbers.
    public init(_ method: Method, _ s: Settings, dimension n: Int) {
        self.method = method
        lr = s.lr
        mu = s.momentum
        beta1 = s.beta1
        beta2 = s.beta2
        alpha = s.alpha
        eps = s.epsilon(for: method)
        buf = [Double](repeating: 0, count: method == .gd ? 0 : n)
        sq = [Double](repeating: 0, count: (method == .adam) ? n : 0)
    }

    /// One step: moves x against the gradient g (same length) by the method's rule.
    @inline(__always)
    public mutating func update(_ x: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>) {
        let n = x.count
        t += 1
        if method == .gd {
            for i in 0..<n { x[i] = x[i] - lr * g[i] }
            return
        }
        let first = t == 1
        let (method, lr, mu, beta1, beta2, alpha, eps, t) = (self.method, self.lr, self.mu, self.beta1, self.beta2, self.alpha, self.eps, self.t)
        buf.withUnsafeMutableBufferPointer { buf in
            sq.withUnsafeMutableBufferPointer { sq in
                switch method {
                case .gd:
                    break
                case .momentum, .nesterov:
                    for i in 0..<n {
                        // torch: the buffer starts as a copy of the first gradient.
                        buf[i] = first ? g[i] : buf[i] * mu + g[i]
                        let d = method == .nesterov ? g[i] + mu * buf[i] : buf[i]
                        x[i] = x[i] - lr * d
                    }
                case .adagrad:
                    // torch: clr = lr / (1 + (step - 1) * lr_decay) with lr_decay 0.
                    for i in 0..<n {
                        buf[i] = buf[i] + g[i] * g[i]
                        x[i] = x[i] - lr * (g[i] / (buf[i].squareRoot() + eps))
                    }
                case .rmsprop:
                    for i in 0..<n {
                        buf[i] = buf[i] * alpha + (1 - alpha) * (g[i] * g[i])
                        x[i] = x[i] - lr * (g[i] / (buf[i].squareRoot() + eps))
                    }
                case .adam:
                    let bc1 = 1 - Foundation.pow(beta1, Double(t))
                    let bc2 = 1 - Foundation.pow(beta2, Double(t))
                    let stepSize = lr / bc1
                    let bc2Sqrt = bc2.squareRoot()
                    for i in 0..<n {
                        // torch's lerp with weight 1 − β₁ < 0.5: m + w·(g − m).
                        buf[i] = buf[i] + (1 - beta1) * (g[i] - buf[i])
                        sq[i] = sq[i] * beta2 + (1 - beta2) * (g[i] * g[i])
                        let denom = sq[i].squareRoot() / bc2Sqrt + eps
                        x[i] = x[i] - stepSize * (buf[i] / denom)
                    }
                }
            }
        }
    }
}
