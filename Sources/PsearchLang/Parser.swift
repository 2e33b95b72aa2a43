/// Recursive-descent parser, one method per rule of grammar.md.
///
/// It reports every syntax error of a source, one per statement: after an error it skips to the
/// end of the statement (clox's panic mode) and carries on.
struct Parser {
    /// Brackets, braces and prefix operators nest at most this deep. Deeper input is adversarial,
    /// and every level costs stack in the resolver and interpreter too.
    static let maxNesting = 256
    /// An operator chain (`1 + 1 + … + 1`) is a left-leaning tree as deep as it is long.
    static let maxChain = 10_000

    struct Result {
        var statements: [Stmt]
        var diagnostics: [Diagnostic]
        /// True when some error was "unexpected end of input": more lines could complete it.
        var incomplete: Bool
    }

    private struct Failure: Error {}

    private let src: Source
    private var tokens: [Token]
    private var p = 0
    private var diagnostics: [Diagnostic] = []
    private var incomplete = false
    /// One entry per open bracket: true where newlines are insignificant (`(`, `[`, record `{`).
    private var newlineInsensitive: [Bool] = [false]
    private var nesting = 0
    private var unclosedReported = false

    static func parse(_ source: Source) -> Result {
        var lexer = Lexer(source)
        let tokens = lexer.tokenize()
        var parser = Parser(src: source, tokens: tokens)
        parser.diagnostics = lexer.diagnostics
        // An unterminated string reaches the end of input: more lines can complete it.
        let openString = lexer.diagnostics.contains { $0.id == .unterminatedString }
        if openString { parser.incomplete = true }
        let stmts = parser.program()
        var diagnostics = parser.diagnostics
        if openString {
            // The open string swallowed the rest of the input, so "never closed" and "end of
            // input" errors after it only repeat the string's own error.
            let lexed = lexer.diagnostics.count
            diagnostics = Array(diagnostics[..<lexed]) + diagnostics[lexed...].filter { $0.id != .endOfInput }
        }
        // Lexical and syntax errors interleave in source order, as a reader meets them.
        let ordered = diagnostics.enumerated().sorted { a, b in
            (a.element.range.start, a.offset) < (b.element.range.start, b.offset)
        }.map(\.element)
        return Result(statements: stmts, diagnostics: ordered, incomplete: parser.incomplete)
    }

    private init(src: Source, tokens: [Token]) {
        self.src = src
        self.tokens = tokens
    }

    // MARK: - Token access

    private var peek: Token {
        mutating get {
            if newlineInsensitive.last! { skipNewlines() }
            return tokens[p]
        }
    }

    private mutating func skipNewlines() {
        while tokens[p].kind == .newline { p += 1 }
    }

    private mutating func check(_ k: TokenKind) -> Bool { peek.kind == k }

    @discardableResult
    private mutating func advance() -> Token {
        let t = peek
        if t.kind != .eof { p += 1 }
        return t
    }

    private mutating func match(_ k: TokenKind) -> Bool {
        if check(k) {
            advance()
            return true
        }
        return false
    }

    private var previous: Token { tokens[max(0, p - 1)] }

    private mutating func fail(_ message: String, at range: SourceRange, notes: [Diagnostic.Note] = []) -> Failure {
        diagnostics.append(Diagnostic(.syntax, message, at: range, notes: notes))
        return Failure()
    }

    /// An error because the input ended too soon: more lines could complete it.
    private mutating func failAtEnd(_ message: String, at range: SourceRange) -> Failure {
        incomplete = true
        diagnostics.append(Diagnostic(.syntax, message, at: range, id: .endOfInput))
        return Failure()
    }

    /// An error at the current token: "expected X, found Y".
    private mutating func expected(_ what: String) -> Failure {
        let t = peek
        if t.kind == .eof { return failAtEnd("expected \(what), found \(t.kind.display)", at: t.range) }
        return fail("expected \(what), found \(t.kind.display)", at: t.range)
    }

    private mutating func consume(_ k: TokenKind, _ what: String) throws(Failure) -> Token {
        if check(k) { return advance() }
        throw expected(what)
    }

