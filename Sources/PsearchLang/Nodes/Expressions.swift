import PsearchCore
import Synchronization

// Expression nodes: leaves, operators, constructors, indexing and fields (calls and
// functions are in Functions.swift, statements in Statements.swift).

// MARK: - Leaves

final class ConstNode: ExprNode {
    let value: Value
    init(_ v: Value, _ r: SourceRange) {
        value = v
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { value }
}

final class LocalGet: ExprNode {
    let slot: Int
    init(_ slot: Int, _ r: SourceRange) {
        self.slot = slot
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { fp[slot] }
    override func calleeFunction(_ ip: Interpreter, _ fp: Frame) -> Callable? {
        if case .function(let fn) = fp[slot] { return fn }
        return nil
    }
}

final class CellGet: ExprNode {
    let slot: Int
    init(_ slot: Int, _ r: SourceRange) {
        self.slot = slot
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { cell(fp[slot]).value }
}

final class UpvalueGet: ExprNode {
    let index: Int
    init(_ index: Int, _ r: SourceRange) {
        self.index = index
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { ip.currentClosure!._withUnsafeGuaranteedRef { $0.captures[index].value } }
    override func calleeFunction(_ ip: Interpreter, _ fp: Frame) -> Callable? {
        if case .function(let fn) = ip.currentClosure!._withUnsafeGuaranteedRef({ $0.captures[index].value }) { return fn }
        return nil
    }
}

/// A top-level variable. Nodes hold the cell itself, so reading a global is one load.
final class GlobalGet: ExprNode {
    let global: GlobalCell
    /// A built-in of the same name answers while the global is not yet defined.
    let fallback: Value?
    init(_ global: GlobalCell, fallback: Value?, _ r: SourceRange) {
        self.global = global
        self.fallback = fallback
        super.init(r)
    }
    var name: String { global.name }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        if let v = global.value { return v }
        if let f = fallback { return f }
        throw RuntimeError("'\(global.name)' is used before it is defined", at: range)
    }
    override func calleeFunction(_ ip: Interpreter, _ fp: Frame) -> Callable? {
        switch global.value {
        case .function(let fn)?: return fn
        case nil:
            if case .function(let fn)? = fallback { return fn }
            return nil
        default: return nil
        }
    }
}

// MARK: - Operators

/// Where an operand's number can be read without evaluating a node: a local slot, a global
/// cell or a constant. Reading one is pure, so a miss (not a number, an undefined global) just
/// falls back to `eval`, which gives the same value or the same error.
enum Leaf {
    case local(Int)
    /// The node keeps the cell alive (its `GlobalGet` operand holds it).
    case global(Unmanaged<GlobalCell>)
    case constant(Double)
    case other

    init(_ n: ExprNode) {
        switch n {
        case let l as LocalGet: self = .local(l.slot)
        case let g as GlobalGet: self = .global(Unmanaged.passUnretained(g.global))
        case let c as ConstNode:
            if case .number(let x) = c.value { self = .constant(x) } else { self = .other }
        default: self = .other
        }
    }

    /// The operand's number, read in place (no copy of the `Value`); nil when it is not one.
    @inline(__always)
    func number(_ fp: Frame) -> Double? {
        switch self {
        case .local(let s):
            if case .number(let x) = fp[s] { return x }
            return nil
        case .global(let g):
            return g._withUnsafeGuaranteedRef { c in
                if case .number(let x)? = c.value { return x }
                return nil
            }
        case .constant(let x): return x
        case .other: return nil
        }
    }
}

extension BinaryOp {
    /// + - * / %: what `Ops.scalar` does to two numbers exactly as the operator nodes do.
    var isElementaryArithmetic: Bool {
        switch self {
        case .add, .sub, .mul, .div, .mod: return true
        default: return false
        }
    }
}

/// A number that can be worked out without evaluating a node, and so without effects: a leaf
/// (constant or variable), or elementary arithmetic on two leaves (`i % 4`). nil from `number`
/// when an operand holds no number; the node's `eval` then gives the value or the error.
enum PureNumber {
    case leaf(Leaf)
    case binary(BinaryOp, Leaf, Leaf)

    init?(_ n: ExprNode) {
        if let b = n as? BinaryNode {
            guard b.op.isElementaryArithmetic else { return nil }
            if case .other = b.lhsLeaf { return nil }
            if case .other = b.rhsLeaf { return nil }
            self = .binary(b.op, b.lhsLeaf, b.rhsLeaf)
            return
        }
        let leaf = Leaf(n)
        if case .other = leaf { return nil }
        self = .leaf(leaf)
    }

