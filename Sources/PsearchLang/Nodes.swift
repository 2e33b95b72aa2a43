import PsearchCore

// The resolved program: a tree of executable nodes. The resolver has already turned every name
// into a frame slot, a captured cell or a global slot, so running a node does no dictionary
// look-ups. Each node evaluates itself (a virtual call), numbers stay unboxed in `Value`, and
// the common all-number cases are handled inline before falling back to `Ops`.

typealias Frame = UnsafeMutablePointer<Value>

/// How a statement finished: normally, or by `break`, `continue` or `return` (whose value is
/// left in `Interpreter.returnValue`). Control flow never travels as a thrown error.
enum Flow { case normal, breakLoop, continueLoop, returnValue }

class ExprNode {
    let range: SourceRange
    init(_ range: SourceRange) { self.range = range }
    func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { fatalError("abstract") }

    /// For conditions: the value must be a bool.
    func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let v = try eval(ip, fp)
        if case .bool(let b) = v { return b }
        throw RuntimeError("condition must be a bool, got \(v.typeName)", at: range)
    }
}

class StmtNode {
    let range: SourceRange
    init(_ range: SourceRange) { self.range = range }
    func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow { fatalError("abstract") }
}

/// A variable that an inner function captured: it lives in a heap cell so both see one value.
final class Cell: NativeObject {
    var value: Value
    /// `Interpreter.id` of the interpreter that made it: a search worker may write only its own
    /// cells, the others are shared with the trials running beside it.
    let owner: Int
    init(_ v: Value, owner: Int) {
        value = v
        self.owner = owner
    }
}

@inline(__always)
func cell(_ v: Value) -> Cell {
    guard case .object(let o) = v else { fatalError("captured slot holds no cell") }
    return unsafeDowncast(o, to: Cell.self)
}

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
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { ip.currentClosure!.captures[index].value }
}

/// A top-level variable. Nodes hold the cell itself, so reading a global is one load.
final class GlobalCell {
    let name: String
    /// nil while declared but not yet assigned.
    var value: Value?
    init(_ name: String) { self.name = name }
}

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
}

// MARK: - Operators

/// Any binary operator; the common ones have subclasses whose number case is inlined.
class BinaryNode: ExprNode {
    let op: BinaryOp
    let lhs: ExprNode, rhs: ExprNode
    init(_ op: BinaryOp, _ l: ExprNode, _ r: ExprNode, _ range: SourceRange) {
        self.op = op
        lhs = l
        rhs = r
        super.init(range)
    }

    /// The node for `op`: a specialised subclass for + - * / and comparisons.
    static func make(_ op: BinaryOp, _ l: ExprNode, _ r: ExprNode, _ range: SourceRange) -> BinaryNode {
        switch op {
        case .add: return AddNode(op, l, r, range)
        case .sub: return SubNode(op, l, r, range)
        case .mul: return MulNode(op, l, r, range)
        case .div: return DivNode(op, l, r, range)
        case .lt, .le, .gt, .ge, .eq, .ne: return CompareNode(op, l, r, range)
        default: return BinaryNode(op, l, r, range)
        }
    }

    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let a = try lhs.eval(ip, fp)
        let b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b {
            switch op {
            case .mod: return .number(Ops.floorMod(x, y))
            case .pow: return .number(Ops.power(x, y))
            default: return .number(Ops.scalar(op, x, y))
            }
        }
        return try slow(a, b, ip)
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
        let a = try lhs.eval(ip, fp), b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b { return .number(x + y) }
        return try slow(a, b, ip)
    }
}

final class SubNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let a = try lhs.eval(ip, fp), b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b { return .number(x - y) }
        return try slow(a, b, ip)
    }
}

final class MulNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let a = try lhs.eval(ip, fp), b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b { return .number(x * y) }
        return try slow(a, b, ip)
    }
}

final class DivNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let a = try lhs.eval(ip, fp), b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b { return .number(x / y) }
        return try slow(a, b, ip)
    }
}