    /// Consumes the closer of a bracket opened at `open`, with a note pointing back at it.
    private mutating func close(_ k: TokenKind, opener: Token, _ what: String) throws(Failure) {
        if check(k) {
            advance()
            return
        }
        let t = peek
        let (l, c) = src.location(of: Int(opener.range.start))
        if t.kind == .eof { throw failAtEnd("'\(opener.kind.spelling)' was never closed", at: opener.range) }
        throw fail("expected \(what), found \(t.kind.display)", at: t.range,
                   notes: [Diagnostic.Note("to match this '\(opener.kind.spelling)' at \(l):\(c)")])
    }

    private mutating func enter(_ t: Token) throws(Failure) {
        nesting += 1
        if nesting > Parser.maxNesting {
            throw fail("nested too deeply (more than \(Parser.maxNesting) levels)", at: t.range)
        }
    }

    private mutating func leave() { nesting -= 1 }

    // MARK: - Statements

    /// program → (stmt (NEWLINE | ";"))* EOF
    private mutating func program() -> [Stmt] {
        var out: [Stmt] = []
        while true {
            skipSeparators()
            if tokens[p].kind == .eof { return out }
            if tokens[p].kind == .rbrace {
                _ = fail("unexpected '}' with no block open", at: tokens[p].range)
                p += 1
                continue
            }
            if let s = statementOrRecover() { out.append(s) }
        }
    }

    private mutating func skipSeparators() {
        while tokens[p].kind == .newline || tokens[p].kind == .semicolon { p += 1 }
    }

    /// A statement and its terminator; on error, records it and skips to the next statement.
    private mutating func statementOrRecover() -> Stmt? {
        let depth = newlineInsensitive.count, savedNesting = nesting, start = p
        do {
            let s = try statement()
            try terminator()
            return s
        } catch {
            newlineInsensitive.removeLast(newlineInsensitive.count - depth)
            nesting = savedNesting
            // Brackets the broken statement opened are still open: their closers are not
            // the end of the enclosing block (`{a: 1, a: 2}` must not leave a stray '}').
            var open = 0
            for t in tokens[start..<p] {
                switch t.kind {
                case .lparen, .lbracket, .lbrace: open += 1
                case .rparen, .rbracket, .rbrace: open = max(0, open - 1)
                default: break
                }
            }
            synchronize(open: open)
            return nil
        }
    }

    /// Statements end at a newline, ";", a closing "}" (left for the block) or the end of input.
    private mutating func terminator() throws(Failure) {
        switch tokens[p].kind {
        case .newline, .semicolon: p += 1
        case .rbrace, .eof: break
        default: throw fail("expected end of statement, found \(tokens[p].kind.display)", at: tokens[p].range)
        }
    }

    /// Skips to the end of the broken statement: a newline or ";" outside brackets, or the "}"
    /// that closes the enclosing block. `open` brackets of the statement were opened before
    /// the error: a closer on the way closes one of them, not the enclosing block.
    private mutating func synchronize(open: Int) {
        var depth = 0, open = open
        while true {
            let k = tokens[p].kind
            switch k {
            case .eof: return
            case .newline, .semicolon:
                if depth == 0 {
                    p += 1
                    return
                }
            case .lparen, .lbracket, .lbrace: depth += 1
            case .rparen, .rbracket:
                if depth > 0 { depth -= 1 } else if open > 0 { open -= 1 }
            case .rbrace:
                if depth > 0 {
                    depth -= 1
                } else if open > 0 {
                    open -= 1
                } else {
                    return
                }
            default: break
            }
            p += 1
        }
    }

    /// stmt → letStmt | fnDecl | ifStmt | whileStmt | forStmt | "break" | "continue" | returnStmt | exprStmt
    /// returnStmt → "return" expr?
    private mutating func statement() throws(Failure) -> Stmt {
        let t = peek
        switch t.kind {
        case .kwLet: return try letStatement()
        case .kwFn:
            if case .identifier = tokens[p + 1].kind { return try functionDeclaration() }
            return try expressionStatement()
        case .kwIf: return try ifStatement()
        case .kwWhile: return try whileStatement()
        case .kwFor: return try forStatement()
        case .kwBreak:
            advance()
            return Stmt(kind: .breakStmt, range: t.range)
        case .kwContinue:
            advance()
            return Stmt(kind: .continueStmt, range: t.range)
        case .kwReturn:
            advance()
            switch tokens[p].kind {
            case .newline, .semicolon, .rbrace, .eof:
                return Stmt(kind: .returnStmt(nil), range: t.range)
            default:
                let e = try expression()
                return Stmt(kind: .returnStmt(e), range: t.range.to(e.range))
            }
        default:
            return try expressionStatement()
        }
    }