    @inline(__always)
    func number(_ fp: Frame) -> Double? {
        switch self {
        case .leaf(let l): return l.number(fp)
        case .binary(let op, let a, let b):
            guard let x = a.number(fp), let y = b.number(fp) else { return nil }
            return Ops.scalar(op, x, y)
        }
    }
}

/// Any binary operator; the common ones have subclasses whose number case is inlined.
class BinaryNode: ExprNode {
    let op: BinaryOp
    let lhs: ExprNode, rhs: ExprNode
    /// The operands' numbers read in place when they are variables or constants (`n - 1`,
    /// `i < n`): no virtual call and no `Value` built for them.
    let lhsLeaf: Leaf, rhsLeaf: Leaf
    init(_ op: BinaryOp, _ l: ExprNode, _ r: ExprNode, _ range: SourceRange) {
        self.op = op
        lhs = l
        rhs = r
        lhsLeaf = Leaf(l)
        rhsLeaf = Leaf(r)
        super.init(range)
    }

    /// The node for `op`: a specialised subclass for + - * / % and comparisons.
    static func make(_ op: BinaryOp, _ l: ExprNode, _ r: ExprNode, _ range: SourceRange) -> BinaryNode {
        switch op {
        case .add: return AddNode(op, l, r, range)
        case .sub: return SubNode(op, l, r, range)
        case .mul: return MulNode(op, l, r, range)
        case .div: return DivNode(op, l, r, range)
        case .mod: return ModNode(op, l, r, range)
        case .lt, .le, .gt, .ge, .eq, .ne: return CompareNode(op, l, r, range)
        default: return BinaryNode(op, l, r, range)
        }
    }

    /// Both operands when they are numbers, left before right. Otherwise nil, with the result
    /// of the general rules (tensors, strings, traced numbers, errors) in `other`.
    @inline(__always)
    final func numbers(_ ip: Interpreter, _ fp: Frame, _ other: inout Value) throws -> (Double, Double)? {
        if let x = lhsLeaf.number(fp) {
            if let y = rhsLeaf.number(fp) { return (x, y) }
            let b = try rhs.eval(ip, fp)
            if case .number(let y) = b { return (x, y) }
            other = try slow(.number(x), b, ip)
            return nil
        }
        let a = try lhs.eval(ip, fp)
        let b: Value
        if let y = rhsLeaf.number(fp) { b = .number(y) } else { b = try rhs.eval(ip, fp) }
        if case .number(let x) = a, case .number(let y) = b { return (x, y) }
        other = try slow(a, b, ip)
        return nil
    }

    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        switch op {
        case .pow: return .number(Ops.power(x, y))
        default: return .number(Ops.scalar(op, x, y))
        }
    }

    final func slow(_ a: Value, _ b: Value, _ ip: Interpreter) throws -> Value {
        do {
            switch op {
            case .eq, .ne, .lt, .le, .gt, .ge:
                // A comparison of traced numbers is a branch: the tape records it as a guard.
                if let r = try Traced.compare(op, a, b, ip) { return .bool(r) }
                if op == .eq { return .bool(Value.equal(a, b)) }
                if op == .ne { return .bool(!Value.equal(a, b)) }
                return .bool(try Ops.compare(op, a, b))
            default: return try Ops.arithmetic(op, a, b, ip)
            }
        } catch var e as RuntimeError {
            if e.range == nil { e.range = range }
            throw e
        }
    }
}

final class AddNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        return .number(x + y)
    }
}

final class SubNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        return .number(x - y)
    }
}

final class MulNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        return .number(x * y)
    }
}

final class DivNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        return .number(x / y)
    }
}

final class ModNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else { return other }
        return .number(Ops.floorMod(x, y))
    }
}

final class CompareNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { .bool(try evalBool(ip, fp)) }

    override func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        var other = Value.none
        guard let (x, y) = try numbers(ip, fp, &other) else {
            guard case .bool(let r) = other else { return false }
            return r
        }
        return Ops.compareNumbers(op, x, y)
    }
}

final class NegateNode: ExprNode {
    let operand: ExprNode
    init(_ o: ExprNode, _ r: SourceRange) {
        operand = o
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let v = try operand.eval(ip, fp)
        if case .number(let x) = v { return .number(-x) }
        do { return try Ops.negate(v, ip) } catch var e as RuntimeError {
            if e.range == nil { e.range = range }
            throw e
        }
    }
}