final class CompareNode: BinaryNode {
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { .bool(try evalBool(ip, fp)) }

    override func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let a = try lhs.eval(ip, fp), b = try rhs.eval(ip, fp)
        if case .number(let x) = a, case .number(let y) = b { return Ops.compareNumbers(op, x, y) }
        guard case .bool(let r) = try slow(a, b, ip) else { return false }
        return r
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

/// Where a new closure finds each variable it captures.
enum CaptureSource {
    case local(Int)  // a cell in the defining frame's slot
    case upvalue(Int)  // one of the defining closure's own captures
}

/// The compiled form of a function: shared by every closure made from it.
final class FunctionProto {
    let name: String
    let paramNames: [String]
    var defaults: [ExprNode?] = []
    var frameSize = 0
    var boxedParams: [Int] = []
    /// A local `fn f` sees itself as `f` through this slot, filled at each call (boxed when an
    /// inner function captures it). Not a capture of the variable it is stored in: that made
    /// the closure hold the cell holding the closure, read before the cell existed.
    var selfSlot: Int?
    var selfBoxed = false
    var captures: [CaptureSource] = []
    var bodyExpr: ExprNode?
    var bodyBlock: StmtNode?
    let range: SourceRange
    /// Globals the body (or a function defined in it) reads, and whether it assigns a global or
    /// a captured variable: what grad needs to know to replay a recording of it safely.
    var globalsRead: [GlobalCell] = []
    var writesNonLocal = false

    init(name: String, paramNames: [String], range: SourceRange) {
        self.name = name
        self.paramNames = paramNames
        self.range = range
    }
}

public final class Closure: Callable {
    let proto: FunctionProto
    let captures: ContiguousArray<Cell>
    init(_ proto: FunctionProto, _ captures: ContiguousArray<Cell>) {
        self.proto = proto
        self.captures = captures
        super.init(isClosure: true)
    }
    public override var name: String { proto.name }
    public override var parameterNames: [String] { proto.paramNames }
}

final class FunctionNode: ExprNode {
    let proto: FunctionProto
    init(_ p: FunctionProto, _ r: SourceRange) {
        proto = p
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        var cells = ContiguousArray<Cell>()
        cells.reserveCapacity(proto.captures.count)
        for c in proto.captures {
            switch c {
            case .local(let slot): cells.append(cell(fp[slot]))
            case .upvalue(let i): cells.append(ip.currentClosure!.captures[i])
            }
        }
        return .function(Closure(proto, cells))
    }
}

// MARK: - Calls, indexing, fields

final class CallNode: ExprNode {
    let callee: ExprNode
    let args: [ExprNode]
    /// Labels of named arguments, aligned with `args` (nil for positional ones).
    let labels: [String?]
    let positionalCount: Int
    /// `args` without reference counting, for the hot path (see `BlockNode`).
    private let unretainedArgs: ContiguousArray<Unmanaged<ExprNode>>
    init(_ callee: ExprNode, _ args: [ExprNode], _ labels: [String?], _ r: SourceRange) {
        self.callee = callee
        self.args = args
        self.labels = labels
        unretainedArgs = ContiguousArray(args.map { Unmanaged.passUnretained($0) })
        positionalCount = labels.firstIndex(where: { $0 != nil }) ?? labels.count
        super.init(r)
    }

    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let f = try callee.eval(ip, fp)
        guard case .function(let fn) = f else { return try callOther(f, ip, fp) }
        if fn.isClosure {
            let c = unsafeDowncast(fn, to: Closure.self)
            let proto = c.proto
            if positionalCount == args.count && args.count == proto.paramNames.count {
                let size = proto.frameSize
                let nfp = try ip.pushFrame(size, at: range)
                defer { ip.popFrame(nfp, size) }
                try unretainedArgs.withUnsafeBufferPointer { args in
                    for i in 0..<args.count { nfp[i] = try args[i]._withUnsafeGuaranteedRef { try $0.eval(ip, fp) } }
                }
                return try ip.invoke(c, nfp, callRange: range)
            }
            return try ip.callClosureGeneral(c, evaluateArguments(ip, fp), callRange: range)
        }
        let b = unsafeDowncast(fn, to: Builtin.self)
        if args.count == 1, positionalCount == 1, b.unary != nil || b.single != nil {
            // One positional argument: try the built-in's direct form before building an
            // argument list (calls like floor(x) and len(v) sit in inner loops).
            let x = try args[0].eval(ip, fp)
            if case .number(let v) = x, let f = b.unary { return .number(f(v)) }
            if let f = b.single, let r = f(x) { return r }
            var a = Arguments(callRange: range)
            a.positional = [x]
            a.ranges = [args[0].range]
            return try ip.callBuiltin(b, a, callRange: range)
        }
        return try ip.callBuiltin(b, evaluateArguments(ip, fp), callRange: range)
    }

