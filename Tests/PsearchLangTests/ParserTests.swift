import Testing
@testable import PsearchLang

/// The parser, seen through the S-expression printer `--dump-ast` uses.
@Suite struct ParserTests {
    func ast(_ text: String) -> String {
        let r = Interpreter.parseOnly(Array(text.utf8), name: "t")
        #expect(r.diagnostics == nil, "unexpected syntax errors in \(text)")
        return r.ast
    }

    /// Syntax errors of `text`. On the large stack, as the CLI parses: a 10,000-operator
    /// chain is a tree 10,000 deep, and printing or freeing it recurses that deep.
    func errors(_ text: String) -> [String] {
        onLargeStack { Interpreter.parseOnly(Array(text.utf8), name: "t").diagnostics?.diagnostics.map(\.message) ?? [] }
    }

    @Test(arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("a / b % c @ d", "(@ (% (/ a b) c) d)"),
        ("-2 ^ 2", "(- (^ 2 2))"),
        ("-x ^ 2", "(- (^ x 2))"),
        ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
        ("2 ^ -x", "(^ 2 (- x))"),
        ("-3", "-3"),
        ("- -x", "(- (- x))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a == b", "(not (== a b))"),
        ("not not a", "(not (not a))"),
        ("a < b + 1", "(< a (+ b 1))"),
        ("0..n + 1", "(.. 0 (+ n 1))"),
        ("a..b == c", "(== (.. a b) c)"),
        ("f(x)(y)", "(call (call f x) y)"),
        ("f(1, b: 2)", "(call f 1 (b: 2))"),
        ("f()", "(call f)"),
        ("v[i][j]", "(index (index v i) j)"),
        ("m[i, j]", "(index m i j)"),
        ("v[1..3]", "(index v (.. 1 3))"),
        ("r.a.b", "(. (. r a) b)"),
        ("-r.x[0]", "(- (index (. r x) 0))"),
        ("[1, 2, [3]]", "(array 1 2 (array 3))"),
        ("[]", "(array)"),
        ("{lr: 0.1, n: 8}", "(record (lr 0.1) (n 8))"),
        ("{}", "(record)"),
        ("\"a\\nb\"", "\"a\\nb\""),
        ("true and false or nil", "(or (and true false) nil)"),
        ("fn(x) = x ^ 2", "(fn (x) (^ x 2))"),
        ("fn(x, y = 2) { return x }", "(fn (x (y 2)) (block (return x)))"),
        ("1e400", "inf"),
        ("nan", "nan"),
    ])
    func expression(_ source: String, _ expected: String) {
        #expect(ast(source) == expected)
    }

    @Test func statements() {
        #expect(ast("let x = 1") == "(let x 1)")
        #expect(ast("x = 1") == "(= x 1)")
        #expect(ast("v[0] = 1; r.a = 2") == "(= (index v 0) 1)\n(= (. r a) 2)")
        #expect(ast("fn sq(x) = x * x") == "(fn sq (x) (* x x))")
        #expect(ast("fn f(a, b = 2) {\n  return a + b\n}") == "(fn f (a (b 2)) (block (return (+ a b))))")
        #expect(ast("fn f() { return }") == "(fn f () (block (return)))")
        #expect(ast("if a { b } else if c { d } else { e }") == "(if a (block b) (block (if c (block d) (block e))))")
        #expect(ast("if a {\n} \n else {\n}") == "(if a (block) (block))")
        #expect(ast("while x < 3 { x = x + 1 }") == "(while (< x 3) (block (= x (+ x 1))))")
        #expect(ast("for i in 0..5 { break; continue }") == "(for i (.. 0 5) (block (break) (continue)))")
        #expect(ast("") == "")
        #expect(ast("# only a comment\n\n;;") == "")
    }

    @Test func newlinesContinueStatements() {
        #expect(ast("1 +\n2") == "(+ 1 2)")
        #expect(ast("f(1,\n 2)") == "(call f 1 2)")
        #expect(ast("[1,\n2,\n]") == "(array 1 2)")
        #expect(ast("{a:\n1}") == "(record (a 1))")
        #expect(ast("(1\n+ 2)") == "(+ 1 2)")
        #expect(ast("a and\nb") == "(and a b)")
        #expect(ast("let x =\n 1") == "(let x 1)")
        // Outside brackets a newline ends the statement, even before an operator.
        #expect(ast("1\n- 2") == "1\n-2")
        // A call or index never spans lines outside brackets.
        #expect(ast("f\n(1)") == "f\n1")
    }

    @Test func oneErrorPerStatement() {
        #expect(errors("let = 1\nprint(1 +)\nlet ok = 1\nfn (") == [
            "expected a variable name after 'let', found '='",
            "expected an expression, found ')'",
            "'(' was never closed",
        ])
        #expect(errors("{a: 1, a: 2}\nprint(1)") == ["field 'a' is given twice"])
        #expect(errors("if x { let = 1 }\nlet y = ") == [
            "expected a variable name after 'let', found '='",
            "unexpected end of input, expected an expression",
        ])
    }

    @Test func errorNotesPointBack() {
        let r = Interpreter.parseOnly(Array("foo(a, b\nbar".utf8), name: "demo.ps")
        let d = r.diagnostics?.diagnostics.first
        #expect(d?.message == "expected ')' after arguments, found 'bar'")
        #expect(d?.notes.map(\.message) == ["to match this '(' at 1:4"])
        let text = r.diagnostics?.render(r.sources) ?? ""
        #expect(text == """
            error: expected ')' after arguments, found 'bar'
             --> demo.ps:2:1
            2 | bar
              | ^^^
            note: to match this '(' at 1:4

            """)
    }

    @Test func aFileOfErrorsShowsTheFirstTwentyAndCountsTheRest() {
        let text = (0..<300).map { "let = \($0)" }.joined(separator: "\n")
        let r = Interpreter.parseOnly(Array(text.utf8), name: "many.ps")
        #expect(r.diagnostics?.diagnostics.count == 300)
        let shown = r.diagnostics?.render(r.sources) ?? ""
        #expect(shown.components(separatedBy: "error: ").count - 1 == DiagnosticList.shown)
        #expect(shown.hasSuffix("\n280 more syntax errors not shown (the first 20 are above)\n"))
        #expect(shown.contains(" --> many.ps:20:5") && !shown.contains(" --> many.ps:21:5"))
    }

    /// The source and caret lines a diagnostic shows for `text`, its error at byte `at..<at+len`.
    private func shown(_ text: String, at: Int, len: Int = 1) -> [String] {
        let sources = SourceRegistry()
        let id = sources.add(name: "t.ps", bytes: Array(text.utf8)).id
        let d = Diagnostic(.syntax, "x", at: SourceRange(source: id, start: at, end: at + len))
        return d.render(sources).split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).dropLast().map(String.init)
    }

    @Test func aLongLineShowsAWindowAroundTheCaret() {
        let digits = (0..<300).map { String($0 % 10) }.joined()
        // Middle: 120 characters around the caret, cut on both sides.
        let middle = shown(digits, at: 150, len: 3)
        #expect(middle[0] == "1 | …" + digits.dropFirst(90).prefix(120) + "…")
        #expect(middle[1] == "  | " + String(repeating: " ", count: 61) + "^^^")
        // Near either end the window stops at the line's end and says so on one side only.
        #expect(shown(digits, at: 2)[0] == "1 | " + digits.prefix(120) + "…")
        #expect(shown(digits, at: 2)[1] == "  |   ^")
        #expect(shown(digits, at: 299)[0] == "1 | …" + digits.suffix(120))
        #expect(shown(digits, at: 299)[1] == "  | " + String(repeating: " ", count: 120) + "^")
        // An underline that runs past the window stops at its edge.
        #expect(shown(digits, at: 150, len: 100)[1] == "  | " + String(repeating: " ", count: 61) + String(repeating: "^", count: 60))
        // Characters, not bytes: 200 two-byte letters then the error.
        let greek = String(repeating: "λ", count: 200) + "?" + String(repeating: "λ", count: 10)
        #expect(shown(greek, at: 400)[0] == "1 | …" + String(repeating: "λ", count: 109) + "?" + String(repeating: "λ", count: 10))
        #expect(shown(greek, at: 400)[1] == "  | " + String(repeating: " ", count: 110) + "^")
        // A short line of long characters is shown whole; tabs count one column each.
        let short = String(repeating: "λ", count: 100) + "\t?"
        #expect(shown(short, at: 201)[0] == "1 | " + String(repeating: "λ", count: 100) + " ?")
        #expect(shown(short, at: 201)[1] == "  | " + String(repeating: " ", count: 101) + "^")
    }

    @Test func aLongNameIsShortenedInTheMessage() {
        let name = String(repeating: "x", count: 300)
        #expect(errors("let y = 1 \(name)") == ["expected end of statement, found '\(name.prefix(32))…' (a name of 300 characters)"])
    }

    @Test func nestingAndChainLimits() {
        func deep(_ open: String, _ close: String, _ n: Int) -> String {
            "x = " + String(repeating: open, count: n) + "1" + String(repeating: close, count: n)
        }
        let tooDeep = "nested too deeply (more than \(Parser.maxNesting) levels)"
        #expect(errors(deep("(", ")", Parser.maxNesting)).isEmpty)
        #expect(errors(deep("(", ")", Parser.maxNesting + 1)) == [tooDeep])
        #expect(errors(deep("[", "]", 10_000)) == [tooDeep])
        #expect(errors(deep("{a: ", "}", 10_000)) == [tooDeep])
        #expect(errors(deep("-", "", 10_000)) == [tooDeep])
        #expect(errors(deep("not ", "", 10_000)) == [tooDeep])
        #expect(errors(deep("fn() = ", "", 10_000)) == [tooDeep])
        #expect(errors("x = " + String(repeating: "2 ^ ", count: 10_000) + "2") == [tooDeep])
        #expect(errors("x = " + String(repeating: "f(", count: 10_000)).first == tooDeep)
        #expect(errors(String(repeating: "if true { ", count: 10_000)).sorted() == ["'{' was never closed", tooDeep])
        let tooLong = "expression is too long (more than \(Parser.maxChain) operators in a row)"
        #expect(errors("x = 1" + String(repeating: " + 1", count: Parser.maxChain)).isEmpty)
        #expect(errors("x = 1" + String(repeating: " + 1", count: Parser.maxChain + 1)) == [tooLong])
        #expect(errors("x = 1" + String(repeating: " * 1", count: Parser.maxChain + 1)) == [tooLong])
        #expect(errors("x = a" + String(repeating: " and a", count: Parser.maxChain + 1)) == [tooLong])
        #expect(errors("x = a" + String(repeating: " or a", count: Parser.maxChain + 1)) == [tooLong])
        #expect(errors("x = f" + String(repeating: "()", count: Parser.maxChain + 1)) == [tooLong])
        #expect(errors("x = r" + String(repeating: ".a", count: Parser.maxChain + 1)) == [tooLong])
    }

    @Test func sourceSizeLimit() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: Lexer.maxSourceBytes + 1)
        let r = Interpreter.parseOnly(big, name: "big")
        #expect(r.diagnostics?.diagnostics.map(\.message) == ["source is too large (\(Lexer.maxSourceBytes + 1) bytes; the limit is \(Lexer.maxSourceBytes))"])
    }
}

@Suite struct CompletenessTests {
    @Test(arguments: [
        ("print(1)", "complete"),
        ("", "complete"),
        ("let x = 1; x + 2", "complete"),
        ("fn f(x) {\n  return x\n}", "complete"),
        ("print(1", "incomplete"),
        ("[1, 2,", "incomplete"),
        ("{lr: 0.1,", "incomplete"),
        ("fn f(x) {", "incomplete"),
        ("if x {\n  print(1)", "incomplete"),
        ("if x { } else", "incomplete"),
        ("print(\"abc", "incomplete"),
        ("1 +", "incomplete"),
        ("let x =", "incomplete"),
        ("x and", "incomplete"),
        ("print(1))", "invalid"),
        ("let = 3", "invalid"),
        ("1 +* 2", "invalid"),
        ("}", "invalid"),
        ("print(1 $ 2)", "invalid"),
    ])
    func completeness(_ text: String, _ expected: String) {
        // By name: the enum is not Sendable, which parameterised arguments must be.
        #expect("\(Interpreter.completeness(of: text))" == expected, "\(text.debugDescription)")
    }
}