final class NotNode: ExprNode {
    let operand: ExprNode
    init(_ o: ExprNode, _ r: SourceRange) {
        operand = o
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { .bool(try evalBool(ip, fp)) }
    override func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let v = try operand.eval(ip, fp)
        guard case .bool(let b) = v else { throw RuntimeError("'not' needs a bool, got \(v.typeName)", at: operand.range) }
        return !b
    }
}

/// `and` / `or`: bool operands, short-circuit.
final class LogicNode: ExprNode {
    let isAnd: Bool
    let lhs: ExprNode, rhs: ExprNode
    init(isAnd: Bool, _ l: ExprNode, _ r: ExprNode, _ range: SourceRange) {
        self.isAnd = isAnd
        lhs = l
        rhs = r
        super.init(range)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { .bool(try evalBool(ip, fp)) }
    override func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let a = try operand(lhs, ip, fp)
        if isAnd ? !a : a { return a }
        return try operand(rhs, ip, fp)
    }
    private func operand(_ n: ExprNode, _ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let v = try n.eval(ip, fp)
        guard case .bool(let b) = v else {
            throw RuntimeError("'\(isAnd ? "and" : "or")' needs bool operands, got \(v.typeName)", at: n.range)
        }
        return b
    }
}

final class RangeNode: ExprNode {
    let lo: ExprNode, hi: ExprNode
    init(_ lo: ExprNode, _ hi: ExprNode, _ r: SourceRange) {
        self.lo = lo
        self.hi = hi
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let a = try lo.eval(ip, fp), b = try hi.eval(ip, fp)
        guard case .number(let x) = a else { throw RuntimeError("range start must be a number, got \(a.typeName)", at: lo.range) }
        guard case .number(let y) = b else { throw RuntimeError("range end must be a number, got \(b.typeName)", at: hi.range) }
        return .range(x, y)
    }
}

// MARK: - Constructors

/// `[a, b, c]`: a vector when the elements are numbers (or tensors of one shape, stacked),
/// otherwise a list.
final class ArrayNode: ExprNode {
    let items: [ExprNode]
    init(_ items: [ExprNode], _ r: SourceRange) {
        self.items = items
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var values = [Value]()
        values.reserveCapacity(items.count)
        for n in items { values.append(try n.eval(ip, fp)) }
        return try ArrayNode.build(values, ip)
    }

    static func build(_ values: [Value], _ ip: Interpreter) throws -> Value {
        if values.allSatisfy({ if case .number = $0 { return true } else { return false } }) {
            return .tensor(Tensor(values.map { if case .number(let x) = $0 { return x } else { return 0 } }))
        }
        // Stack equal-shape tensors (and ranges) into one more dimension: [[1, 2], [3, 4]].
        var rows: [Tensor] = []
        for v in values {
            switch v {
            case .tensor(let t): rows.append(t)
            case .range: if case .tensor(let t) = try ip.materialize(v) { rows.append(t) }
            default: return try Traced.stack(values, ip) ?? .list(values)
            }
        }
        guard let first = rows.first, rows.allSatisfy({ $0.shape == first.shape }) else { return .list(values) }
        var data = [Double]()
        data.reserveCapacity(first.count * rows.count)
        for r in rows { data.append(contentsOf: r.data) }
        return .tensor(Tensor(shape: [rows.count] + first.shape, data: data))
    }
}

final class RecordNode: ExprNode {
    let names: [String]
    let values: [ExprNode]
    init(_ names: [String], _ values: [ExprNode], _ r: SourceRange) {
        self.names = names
        self.values = values
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var r = Record()
        r.names = names
        r.values.reserveCapacity(values.count)
        for n in values { r.values.append(try n.eval(ip, fp)) }
        return .record(r)
    }
}

final class IndexNode: ExprNode {
    let target: ExprNode
    let indices: [ExprNode]
    init(_ t: ExprNode, _ idx: [ExprNode], _ r: SourceRange) {
        target = t
        indices = idx
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let v = try target.eval(ip, fp)
        if indices.count == 1 {
            let i = try indices[0].eval(ip, fp)
            // The hot case: a vector read at a whole-number index.
            if case .tensor(let t) = v, t.rank == 1, case .number(let x) = i {
                let n = t.count
                if x >= 0 && x < Double(n), let k = Int(exactly: x) { return .number(t.data[k]) }
            }
            return try Indexing.get(v, [i], self, ip)
        }
        var keys = [Value]()
        for n in indices { keys.append(try n.eval(ip, fp)) }
        return try Indexing.get(v, keys, self, ip)
    }
}

