/// The `#>` lines of a lesson script: what each top-level statement prints.
///
/// ```
/// print(0.1 + 0.2)
/// #> 0.30000000000000004
/// print("exact:", 1 / 3)
/// #>= exact: 0.3333333333333333
/// ```
/// A block of consecutive `#>` lines states the output of the top-level statements that end on
/// the line just above it; a statement with no block after it must print nothing. `#> TEXT`
/// matches an output line whose numbers agree within a relative tolerance and whose other text
/// is equal (trailing blanks aside, which editors strip); `#>= TEXT` demands the exact text.
///
/// Everything here is pure (text in, values out), so it can be tested and fuzzed alone.
public enum Expectations {
    /// Numbers in output agree when `|a - b| <= relativeTolerance * max(|a|, |b|)`.
    public static let relativeTolerance = 1e-9

    /// One `#>` line: the text after the marker and one optional blank.
    public struct Line: Equatable, Sendable {
        public var text: String
        /// `#>=`: the output line must equal `text` exactly.
        public var exact: Bool
        /// 1-based line in the script.
        public var lineNumber: Int

        public init(text: String, exact: Bool, lineNumber: Int) {
            self.text = text
            self.exact = exact
            self.lineNumber = lineNumber
        }

        /// The line as it is written in a script.
        public var source: String {
            let marker = exact ? "#>=" : "#>"
            return text.isEmpty ? marker : marker + " " + text
        }
    }

    /// A run of consecutive `#>` lines.
    public struct Block: Equatable, Sendable {
        public var lines: [Line]
        /// 1-based line of the first `#>` line; the block states the output of the statements
        /// that end on `firstLine - 1`.
        public var firstLine: Int { lines[0].lineNumber }
        public var lastLine: Int { lines[lines.count - 1].lineNumber }
    }

    /// Every `#>` block of a script, in order. A `#>` line is one whose first non-blank
    /// characters are `#>`; the parser knows nothing else of the language.
    public static func parse(_ source: String) -> [Block] {
        var blocks: [Block] = []
        var current: [Line] = []
        for (i, raw) in lines(of: source).enumerated() {
            if let line = expectation(raw, lineNumber: i + 1) {
                current.append(line)
            } else if !current.isEmpty {
                blocks.append(Block(lines: current))
                current = []
            }
        }
        if !current.isEmpty { blocks.append(Block(lines: current)) }
        return blocks
    }

