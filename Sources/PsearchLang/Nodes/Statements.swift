import PsearchCore
import Synchronization

// Statement nodes: expression statements, stores, blocks and control flow.

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
        let c = ip.capture(index)
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
        case .local(let s):
            if let a = AddAssign.piece(value, self) { return AddAssign(self, piece: a, general: StoreLocal(s, value, r)) }
            return StoreLocal(s, value, r)
        case .global(let g):
            if let a = AddAssign.piece(value, self) { return AddAssign(self, piece: a, general: StoreGlobal(g, value, r)) }
            return StoreGlobal(g, value, r)
        case .cell(let s): return StoreCell(s, value, declares: declares, r)
        case .upvalue(let i): return StoreUpvalue(i, name: name, value, r)
        }
    }
}

/// `x = x + t` with `t` a constant or a variable: numbers are added where they lie, and a
/// string is appended to in place. `s + t` builds a new string and copies all of `s` into it,
/// so building a string piece by piece took time quadratic in its length. Anything else
/// (lists, tensors, a worker's global, an error) runs the plain assignment, `general`;
/// reading `t` first is safe because reading a constant or a variable has no effect and
/// cannot change `x`.
final class AddAssign: StmtNode {
    let slot: Slot
    let piece: ExprNode
    let pieceLeaf: Leaf
    let general: StmtNode
    init(_ slot: Slot, piece: ExprNode, general: StmtNode) {
        self.slot = slot
        self.piece = piece
        pieceLeaf = Leaf(piece)
        self.general = general
        super.init(general.range)
    }

    /// `t` when `value` is `x + t` for the variable `slot` and `t` is a constant or variable.
    static func piece(_ value: ExprNode, _ slot: Slot) -> ExprNode? {
        guard let add = value as? AddNode, add.rhs is ConstNode || add.rhs is LocalGet || add.rhs is GlobalGet else { return nil }
        switch (slot, add.lhs) {
        case (.local(let s), let l as LocalGet) where l.slot == s: return add.rhs
        case (.global(let g), let l as GlobalGet) where l.global === g: return add.rhs
        default: return nil
        }
    }

    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        switch slot {
        case .local(let s):
            if case .number(let x) = fp[s], let y = pieceLeaf.number(fp) {
                fp[s] = .number(x + y)
                return .normal
            }
            guard case .string = fp[s], case .string(let tail) = try piece.eval(ip, fp) else { return try general.exec(ip, fp) }
            var v = Value.none
            swap(&v, &fp[s])
            guard case .string(var text) = consume v else { fatalError("checked above") }
            text += tail
            fp[s] = .string(text)
        case .global(let g):
            if ip.isWorker { return try general.exec(ip, fp) }
            if case .number(let x)? = g.value, let y = pieceLeaf.number(fp) {
                g.value = .number(x + y)
                return .normal
            }
            guard case .string? = g.value, case .string(let tail) = try piece.eval(ip, fp) else {
                return try general.exec(ip, fp)
            }
            var v: Value? = nil
            swap(&v, &g.value)
            guard case .string(var text)? = consume v else { fatalError("checked above") }
            text += tail
            g.value = .string(text)
        case .cell, .upvalue:
            return try general.exec(ip, fp)
        }
        return .normal
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
    /// The variable for the in-place fast paths, held without reference counting (`slot`
    /// keeps a global's cell alive); `.other` for captured variables.
    private let leaf: Leaf
    private let hint = Atomic<Int>(0)
    /// The field of `r.f = x`: read once here, not from `path` on every run.
    private let onlyField: String?
    /// `r.f = r.f + t` (or - * / %): the operator node, whose left operand reads this node's
    /// field of this node's variable. Run as one read-modify-write of the field in place.
    /// Unretained (`value` holds it), with its operator and right operand read once here:
    /// each retain is an atomic instruction, and this statement sits in inner loops.
    private let update: Unmanaged<BinaryNode>?
    private let updateOp: BinaryOp
    private let updateRight: Leaf
    init(_ slot: Slot, name: String, path: [PathStep], value: ExprNode, _ r: SourceRange) {
        self.slot = slot
        self.name = name
        self.path = path
        self.value = value
        if path.count == 1, case .field(let f, _) = path[0] { onlyField = f } else { onlyField = nil }
        switch slot {
        case .local(let s): leaf = .local(s)
        case .global(let g): leaf = .global(Unmanaged.passUnretained(g))
        case .cell, .upvalue: leaf = .other
        }
        let u = StorePathNode.update(of: value, field: onlyField, leaf: leaf)
        update = u.map { Unmanaged.passUnretained($0) }
        updateOp = u?.op ?? .add
        updateRight = u?.rhsLeaf ?? .other
        super.init(r)
    }

    private static func update(of value: ExprNode, field: String?, leaf: Leaf) -> BinaryNode? {
        guard let field, let b = value as? BinaryNode, b.op.isElementaryArithmetic,
              let read = b.lhs as? FieldNode, read.name == field else { return nil }
        switch (leaf, read.leaf) {
        case (.local(let a), .local(let b2)) where a == b2: return b
        case (.global(let a), .global(let b2)) where a.toOpaque() == b2.toOpaque(): return b
        default: return nil
        }
    }