    /// letStmt → "let" IDENT "=" expr
    private mutating func letStatement() throws(Failure) -> Stmt {
        let kw = advance()
        let nameTok = peek
        guard case .identifier(let name) = nameTok.kind else { throw expected("a variable name after 'let'") }
        advance()
        _ = try consume(.assign, "'=' after 'let \(name)'")
        skipNewlines()
        let value = try expression()
        return Stmt(kind: .letDecl(name: name, nameRange: nameTok.range, value: value), range: kw.range.to(value.range))
    }

    /// fnDecl → "fn" IDENT "(" params ")" ("=" expr | block)
    private mutating func functionDeclaration() throws(Failure) -> Stmt {
        let kw = advance()
        let nameTok = advance()
        guard case .identifier(let name) = nameTok.kind else { throw expected("a function name") }
        let decl = try functionRest(name: name, start: kw)
        return Stmt(kind: .function(decl), range: kw.range.to(decl.range))
    }

    /// The part after the name: "(" params ")" ("=" expr | block)
    /// params → (param ("," param)* ","?)?      param → IDENT ("=" expr)?; defaults come last
    private mutating func functionRest(name: String?, start: Token) throws(Failure) -> FunctionDecl {
        let open = try consume(.lparen, name.map { "'(' after 'fn \($0)'" } ?? "'(' after 'fn'")
        newlineInsensitive.append(true)
        var params: [Parameter] = []
        var seenDefault = false
        while !check(.rparen) {
            let t = peek
            guard case .identifier(let pname) = t.kind else {
                if t.kind == .eof {
                    newlineInsensitive.removeLast()
                    try close(.rparen, opener: open, "')' after parameters")
                }
                throw expected("a parameter name")
            }
            advance()
            if params.contains(where: { $0.name == pname }) {
                throw fail("duplicate parameter '\(pname)'", at: t.range)
            }
            var def: Expr? = nil
            if match(.assign) {
                def = try expression()
                seenDefault = true
            } else if seenDefault {
                throw fail("parameter '\(pname)' needs a default value because an earlier one has one", at: t.range)
            }
            params.append(Parameter(name: pname, range: t.range, defaultValue: def))
            if !match(.comma) { break }
        }
        try close(.rparen, opener: open, "')' after parameters")
        newlineInsensitive.removeLast()
        if match(.assign) {
            skipNewlines()
            let e = try expression()
            return FunctionDecl(name: name, params: params, body: .expression(e), range: start.range.to(e.range))
        }
        guard check(.lbrace) else { throw expected("'{' or '=' to start the body of the function") }
        let (body, range) = try block()
        return FunctionDecl(name: name, params: params, body: .block(body), range: start.range.to(range))
    }

    /// block → "{" stmt* "}"
    private mutating func block() throws(Failure) -> ([Stmt], SourceRange) {
        let open = try consume(.lbrace, "'{'")
        try enter(open)
        newlineInsensitive.append(false)
        var out: [Stmt] = []
        while true {
            skipSeparators()
            let k = tokens[p].kind
            if k == .rbrace { break }
            if k == .eof {
                newlineInsensitive.removeLast()
                incomplete = true
                // Every enclosing block is unclosed too; one error (the innermost) says it.
                if unclosedReported { throw Failure() }
                unclosedReported = true
                throw failAtEnd("'{' was never closed", at: open.range)
            }
            if let s = statementOrRecover() { out.append(s) }
        }
        let closeTok = advance()
        newlineInsensitive.removeLast()
        leave()
        return (out, open.range.to(closeTok.range))
    }

