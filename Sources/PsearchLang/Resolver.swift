import PsearchCore

/// Turns the parse tree into executable nodes: every name becomes a frame slot, a captured
/// cell, a closure capture or a global slot, so nothing is looked up by name at run time.
///
/// It runs twice over a chunk: the first pass only learns which local variables inner
/// functions capture (those live in heap cells); the second emits nodes knowing that.
struct Resolver {
    enum Mode { case script, repl }

    /// One function being compiled (the top level of a chunk is one too).
    final class FunctionScope {
        let parent: FunctionScope?
        /// Block scopes, innermost last: name → slot.
        var blocks: [[String: Int]] = [[:]]
        var nextSlot = 0
        var maxSlots = 0
        var captures: [(name: String, source: CaptureSource, key: Int64)] = []
        /// Declaration key of each slot's current variable, to tell whether it is captured.
        var slotKeys: [Int: Int64] = [:]
        let isTopLevel: Bool
        var loopDepth = 0
        /// Globals read and non-local writes, for `FunctionProto.globalsRead`/`writesNonLocal`.
        var globalsRead: [GlobalCell] = []
        var writesNonLocal = false

        init(parent: FunctionScope?, isTopLevel: Bool) {
            self.parent = parent
            self.isTopLevel = isTopLevel
        }

        func declare(_ name: String, key: Int64) -> Int {
            if let s = blocks[blocks.count - 1][name] {
                slotKeys[s] = key
                return s
            }
            let s = nextSlot
            nextSlot += 1
            maxSlots = max(maxSlots, nextSlot)
            blocks[blocks.count - 1][name] = s
            slotKeys[s] = key
            return s
        }

        func lookupLocal(_ name: String) -> Int? {
            for b in blocks.reversed() { if let s = b[name] { return s } }
            return nil
        }
    }

    let globals: Globals
    let mode: Mode
    /// Declarations (by key) that some inner function captures: learned in the first pass.
    var captured: Set<Int64>
    let emitting: Bool
    var diagnostics: [Diagnostic] = []
    var scope: FunctionScope
    /// Globals first referenced from a function body before any declaration was seen.
    var lateGlobals: [(name: String, range: SourceRange)] = []
    var reportedUnknown: Set<String> = []

    init(globals: Globals, mode: Mode, captured: Set<Int64>, emitting: Bool) {
        self.globals = globals
        self.mode = mode
        self.captured = captured
        self.emitting = emitting
        scope = FunctionScope(parent: nil, isTopLevel: true)
    }

    static func key(_ r: SourceRange) -> Int64 { Int64(r.source) << 32 | Int64(r.start) }

    /// Resolves a chunk; returns the top-level statements and the chunk's frame size.
    static func resolve(_ stmts: [Stmt], globals: Globals, mode: Mode, keepLast: Bool) throws(DiagnosticList) -> (BlockNode, Int) {
        let before = globals.count
        var first = Resolver(globals: globals, mode: mode, captured: [], emitting: false)
        first.declareTopLevel(stmts)
        _ = first.chunk(stmts, keepLast: keepLast)
        first.checkLateGlobals()
        if !first.diagnostics.isEmpty {
            globals.forget(from: before)
            throw DiagnosticList(first.diagnostics)
        }
        var second = Resolver(globals: globals, mode: mode, captured: first.captured, emitting: true)
        let block = second.chunk(stmts, keepLast: keepLast)
        return (block, second.scope.maxSlots)
    }

    // MARK: - Names

    /// Top-level `let`, `fn` and assignments declare globals before anything is resolved, so
    /// functions can refer to globals defined further down the script.
    mutating func declareTopLevel(_ stmts: [Stmt]) {
        let globals = self.globals
        func declare(_ name: String) {
            _ = globals.cell(name)
            globals.declaredInThisChunk.insert(name)
        }
        func walk(_ stmts: [Stmt], top: Bool) {
            for s in stmts {
                switch s.kind {
                case .letDecl(let name, _, _) where top: declare(name)
                case .function(let d) where top: declare(d.name!)
                case .assign(let target, _):
                    if case .name(let n) = target.kind { declare(n) }
                case .ifStmt(_, let t, let e):
                    walk(t, top: false)
                    if let e { walk(e, top: false) }
                case .whileStmt(_, let b): walk(b, top: false)
                case .forStmt(_, _, _, let b): walk(b, top: false)
                default: break
                }
            }
        }
        walk(stmts, top: true)
    }

    mutating func checkLateGlobals() {
        guard mode == .script else { return }
        for (name, range) in lateGlobals where globals[name]?.value == nil {
            if !globals.declaredInThisChunk.contains(name) && reportedUnknown.insert(name).inserted {
                diagnostics.append(unknownName(name, range))
            }
        }
    }

