import Foundation

/// A value recorded on a `Tape`: a number (scalar) or a tensor.
public struct Node: Hashable, Sendable {
    public let id: Int32
    @inline(__always) var i: Int { Int(id) }
}

/// A comparison between two traced numbers; recorded as a guard on the tape.
public enum Comparison: UInt8, Sendable, CaseIterable {
    case lt, le, gt, ge, eq, ne

    @inlinable
    public func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .lt: return a < b
        case .le: return a <= b
        case .gt: return a > b
        case .ge: return a >= b
        case .eq: return a == b
        case .ne: return a != b
        }
    }
}

/// Operation codes stored in the tape's `op` column.
package enum Op: UInt8, BitwiseCopyable {
    // Scalar results.
    case constant, input, add, sub, mul, div, unary, pow, max, min, index, sum, mean, norm, dot, guardOp
    // Tensor results.
    case tconstant, tinput, ewBinary, ewUnary, matmul, gather, stack
}

/// Element functions of one argument. `powc` (constant exponent) and `square` are chosen by the
/// tape when an exponent is not traced; `square` is `x * x`, bit-identical to `pow(x, 2)`.
/// `floor` and `round` are piecewise constant: their derivative is 0 everywhere, at the jumps
/// too (as torch), so their backward rule adds nothing.
package enum UKind: Int32 {
    case neg, sqrt, exp, log, sin, cos, tanh, abs, powc, square, floor, round

    /// Whether the derivative is 0 everywhere: the backward rule is skipped, so an infinite or
    /// nan adjoint does not turn into nan (0 · inf) below it.
    package var isPiecewiseConstant: Bool { self == .floor || self == .round }
}

/// Element functions of two arguments.
package enum BKind: Int32 {
    case add, sub, mul, div, pow, max, min
}

/// A reverse-mode autodiff tape, recorded once by tracing a function and replayed natively.
///
/// Recording: create inputs, then one node per primitive; each node's value is computed as it is
/// recorded, so the tracer can read values (`scalar`, `tensor`) to decide branches. A branch on
/// traced values goes through `compare`, which records a guard. `gradient(of:)` sweeps backwards
/// (iteratively) from a scalar output.
///
/// Replay: `replay` re-runs the recorded operations on new input values, checks the guards and
/// sweeps backwards again; no allocation happens per replay. Storage is struct-of-arrays: one
/// column per field, indexed by node id; tensor elements live in one flat pool. A tape given a
/// `compiler` may replay what it compiled (PsearchFast's scalar program) in buffers of its own,
/// so `scalar` and `tensor` are for reading values while recording, not after a replay.
public final class Tape {
    /// Element functions that take one value, named as the language's built-ins (the tracer
    /// records a built-in of that name with its op). `floor` and `round` (halves away from
    /// zero, as the language's `round`) have derivative 0 everywhere.
    public enum UnaryOp: String, Sendable, CaseIterable {
        case neg, sqrt, exp, log, sin, cos, tanh, abs, floor, round

        var kind: UKind {
            switch self {
            case .neg: return .neg
            case .sqrt: return .sqrt
            case .exp: return .exp
            case .log: return .log
            case .sin: return .sin
            case .cos: return .cos
            case .tanh: return .tanh
            case .abs: return .abs
            case .floor: return .floor
            case .round: return .round
            }
        }
    }

    /// Element functions that take two values (a tensor and a number broadcast).
    public enum BinaryOp: Sendable, CaseIterable {
        case add, sub, mul, div, pow, max, min

        var kind: BKind {
            switch self {
            case .add: return .add
            case .sub: return .sub
            case .mul: return .mul
            case .div: return .div
            case .pow: return .pow
            case .max: return .max
            case .min: return .min
            }
        }

        /// The name used in messages.
        public var symbol: String {
            switch self {
            case .add: return "+"
            case .sub: return "-"
            case .mul: return "*"
            case .div: return "/"
            case .pow: return "^"
            case .max: return "max"
            case .min: return "min"
            }
        }
    }

