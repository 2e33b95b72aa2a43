import Foundation
import PsearchCore

// Tracing psearch code onto an autodiff `Tape`. `grad` and `descend` call the function being
// differentiated with `Traced` values (a tape node each) in place of its inputs; every operation
// that meets one records itself on the tape instead of computing with plain numbers. The hooks
// below are reached only from the interpreter's slow paths (a `.object` operand), so code that
// never traces pays nothing.

/// One recording in progress: its tape, open until the traced call returns.
final class Tracer {
    let tape: Tape
    /// Closed when the traced call ends; a traced value used after that is an error.
    var open = true

    init(_ tape: Tape) { self.tape = tape }

    /// A traced value of this recording.
    func value(_ n: Node) -> Value { .object(Traced(self, n)) }

    /// The node for an operand: a traced value of this recording, or a number or tensor (as a
    /// constant); nil for values that are neither.
    func node(_ v: Value) throws(RuntimeError) -> Node? {
        switch v {
        case .number(let x): return tape.constant(x)
        case .tensor(let t): return tape.constant(t)
        case .range(let lo, let hi): return tape.constant(try rangeTensor(lo, hi, limit: Int(Int32.max)))
        case .object(let o):
            guard let t = o as? Traced else { return nil }
            try t.check(self)
            return t.node
        default: return nil
        }
    }

    /// Built-in calls while recording: pure built-ins on plain values run as usual, impure ones
    /// (printing, randomness, anything not known to be pure) make the tape not replayable, and a
    /// traced argument goes to the built-in's tape rule or is an error naming the built-in.
    func callBuiltin(_ b: Builtin, _ c: inout Call) throws -> Value {
        let name = b.spec.name
        let traced = c.args.positional.contains { Traced.of($0) != nil } || c.args.named.contains { Traced.of($0.1) != nil }
        if !traced {
            if !Tracer.pure.contains(name) { tape.markNotReplayable("it calls '\(name)'") }
            return try b.body(&c)
        }
        if let rule = Tracer.rules[name] { return try rule(self, c) }
        throw RuntimeError("cannot differentiate through '\(name)'")
    }

    /// Built-ins whose result depends only on their arguments.
    static let pure: Set<String> = Set([
        "abs", "sqrt", "exp", "log", "sin", "cos", "tanh", "floor", "round", "len", "shape", "type", "str",
        "sum", "mean", "norm", "min", "max", "argmin", "argmax", "sort", "vec", "zeros", "ones", "range",
        "linspace", "reshape", "assert",
    ]).union(TestFunctions.all.map(\.name))

    typealias Rule = @Sendable (Tracer, Call) throws -> Value

    /// Tape rules of built-ins that accept traced arguments.
    static let rules: [String: Rule] = {
        var r: [String: Rule] = [:]
        // floor and round record with derivative 0 (as torch's): a loss made of them is flat
        // between the steps, so its gradient is 0 there and a descent through it stays put.
        // Every element function of the tape is the built-in of its name (`neg` is the operator,
        // `round` takes digits: their rules are their own).
        for op in Tape.UnaryOp.allCases where op != .neg && op != .round {
            r[op.rawValue] = { t, c in
                guard let x = try t.node(try c.required("x")) else { throw c.bad("x", "number or tensor expected") }
                return t.value(t.tape.apply(op, x))
            }
        }
        // Derivative 0, as floor's; with digits, the interpreter's own arithmetic
        // (x * 10^digits, rounded, / 10^digits), so the value is the same bits.
        r["round"] = { t, c in
            let digits = try c.int("digits")
            let x = try t.operand(c, "x")
            if digits == 0 { return t.value(t.tape.round(x)) }
            let scale = t.tape.constant(Foundation.pow(10.0, Double(digits)))
            return t.value(try t.ad { () throws(AutoDiffError) in try t.tape.div(t.tape.round(t.tape.mul(x, scale)), scale) })
        }
        r["sum"] = { t, c in t.value(t.tape.sum(try t.operand(c, "x"))) }
        r["mean"] = { t, c in
            let x = try t.operand(c, "x")
            return t.value(try t.ad { () throws(AutoDiffError) in try t.tape.mean(x) })
        }
        r["norm"] = { t, c in t.value(t.tape.norm(try t.operand(c, "x"))) }
        r["min"] = { t, c in try t.extreme(c, .min) }
        r["max"] = { t, c in try t.extreme(c, .max) }
        r["len"] = { t, c in
            let s = t.tape.shape(try t.operand(c, "x"))
            guard let n = s.first else { throw c.bad("x", "vector, list, string, record or range expected, got traced number") }
            return .number(Double(n))
        }
        r["shape"] = { t, c in .tensor(Tensor(t.tape.shape(try t.operand(c, "x")).map(Double.init))) }
        r["type"] = { t, c in .string(Traced.kind(t.tape.shape(try t.operand(c, "x")))) }
        for f in TestFunctions.all {
            r[f.name] = { t, c in
                let p = try t.operand(c, "p")
                let s = t.tape.shape(p)
                guard s.count == 1, f.accepts(dimension: s[0]) else { throw c.bad("p", TestFunctionBuiltins.dimensionMessage(f, s)) }
                return t.value(try t.ad { () throws(AutoDiffError) in
                    do { return try f.trace(t.tape, p) } catch let e as AutoDiffError { throw e } catch { throw .notDifferentiable(op: f.name) }
                })
            }
        }
        return r
    }()

