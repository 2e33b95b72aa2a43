/// Prints the parse as S-expressions for `psearch --dump-ast` and parser tests:
/// `1 + 2 * 3` is `(+ 1 (* 2 3))`.
enum ASTPrinter {
    static func print(_ stmts: [Stmt]) -> String {
        stmts.map { stmt($0) }.joined(separator: "\n")
    }

    static func stmt(_ s: Stmt) -> String {
        switch s.kind {
        case .expression(let e): return expr(e)
        case .letDecl(let name, _, let v): return "(let \(name) \(expr(v)))"
        case .assign(let t, let v): return "(= \(expr(t)) \(expr(v)))"
        case .function(let d): return function(d)
        case .ifStmt(let c, let t, let e):
            return "(if \(expr(c)) \(block(t))" + (e.map { " " + block($0) } ?? "") + ")"
        case .whileStmt(let c, let b): return "(while \(expr(c)) \(block(b)))"
        case .forStmt(let n, _, let it, let b): return "(for \(n) \(expr(it)) \(block(b)))"
        case .breakStmt: return "(break)"
        case .continueStmt: return "(continue)"
        case .returnStmt(let e): return e.map { "(return \(expr($0)))" } ?? "(return)"
        }
    }

    static func block(_ b: [Stmt]) -> String {
        "(block" + b.map { " " + stmt($0) }.joined() + ")"
    }

    static func function(_ d: FunctionDecl) -> String {
        let params = d.params.map { p in p.defaultValue.map { "(\(p.name) \(expr($0)))" } ?? p.name }
        let body: String
        switch d.body {
        case .expression(let e): body = expr(e)
        case .block(let b): body = block(b)
        }
        return "(fn\(d.name.map { " " + $0 } ?? "") (\(params.joined(separator: " "))) \(body))"
    }

    static func expr(_ e: Expr) -> String {
        switch e.kind {
        case .number(let v): return formatNumber(v)
        case .string(let s): return quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .nilLiteral: return "nil"
        case .name(let n): return n
        case .array(let items): return "(array" + items.map { " " + expr($0) }.joined() + ")"
        case .record(let fields): return "(record" + fields.map { " (\($0.name) \(expr($0.value)))" }.joined() + ")"
        case .function(let d): return function(d)
        case .unary(let op, let x): return "(\(op.rawValue) \(expr(x)))"
        case .binary(let op, let a, let b): return "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .and(let a, let b): return "(and \(expr(a)) \(expr(b)))"
        case .or(let a, let b): return "(or \(expr(a)) \(expr(b)))"
        case .not(let x): return "(not \(expr(x)))"
        case .range(let a, let b): return "(.. \(expr(a)) \(expr(b)))"
        case .call(let f, let args, _):
            let a = args.map { arg in arg.label.map { "(\($0): \(expr(arg.value)))" } ?? expr(arg.value) }
            return "(call \(expr(f))" + a.map { " " + $0 }.joined() + ")"
        case .index(let v, let idx): return "(index \(expr(v))" + idx.map { " " + expr($0) }.joined() + ")"
        case .field(let r, let n): return "(. \(expr(r)) \(n))"
        }
    }
}