    // Node columns.
    package var op = Column<Op>()
    package var a = Column<Int32>()
    package var b = Column<Int32>()
    /// Integer parameter: element kind and broadcast mode, index, or offset into `aux`.
    package var ip = Column<Int32>()
    /// Real parameter: a constant exponent.
    package var p = Column<Double>()
    /// Offset of a tensor node's elements in `tval`, -1 for a scalar node.
    package var off = Column<Int32>()
    /// Element count (1 for a scalar).
    package var cnt = Column<Int32>()
    /// Whether the node depends on an input; other nodes are constants and replay skips them.
    package var dep = Column<Bool>()
    /// Scalar values by node id.
    package var val = Column<Double>()
    var adj = Column<Double>()
    /// Tensor elements of all tensor nodes.
    var tval = Column<Double>()
    var tadj = Column<Double>()
    /// Variable-length operands: matmul dimensions, gather indices, stacked node ids.
    var aux = Column<Int32>()
    /// Shapes by node id (`[]` for scalars); read while recording, never while replaying.
    var shapes: [[Int]] = []

    package var inputNodes = Column<Int32>()
    /// The compiled replay program; rebuilt after any recording.
    var program = Column<Instr>()
    /// Compiles recordings into faster replays (`ObjectiveCompiler`); nil: the tape replays
    /// `program`, by the reference rules.
    public let compiler: (any ObjectiveCompiler)?
    /// What `compiler` made of the current recording, while it is compiled and replayable;
    /// `replay` runs it instead of `program`, and `TapeObjective` calls it directly.
    public internal(set) var compiledObjective: (any CompiledObjective)? {
        didSet { unretainedObjective = compiledObjective }
    }
    /// `compiledObjective` without a reference count, for the per-call read in `TapeObjective`
    /// (a retain and a release per call showed in profiles); valid while that property holds it.
    unowned(unsafe) var unretainedObjective: (any CompiledObjective)?
    var compiled = false {
        didSet { if !compiled { compiledObjective = nil } }
    }
    /// Total number of input elements: the length of the flat input and gradient vectors.
    public private(set) var inputSize = 0
    public private(set) var guardCount = 0
    /// The node `gradient(of:)` last differentiated; `replay` returns its value and gradient.
    public private(set) var output: Node?
    /// Why this tape cannot be replayed (the traced function did something replay cannot repeat).
    public private(set) var notReplayableReason: String?

    public init(compiler: (any ObjectiveCompiler)? = nil) {
        self.compiler = compiler
    }

    deinit {
        op.free(); a.free(); b.free(); ip.free(); p.free(); off.free(); cnt.free(); dep.free()
        val.free(); adj.free(); tval.free(); tadj.free(); aux.free(); inputNodes.free(); program.free()
    }

    /// Forgets every node, keeping the memory, so a retrace does not reallocate.
    public func reset() {
        op.removeAll(); a.removeAll(); b.removeAll(); ip.removeAll(); p.removeAll(); off.removeAll()
        cnt.removeAll(); dep.removeAll(); val.removeAll(); adj.removeAll(); tval.removeAll()
        tadj.removeAll(); aux.removeAll(); inputNodes.removeAll(); shapes.removeAll(keepingCapacity: true)
        program.removeAll()
        compiled = false
        inputSize = 0
        guardCount = 0
        output = nil
        notReplayableReason = nil
    }

    /// Number of nodes recorded (guards included).
    public var count: Int { op.count }

    // MARK: - Reading values

    public func isScalar(_ n: Node) -> Bool { off[n.i] < 0 }
    public func shape(_ n: Node) -> [Int] { shapes[n.i] }
    /// Whether the node's value depends on an input (false: a constant of the traced function).
    public func dependsOnInput(_ n: Node) -> Bool { dep[n.i] }

    /// The value of a scalar node (the first element of a tensor node).
    public func scalar(_ n: Node) -> Double { off[n.i] < 0 ? val[n.i] : tval[Int(off[n.i])] }

    /// The value of a node as a tensor (a scalar is a rank-0 tensor).
    public func tensor(_ n: Node) -> Tensor {
        let c = Int(cnt[n.i])
        let ptr = off[n.i] < 0 ? val.base + n.i : tval.base + Int(off[n.i])
        return Tensor(shape: shapes[n.i], data: Array(UnsafeBufferPointer(start: ptr, count: c)))
    }

    /// The shapes of the inputs, in the order they were created (`[]` for a number).
    public var inputShapes: [[Int]] { (0..<inputNodes.count).map { shapes[Int(inputNodes[$0])] } }