    private enum Update {
        /// The field holds the new value.
        case written
        /// The new value, to be stored as any other.
        case computed(Value)
        /// The variable holds no record with a number in that field: nothing was evaluated.
        case declined
    }

    /// `r.f = r.f op t`, evaluated as the plain statement would be: the field read, then `t`,
    /// then the operator, then the write.
    private func runUpdate(_ u: Unmanaged<BinaryNode>, _ field: String, _ ip: Interpreter, _ fp: Frame) throws -> Update {
        // When t is a constant or a variable holding a number (reading one is pure), the whole
        // statement is one write in place.
        var x = 0.0
        var done = false
        let found = inPlace(fp) { base in
            // Looked up in an immutable record first: searching the names of one about to be
            // written made the optimiser retain them (an atomic instruction) around the search.
            guard let r = base.takeRecord() else { return false }
            guard let i = fieldIndex(r.names, field, hint), case .number(let a) = r.values[i] else {
                base = .record(r)
                return false
            }
            x = a
            // The variable is out of its slot here: t naming it reads no number, and falls to
            // the general path below.
            guard let y = updateRight.number(fp) else {
                base = .record(r)
                return true
            }
            var m = consume r
            m.values[i] = .number(Ops.scalar(updateOp, a, y))
            base = .record(m)
            done = true
            return true
        }
        if done { return .written }
        guard found else { return .declined }
        return try u._withUnsafeGuaranteedRef { u in
            let b = try u.rhs.eval(ip, fp)
            guard case .number(let y) = b else { return .computed(try u.slow(.number(x), b, ip)) }
            return .computed(.number(Ops.scalar(updateOp, x, y)))
        }
    }
    override func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow {
        if ip.isWorker {
            switch slot {
            case .global(let g): throw globalWriteInWorker(g.name, range)
            case .upvalue(let i) where ip.capture(i).owner != ip.id: throw capturedWriteInWorker(name, range)
            default: break
            }
        }
        var v = Value.none
        if let u = update, let field = onlyField {
            switch try runUpdate(u, field, ip, fp) {
            case .written: return .normal
            case .computed(let x): v = x
            case .declined: v = try value.eval(ip, fp)
            }
        } else {
            v = try value.eval(ip, fp)
        }
        // `r.f = x` on a record variable: no key arrays, one write in place.
        if let field = onlyField, storeField(field, v, ip, fp) { return .normal }
        // The hot case, `v[i] = x` on a vector: no key arrays, one in-place write.
        if path.count == 1, case .index(let idx, _) = path[0], idx.count == 1 {
            let i = try idx[0].eval(ip, fp)
            if case .number(let k) = i, storeElement(k, v, ip, fp) { return .normal }
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

    /// Runs `write` on the variable's value moved out of its slot (so copy-on-write finds it
    /// unique) and puts it back; false when `write` declines or the variable is captured or
    /// unassigned. `write` must not run user code: the slot is empty meanwhile.
    @inline(__always)
    private func inPlace(_ fp: Frame, _ write: (inout Value) -> Bool) -> Bool {
        switch leaf {
        case .local(let s):
            let p = fp + s
            var base = p.move()
            let done = write(&base)
            p.initialize(to: consume base)
            return done
        case .global(let g):
            return g._withUnsafeGuaranteedRef { c in
                guard var base = c.value.take() else { return false }
                let done = write(&base)
                c.value = consume base
                return done
            }
        case .constant, .other:
            return false
        }
    }

    /// Writes `x` at whole index `k` (counted from the start) of a vector variable (when `x`
    /// is a number) or a list variable; false when that is not the case.
    private func storeElement(_ k: Double, _ x: Value, _ ip: Interpreter, _ fp: Frame) -> Bool {
        inPlace(fp) { base in
            if case .number(let d) = x, var t = base.takeTensor() {
                defer { base = .tensor(t) }
                guard t.rank == 1, k >= 0, k < Double(t.count), let j = Int(exactly: k) else { return false }
                t.data[j] = d
                return true
            }
            guard var items = base.takeList() else { return false }
            defer { base = .list(items) }
            guard k >= 0, k < Double(items.count), let j = Int(exactly: k) else { return false }
            items[j] = x
            return true
        }
    }

    /// Writes field `field` of a record variable (adding it when missing, as `Indexing.set`
    /// does); false when the variable holds no record.
    private func storeField(_ field: String, _ x: Value, _ ip: Interpreter, _ fp: Frame) -> Bool {
        inPlace(fp) { base in
            guard let r = base.takeRecord() else { return false }
            // Searched before the record is mutable (see `runUpdate`).
            let found = fieldIndex(r.names, field, hint)
            var m = consume r
            if let i = found {
                m.values[i] = x
            } else {
                m.names.append(field)
                m.values.append(x)
            }
            base = .record(m)
            return true
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
            let c = ip.capture(i)
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
        case .upvalue(let i): ip.capture(i).value = v
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