    /// ifStmt → "if" expr block ("else" (ifStmt | block))?
    private mutating func ifStatement() throws(Failure) -> Stmt {
        let kw = advance()
        let cond = try expression()
        guard check(.lbrace) else { throw expected("'{' after the condition of 'if'") }
        let (then, r) = try block()
        var end = r
        var elseBody: [Stmt]? = nil
        // `}` newline `else` is allowed: look past newlines for it.
        var q = p
        while tokens[q].kind == .newline { q += 1 }
        if tokens[q].kind == .kwElse {
            p = q + 1
            if check(.kwIf) {
                let nested = try ifStatement()
                elseBody = [nested]
                end = nested.range
            } else {
                guard check(.lbrace) else { throw expected("'{' or 'if' after 'else'") }
                let (b, r2) = try block()
                elseBody = b
                end = r2
            }
        }
        return Stmt(kind: .ifStmt(cond: cond, then: then, else: elseBody), range: kw.range.to(end))
    }

    /// whileStmt → "while" expr block
    private mutating func whileStatement() throws(Failure) -> Stmt {
        let kw = advance()
        let cond = try expression()
        guard check(.lbrace) else { throw expected("'{' after the condition of 'while'") }
        let (body, r) = try block()
        return Stmt(kind: .whileStmt(cond: cond, body: body), range: kw.range.to(r))
    }

    /// forStmt → "for" IDENT "in" expr block
    private mutating func forStatement() throws(Failure) -> Stmt {
        let kw = advance()
        let nameTok = peek
        guard case .identifier(let name) = nameTok.kind else { throw expected("a loop variable name after 'for'") }
        advance()
        _ = try consume(.kwIn, "'in' after 'for \(name)'")
        let iterable = try expression()
        guard check(.lbrace) else { throw expected("'{' after 'for \(name) in …'") }
        let (body, r) = try block()
        return Stmt(kind: .forStmt(name: name, nameRange: nameTok.range, iterable: iterable, body: body), range: kw.range.to(r))
    }

    /// exprStmt → expr ("=" expr)?                 target: IDENT, postfix index v[i] or field r.name
    private mutating func expressionStatement() throws(Failure) -> Stmt {
        let e = try expression()
        if check(.assign) {
            let eqTok = advance()
            switch e.kind {
            case .name, .index, .field: break
            default: throw fail("cannot assign to this expression", at: e.range, notes: [Diagnostic.Note("only a variable, an element v[i] or a field r.name can be assigned")])
            }
            _ = eqTok
            skipNewlines()
            let v = try expression()
            return Stmt(kind: .assign(target: e, value: v), range: e.range.to(v.range))
        }
        return Stmt(kind: .expression(e), range: e.range)
    }

    // MARK: - Expressions

    /// expr → or
    private mutating func expression() throws(Failure) -> Expr { try or() }

    /// or → and ("or" and)*
    private mutating func or() throws(Failure) -> Expr {
        var e = try and()
        var chain = 0
        while check(.kwOr) {
            advance()
            try grow(&chain)
            skipNewlines()
            let r = try and()
            e = Expr(kind: .or(e, r), range: e.range.to(r.range))
        }
        return e
    }

    /// and → not ("and" not)*
    private mutating func and() throws(Failure) -> Expr {
        var e = try not()
        var chain = 0
        while check(.kwAnd) {
            advance()
            try grow(&chain)
            skipNewlines()
            let r = try not()
            e = Expr(kind: .and(e, r), range: e.range.to(r.range))
        }
        return e
    }

    /// not → "not" not | comparison
    private mutating func not() throws(Failure) -> Expr {
        if check(.kwNot) {
            let t = advance()
            try enter(t)
            defer { leave() }
            skipNewlines()
            let operand = try not()
            return Expr(kind: .not(operand), range: t.range.to(operand.range))
        }
        return try comparison()
    }

    private static func comparisonOp(_ k: TokenKind) -> BinaryOp? {
        switch k {
        case .eq: return .eq
        case .ne: return .ne
        case .lt: return .lt
        case .le: return .le
        case .gt: return .gt
        case .ge: return .ge
        default: return nil
        }
    }