/// `v[i]` on a local variable: reads the element in place, without copying the tensor out of
/// its slot (a copy would retain and release its storage on every read).
final class IndexLocalNode: ExprNode {
    let slot: Int
    let index: ExprNode
    let general: IndexNode
    init(_ slot: Int, _ index: ExprNode, general: IndexNode) {
        self.slot = slot
        self.index = index
        self.general = general
        super.init(general.range)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let i = try index.eval(ip, fp)
        if case .number(let x) = i, let v = element(x, in: fp[slot]) { return v }
        return try Indexing.get(fp[slot], [i], general, ip)
    }
}

/// `v[i]` on a global variable, read in place like `IndexLocalNode`.
final class IndexGlobalNode: ExprNode {
    let global: GlobalCell
    let index: ExprNode
    let general: IndexNode
    /// The index, when its number can be worked out without effects (`fs[i % 4]`): a call of
    /// `fs[i % 4](x)` may then look at the element before deciding how to call it.
    private let pureIndex: PureNumber?
    init(_ global: GlobalCell, _ index: ExprNode, general: IndexNode) {
        self.global = global
        self.index = index
        self.general = general
        pureIndex = PureNumber(index)
        super.init(general.range)
    }

    /// The element `fs[i % 4]` names when it is a function, found without evaluating anything
    /// that has effects; nil otherwise (then `eval` runs, and evaluates the index once).
    override func calleeFunction(_ ip: Interpreter, _ fp: Frame) -> Callable? {
        guard let k = pureIndex?.number(fp),
              case .function(let fn)? = global.peek(ip, { element(k, in: $0) }) else { return nil }
        return fn
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        // Unassigned: the general path reports it before the index is evaluated.
        guard case _? = global.value else { return try general.eval(ip, fp) }
        let i = try index.eval(ip, fp)
        if case .number(let x) = i, case let g? = global.value, let v = element(x, in: g) {
            return v
        }
        // The index is evaluated once: it may have effects (`xs[next()]`).
        guard let g = global.value else { return try general.eval(ip, fp) }
        return try Indexing.get(g, [i], general, ip)
    }
}

/// `v[x]` of a vector or list at a whole index counted from the start; nil for anything else
/// (negative indices, slices, errors), which the general path handles.
@inline(__always)
private func element(_ x: Double, in v: borrowing Value) -> Value? {
    switch v {
    case .tensor(let t):
        guard t.rank == 1, x >= 0, x < Double(t.count), let k = Int(exactly: x) else { return nil }
        return .number(t.data[k])
    case .list(let items):
        guard x >= 0, x < Double(items.count), let k = Int(exactly: x) else { return nil }
        return items[k]
    default: return nil
    }
}

/// Where a node last found its field in a record's names: tried first, so records of one shape
/// are read and written without searching their names (two equal short names compare as one
/// machine word). Atomic because search workers run the same nodes on their own threads.
@inline(__always)
func fieldIndex(_ names: [String], _ name: String, _ hint: borrowing Atomic<Int>) -> Int? {
    let h = hint.load(ordering: .relaxed)
    if h < names.count, names[h] == name { return h }
    guard let i = names.firstIndex(of: name) else { return nil }
    hint.store(i, ordering: .relaxed)
    return i
}

final class FieldNode: ExprNode {
    let target: ExprNode
    let name: String
    let leaf: Leaf
    private let hint = Atomic<Int>(0)
    init(_ t: ExprNode, _ name: String, _ r: SourceRange) {
        target = t
        self.name = name
        leaf = Leaf(t)
        super.init(r)
    }

    /// The field of the record `v` holds, if it is one with that field.
    @inline(__always)
    private func read(_ v: borrowing Value) -> Value? {
        switch v {
        case .record(let r):
            guard let i = fieldIndex(r.names, name, hint) else { return nil }
            return r.values[i]
        default: return nil
        }
    }

    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        // A record in a variable is read where it lies: copying it out would retain and release
        // its two arrays on every read. A local is moved out and back (nothing runs in between),
        // so the match borrows it; a global likewise, through `GlobalCell.peek`.
        switch leaf {
        case .local(let s):
            let p = fp + s
            let v = p.move()
            let f = read(v)
            p.initialize(to: consume v)
            if let f { return f }
        case .global(let g):
            if let f = g._withUnsafeGuaranteedRef({ $0.peek(ip) { read($0) } }) { return f }
        case .constant, .other: break
        }
        let v = try target.eval(ip, fp)
        return try Indexing.field(v, name, range)
    }
}