    func unknownName(_ name: String, _ range: SourceRange) -> Diagnostic {
        var candidates = Set(globals.cells.filter { $0.value != nil || globals.declaredInThisChunk.contains($0.name) }.map(\.name))
        candidates.formUnion(Builtins.byName.keys)
        var s: FunctionScope? = scope
        while let f = s {
            for b in f.blocks { candidates.formUnion(b.keys) }
            s = f.parent
        }
        var notes: [Diagnostic.Note] = []
        if let c = closest(name, among: candidates.sorted()) { notes.append(Diagnostic.Note("did you mean '\(c)'?")) }
        return Diagnostic(.syntax, "unknown name '\(name)'", at: range, notes: notes)
    }

    /// Finds `name` from the current function outwards: a local, a capture, a global, a built-in.
    mutating func lookup(_ name: String, _ range: SourceRange) -> Slot? {
        if let s = scope.lookupLocal(name) {
            return isCaptured(scope, s) ? .cell(s) : .local(s)
        }
        if let idx = capture(name, in: scope) { return .upvalue(idx) }
        return nil
    }

    func isCaptured(_ f: FunctionScope, _ slot: Int) -> Bool {
        guard let k = f.slotKeys[slot] else { return false }
        return captured.contains(k)
    }

    /// Index of `name` among `f`'s captures, adding it (and captures in every function between)
    /// when an enclosing function declares it.
    mutating func capture(_ name: String, in f: FunctionScope) -> Int? {
        if let i = f.captures.firstIndex(where: { $0.name == name }) { return i }
        guard let parent = f.parent else { return nil }
        // Top-level names of the outermost block are globals and never appear in `blocks`.
        if let s = parent.lookupLocal(name) {
            let key = parent.slotKeys[s]!
            captured.insert(key)
            f.captures.append((name, .local(s), key))
            return f.captures.count - 1
        }
        if let i = capture(name, in: parent) {
            f.captures.append((name, .upvalue(i), parent.captures[i].key))
            return f.captures.count - 1
        }
        return nil
    }

    mutating func read(_ name: String, _ range: SourceRange) -> ExprNode {
        if let slot = lookup(name, range) {
            switch slot {
            case .local(let s): return LocalGet(s, range)
            case .cell(let s): return CellGet(s, range)
            case .upvalue(let i): return UpvalueGet(i, range)
            case .global(let g):
                scope.globalsRead.append(g)
                return GlobalGet(g, fallback: nil, range)
            }
        }
        if let g = globals[name] {
            scope.globalsRead.append(g)
            return GlobalGet(g, fallback: Builtins.named(name).map { .function($0) }, range)
        }
        if let b = Builtins.named(name) { return ConstNode(.function(b), range) }
        if !scope.isTopLevel {
            // Inside a function a name may be defined later (in the REPL, by a later input).
            let g = globals.cell(name)
            lateGlobals.append((name, range))
            scope.globalsRead.append(g)
            return GlobalGet(g, fallback: nil, range)
        }
        // One error per unknown name: a misspelt name used ten times is one mistake.
        if reportedUnknown.insert(name).inserted { diagnostics.append(unknownName(name, range)) }
        return ConstNode(.none, range)
    }

    // MARK: - Chunks and blocks

    mutating func chunk(_ stmts: [Stmt], keepLast: Bool) -> BlockNode {
        var nodes: [StmtNode] = []
        for (i, s) in stmts.enumerated() {
            if let n = statement(s, keep: keepLast && i == stmts.count - 1) { nodes.append(n) }
        }
        return BlockNode(nodes, stmts.first.map { $0.range.to(stmts.last!.range) } ?? .none)
    }

    mutating func block(_ stmts: [Stmt], _ range: SourceRange) -> BlockNode {
        scope.blocks.append([:])
        let saved = scope.nextSlot
        defer {
            scope.blocks.removeLast()
            scope.nextSlot = saved
        }
        return BlockNode(stmts.compactMap { statement($0, keep: false) }, range)
    }

    // MARK: - Statements