    /// comparison → range (("==" | "!=" | "<" | "<=" | ">" | ">=") range)?   (does not chain)
    private mutating func comparison() throws(Failure) -> Expr {
        let e = try rangeExpr()
        guard let op = Parser.comparisonOp(peek.kind) else { return e }
        advance()
        skipNewlines()
        let r = try rangeExpr()
        if let op2 = Parser.comparisonOp(peek.kind) {
            throw fail("comparisons do not chain: write 'a \(op.rawValue) b and b \(op2.rawValue) c'", at: peek.range)
        }
        return Expr(kind: .binary(op, e, r), range: e.range.to(r.range))
    }

    /// range → term (".." term)?
    private mutating func rangeExpr() throws(Failure) -> Expr {
        let e = try term()
        guard check(.dotdot) else { return e }
        advance()
        skipNewlines()
        let r = try term()
        return Expr(kind: .range(e, r), range: e.range.to(r.range))
    }

    /// term → factor (("+" | "-") factor)*
    private mutating func term() throws(Failure) -> Expr {
        var e = try factor()
        var chain = 0
        while true {
            let op: BinaryOp
            switch peek.kind {
            case .plus: op = .add
            case .minus: op = .sub
            default: return e
            }
            advance()
            try grow(&chain)
            skipNewlines()
            let r = try factor()
            e = Expr(kind: .binary(op, e, r), range: e.range.to(r.range))
        }
    }

    /// factor → unary (("*" | "/" | "%" | "@") unary)*
    private mutating func factor() throws(Failure) -> Expr {
        var e = try unary()
        var chain = 0
        while true {
            let op: BinaryOp
            switch peek.kind {
            case .star: op = .mul
            case .slash: op = .div
            case .percent: op = .mod
            case .at: op = .matmul
            default: return e
            }
            advance()
            try grow(&chain)
            skipNewlines()
            let r = try unary()
            e = Expr(kind: .binary(op, e, r), range: e.range.to(r.range))
        }
    }

    private mutating func grow(_ chain: inout Int) throws(Failure) {
        chain += 1
        if chain > Parser.maxChain {
            throw fail("expression is too long (more than \(Parser.maxChain) operators in a row)", at: previous.range)
        }
    }

    /// unary → "-" unary | power
    private mutating func unary() throws(Failure) -> Expr {
        if check(.minus) {
            let t = advance()
            try enter(t)
            defer { leave() }
            let operand = try unary()
            // Fold literal negatives so `-3` is a number, as it prints.
            if case .number(let v) = operand.kind {
                return Expr(kind: .number(-v), range: t.range.to(operand.range))
            }
            return Expr(kind: .unary(.negate, operand), range: t.range.to(operand.range))
        }
        return try power()
    }

    /// power → postfix ("^" unary)?        right-associative, tighter than unary minus
    private mutating func power() throws(Failure) -> Expr {
        let base = try postfix()
        guard check(.caret) else { return base }
        let t = advance()
        try enter(t)
        defer { leave() }
        skipNewlines()
        let exp = try unary()
        return Expr(kind: .binary(.pow, base, exp), range: base.range.to(exp.range))
    }

    /// postfix → primary ("(" args ")" | "[" expr ("," expr)* "]" | "." IDENT)*
    private mutating func postfix() throws(Failure) -> Expr {
        var e = try primary()
        var chain = 0
        while true {
            // Outside brackets `peek` stops at a newline, so a call or index never spans lines.
            switch peek.kind {
            case .lparen:
                let open = advance()
                try grow(&chain)
                try enter(open)
                newlineInsensitive.append(true)
                let args = try arguments()
                try close(.rparen, opener: open, "')' after arguments")
                newlineInsensitive.removeLast()
                leave()
                e = Expr(kind: .call(e, args, open: open.range), range: e.range.to(previous.range))
            case .lbracket:
                let open = advance()
                try grow(&chain)
                try enter(open)
                newlineInsensitive.append(true)
                var idx: [Expr] = []
                if check(.rbracket) { throw expected("an index") }
                repeat {
                    if check(.rbracket) { break }
                    idx.append(try expression())
                } while match(.comma)
                try close(.rbracket, opener: open, "']' after the index")
                newlineInsensitive.removeLast()
                leave()
                e = Expr(kind: .index(e, idx), range: e.range.to(previous.range))
            case .dot:
                advance()
                try grow(&chain)
                let t = peek
                guard case .identifier(let name) = t.kind else { throw expected("a field name after '.'") }
                advance()
                e = Expr(kind: .field(e, name), range: e.range.to(t.range))
            default:
                return e
            }
        }
    }