    /// The lines of a text, split at "\n" only, with a final "\r" removed from each (a script
    /// saved with CRLF endings reads the same). A final newline does not start another line.
    public static func lines(of text: String) -> [Substring] {
        rawLines(of: text).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// The lines of a text split at "\n" only, endings kept ("\r\n" is one Character to
    /// Swift, so splitting Characters would not split it).
    public static func rawLines(of text: String) -> [Substring] {
        var result = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
        if result.count > 1 && result.last == "" { result.removeLast() }
        return result
    }

    /// The `#>` line in `raw`, if it is one.
    public static func expectation(_ raw: Substring, lineNumber: Int) -> Line? {
        let body = raw.drop { $0 == " " || $0 == "\t" }
        guard body.hasPrefix("#>") else { return nil }
        var rest = body.dropFirst(2)
        let exact = rest.first == "="
        if exact { rest = rest.dropFirst() }
        if rest.first == " " { rest = rest.dropFirst() }
        return Line(text: String(rest), exact: exact, lineNumber: lineNumber)
    }

    /// The lines a statement printed: its output split at "\n". Output that does not end in a
    /// newline counts as a last line all the same.
    public static func outputLines(_ output: String) -> [String] {
        if output.isEmpty { return [] }
        return rawLines(of: output).map(String.init)
    }

    /// The `#>` lines that state `output`. When `previous` (the old block) still matches,
    /// it is kept as written, so an update never churns numbers that agree within the
    /// tolerance; otherwise lines keep their `#>=` marker where the old block had one at the
    /// same place.
    public static func render(_ output: String, previous: [Line] = []) -> [String] {
        let actual = outputLines(output)
        if !previous.isEmpty && matches(previous, actual) { return previous.map(\.source) }
        return actual.enumerated().map { i, text in
            let exact = previous.count == actual.count && previous[i].exact
            return Line(text: text, exact: exact, lineNumber: 0).source
        }
    }

    // MARK: - Comparison

    /// Whether the output lines are exactly those the block states.
    public static func matches(_ expected: [Line], _ actual: [String]) -> Bool {
        expected.count == actual.count && zip(expected, actual).allSatisfy { matches($0, $1) }
    }

    /// Whether one output line is what one `#>` line states.
    public static func matches(_ expected: Line, _ actual: String) -> Bool {
        expected.exact ? expected.text == actual : tolerantlyEqual(expected.text, actual)
    }

    /// Equal text apart from trailing blanks, with numbers equal within the tolerance.
    public static func tolerantlyEqual(_ a: String, _ b: String, relativeTolerance: Double = relativeTolerance) -> Bool {
        let a = trimmingTrailingBlanks(a), b = trimmingTrailingBlanks(b)
        if a == b { return true }
        let pa = pieces(of: String(a)), pb = pieces(of: String(b))
        guard pa.count == pb.count else { return false }
        for (x, y) in zip(pa, pb) {
            switch (x, y) {
            case (.text(let s), .text(let t)):
                if s != t { return false }
            case (.number(let u, _), .number(let v, _)):
                if !numbersAgree(u, v, relativeTolerance: relativeTolerance) { return false }
            default:
                return false
            }
        }
        return true
    }

    /// Equal, both nan, or within the relative tolerance (so 0 matches only 0).
    public static func numbersAgree(_ a: Double, _ b: Double, relativeTolerance: Double = relativeTolerance) -> Bool {
        if a == b || (a.isNaN && b.isNaN) { return true }
        if !a.isFinite || !b.isFinite { return false }
        return abs(a - b) <= relativeTolerance * max(abs(a), abs(b))
    }

    /// A line of output cut into numbers and the text between them.
    public enum Piece: Equatable, Sendable {
        case text(String)
        /// The value and the text it was read from.
        case number(Double, String)
    }

    /// Splits a line into numbers and text. A number is `digits[.digits][e[+-]digits]` or
    /// `.digits…`, with a `-` or `+` sign when no letter, digit, `.`, `)` or `]` comes before
    /// it (so `x-1` and `[1, -2]` read as people read them); the words `inf` and `nan` are
    /// numbers too. Digits inside a word (`x1`, `R105`) stay text.
    public static func pieces(of line: String) -> [Piece] {
        let s = Array(line.unicodeScalars)
        var result: [Piece] = []
        var text = String.UnicodeScalarView()
        var i = 0
        func flushText() {
            if !text.isEmpty { result.append(.text(String(text))) }
            text = String.UnicodeScalarView()
        }
        func isDigit(_ k: Int) -> Bool { k < s.count && s[k].value >= 48 && s[k].value <= 57 }
        func isWordChar(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || (c.value >= 48 && c.value <= 57) }
        // The sign just before a number, taken out of the text when it belongs to the number.
        func takeSign() -> String {
            // The sign is the scalar just before the number (at i - 1) when it is still text.
            guard let last = text.last, last == "-" || last == "+" else { return "" }
            guard signAllowed(before: i >= 2 ? s[i - 2] : nil) else { return "" }
            text.removeLast()
            return String(last)
        }
        while i < s.count {
            let c = s[i]
            if isWordChar(c) && !isDigit(i) {
                var j = i
                while j < s.count && isWordChar(s[j]) { j += 1 }
                let word = String(String.UnicodeScalarView(s[i..<j]))
                if word == "inf" || word == "nan" {
                    let literal = takeSign() + word
                    flushText()
                    let value: Double = word == "nan" ? .nan : (literal.hasPrefix("-") ? -.infinity : .infinity)
                    result.append(.number(value, literal))
                } else {
                    text.append(contentsOf: s[i..<j])
                }
                i = j
                continue
            }
            let startsNumber = isDigit(i) || (c == "." && isDigit(i + 1) && (i == 0 || s[i - 1] != "."))
            if startsNumber {
                var j = i
                while isDigit(j) { j += 1 }
                if j < s.count && s[j] == "." && !(j + 1 < s.count && s[j + 1] == ".") {
                    j += 1
                    while isDigit(j) { j += 1 }
                }
                if j < s.count && (s[j] == "e" || s[j] == "E") {
                    var k = j + 1
                    if k < s.count && (s[k] == "+" || s[k] == "-") { k += 1 }
                    if isDigit(k) {
                        j = k
                        while isDigit(j) { j += 1 }
                    }
                }
                let literal = takeSign() + String(String.UnicodeScalarView(s[i..<j]))
                flushText()
                result.append(.number(Double(literal) ?? .nan, literal))
                i = j
                continue
            }
            text.append(c)
            i += 1
        }
        flushText()
        return result
    }

    /// A sign belongs to the number after it unless a value ends just before it (`3-2`, `x-1`,
    /// `f(x)-1`), where it reads as an operator.
    private static func signAllowed(before c: Unicode.Scalar?) -> Bool {
        guard let c else { return true }
        if c == "_" || c == "." || c == ")" || c == "]" || c.properties.isAlphabetic { return false }
        return !(c.value >= 48 && c.value <= 57)
    }

    private static func trimmingTrailingBlanks(_ s: String) -> Substring {
        var t = Substring(s)
        while let last = t.last, last == " " || last == "\t" || last == "\r" { t = t.dropLast() }
        return t
    }

    // MARK: - Differences

    /// One line of a unified diff: `" "` context, `"-"` expected, `"+"` actual.
    public struct DiffLine: Equatable, Sendable {
        public var mark: Character
        public var text: String
    }

    /// The expected and actual `#>` lines of one statement aligned by a longest common
    /// subsequence, with tolerant matching as equality, so only the differing lines are marked.
    public static func diff(_ expected: [Line], _ actual: [String]) -> [DiffLine] {
        let n = expected.count, m = actual.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = matches(expected[i], actual[j]) ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [DiffLine] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && matches(expected[i], actual[j]) {
                out.append(DiffLine(mark: " ", text: expected[i].source))
                i += 1
                j += 1
            } else if i < n && (j == m || table[i + 1][j] >= table[i][j + 1]) {
                out.append(DiffLine(mark: "-", text: expected[i].source))
                i += 1
            } else {
                out.append(DiffLine(mark: "+", text: Line(text: actual[j], exact: false, lineNumber: 0).source))
                j += 1
            }
        }
        return out
    }
}