    /// Declares that replaying this tape would not repeat what the traced function did (it read
    /// mutable state, drew random numbers, printed): `replay` then always asks for a retrace.
    public func markNotReplayable(_ reason: String) {
        compiledObjective = nil
        if notReplayableReason == nil { notReplayableReason = reason }
    }

    // MARK: - Recording

    @inline(__always)
    private func record(_ o: Op, _ x: Int32 = -1, _ y: Int32 = -1, ip iv: Int32 = 0, p pv: Double = 0, dep d: Bool, shape: [Int]) -> Node {
        let id = Int32(op.count)
        op.append(o); a.append(x); b.append(y); ip.append(iv); p.append(pv); dep.append(d); val.append(0)
        if shape.isEmpty {
            off.append(-1)
            cnt.append(1)
        } else {
            let c = Tensor.count(of: shape)
            off.append(Int32(tval.append(repeating: 0, count: c)))
            cnt.append(Int32(c))
        }
        shapes.append(shape)
        compiled = false
        _ = kernel.forward(Int(id))
        return Node(id: id)
    }

    @inline(__always)
    var kernel: Kernel {
        Kernel(op: op.base, a: a.base, b: b.base, ip: ip.base, p: p.base, off: off.base, cnt: cnt.base, dep: dep.base,
               val: val.base, adj: adj.base, tval: tval.base, tadj: tadj.base, aux: aux.base)
    }

    /// A number the traced function uses but does not differentiate.
    public func constant(_ x: Double) -> Node {
        let n = record(.constant, dep: false, shape: [])
        val[n.i] = x
        return n
    }

    /// A tensor the traced function uses but does not differentiate.
    public func constant(_ t: Tensor) -> Node {
        if t.rank == 0 { return constant(t.data.first ?? 0) }
        let n = record(.tconstant, dep: false, shape: t.shape)
        t.data.withUnsafeBufferPointer { (tval.base + Int(off[n.i])).update(from: $0.baseAddress!, count: t.count) }
        return n
    }

    /// The next input, a number; its gradient is one element of the flat gradient.
    public func input(_ x: Double) -> Node {
        let n = record(.input, dep: true, shape: [])
        val[n.i] = x
        inputNodes.append(n.id)
        inputSize += 1
        return n
    }

    /// The next input, a tensor; its gradient is `count` elements of the flat gradient.
    public func input(_ t: Tensor) -> Node {
        if t.rank == 0 { return input(t.data.first ?? 0) }
        let n = record(.tinput, dep: true, shape: t.shape)
        if t.count > 0 {
            t.data.withUnsafeBufferPointer { (tval.base + Int(off[n.i])).update(from: $0.baseAddress!, count: t.count) }
        }
        inputNodes.append(n.id)
        inputSize += t.count
        return n
    }

    /// The next input, a vector.
    public func input(_ v: [Double]) -> Node { input(Tensor(v)) }

    /// An element function of one value (element-wise on a tensor).
    public func apply(_ f: UnaryOp, _ x: Node) -> Node { unary(f.kind, x) }

    func unary(_ k: UKind, _ x: Node, p pv: Double = 0) -> Node {
        if isScalar(x) { return record(.unary, x.id, ip: k.rawValue, p: pv, dep: dep[x.i], shape: []) }
        return record(.ewUnary, x.id, ip: k.rawValue, p: pv, dep: dep[x.i], shape: shapes[x.i])
    }

    /// An element function of two values: number and number, tensors of one shape, or a tensor
    /// and a number (broadcast).
    public func apply(_ f: BinaryOp, _ x: Node, _ y: Node) throws(AutoDiffError) -> Node {
        let sx = isScalar(x), sy = isScalar(y)
        // A constant exponent needs no log(x) term: x^2 is then exactly x * x.
        if f == .pow && sy && !dep[y.i] {
            let e = val[y.i]
            return e == 2 ? unary(.square, x) : unary(.powc, x, p: e)
        }
        let d = dep[x.i] || dep[y.i]
        if sx && sy {
            switch f {
            case .add: return record(.add, x.id, y.id, dep: d, shape: [])
            case .sub: return record(.sub, x.id, y.id, dep: d, shape: [])
            case .mul: return record(.mul, x.id, y.id, dep: d, shape: [])
            case .div: return record(.div, x.id, y.id, dep: d, shape: [])
            case .pow: return record(.pow, x.id, y.id, dep: d, shape: [])
            case .max: return record(.max, x.id, y.id, dep: d, shape: [])
            case .min: return record(.min, x.id, y.id, dep: d, shape: [])
            }
        }
        if !sx && !sy && shapes[x.i] != shapes[y.i] {
            throw .shapeMismatch(op: f.symbol, shapes[x.i], shapes[y.i])
        }
        let mode: Int32 = (sx ? 0 : 1) | (sy ? 0 : 2)
        return record(.ewBinary, x.id, y.id, ip: f.kind.rawValue * 4 + mode, dep: d, shape: sx ? shapes[y.i] : shapes[x.i])
    }

