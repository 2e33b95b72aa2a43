/// The kinds of token; grammar.md lists their spelling.
public enum TokenKind: Equatable, Sendable {
    case number(Double)
    case string(String)
    case identifier(String)
    // keywords
    case kwLet, kwFn, kwIf, kwElse, kwWhile, kwFor, kwIn, kwBreak, kwContinue, kwReturn
    case kwTrue, kwFalse, kwNil, kwAnd, kwOr, kwNot
    // punctuation
    case lparen, rparen, lbracket, rbracket, lbrace, rbrace
    case comma, dot, dotdot, colon, semicolon
    case plus, minus, star, slash, percent, at, caret
    case assign, eq, ne, lt, le, gt, ge
    case newline
    case eof

    static let keywords: [String: TokenKind] = [
        "let": .kwLet, "fn": .kwFn, "if": .kwIf, "else": .kwElse, "while": .kwWhile,
        "for": .kwFor, "in": .kwIn, "break": .kwBreak, "continue": .kwContinue,
        "return": .kwReturn, "true": .kwTrue, "false": .kwFalse, "nil": .kwNil,
        "and": .kwAnd, "or": .kwOr, "not": .kwNot,
    ]

    /// How the token reads in a message: `'('`, `number`, `end of input`.
    var display: String {
        switch self {
        case .number: return "number"
        case .string: return "string"
        // A name is shown whole up to 40 characters: the caret line shows where it is.
        case .identifier(let s): return s.count > 40 ? "'\(s.prefix(32))…' (a name of \(s.count) characters)" : "'\(s)'"
        case .newline: return "end of line"
        case .eof: return "end of input"
        default:
            if let kw = TokenKind.keywords.first(where: { $0.value == self }) { return "'\(kw.key)'" }
            return "'\(spelling)'"
        }
    }

    var spelling: String {
        switch self {
        case .lparen: return "("
        case .rparen: return ")"
        case .lbracket: return "["
        case .rbracket: return "]"
        case .lbrace: return "{"
        case .rbrace: return "}"
        case .comma: return ","
        case .dot: return "."
        case .dotdot: return ".."
        case .colon: return ":"
        case .semicolon: return ";"
        case .plus: return "+"
        case .minus: return "-"
        case .star: return "*"
        case .slash: return "/"
        case .percent: return "%"
        case .at: return "@"
        case .caret: return "^"
        case .assign: return "="
        case .eq: return "=="
        case .ne: return "!="
        case .lt: return "<"
        case .le: return "<="
        case .gt: return ">"
        case .ge: return ">="
        default: return display
        }
    }
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var range: SourceRange
}
