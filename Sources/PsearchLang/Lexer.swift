import Foundation

/// Turns source bytes into tokens. Lexical errors become diagnostics and the lexer carries on,
/// so the parser can report every error of a file.
struct Lexer {
    /// Longer lines are adversarial input; the limit keeps one token from holding the session.
    static let maxSourceBytes = 64 << 20

    private let src: Source
    private let b: [UInt8]
    private var i = 0
    private(set) var diagnostics: [Diagnostic] = []

    init(_ source: Source) {
        src = source
        b = source.bytes
    }

    private func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(source: src.id, start: start, end: end)
    }

    private mutating func error(_ message: String, _ start: Int, _ end: Int, notes: [Diagnostic.Note] = [], id: Diagnostic.ID = .other) {
        diagnostics.append(Diagnostic(.syntax, message, at: range(start, end), notes: notes, id: id))
    }

    /// All tokens, ending with `.eof`.
    mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(b.count / 3 + 1)
        if b.count > Lexer.maxSourceBytes {
            error("source is too large (\(b.count) bytes; the limit is \(Lexer.maxSourceBytes))", 0, 0)
            return [Token(kind: .eof, range: range(0, 0))]
        }
        while true {
            let t = next()
            tokens.append(t)
            if t.kind == .eof { return tokens }
        }
    }

    private mutating func next() -> Token {
        while i < b.count {
            let c = b[i]
            let start = i
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "#"):
                while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "\n"):
                i += 1
                return Token(kind: .newline, range: range(start, i))
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                return number()
            case UInt8(ascii: "."):
                if i + 1 < b.count && b[i + 1] == UInt8(ascii: ".") {
                    i += 2
                    return Token(kind: .dotdot, range: range(start, i))
                }
                if i + 1 < b.count && isDigit(b[i + 1]) { return number() }
                i += 1
                return Token(kind: .dot, range: range(start, i))
            case UInt8(ascii: "\""):
                return string()
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                while i < b.count && isIdent(b[i]) { i += 1 }
                let word = String(decoding: b[start..<i], as: UTF8.self)
                // `inf` and `nan` are how such numbers print, so they read back as numbers too.
                if word == "inf" { return Token(kind: .number(.infinity), range: range(start, i)) }
                if word == "nan" { return Token(kind: .number(.nan), range: range(start, i)) }
                return Token(kind: TokenKind.keywords[word] ?? .identifier(word), range: range(start, i))
            default:
                if let kind = punctuation(c) { return Token(kind: kind, range: range(start, i)) }
                unexpected(start)
            }
        }
        return Token(kind: .eof, range: range(b.count, b.count))
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private func isIdent(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95
    }

    private mutating func punctuation(_ c: UInt8) -> TokenKind? {
        let two: UInt8? = i + 1 < b.count ? b[i + 1] : nil
        func take(_ n: Int, _ k: TokenKind) -> TokenKind { i += n; return k }
        switch c {
        case UInt8(ascii: "("): return take(1, .lparen)
        case UInt8(ascii: ")"): return take(1, .rparen)
        case UInt8(ascii: "["): return take(1, .lbracket)
        case UInt8(ascii: "]"): return take(1, .rbracket)
        case UInt8(ascii: "{"): return take(1, .lbrace)
        case UInt8(ascii: "}"): return take(1, .rbrace)
        case UInt8(ascii: ","): return take(1, .comma)
        case UInt8(ascii: ":"): return take(1, .colon)
        case UInt8(ascii: ";"): return take(1, .semicolon)
        case UInt8(ascii: "+"): return take(1, .plus)
        case UInt8(ascii: "-"): return take(1, .minus)
        case UInt8(ascii: "*"): return take(1, .star)
        case UInt8(ascii: "/"): return take(1, .slash)
        case UInt8(ascii: "%"): return take(1, .percent)
        case UInt8(ascii: "@"): return take(1, .at)
        case UInt8(ascii: "^"): return take(1, .caret)
        case UInt8(ascii: "="): return two == UInt8(ascii: "=") ? take(2, .eq) : take(1, .assign)
        case UInt8(ascii: "!"): return two == UInt8(ascii: "=") ? take(2, .ne) : nil
        case UInt8(ascii: "<"): return two == UInt8(ascii: "=") ? take(2, .le) : take(1, .lt)
        case UInt8(ascii: ">"): return two == UInt8(ascii: "=") ? take(2, .ge) : take(1, .gt)
        default: return nil
        }
    }

    /// Reports a character that starts no token, naming invalid UTF-8 bytes by value.
    private mutating func unexpected(_ start: Int) {
        let c = b[start]
        if c < 0x80 {
            i += 1
            let name: String
            switch c {
            case 0: name = "NUL byte (0x00)"
            case UInt8(ascii: "!"): name = "'!' (did you mean 'not' or '!='?)"
            case 0x01..<0x20, 0x7F: name = "control character " + hex(c)
            default: name = "'\(Character(Unicode.Scalar(c)))'"
            }
            error("unexpected \(name)", start, i)
            return
        }
        let len = utf8SequenceLength(at: start)
        if len == 0 {
            i += 1
            error("invalid UTF-8 byte " + hex(c), start, i)
            return
        }
        i += len
        let ch = String(decoding: b[start..<i], as: UTF8.self)
        error("unexpected character '\(ch)' (letters outside ASCII may appear only in strings and comments)", start, i)
    }

    /// Length of a valid UTF-8 sequence at `p`, or 0 when the bytes there are not valid UTF-8.
    private func utf8SequenceLength(at p: Int) -> Int {
        let c = b[p]
        let n: Int
        switch c {
        case 0xC2...0xDF: n = 2
        case 0xE0...0xEF: n = 3
        case 0xF0...0xF4: n = 4
        default: return 0
        }
        guard p + n <= b.count else { return 0 }
        for k in 1..<n where b[p + k] & 0xC0 != 0x80 { return 0 }
        // Overlong and surrogate forms are invalid too; let the standard decoder judge.
        return String(validating: b[p..<(p + n)], as: UTF8.self) == nil ? 0 : n
    }

    /// number → digits ("." digits)? (("e" | "E") ("+" | "-")? digits)?   (also ".5")
    private mutating func number() -> Token {
        let start = i
        while i < b.count && isDigit(b[i]) { i += 1 }
        if i < b.count && b[i] == UInt8(ascii: ".") && !(i + 1 < b.count && b[i + 1] == UInt8(ascii: ".")) {
            i += 1
            while i < b.count && isDigit(b[i]) { i += 1 }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            var j = i + 1
            if j < b.count && (b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-")) { j += 1 }
            if j < b.count && isDigit(b[j]) {
                i = j
                while i < b.count && isDigit(b[i]) { i += 1 }
            } else {
                i = j
                error("malformed number: exponent has no digits", start, i)
                return Token(kind: .number(.nan), range: range(start, i))
            }
        }
        // `1.2.3` or `12abc`: report the whole run as one malformed number.
        if i < b.count && (isIdent(b[i]) || (b[i] == UInt8(ascii: ".") && i + 1 < b.count && isDigit(b[i + 1]))) {
            while i < b.count && (isIdent(b[i]) || b[i] == UInt8(ascii: ".")) && !(b[i] == UInt8(ascii: ".") && i + 1 < b.count && b[i + 1] == UInt8(ascii: ".")) { i += 1 }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            error("malformed number '\(text)'", start, i)
            return Token(kind: .number(.nan), range: range(start, i))
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        // Double(String) rounds correctly and gives inf for 1e400, as IEEE arithmetic does.
        return Token(kind: .number(Double(text) ?? .nan), range: range(start, i))
    }

    /// string → '"' (char | escape)* '"'   escapes: \n \t \r \" \\ \0; a string may span lines
    private mutating func string() -> Token {
        let start = i
        i += 1
        var out = [UInt8]()
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return Token(kind: .string(String(decoding: out, as: UTF8.self)), range: range(start, i))
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { break }
                let e = b[i + 1]
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "\""): out.append(34)
                case UInt8(ascii: "\\"): out.append(92)
                default:
                    let shown = e < 0x80 && e >= 0x20 ? String(Character(Unicode.Scalar(e))) : hex(e)
                    error("unknown escape '\\\(shown)' in string (use \\n, \\t, \\r, \\\", \\\\ or \\0)", i, i + 2)
                }
                i += 2
                continue
            }
            if c >= 0x80 {
                let n = utf8SequenceLength(at: i)
                if n == 0 {
                    error("invalid UTF-8 byte " + hex(c) + " in string", i, i + 1)
                    i += 1
                    continue
                }
                out.append(contentsOf: b[i..<(i + n)])
                i += n
                continue
            }
            if c == 0 {
                error("NUL byte (0x00) in string (write \\0)", i, i + 1)
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
        error("unterminated string", start, start + 1, notes: [Diagnostic.Note("it runs to the end of the input; close it with '\"'")], id: .unterminatedString)
        return Token(kind: .string(String(decoding: out, as: UTF8.self)), range: range(start, i))
    }
}

/// A byte as the messages name it: `0x0A`. (Not `String(format:)`, which goes through
/// Foundation's formatter for two digits.)
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    return String(decoding: [UInt8(ascii: "0"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
}
