import Testing
@testable import PsearchLang

@Suite struct LexerTests {
    /// Tokens of `text` as (kind, start, end) byte offsets, without the final end of input.
    func lex(_ text: String) -> (tokens: [(TokenKind, Int, Int)], errors: [String]) {
        let reg = SourceRegistry()
        var lexer = Lexer(reg.add(name: "t", bytes: Array(text.utf8)))
        let toks = lexer.tokenize()
        #expect(toks.last?.kind == .eof)
        return (toks.dropLast().map { ($0.kind, Int($0.range.start), Int($0.range.end)) }, lexer.diagnostics.map(\.message))
    }

    func kinds(_ text: String) -> [TokenKind] { lex(text).tokens.map(\.0) }

    @Test func punctuationAndRanges() {
        let r = lex("a[1..2] >= 3")
        #expect(r.errors.isEmpty)
        let expected: [(TokenKind, Int, Int)] = [
            (.identifier("a"), 0, 1), (.lbracket, 1, 2), (.number(1), 2, 3), (.dotdot, 3, 5),
            (.number(2), 5, 6), (.rbracket, 6, 7), (.ge, 8, 10), (.number(3), 11, 12),
        ]
        #expect(r.tokens.count == expected.count)
        for (got, want) in zip(r.tokens, expected) {
            #expect(got.0 == want.0)
            #expect(got.1 == want.1 && got.2 == want.2, "range of \(want.0)")
        }
    }

    @Test func everyOperator() {
        #expect(kinds("( ) [ ] { } , . .. : ; + - * / % @ ^ = == != < <= > >=") == [
            .lparen, .rparen, .lbracket, .rbracket, .lbrace, .rbrace, .comma, .dot, .dotdot, .colon, .semicolon,
            .plus, .minus, .star, .slash, .percent, .at, .caret, .assign, .eq, .ne, .lt, .le, .gt, .ge,
        ])
    }

    @Test func keywordsAndIdentifiers() {
        #expect(kinds("let fn if else while for in break continue return true false nil and or not") == [
            .kwLet, .kwFn, .kwIf, .kwElse, .kwWhile, .kwFor, .kwIn, .kwBreak, .kwContinue, .kwReturn,
            .kwTrue, .kwFalse, .kwNil, .kwAnd, .kwOr, .kwNot,
        ])
        #expect(kinds("_a b2 letter iffy") == [.identifier("_a"), .identifier("b2"), .identifier("letter"), .identifier("iffy")])
    }

    @Test func numbers() {
        #expect(kinds("42 3.5 1e-3 2E+2 .5 10.") == [.number(42), .number(3.5), .number(0.001), .number(200), .number(0.5), .number(10)])
        #expect(kinds("1e400") == [.number(.infinity)])
        #expect(kinds("inf") == [.number(.infinity)])
        guard case .number(let n) = kinds("nan").first else { Issue.record("nan is not a number token"); return }
        #expect(n.isNaN)
        // `1..3` is a range, not the number 1. followed by .3
        #expect(kinds("1..3") == [.number(1), .dotdot, .number(3)])
        #expect(kinds("x.y") == [.identifier("x"), .dot, .identifier("y")])
    }

    @Test func malformedNumbers() {
        #expect(lex("1e").errors == ["malformed number: exponent has no digits"])
        #expect(lex("1.2.3").errors == ["malformed number '1.2.3'"])
        #expect(lex("12ab").errors == ["malformed number '12ab'"])
    }

    @Test func stringsAndEscapes() {
        #expect(kinds(#""a\n\t\"\\\r\0b""#) == [.string("a\n\t\"\\\r\0b")])
        #expect(kinds("\"안녕\"") == [.string("안녕")])
        let r = lex("\"안녕\" x")
        // Ranges are UTF-8 byte offsets: each Hangul syllable is 3 bytes.
        #expect(r.tokens[0].1 == 0 && r.tokens[0].2 == 8)
        #expect(r.tokens[1].1 == 9)
        #expect(kinds("\"two\nlines\"") == [.string("two\nlines")])
        #expect(lex(#""\q""#).errors == [#"unknown escape '\q' in string (use \n, \t, \r, \", \\ or \0)"#])
        #expect(lex("\"open").errors == ["unterminated string"])
    }

    @Test func commentsAndNewlines() {
        #expect(kinds("a # comment ( [\nb") == [.identifier("a"), .newline, .identifier("b")])
        #expect(kinds("a\r\nb") == [.identifier("a"), .newline, .identifier("b")])
        let r = lex("x\n")
        #expect(r.tokens[1].0 == .newline && r.tokens[1].1 == 1 && r.tokens[1].2 == 2)
    }

    @Test func badBytesAreReportedAndSkipped() {
        #expect(lex("a $ b").errors == ["unexpected '$'"])
        #expect(kinds("a $ b") == [.identifier("a"), .identifier("b")])
        #expect(lex("!x").errors == ["unexpected '!' (did you mean 'not' or '!='?)"])
        #expect(lex("\u{1}").errors == ["unexpected control character 0x01"])
        #expect(lex("é").errors == ["unexpected character 'é' (letters outside ASCII may appear only in strings and comments)"])
    }

    @Test func invalidUTF8AndNUL() {
        func lexBytes(_ b: [UInt8]) -> [String] {
            var lexer = Lexer(SourceRegistry().add(name: "t", bytes: b))
            _ = lexer.tokenize()
            return lexer.diagnostics.map(\.message)
        }
        #expect(lexBytes([0x61, 0xFF, 0x62]) == ["invalid UTF-8 byte 0xFF"])
        #expect(lexBytes([0x22, 0xC3, 0x28, 0x22]) == ["invalid UTF-8 byte 0xC3 in string"])
        #expect(lexBytes([0xED, 0xA0, 0x80]).first == "invalid UTF-8 byte 0xED")  // a UTF-16 surrogate
        #expect(lexBytes([0x00]) == ["unexpected NUL byte (0x00)"])
        #expect(lexBytes([0x22, 0x00, 0x22]) == ["NUL byte (0x00) in string (write \\0)"])
        #expect(lexBytes([0xF0, 0x9F]) == ["invalid UTF-8 byte 0xF0", "invalid UTF-8 byte 0x9F"])
    }
}