    func evaluateArguments(_ ip: Interpreter, _ fp: Frame) throws -> Arguments {
        var a = Arguments(callRange: range)
        a.positional.reserveCapacity(positionalCount)
        for i in 0..<args.count {
            let v = try args[i].eval(ip, fp)
            if let l = labels[i] { a.named.append((l, v)) } else { a.positional.append(v) }
            a.ranges.append(args[i].range)
        }
        return a
    }

    private func callOther(_ f: Value, _ ip: Interpreter, _ fp: Frame) throws -> Value {
        if case .object(let o) = f {
            let a = try evaluateArguments(ip, fp)
            do {
                if a.named.isEmpty, let r = try o.call(a.positional, ip) { return r }
            } catch var e as RuntimeError where e.range == nil {
                e.range = range
                throw e
            }
        }
        let what: String
        if let n = callee as? GlobalGet { what = " ('\(n.name)' is \(article(f.typeName)))" } else { what = "" }
        throw RuntimeError("cannot call \(article(f.typeName))\(what)", at: callee.range)
    }
}

func article(_ noun: String) -> String {
    if noun == "nil" { return "nil" }
    return (["a", "e", "i", "o", "u"].contains(noun.first.map(String.init) ?? "") ? "an " : "a ") + noun
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
        if case .number(let x) = i, let v = element(fp + slot, x) { return .number(v) }
        return try Indexing.get(fp[slot], [i], general, ip)
    }
}

/// `v[i]` on a global variable, read in place like `IndexLocalNode`.
final class IndexGlobalNode: ExprNode {
    let global: GlobalCell
    let index: ExprNode
    let general: IndexNode
    init(_ global: GlobalCell, _ index: ExprNode, general: IndexNode) {
        self.global = global
        self.index = index
        self.general = general
        super.init(general.range)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let i = try index.eval(ip, fp)
        if case .number(let x) = i, case .tensor(let t)? = global.value, t.rank == 1,
           x >= 0, x < Double(t.count), let k = Int(exactly: x) {
            return .number(t.data[k])
        }
        return try general.eval(ip, fp)
    }
}

@inline(__always)
private func element(_ p: UnsafeMutablePointer<Value>, _ x: Double) -> Double? {
    guard case .tensor(let t) = p.pointee, t.rank == 1, x >= 0, x < Double(t.count), let k = Int(exactly: x) else { return nil }
    return t.data[k]
}

final class FieldNode: ExprNode {
    let target: ExprNode
    let name: String
    init(_ t: ExprNode, _ name: String, _ r: SourceRange) {
        target = t
        self.name = name
        super.init(r)
    }
    override func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value {
        let v = try target.eval(ip, fp)
        return try Indexing.field(v, name, range)
    }
}

// MARK: - Statements

final class ExprStmt: StmtNode {
    let expr: ExprNode
    /// The REPL echoes the value of a final expression statement.
    let keep: Bool
    init(_ e: ExprNode, keep: Bool) {
        expr = e
        self.keep = keep
        super.init(e.range)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        let v = try expr.eval(ip, fp)
        if keep { ip.lastValue = v }
        return .normal
    }
}