    public func add(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.add, x, y) }
    public func sub(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.sub, x, y) }
    public func mul(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.mul, x, y) }
    public func div(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.div, x, y) }
    public func pow(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.pow, x, y) }
    public func max(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.max, x, y) }
    public func min(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node { try apply(.min, x, y) }
    /// x raised to a constant power (x^2 is recorded as x * x).
    public func pow(_ x: Node, _ e: Double) -> Node { e == 2 ? unary(.square, x) : unary(.powc, x, p: e) }
    public func neg(_ x: Node) -> Node { unary(.neg, x) }
    public func sqrt(_ x: Node) -> Node { unary(.sqrt, x) }
    public func exp(_ x: Node) -> Node { unary(.exp, x) }
    public func log(_ x: Node) -> Node { unary(.log, x) }
    public func sin(_ x: Node) -> Node { unary(.sin, x) }
    public func cos(_ x: Node) -> Node { unary(.cos, x) }
    public func tanh(_ x: Node) -> Node { unary(.tanh, x) }
    /// |x|, with subgradient 0 at 0.
    public func abs(_ x: Node) -> Node { unary(.abs, x) }
    /// The largest whole number not above x; derivative 0 everywhere.
    public func floor(_ x: Node) -> Node { unary(.floor, x) }
    /// The nearest whole number, halves away from zero (`x.rounded()`); derivative 0 everywhere.
    public func round(_ x: Node) -> Node { unary(.round, x) }

    /// Sum of a tensor's elements (a number is its own sum).
    public func sum(_ x: Node) -> Node {
        isScalar(x) ? x : record(.sum, x.id, dep: dep[x.i], shape: [])
    }

    /// Mean of a tensor's elements.
    public func mean(_ x: Node) throws(AutoDiffError) -> Node {
        if isScalar(x) { return x }
        guard cnt[x.i] > 0 else { throw .emptyTensor(op: "mean") }
        return record(.mean, x.id, dep: dep[x.i], shape: [])
    }

    /// Euclidean norm of a tensor's elements (of a number: its absolute value); gradient 0 at 0.
    public func norm(_ x: Node) -> Node {
        isScalar(x) ? unary(.abs, x) : record(.norm, x.id, dep: dep[x.i], shape: [])
    }

    /// Dot product of two vectors of one length.
    public func dot(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node {
        guard shapes[x.i].count == 1, shapes[y.i].count == 1, shapes[x.i] == shapes[y.i] else {
            throw .shapeMismatch(op: "dot", shapes[x.i], shapes[y.i])
        }
        return record(.dot, x.id, y.id, dep: dep[x.i] || dep[y.i], shape: [])
    }

    /// Matrix product `x @ y` of matrices and vectors ([m,k]@[k,n], [m,k]@[k], [k]@[k,n], [k]@[k]).
    public func matmul(_ x: Node, _ y: Node) throws(AutoDiffError) -> Node {
        let sx = shapes[x.i], sy = shapes[y.i]
        guard (1...2).contains(sx.count), (1...2).contains(sy.count) else { throw .shapeMismatch(op: "@", sx, sy) }
        if sx.count == 1 && sy.count == 1 {
            guard sx == sy else { throw .shapeMismatch(op: "@", sx, sy) }
            return record(.dot, x.id, y.id, dep: dep[x.i] || dep[y.i], shape: [])
        }
        let m = sx.count == 2 ? sx[0] : 1, k = sx.count == 2 ? sx[1] : sx[0]
        let k2 = sy[0], n = sy.count == 2 ? sy[1] : 1
        guard k == k2 else { throw .shapeMismatch(op: "@", sx, sy) }
        let shape = sx.count == 1 ? [n] : (sy.count == 1 ? [m] : [m, n])
        let at = Int32(aux.count)
        aux.append(Int32(m)); aux.append(Int32(k)); aux.append(Int32(n))
        return record(.matmul, x.id, y.id, ip: at, dep: dep[x.i] || dep[y.i], shape: shape)
    }

    /// Element `i` (row-major flat index) of a tensor, as a number.
    public func index(_ x: Node, _ i: Int) throws(AutoDiffError) -> Node {
        guard !isScalar(x) else { throw .wrongKind(op: "index", expected: "a tensor") }
        let c = Int(cnt[x.i])
        guard i >= 0 && i < c else { throw .indexOutOfRange(op: "index", index: i, count: c) }
        return record(.index, x.id, ip: Int32(i), dep: dep[x.i], shape: [])
    }

    /// The elements at flat `indices` of a tensor, as a tensor of `shape` (a slice, a row, a column).
    public func gather(_ x: Node, _ indices: [Int], shape: [Int]) throws(AutoDiffError) -> Node {
        guard !isScalar(x) else { throw .wrongKind(op: "slice", expected: "a tensor") }
        precondition(Tensor.count(of: shape) == indices.count, "gather shape does not fit its indices")
        let c = Int(cnt[x.i])
        for i in indices where i < 0 || i >= c { throw .indexOutOfRange(op: "slice", index: i, count: c) }
        // A rank-0 result is a number.
        if shape.isEmpty { return try index(x, indices[0]) }
        let at = Int32(aux.count)
        for i in indices { aux.append(Int32(i)) }
        return record(.gather, x.id, ip: at, dep: dep[x.i], shape: shape)
    }

    /// Elements `start ..< start + count` of a tensor, as a vector.
    public func slice(_ x: Node, start: Int, count: Int) throws(AutoDiffError) -> Node {
        try gather(x, Array(start..<(start + Swift.max(count, 0))), shape: [Swift.max(count, 0)])
    }

    /// Row `i` of a matrix (sub-tensor `i` along the first axis).
    public func row(_ x: Node, _ i: Int) throws(AutoDiffError) -> Node {
        let s = shapes[x.i]
        guard s.count >= 2 else { return try index(x, i) }
        guard i >= 0 && i < s[0] else { throw .indexOutOfRange(op: "index", index: i, count: s[0]) }
        let inner = Array(s.dropFirst())
        let n = Tensor.count(of: inner)
        return try gather(x, Array((i * n)..<((i + 1) * n)), shape: inner)
    }

    /// A vector made of numbers (a vector literal whose elements are traced).
    public func stack(_ xs: [Node]) throws(AutoDiffError) -> Node {
        let at = Int32(aux.count)
        var d = false
        for x in xs {
            guard isScalar(x) else { throw .wrongKind(op: "vector", expected: "numbers") }
            aux.append(x.id)
            d = d || dep[x.i]
        }
        return record(.stack, ip: at, dep: d, shape: [xs.count])
    }

    /// Compares two traced numbers and returns the outcome, recording it as a guard when either
    /// depends on an input: replay stops and asks for a retrace if the outcome ever changes.
    public func compare(_ c: Comparison, _ x: Node, _ y: Node) throws(AutoDiffError) -> Bool {
        guard isScalar(x), isScalar(y) else { throw .notDifferentiable(op: "comparison of tensors") }
        let outcome = c.holds(val[x.i], val[y.i])
        if dep[x.i] || dep[y.i] {
            _ = record(.guardOp, x.id, y.id, ip: Int32(c.rawValue) * 2 + (outcome ? 1 : 0), dep: true, shape: [])
            guardCount += 1
        }
        return outcome
    }

    // MARK: - Gradient

    /// The flat gradient of scalar `output` with respect to all inputs (in creation order) at the
    /// recorded values; also makes `output` the node that `replay` differentiates.
    public func gradient(of output: Node) throws(AutoDiffError) -> [Double] {
        guard isScalar(output) else { throw .outputNotScalar(shapes[output.i]) }
        // A compiled replay is for one output.
        if self.output != output { compiled = false }
        self.output = output
        var g = [Double](repeating: 0, count: inputSize)
        g.withUnsafeMutableBufferPointer { backward(into: $0) }
        return g
    }

    /// Sizes the adjoint columns, runs the backward sweep from `output` and copies the inputs'
    /// adjoints into `g`.
    @inline(__always)
    func backward(into g: UnsafeMutableBufferPointer<Double>) {
        let n = op.count
        adj.resize(n, fill: 0)
        tadj.resize(tval.count, fill: 0)
        adj.base.update(repeating: 0, count: n)
        tadj.base.update(repeating: 0, count: tval.count)
        let out = output!.i
        adj[out] = 1
        let k = kernel
        var i = out
        while i >= 0 {
            if k.dep[i] { k.backward(i) }
            i -= 1
        }
        copyInputAdjoints(into: g)
    }

    @inline(__always)
    func copyInputAdjoints(into g: UnsafeMutableBufferPointer<Double>) {
        var j = 0
        for q in 0..<inputNodes.count {
            let node = Int(inputNodes[q])
            let o = off[node]
            if o < 0 {
                g[j] = adj[node]
                j += 1
            } else {
                let c = Int(cnt[node])
                for e in 0..<c { g[j + e] = tadj[Int(o) + e] }
                j += c
            }
        }
    }

    // MARK: - Replay

    /// Re-runs the tape on new inputs (flat, in creation order) and writes the gradient of the
    /// output into `gradient`; returns the output's value, or nil when the tape must be retraced
    /// (a guard's outcome changed, or the tape was marked not replayable).
    public func replay(_ inputs: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double? {
        precondition(inputs.count == inputSize && gradient.count == inputSize, "replay needs \(inputSize) inputs")
        guard let out = output?.i, notReplayableReason == nil else { return nil }
        if !compiled { compile() }
        if let fast = compiledObjective { return fast.replay(inputs, gradient) }
        loadInputs(inputs)
        guard runForward() else { return nil }
        adj.base.update(repeating: 0, count: op.count)
        tadj.base.update(repeating: 0, count: tval.count)
        adj[out] = 1
        runBackward(from: out)
        copyInputAdjoints(into: gradient)
        return val[out]
    }

    /// Re-runs the tape forward only; nil when it must be retraced.
    public func evaluate(_ inputs: UnsafeBufferPointer<Double>) -> Double? {
        precondition(inputs.count == inputSize, "replay needs \(inputSize) inputs")
        guard let out = output?.i, notReplayableReason == nil else { return nil }
        if !compiled { compile() }
        if let fast = compiledObjective { return fast.evaluate(inputs) }
        loadInputs(inputs)
        guard runForward() else { return nil }
        return val[out]
    }

    /// Convenience replay on arrays.
    public func replay(_ inputs: [Double]) -> (value: Double, gradient: [Double])? {
        var g = [Double](repeating: 0, count: inputSize)
        let v = inputs.withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { replay(x, gradient: $0) } }
        return v.map { ($0, g) }
    }

    @inline(__always)
    private func loadInputs(_ inputs: UnsafeBufferPointer<Double>) {
        var j = 0
        for q in 0..<inputNodes.count {
            let node = Int(inputNodes[q])
            let o = off[node]
            if o < 0 {
                val[node] = inputs[j]
                j += 1
            } else {
                let c = Int(cnt[node])
                (tval.base + Int(o)).update(from: inputs.baseAddress! + j, count: c)
                j += c
            }
        }
    }

    // MARK: - One-shot

    /// Value and gradient of `f` at `x`, where `f` records its computation on a fresh tape from
    /// one vector input.
    public static func gradient(at x: [Double], _ f: (Tape, Node) throws -> Node) throws -> (value: Double, gradient: [Double]) {
        let tape = Tape()
        let out = try f(tape, tape.input(x))
        let g = try tape.gradient(of: out)
        return (tape.scalar(out), g)
    }

    /// Value and gradient of `f` at the numbers `xs`, one scalar input each.
    public static func gradient(atScalars xs: [Double], _ f: (Tape, [Node]) throws -> Node) throws -> (value: Double, gradient: [Double]) {
        let tape = Tape()
        let out = try f(tape, xs.map { tape.input($0) })
        let g = try tape.gradient(of: out)
        return (tape.scalar(out), g)
    }
}
