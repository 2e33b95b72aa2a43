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
        return a == b || agree(pieces(of: String(a)), pieces(of: String(b)), relativeTolerance: relativeTolerance)
    }

    /// Same pieces, numbers equal within the tolerance.
    private static func agree(_ pa: [Piece], _ pb: [Piece], relativeTolerance: Double = relativeTolerance) -> Bool {
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
        // The text not yet emitted is always s[textStart..<i].
        var textStart = 0
        var i = 0
        func string(_ r: Range<Int>) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: s[r])
            return String(v)
        }
        func flushText(upTo end: Int) {
            if end > textStart { result.append(.text(string(textStart..<end))) }
        }
        func isDigit(_ k: Int) -> Bool { k < s.count && s[k].value >= 48 && s[k].value <= 57 }
        // Where the number starting at i begins: at its sign, when the scalar before it is a
        // sign still in the text and may belong to a number.
        func numberStart() -> Int {
            guard i - 1 >= textStart, s[i - 1] == "-" || s[i - 1] == "+" else { return i }
            return signAllowed(before: i >= 2 ? s[i - 2] : nil) ? i - 1 : i
        }
        while i < s.count {
            let c = s[i]
            if isWordChar(c) && !isDigit(i) {
                var j = i
                while j < s.count && isWordChar(s[j]) { j += 1 }
                if j - i == 3, case let word = string(i..<j), word == "inf" || word == "nan" {
                    let start = numberStart()
                    flushText(upTo: start)
                    let value: Double = word == "nan" ? .nan : (start < i && s[start] == "-" ? -.infinity : .infinity)
                    result.append(.number(value, string(start..<j)))
                    textStart = j
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
                let start = numberStart()
                flushText(upTo: start)
                let literal = string(start..<j)
                result.append(.number(Double(literal) ?? .nan, literal))
                textStart = j
                i = j
                continue
            }
            i += 1
        }
        flushText(upTo: s.count)
        return result
    }

    /// A letter (of any script), a digit or `_`. ASCII is decided without the Unicode tables.
    private static func isWordChar(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 {
            let v = c.value | 0x20  // folds A-Z onto a-z
            return (v >= 97 && v <= 122) || (c.value >= 48 && c.value <= 57) || c == "_"
        }
        return c.properties.isAlphabetic
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
        // Each line is cut into pieces once, not once per comparison.
        let e = expected.map(Prepared.init), a = actual.map(Prepared.init)
        func same(_ i: Int, _ j: Int) -> Bool { e[i].matches(a[j], exact: expected[i].exact) }
        var out: [DiffLine] = []
        // Lines that agree at the start and at the end need no table.
        var head = 0
        while head < e.count && head < a.count && same(head, head) { head += 1 }
        var tail = 0
        while tail < e.count - head && tail < a.count - head && same(e.count - 1 - tail, a.count - 1 - tail) { tail += 1 }
        for k in 0..<head { out.append(DiffLine(mark: " ", text: expected[k].source)) }
        let n = e.count - head - tail, m = a.count - head - tail
        func removed(_ i: Int) { out.append(DiffLine(mark: "-", text: expected[head + i].source)) }
        func added(_ j: Int) { out.append(DiffLine(mark: "+", text: Line(text: actual[head + j], exact: false, lineNumber: 0).source)) }
        if n * m > maxDiffCells {
            // Too many lines changed to align: all that was expected, then all that came.
            (0..<n).forEach(removed)
            (0..<m).forEach(added)
        } else {
            // table[i * (m + 1) + j]: longest common subsequence of the middle parts from i and j on.
            var table = [Int32](repeating: 0, count: (n + 1) * (m + 1))
            func at(_ i: Int, _ j: Int) -> Int32 { table[i * (m + 1) + j] }
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    table[i * (m + 1) + j] = same(head + i, head + j) ? at(i + 1, j + 1) + 1 : max(at(i + 1, j), at(i, j + 1))
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                if i < n && j < m && same(head + i, head + j) {
                    out.append(DiffLine(mark: " ", text: expected[head + i].source))
                    i += 1
                    j += 1
                } else if i < n && (j == m || at(i + 1, j) >= at(i, j + 1)) {
                    removed(i)
                    i += 1
                } else {
                    added(j)
                    j += 1
                }
            }
        }
        for k in (e.count - tail)..<e.count { out.append(DiffLine(mark: " ", text: expected[k].source)) }
        return out
    }

    /// Cells of the aligning table a diff may fill (16 MB of counts); past it the changed
    /// lines are shown as removed then added.
    static let maxDiffCells = 4_000_000

    /// A line made ready for many comparisons: its text without trailing blanks and its pieces.
    private struct Prepared {
        let text: String
        let trimmed: Substring
        let pieces: [Piece]

        init(_ line: Line) { self.init(line.text) }
        init(_ text: String) {
            self.text = text
            trimmed = trimmingTrailingBlanks(text)
            pieces = Expectations.pieces(of: String(trimmed))
        }

        /// Whether the output line `actual` is what this `#>` line states.
        func matches(_ actual: Prepared, exact: Bool) -> Bool {
            exact ? text == actual.text : trimmed == actual.trimmed || agree(pieces, actual.pieces)
        }
    }
}