/// `x = e` / `let x = e` into a frame slot.
final class StoreLocal: StmtNode {
    let slot: Int
    let value: ExprNode
    init(_ slot: Int, _ value: ExprNode, _ r: SourceRange) {
        self.slot = slot
        self.value = value
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        fp[slot] = try value.eval(ip, fp)
        return .normal
    }
}

final class StoreGlobal: StmtNode {
    let global: GlobalCell
    let value: ExprNode
    init(_ global: GlobalCell, _ value: ExprNode, _ r: SourceRange) {
        self.global = global
        self.value = value
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        if ip.isWorker { throw globalWriteInWorker(global.name, range) }
        global.value = try value.eval(ip, fp)
        return .normal
    }
}

/// A variable an inner function captured. A `let` makes a fresh cell, so closures made in
/// different loop iterations keep their own value; an assignment writes the existing cell.
final class StoreCell: StmtNode {
    let slot: Int
    let value: ExprNode
    let declares: Bool
    init(_ slot: Int, _ value: ExprNode, declares: Bool, _ r: SourceRange) {
        self.slot = slot
        self.value = value
        self.declares = declares
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        let v = try value.eval(ip, fp)
        if declares { fp[slot] = .object(Cell(v, owner: ip.id)) } else { cell(fp[slot]).value = v }
        return .normal
    }
}

final class StoreUpvalue: StmtNode {
    let index: Int
    let name: String
    let value: ExprNode
    init(_ index: Int, name: String, _ value: ExprNode, _ r: SourceRange) {
        self.index = index
        self.name = name
        self.value = value
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        let c = ip.currentClosure!.captures[index]
        if ip.isWorker && c.owner != ip.id { throw capturedWriteInWorker(name, range) }
        c.value = try value.eval(ip, fp)
        return .normal
    }
}

/// Trials run in parallel on shared globals: a write there would race with the other trials.
func globalWriteInWorker(_ name: String, _ range: SourceRange) -> RuntimeError {
    RuntimeError("cannot assign the global '\(name)' inside a parallel search trial", at: range,
                 notes: [Diagnostic.Note("trials run at the same time; keep state in local variables, or pass workers: 1")])
}

/// A closure made outside the search captured this variable, so every trial shares its cell:
/// writing it from parallel trials would race just as a global would.
func capturedWriteInWorker(_ name: String, _ range: SourceRange) -> RuntimeError {
    RuntimeError("cannot assign the captured variable '\(name)' inside a parallel search trial", at: range,
                 notes: [Diagnostic.Note("trials run at the same time; keep state in local variables, or pass workers: 1")])
}

/// Where a variable lives, for declarations and assignments.
enum Slot {
    case local(Int)
    case cell(Int)
    case upvalue(Int)
    case global(GlobalCell)

    /// The statement that stores `value` here.
    func store(_ value: ExprNode, name: String, declares: Bool, _ r: SourceRange) -> StmtNode {
        switch self {
        case .local(let s): return StoreLocal(s, value, r)
        case .cell(let s): return StoreCell(s, value, declares: declares, r)
        case .upvalue(let i): return StoreUpvalue(i, name: name, value, r)
        case .global(let g): return StoreGlobal(g, value, r)
        }
    }
}

