import PsearchCore

// Functions and calls: prototypes, closures, the function expression and the call node.

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
    var bodyExpr: ExprNode? { didSet { unretainedExpr = bodyExpr.map { Unmanaged.passUnretained($0) } } }
    var bodyBlock: StmtNode? { didSet { unretainedBlock = bodyBlock.map { Unmanaged.passUnretained($0) } } }
    /// The body without reference counting, for the call path: reading a `var` class property
    /// across a call retains and releases it (atomic) on every call. The properties above keep
    /// the nodes alive.
    private(set) var unretainedExpr: Unmanaged<ExprNode>?
    private(set) var unretainedBlock: Unmanaged<StmtNode>?
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
            case .upvalue(let i): cells.append(ip.capture(i))
            }
        }
        return .function(Closure(proto, cells))
    }
}

// MARK: - Calls

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
        if let fn = callee.calleeFunction(ip, fp) {
            if fn.isClosure { return try callClosure(unsafeDowncast(fn, to: Closure.self), ip, fp) }
            return try callBuiltin(unsafeDowncast(fn, to: Builtin.self), ip, fp)
        }
        let f = try callee.eval(ip, fp)
        // `consume`: the function moves out of the value instead of being retained once more.
        switch consume f {
        case .function(let fn):
            if fn.isClosure { return try callClosure(unsafeDowncast(fn, to: Closure.self), ip, fp) }
            return try callBuiltin(unsafeDowncast(fn, to: Builtin.self), ip, fp)
        case let other: return try callOther(other, ip, fp)
        }
    }

    @inline(never)
    private func callClosure(_ c: Closure, _ ip: Interpreter, _ fp: Frame) throws -> Value {
        let proto = c.proto
        guard positionalCount == args.count && args.count == proto.paramNames.count else {
            return try ip.callClosureGeneral(c, evaluateArguments(ip, fp), callRange: range)
        }
        let size = proto.frameSize
        let nfp = try ip.pushFrame(size, at: range)
        defer { ip.popFrame(nfp, size) }
        try unretainedArgs.withUnsafeBufferPointer { args in
            // The slots hold nil (trivial) after pushFrame: initialise them, nothing to destroy.
            for i in 0..<args.count { (nfp + i).initialize(to: try args[i]._withUnsafeGuaranteedRef { try $0.eval(ip, fp) }) }
        }
        return try ip.invoke(c, nfp, callRange: range)
    }

    private func callBuiltin(_ b: Builtin, _ ip: Interpreter, _ fp: Frame) throws -> Value {
        if args.count == 1, positionalCount == 1, b.hasDirectForm {
            // One positional argument: try the built-in's direct form before building an
            // argument list (calls like floor(x) and len(v) sit in inner loops). The argument
            // node is read unretained (each retain is an atomic instruction).
            let x = try unretainedArgs[0]._withUnsafeGuaranteedRef { try $0.eval(ip, fp) }
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