    /// A built-in's argument as a node.
    func operand(_ c: Call, _ name: String) throws(RuntimeError) -> Node {
        let v = try c.required(name)
        guard let n = try node(v) else { throw c.bad(name, "number or tensor expected, got \(v.typeName)") }
        return n
    }

    /// Runs a tape operation, turning its error into a runtime error.
    func ad<T>(_ body: () throws(AutoDiffError) -> T) throws(RuntimeError) -> T {
        do { return try body() } catch { throw RuntimeError(error.description) }
    }

    /// `min`/`max` of one tensor's elements or of several numbers.
    func extreme(_ c: Call, _ op: Tape.BinaryOp) throws -> Value {
        var nodes: [Node] = []
        if c.count == 1 {
            let x = try operand(c, "xs")
            if tape.isScalar(x) {
                nodes = [x]
            } else {
                let n = tape.shape(x).reduce(1, *)
                guard n > 0 else { throw c.bad(0, "empty vector has no \(op == .min ? "smallest" : "largest") element") }
                nodes = try ad { () throws(AutoDiffError) in try (0..<n).map { i throws(AutoDiffError) in try tape.index(x, i) } }
            }
        } else {
            for i in 0..<c.count {
                let v = c.args.positional[i]
                guard let n = try node(v), tape.isScalar(n) else { throw c.bad(i, "number expected, got \(v.typeName)") }
                nodes.append(n)
            }
        }
        var acc = nodes[0]
        for n in nodes.dropFirst() { acc = try ad { () throws(AutoDiffError) in try tape.apply(op, acc, n) } }
        return value(acc)
    }
}

/// A value computed from the inputs of a function being differentiated: a node on the tape.
final class Traced: NativeObject {
    let tracer: Tracer
    let node: Node

    init(_ tracer: Tracer, _ node: Node) {
        self.tracer = tracer
        self.node = node
    }

    static func of(_ v: Value) -> Traced? {
        if case .object(let o) = v { return o as? Traced }
        return nil
    }

    static func kind(_ shape: [Int]) -> String {
        shape.count == 0 ? "number" : shape.count == 1 ? "vector" : shape.count == 2 ? "matrix" : "tensor"
    }

    var kind: String { tracer.open ? Traced.kind(tracer.tape.shape(node)) : "value" }
    override var typeName: String { "traced " + kind }
    override var description: String {
        guard tracer.open else { return "<traced value>" }
        return "<traced \(kind) \(formatTensor(tracer.tape.tensor(node)))>"
    }

    /// Refuses a value from another recording, or one that outlived its own.
    func check(_ t: Tracer) throws(RuntimeError) {
        guard tracer === t, t.open else {
            throw RuntimeError("a value traced by grad or descend was used outside the function being differentiated",
                               notes: [Diagnostic.Note("a differentiated function should return its result, not store it in an outer variable")])
        }
    }

    /// The open recording an operation on `a` and `b` belongs to; nil when neither is traced.
    static func tracer(_ a: Value, _ b: Value) throws(RuntimeError) -> Tracer? {
        guard let t = of(a) ?? of(b) else { return nil }
        try t.check(t.tracer)
        return t.tracer
    }

    // MARK: - Hooks from the interpreter's slow paths

    /// `+ - * / ^ @` with a traced operand.
    static func arithmetic(_ op: BinaryOp, _ a: Value, _ b: Value, _ ip: Interpreter) throws -> Value? {
        guard let tr = try tracer(a, b) else { return nil }
        guard let x = try tr.node(a), let y = try tr.node(b) else {
            throw RuntimeError("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)")
        }
        let tape = tr.tape
        let n: Node = try tr.ad { () throws(AutoDiffError) -> Node in
            switch op {
            case .add: return try tape.apply(.add, x, y)
            case .sub: return try tape.apply(.sub, x, y)
            case .mul: return try tape.apply(.mul, x, y)
            case .div: return try tape.apply(.div, x, y)
            case .pow: return try tape.apply(.pow, x, y)
            case .matmul:
                if tape.isScalar(x) || tape.isScalar(y) { return try tape.apply(.mul, x, y) }
                return try tape.matmul(x, y)
            default: throw .notDifferentiable(op: op.rawValue)
            }
        }
        return tr.value(n)
    }