/// `v[i] = x`, `m[i, j] = x`, `r.f = x`, `a[0].f[2] = x`: the target path is applied to the
/// variable's value in place (it is moved out of the slot so copy-on-write does not copy).
final class StorePathNode: StmtNode {
    let slot: Slot
    let name: String
    let path: [PathStep]
    let value: ExprNode
    enum PathStep {
        case index([ExprNode], SourceRange)
        case field(String, SourceRange)
    }
    init(_ slot: Slot, name: String, path: [PathStep], value: ExprNode, _ r: SourceRange) {
        self.slot = slot
        self.name = name
        self.path = path
        self.value = value
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        if ip.isWorker {
            switch slot {
            case .global(let g): throw globalWriteInWorker(g.name, range)
            case .upvalue(let i) where ip.currentClosure!.captures[i].owner != ip.id: throw capturedWriteInWorker(name, range)
            default: break
            }
        }
        let v = try value.eval(ip, fp)
        // The hot case, `v[i] = x` on a vector: no key arrays, one in-place write.
        if path.count == 1, case .index(let idx, _) = path[0], idx.count == 1, case .number(let x) = v {
            let i = try idx[0].eval(ip, fp)
            if case .number(let k) = i, try storeElement(k, x, ip, fp) { return .normal }
            return try store(v, [[i]], ip, fp)
        }
        var keys: [[Value]] = []
        keys.reserveCapacity(path.count)
        for step in path {
            if case .index(let idx, _) = step {
                var k: [Value] = []
                for n in idx { k.append(try n.eval(ip, fp)) }
                keys.append(k)
            } else {
                keys.append([])
            }
        }
        return try store(v, keys, ip, fp)
    }

    /// Writes `x` at whole index `k` of a vector variable; false when that is not the case.
    private func storeElement(_ k: Double, _ x: Double, _ ip: Interpreter, _ fp: Frame) throws -> Bool {
        func write(_ base: inout Value) -> Bool {
            guard var t = base.takeTensor() else { return false }
            defer { base = .tensor(t) }
            guard t.rank == 1, k >= 0, k < Double(t.count), let j = Int(exactly: k) else { return false }
            t.data[j] = x
            return true
        }
        switch slot {
        case .local(let s):
            var base = fp[s]
            fp[s] = .none
            defer { fp[s] = base }
            return write(&base)
        case .global(let g):
            guard var base = g.value else { return false }
            g.value = Value.none
            defer { g.value = base }
            return write(&base)
        case .cell, .upvalue:
            return false
        }
    }

    private func store(_ v: Value, _ keys: [[Value]], _ ip: Interpreter, _ fp: Frame) throws -> Flow {
        switch slot {
        case .local(let s):
            var base = fp[s]
            fp[s] = .none
            defer { fp[s] = base }
            try Indexing.set(&base, path[...], keys[...], v, ip)
        case .cell(let s):
            let c = cell(fp[s])
            var base = c.value
            c.value = .none
            defer { c.value = base }
            try Indexing.set(&base, path[...], keys[...], v, ip)
        case .upvalue(let i):
            let c = ip.currentClosure!.captures[i]
            var base = c.value
            c.value = .none
            defer { c.value = base }
            try Indexing.set(&base, path[...], keys[...], v, ip)
        case .global(let g):
            guard var base = g.value else { throw RuntimeError("'\(name)' is used before it is defined", at: range) }
            g.value = Value.none
            defer { g.value = base }
            try Indexing.set(&base, path[...], keys[...], v, ip)
        }
        return .normal
    }
}

final class BlockNode: StmtNode {
    let body: ContiguousArray<StmtNode>
    /// The same statements without reference counting: iterating `body` retains and releases
    /// every statement on every pass, and when worker threads run one function those atomic
    /// counts bounce a cache line between cores. `body` keeps the statements alive.
    private let unretained: ContiguousArray<Unmanaged<StmtNode>>
    init(_ body: [StmtNode], _ r: SourceRange) {
        self.body = ContiguousArray(body)
        unretained = ContiguousArray(body.map { Unmanaged.passUnretained($0) })
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        try unretained.withUnsafeBufferPointer { statements in
            for s in statements {
                let f = try s._withUnsafeGuaranteedRef { try $0.exec(ip, fp) }
                if f != .normal { return f }
            }
            return .normal
        }
    }
}

final class IfNode: StmtNode {
    let cond: ExprNode
    let then: StmtNode
    let otherwise: StmtNode?
    init(_ c: ExprNode, _ t: StmtNode, _ e: StmtNode?, _ r: SourceRange) {
        cond = c
        then = t
        otherwise = e
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        if try cond.evalBool(ip, fp) { return try then.exec(ip, fp) }
        if let e = otherwise { return try e.exec(ip, fp) }
        return .normal
    }
}