    mutating func statement(_ s: Stmt, keep: Bool) -> StmtNode? {
        switch s.kind {
        case .expression(let e):
            return ExprStmt(expression(e), keep: keep)
        case .letDecl(let name, let nameRange, let value):
            let v = expression(value)
            return declare(name, key: Resolver.key(nameRange)).store(v, name: name, declares: true, s.range)
        case .function(let d):
            let key = Resolver.key(d.range)
            // Declared before the body is compiled, so the function can call itself.
            let slot = declare(d.name!, key: key)
            if case .global = slot { return slot.store(function(d), name: d.name!, declares: true, s.range) }
            // A local function calls itself through its own self slot (see FunctionProto.selfSlot).
            return slot.store(function(d, selfName: d.name!), name: d.name!, declares: true, s.range)
        case .assign(let target, let value):
            return assignment(target, value, s.range)
        case .ifStmt(let cond, let then, let els):
            let c = expression(cond)
            let t = block(then, s.range)
            let e = els.map { block($0, s.range) }
            return IfNode(c, t, e, s.range)
        case .whileStmt(let cond, let body):
            let c = expression(cond)
            scope.loopDepth += 1
            defer { scope.loopDepth -= 1 }
            return WhileNode(c, block(body, s.range), s.range)
        case .forStmt(let name, let nameRange, let iterable, let body):
            let it = expression(iterable)
            scope.loopDepth += 1
            scope.blocks.append([:])
            let saved = scope.nextSlot
            defer {
                scope.loopDepth -= 1
                scope.blocks.removeLast()
                scope.nextSlot = saved
            }
            let key = Resolver.key(nameRange)
            let slot = scope.declare(name, key: key)
            let boxed = captured.contains(key)
            let b = block(body, s.range)
            return ForNode(boxed ? .cell(slot) : .local(slot), boxed: boxed, it, b, s.range)
        case .breakStmt, .continueStmt:
            let isBreak: Bool
            if case .breakStmt = s.kind { isBreak = true } else { isBreak = false }
            if scope.loopDepth == 0 {
                diagnostics.append(Diagnostic(.syntax, "'\(isBreak ? "break" : "continue")' outside a loop", at: s.range))
                return nil
            }
            return isBreak ? BreakNode(s.range) : ContinueNode(s.range)
        case .returnStmt(let e):
            if scope.isTopLevel {
                diagnostics.append(Diagnostic(.syntax, "'return' outside a function", at: s.range))
                return nil
            }
            return ReturnNode(e.map { expression($0) }, s.range)
        }
    }

    /// Where a `let` (or `fn`) puts its variable: a global at the top level, else a slot.
    mutating func declare(_ name: String, key: Int64) -> Slot {
        if scope.isTopLevel && scope.blocks.count == 1 {
            globals.declaredInThisChunk.insert(name)
            return .global(globals.cell(name))
        }
        let s = scope.declare(name, key: key)
        return captured.contains(key) ? .cell(s) : .local(s)
    }

    mutating func assignment(_ target: Expr, _ value: Expr, _ range: SourceRange) -> StmtNode? {
        let v = expression(value)
        // Peel `a[i].f[j]` down to the variable `a` and the path to the element.
        var path: [StorePathNode.PathStep] = []
        var t = target
        while true {
            switch t.kind {
            case .index(let inner, let idx):
                path.insert(.index(idx.map { expression($0) }, t.range), at: 0)
                t = inner
                continue
            case .field(let inner, let name):
                path.insert(.field(name, t.range), at: 0)
                t = inner
                continue
            default: break
            }
            break
        }
        guard case .name(let name) = t.kind else {
            diagnostics.append(Diagnostic(.syntax, "cannot assign into this expression", at: t.range,
                                          notes: [Diagnostic.Note("assign to a variable, or an element or field of one")]))
            return nil
        }
        let slot: Slot
        if let s = lookup(name, t.range) {
            slot = s
        } else if let g = globals[name], scope.isTopLevel || g.value != nil || globals.declaredInThisChunk.contains(name) {
            slot = .global(g)
        } else if scope.isTopLevel {
            // At the top level, assigning an undeclared name declares it.
            globals.declaredInThisChunk.insert(name)
            slot = .global(globals.cell(name))
        } else {
            diagnostics.append(Diagnostic(.syntax, "assignment to undeclared variable '\(name)'", at: t.range,
                                          notes: [Diagnostic.Note("declare it first: let \(name) = …")]))
            return nil
        }
        switch slot {
        case .global, .upvalue: scope.writesNonLocal = true
        case .local, .cell: break
        }
        if path.isEmpty { return slot.store(v, name: name, declares: false, range) }
        return StorePathNode(slot, name: name, path: path, value: v, range)
    }

    // MARK: - Functions