    /// args → (arg ("," arg)* ","?)?      arg → (IDENT ":")? expr; named after positional
    private mutating func arguments() throws(Failure) -> [Argument] {
        var args: [Argument] = []
        var sawNamed = false
        while !check(.rparen) && !check(.eof) {
            var label: String? = nil
            var labelRange: SourceRange? = nil
            if case .identifier(let name) = peek.kind, tokens[p + 1].kind == .colon {
                let t = advance()
                advance()
                if args.contains(where: { $0.label == name }) {
                    throw fail("argument '\(name)' is given twice", at: t.range)
                }
                label = name
                labelRange = t.range
                sawNamed = true
            } else if sawNamed {
                let e = try expression()
                throw fail("positional argument after named arguments", at: e.range)
            }
            let v = try expression()
            args.append(Argument(label: label, labelRange: labelRange, value: v))
            if !match(.comma) { break }
        }
        return args
    }

    /// primary → NUMBER | STRING | "true" | "false" | "nil" | IDENT | "(" expr ")"
    ///         | "[" elements "]" | "{" fields "}" | "fn" "(" params ")" ("=" expr | block)
    /// elements → (expr ("," expr)* ","?)?      fields → (IDENT ":" expr ("," IDENT ":" expr)* ","?)?
    private mutating func primary() throws(Failure) -> Expr {
        let t = peek
        switch t.kind {
        case .number(let v):
            advance()
            return Expr(kind: .number(v), range: t.range)
        case .string(let s):
            advance()
            return Expr(kind: .string(s), range: t.range)
        case .kwTrue:
            advance()
            return Expr(kind: .bool(true), range: t.range)
        case .kwFalse:
            advance()
            return Expr(kind: .bool(false), range: t.range)
        case .kwNil:
            advance()
            return Expr(kind: .nilLiteral, range: t.range)
        case .identifier(let name):
            advance()
            return Expr(kind: .name(name), range: t.range)
        case .lparen:
            advance()
            try enter(t)
            newlineInsensitive.append(true)
            let e = try expression()
            try close(.rparen, opener: t, "')'")
            newlineInsensitive.removeLast()
            leave()
            return Expr(kind: e.kind, range: t.range.to(previous.range))
        case .lbracket:
            advance()
            try enter(t)
            newlineInsensitive.append(true)
            var items: [Expr] = []
            while !check(.rbracket) && !check(.eof) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            try close(.rbracket, opener: t, "']' or ',' in the list")
            newlineInsensitive.removeLast()
            leave()
            return Expr(kind: .array(items), range: t.range.to(previous.range))
        case .lbrace:
            advance()
            try enter(t)
            newlineInsensitive.append(true)
            var fields: [(name: String, value: Expr)] = []
            while !check(.rbrace) && !check(.eof) {
                let k = peek
                guard case .identifier(let name) = k.kind else { throw expected("a field name in the record") }
                advance()
                if fields.contains(where: { $0.name == name }) { throw fail("field '\(name)' is given twice", at: k.range) }
                _ = try consume(.colon, "':' after the field name '\(name)'")
                fields.append((name, try expression()))
                if !match(.comma) { break }
            }
            try close(.rbrace, opener: t, "'}' or ',' in the record")
            newlineInsensitive.removeLast()
            leave()
            return Expr(kind: .record(fields), range: t.range.to(previous.range))
        case .kwFn:
            advance()
            try enter(t)
            defer { leave() }
            let decl = try functionRest(name: nil, start: t)
            return Expr(kind: .function(decl), range: decl.range)
        case .eof:
            throw failAtEnd("unexpected end of input, expected an expression", at: t.range)
        default:
            throw fail("expected an expression, found \(t.kind.display)", at: t.range)
        }
    }
}