final class WhileNode: StmtNode {
    let cond: ExprNode
    let body: StmtNode
    init(_ c: ExprNode, _ b: StmtNode, _ r: SourceRange) {
        cond = c
        body = b
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        while try cond.evalBool(ip, fp) {
            if Interrupt.isRequested { throw Interrupted() }
            try ip.spendStep(range)
            switch try body.exec(ip, fp) {
            case .normal, .continueLoop: continue
            case .breakLoop: return .normal
            case .returnValue: return .returnValue
            }
        }
        return .normal
    }
}

/// `for x in e`: counts through a range without allocating; walks vectors (elements),
/// matrices (rows), lists, strings (characters).
final class ForNode: StmtNode {
    let variable: Slot
    let boxed: Bool
    let iterable: ExprNode
    let body: StmtNode
    init(_ v: Slot, boxed: Bool, _ it: ExprNode, _ b: StmtNode, _ r: SourceRange) {
        variable = v
        self.boxed = boxed
        iterable = it
        body = b
        super.init(r)
    }

    @inline(__always)
    private func bind(_ v: Value, _ ip: Interpreter, _ fp: Frame) {
        switch variable {
        case .local(let s): fp[s] = v
        case .cell(let s): fp[s] = .object(Cell(v, owner: ip.id))
        case .global(let g): g.value = v
        case .upvalue(let i): ip.currentClosure!.captures[i].value = v
        }
    }

    /// Runs the body once; nil to go on, a flow to leave the loop with.
    @inline(__always)
    private func step(_ ip: Interpreter, _ fp: Frame) throws -> Flow? {
        if Interrupt.isRequested { throw Interrupted() }
        try ip.spendStep(range)
        switch try body.exec(ip, fp) {
        case .normal, .continueLoop: return nil
        case .breakLoop: return .normal
        case .returnValue: return .returnValue
        }
    }

    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        let it = try iterable.eval(ip, fp)
        switch it {
        case .range(let lo, let hi):
            var x = lo
            while x < hi {
                bind(.number(x), ip, fp)
                if let f = try step(ip, fp) { return f }
                x += 1
            }
        case .tensor(let t):
            if t.rank <= 1 {
                for x in t.data {
                    bind(.number(x), ip, fp)
                    if let f = try step(ip, fp) { return f }
                }
            } else {
                for i in 0..<t.shape[0] {
                    bind(.tensor(t.row(i)), ip, fp)
                    if let f = try step(ip, fp) { return f }
                }
            }
        case .list(let items):
            for v in items {
                bind(v, ip, fp)
                if let f = try step(ip, fp) { return f }
            }
        case .string(let s):
            for ch in s {
                bind(.string(String(ch)), ip, fp)
                if let f = try step(ip, fp) { return f }
            }
        default:
            if let items = try Traced.elements(it) {
                for v in items {
                    bind(v, ip, fp)
                    if let f = try step(ip, fp) { return f }
                }
                return .normal
            }
            throw RuntimeError("cannot loop over \(article(it.typeName))", at: iterable.range,
                               notes: [Diagnostic.Note("'for' walks a range (0..n), a vector, a matrix's rows, a list or a string")])
        }
        return .normal
    }
}

final class BreakNode: StmtNode {
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow { .breakLoop }
}

final class ContinueNode: StmtNode {
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow { .continueLoop }
}

final class ReturnNode: StmtNode {
    let value: ExprNode?
    init(_ v: ExprNode?, _ r: SourceRange) {
        value = v
        super.init(r)
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        ip.returnValue = try value?.eval(ip, fp) ?? .none
        return .returnValue
    }
}

/// Ctrl-C reached a running program: unwinds to the prompt (or ends the script with 130).
public struct Interrupted: Error {}