    mutating func function(_ d: FunctionDecl, selfName: String? = nil) -> FunctionNode {
        let proto = FunctionProto(name: d.name ?? "fn", paramNames: d.params.map(\.name), range: d.range)
        let outer = scope
        let fscope = FunctionScope(parent: outer, isTopLevel: false)
        scope = fscope
        defer { scope = outer }
        var boxed: [Int] = []
        for p in d.params {
            let key = Resolver.key(p.range)
            let s = fscope.declare(p.name, key: key)
            if captured.contains(key) { boxed.append(s) }
        }
        proto.defaults = d.params.map { p in p.defaultValue.map { expression($0) } }
        if let name = selfName, !d.params.contains(where: { $0.name == name }) {
            let key = Resolver.key(d.range) ^ (1 << 62)
            proto.selfSlot = fscope.declare(name, key: key)
            proto.selfBoxed = captured.contains(key)
        }
        switch d.body {
        case .expression(let e): proto.bodyExpr = expression(e)
        case .block(let stmts):
            fscope.blocks.append([:])
            let body = stmts.compactMap { statement($0, keep: false) }
            // `{ return e }` runs as `= e`: no block, no return flag, no return value to move.
            if body.count == 1, let r = body[0] as? ReturnNode, let e = r.value {
                proto.bodyExpr = e
            } else {
                proto.bodyBlock = BlockNode(body, d.range)
            }
        }
        proto.frameSize = fscope.maxSlots
        proto.boxedParams = boxed
        proto.captures = fscope.captures.map(\.source)
        var seen = Set<ObjectIdentifier>()
        proto.globalsRead = fscope.globalsRead.filter { seen.insert(ObjectIdentifier($0)).inserted }
        proto.writesNonLocal = fscope.writesNonLocal
        // The outer function may call this one, so what this one touches counts for it too.
        outer.globalsRead += proto.globalsRead
        outer.writesNonLocal = outer.writesNonLocal || fscope.writesNonLocal
        return FunctionNode(proto, d.range)
    }

    // MARK: - Expressions

    mutating func expression(_ e: Expr) -> ExprNode {
        switch e.kind {
        case .number(let v): return ConstNode(.number(v), e.range)
        case .string(let s): return ConstNode(.string(s), e.range)
        case .bool(let b): return ConstNode(.bool(b), e.range)
        case .nilLiteral: return ConstNode(.none, e.range)
        case .name(let n): return read(n, e.range)
        case .array(let items): return ArrayNode(items.map { expression($0) }, e.range)
        case .record(let fields): return RecordNode(fields.map(\.name), fields.map { expression($0.value) }, e.range)
        case .function(let d): return function(d)
        case .unary(_, let x): return NegateNode(expression(x), e.range)
        case .binary(let op, let a, let b): return BinaryNode.make(op, expression(a), expression(b), e.range)
        case .and(let a, let b): return LogicNode(isAnd: true, expression(a), expression(b), e.range)
        case .or(let a, let b): return LogicNode(isAnd: false, expression(a), expression(b), e.range)
        case .not(let x): return NotNode(expression(x), e.range)
        case .range(let a, let b): return RangeNode(expression(a), expression(b), e.range)
        case .call(let callee, let args, _):
            let f = expression(callee)
            if let c = f as? ConstNode, case .function(let fn) = c.value, let b = fn as? Builtin {
                checkCall(b.spec, args, e.range)
            }
            return CallNode(f, args.map { expression($0.value) }, args.map(\.label), e.range)
        case .index(let v, let idx):
            let node = IndexNode(expression(v), idx.map { expression($0) }, e.range)
            if idx.count == 1, let l = node.target as? LocalGet { return IndexLocalNode(l.slot, node.indices[0], general: node) }
            if idx.count == 1, let g = node.target as? GlobalGet, g.fallback == nil { return IndexGlobalNode(g.global, node.indices[0], general: node) }
            return node
        case .field(let r, let name): return FieldNode(expression(r), name, e.range)
        }
    }

    /// Arity and named-argument checks for direct calls of built-ins, before anything runs.
    mutating func checkCall(_ spec: BuiltinSpec, _ args: [Argument], _ range: SourceRange) {
        let positional = args.filter { $0.label == nil }.count
        if let problem = spec.arityProblem(positional: positional, named: args.contains { $0.label != nil }) {
            diagnostics.append(Diagnostic(.syntax, problem, at: range, notes: [Diagnostic.Note("usage: \(spec.signature)")]))
        }
        for a in args {
            guard let label = a.label else { continue }
            if !spec.names.contains(label) {
                var notes = [Diagnostic.Note("usage: \(spec.signature)")]
                if let c = closest(label, among: spec.names) { notes.insert(Diagnostic.Note("did you mean '\(c)'?"), at: 0) }
                diagnostics.append(Diagnostic(.syntax, "'\(spec.name)' has no parameter '\(label)'", at: a.labelRange ?? range, notes: notes))
            }
        }
    }
}
