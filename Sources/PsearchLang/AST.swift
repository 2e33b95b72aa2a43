/// The parse tree. Every node carries the byte range it was read from; grammar.md is its spec.
public struct Expr: Sendable {
    public var kind: Kind
    public var range: SourceRange

    public indirect enum Kind: Sendable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case nilLiteral
        case name(String)
        /// `[a, b, c]`: a vector when every element is a number or vector of one shape, else a list.
        case array([Expr])
        case record([(name: String, value: Expr)])
        case function(FunctionDecl)
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case not(Expr)
        case range(Expr, Expr)
        /// `f(args)`; `open` is the range of the '(' so errors can point at the call.
        case call(Expr, [Argument], open: SourceRange)
        case index(Expr, [Expr])
        case field(Expr, String)
    }
}

public enum UnaryOp: String, Sendable { case negate = "-" }

public enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", matmul = "@", pow = "^"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
}

public struct Argument: Sendable {
    public var label: String?
    public var labelRange: SourceRange?
    public var value: Expr
}

public struct Parameter: Sendable {
    public var name: String
    public var range: SourceRange
    public var defaultValue: Expr?
}

public final class FunctionDecl: Sendable {
    public let name: String?
    public let params: [Parameter]
    public let body: FunctionBody
    public let range: SourceRange

    init(name: String?, params: [Parameter], body: FunctionBody, range: SourceRange) {
        self.name = name
        self.params = params
        self.body = body
        self.range = range
    }
}

public enum FunctionBody: Sendable {
    case expression(Expr)
    case block([Stmt])
}

public struct Stmt: Sendable {
    public var kind: Kind
    public var range: SourceRange

    public indirect enum Kind: Sendable {
        case expression(Expr)
        case letDecl(name: String, nameRange: SourceRange, value: Expr)
        case assign(target: Expr, value: Expr)
        case function(FunctionDecl)
        case ifStmt(cond: Expr, then: [Stmt], else: [Stmt]?)
        case whileStmt(cond: Expr, body: [Stmt])
        case forStmt(name: String, nameRange: SourceRange, iterable: Expr, body: [Stmt])
        case breakStmt
        case continueStmt
        case returnStmt(Expr?)
    }
}