    static func negate(_ a: Value) throws(RuntimeError) -> Value? {
        guard let t = of(a) else { return nil }
        try t.check(t.tracer)
        return t.tracer.value(t.tracer.tape.neg(t.node))
    }

    /// A comparison with a traced operand: its outcome, recorded as a guard.
    static func compare(_ op: BinaryOp, _ a: Value, _ b: Value, _ ip: Interpreter) throws(RuntimeError) -> Bool? {
        guard let tr = try tracer(a, b) else { return nil }
        guard let x = try tr.node(a), let y = try tr.node(b) else {
            if op == .eq { return false }
            if op == .ne { return true }
            throw RuntimeError("cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'")
        }
        let c: Comparison
        switch op {
        case .lt: c = .lt
        case .le: c = .le
        case .gt: c = .gt
        case .ge: c = .ge
        case .eq: c = .eq
        default: c = .ne
        }
        return try tr.ad { () throws(AutoDiffError) in try tr.tape.compare(c, x, y) }
    }

    /// `v[i]`, `m[i, j]`, `v[a..b]`, `m[i]` on a traced tensor.
    static func index(_ v: Value, _ keys: [Value]) throws(RuntimeError) -> Value? {
        guard let t = of(v) else { return nil }
        let tr = t.tracer
        try t.check(tr)
        let shape = tr.tape.shape(t.node)
        guard !shape.isEmpty else { throw RuntimeError("cannot index a traced number") }
        let ks = try Indexing.keys(keys, shape: shape, what: Traced.kind(shape))
        var strides = [Int](repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
        var axes: [[Int]] = [], outShape: [Int] = []
        for axis in 0..<shape.count {
            if axis < ks.count {
                switch ks[axis] {
                case .at(let i): axes.append([i])
                case .span(let r):
                    axes.append(Array(r))
                    outShape.append(r.count)
                }
            } else {
                axes.append(Array(0..<shape[axis]))
                outShape.append(shape[axis])
            }
        }
        var flat: [Int] = []
        func walk(_ axis: Int, _ offset: Int) {
            if axis == shape.count {
                flat.append(offset)
                return
            }
            for i in axes[axis] { walk(axis + 1, offset + i * strides[axis]) }
        }
        walk(0, 0)
        if outShape.isEmpty { return tr.value(try tr.ad { () throws(AutoDiffError) in try tr.tape.index(t.node, flat[0]) }) }
        return tr.value(try tr.ad { () throws(AutoDiffError) in try tr.tape.gather(t.node, flat, shape: outShape) })
    }

    /// `[a, b]` with traced elements: numbers stack into a vector, equal-shape tensors into one
    /// more dimension; nil when nothing is traced or the elements do not form a tensor.
    static func stack(_ values: [Value], _ ip: Interpreter) throws(RuntimeError) -> Value? {
        guard let first = values.lazy.compactMap({ of($0) }).first else { return nil }
        let tr = first.tracer
        try first.check(tr)
        let tape = tr.tape
        var nodes: [Node] = []
        var rowShape: [Int]?
        for v in values {
            guard let n = try tr.node(try ip.materialize(v)) else { return nil }
            let s = tape.shape(n)
            if let r = rowShape, r != s { return nil }
            rowShape = s
            if s.isEmpty {
                nodes.append(n)
            } else {
                let c = s.reduce(1, *)
                for i in 0..<c { nodes.append(try tr.ad { () throws(AutoDiffError) in try tape.index(n, i) }) }
            }
        }
        let flat = try tr.ad { () throws(AutoDiffError) in try tape.stack(nodes) }
        guard let s = rowShape, !s.isEmpty else { return tr.value(flat) }
        let shape = [values.count] + s
        return tr.value(try tr.ad { () throws(AutoDiffError) in try tape.gather(flat, Array(0..<nodes.count), shape: shape) })
    }

    /// `for x in v` over a traced vector (its elements) or matrix (its rows).
    static func elements(_ v: Value) throws(RuntimeError) -> [Value]? {
        guard let t = of(v) else { return nil }
        let tr = t.tracer
        try t.check(tr)
        let shape = tr.tape.shape(t.node)
        guard let n = shape.first else { throw RuntimeError("cannot loop over a traced number") }
        return try (0..<n).map { i throws(RuntimeError) in
            tr.value(try tr.ad { () throws(AutoDiffError) in try tr.tape.row(t.node, i) })
        }
    }
}
