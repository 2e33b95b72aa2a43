import CSV
import Foundation

/// Reads CSV files into datasets, parsing with yaslab/CSV.swift (RFC 4180 quoting).
///
/// Rules, chosen to agree with pandas.read_csv where both read a file:
/// - The first row is the header (unless `header: false`, when columns are named c0, c1, ...).
///   A UTF-8 byte-order mark is dropped; blank lines are skipped; CRLF and LF both end lines.
///   A name the header repeats is numbered as pandas does (`a, a, b, a` reads as `a, a.1, b,
///   a.2`), and an empty one is `Unnamed: j`, so the label and every feature have a name of
///   their own and `like:` finds each.
/// - The delimiter is given, or sniffed from the header line: the first of `,` tab `;` `|`
///   that occurs in it as often as in each of the next lines (`,` when none does).
/// - A number is decimal only: `[+-]digits[.digits][e[+-]digits]` (or `.5`, `5.`); `0x1A`,
///   `1_000` and `inf` are text here, as `0x1A` and `1_000` are in pandas.
/// - A cell equal to one of the NA spellings (pandas' defaults, or `na:`) or empty is missing.
/// - Columns holding at least one number become features; other columns but the label are
///   skipped (their names are left out of `featureNames`). In a feature column, a missing
///   cell, an infinite number or text is an error naming the file, line and column: a model
///   cannot learn from nan, and scikit-learn refuses it too.
/// - The label column of a classification: whole numbers 0 ... 999 are their own class ids
///   (names "0" up to the largest), so a class missing from one file shifts no other; other
///   whole numbers (exact as integers, so 2^53 and 2^53 + 1 differ) and text are sorted (as
///   scikit-learn's LabelEncoder does) and numbered in that order. `classes:` fixes the list,
///   and a label outside it is an error naming it.
/// - A label column holding a number that is not whole makes a regression; `kind:` overrides.
/// - `like:` takes kind, classes and feature columns (by name) from another dataset, so a
///   test file is read as its train file was.
///
/// Line numbers are lines of the file: a quoted field spanning lines counts its newlines.
public enum CSVLoader {
    /// How to read a file; the defaults read most files.
    public struct Options: Sendable {
        /// The label column's name (c0, c1, ... without a header).
        public var label: String
        public var header: Bool = true
        /// Classification or regression; nil guesses from the label column.
        public var kind: Dataset.Kind? = nil
        /// The class names in id order; nil derives them from the labels.
        public var classes: [String]? = nil
        /// The field separator; nil sniffs it.
        public var delimiter: Unicode.Scalar? = nil
        /// The cells read as missing (besides the empty cell).
        public var na: Set<String> = CSVLoader.pandasNA
        /// A dataset whose kind, classes and feature columns this file must follow.
        public var like: Dataset? = nil

        public init(label: String) { self.label = label }
    }

    /// pandas.read_csv's default `na_values` (pandas 2.x).
    public static let pandasNA: Set<String> = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ]

    /// The separators `delimiter:` may be and sniffing tries, in order of preference.
    public static let sniffed: [Unicode.Scalar] = [",", "\t", ";", "|"]

    /// Loads `path` with `label` as the label column.
    public static func load(
        path: String, label: String, header: Bool = true, kind: Dataset.Kind? = nil
    ) throws(DataError) -> Dataset {
        var o = Options(label: label)
        o.header = header
        o.kind = kind
        return try load(path: path, options: o)
    }

    /// Loads `path` as `options` say.
    public static func load(path: String, options: Options) throws(DataError) -> Dataset {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path)
                ? "not readable as UTF-8 text" : "no such file")
        }
        return try parse(text: text, name: path, options: options)
    }

    /// Parses CSV text; `name` is the file name used in error messages.
    public static func parse(
        text: String, name: String, label: String, header: Bool = true, kind: Dataset.Kind? = nil
    ) throws(DataError) -> Dataset {
        var o = Options(label: label)
        o.header = header
        o.kind = kind
        return try parse(text: text, name: name, options: o)
    }

    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    private static func needsTrim(_ s: String) -> Bool {
        guard let first = s.utf8.first, let last = s.utf8.last else { return false }
        return isSpace(first) || isSpace(last)
    }

    private static func trimmed(_ s: String) -> String {
        let u = s.utf8
        guard let start = u.firstIndex(where: { !isSpace($0) }), let end = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(s[start...end])
    }

    /// Line breaks inside a field: LF, CRLF and a lone CR each count one.
    private static func newlines(in s: String) -> Int {
        var n = 0
        var afterCR = false
        for b in s.utf8 {
            if b == 0x0A { if !afterCR { n += 1 } } else if b == 0x0D { n += 1 }
            afterCR = b == 0x0D
        }
        return n
    }

    /// A decimal number, or nil: `[+-]` digits with an optional fraction and exponent. Swift's
    /// `Double(_:)` also takes hex, `nan` and `inf`, which pandas (and a reader) take as text.
    public static func number(_ s: String) -> Double? {
        var digits = 0, fraction = 0
        var it = s.utf8.makeIterator()
        var c = it.next()
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
        while let b = c, b >= 0x30 && b <= 0x39 { digits += 1; c = it.next() }
        if c == UInt8(ascii: ".") {
            c = it.next()
            while let b = c, b >= 0x30 && b <= 0x39 { fraction += 1; c = it.next() }
        }
        guard digits + fraction > 0 else { return nil }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            var exponent = 0
            while let b = c, b >= 0x30 && b <= 0x39 { exponent += 1; c = it.next() }
            guard exponent > 0 else { return nil }
        }
        guard c == nil else { return nil }
        return Double(s)
    }

    /// The separator: the first candidate as frequent in the header line as in each of the
    /// next few lines (outside quotes), else `,`.
    static func sniff(_ text: Substring) -> Unicode.Scalar {
        var lines: [[Unicode.Scalar: Int]] = []
        var counts: [Unicode.Scalar: Int] = [:]
        var quoted = false
        for u in text.unicodeScalars {
            if u == "\"" { quoted.toggle() }
            if quoted { continue }
            if u == "\n" || u == "\r" {
                if !counts.isEmpty || !lines.isEmpty { lines.append(counts) }
                counts = [:]
                if lines.count == 6 { break }
            } else if sniffed.contains(u) {
                counts[u, default: 0] += 1
            }
        }
        if lines.count < 6 { lines.append(counts) }
        let rows = lines.filter { !$0.isEmpty }
        guard let head = rows.first else { return "," }
        for d in sniffed {
            guard let n = head[d], n > 0 else { continue }
            if rows.dropFirst().allSatisfy({ $0[d] == n }) { return d }
        }
        return sniffed.first { head[$0] != nil } ?? ","
    }

    /// Header cells as column names, the way pandas.read_csv names them: an empty cell is
    /// `Unnamed: j` (j counts from 0), and a repeated name gets `.1`, `.2`, ... (`a, a, b, a`
    /// reads as `a, a.1, b, a.2`), so every column can be named as a label or a feature.
    static func headerNames(_ cells: [String]) -> [String] {
        var names = cells.enumerated().map { $1.isEmpty ? "Unnamed: \($0)" : $1 }
        // pandas' C reader's rule (parsers.pyx): a candidate another header cell already
        // spells is skipped, so `a, a, a.1` reads as `a, a.2, a.1`.
        let spelled = Set(names)
        var counts = [String: Int]()
        for j in names.indices {
            let base = names[j]
            var name = base
            var seen = counts[base, default: 0]
            while seen > 0 {
                counts[base] = seen + 1
                name = "\(base).\(seen)"
                seen = spelled.contains(name) ? seen + 1 : counts[name, default: 0]
            }
            names[j] = name
            counts[name] = seen + 1
        }
        return names
    }

    /// Parses CSV text as `o` says; `name` is the file name used in error messages.
    public static func parse(text: String, name: String, options o: Options) throws(DataError) -> Dataset {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let delimiter = o.delimiter ?? sniff(body.prefix(64 * 1024))
        let reader: CSVReader
        do {
            // The reader's own trimming goes through NSString and took 60% of loading 100,000
            // rows; fields are trimmed below, and only those with spaces at an end.
            reader = try CSVReader(string: body, hasHeaderRow: false, trimFields: false, delimiter: delimiter)
        } catch {
            throw .csv(path: name, line: 1, column: nil, message: "cannot parse: \(error)")
        }
        var line = 1
        var columns: [String]? = nil
        var rows: [(line: Int, fields: [String])] = []
        while var fields = reader.next() {
            let start = line
            for i in fields.indices {
                line += newlines(in: fields[i])
                if needsTrim(fields[i]) { fields[i] = trimmed(fields[i]) }
            }
            line += 1
            if fields.count == 1 && fields[0].isEmpty { continue }
            if columns == nil {
                if o.header {
                    columns = headerNames(fields)
                    continue
                }
                columns = (0..<fields.count).map { "c\($0)" }
            }
            rows.append((start, fields))
        }
        if let error = reader.error {
            throw .csv(path: name, line: line, column: nil, message: "cannot parse: \(error)")
        }
        guard let columns else { throw .empty("'\(name)'") }
        guard let labelIndex = columns.firstIndex(of: o.label) else {
            throw .missingLabelColumn(path: name, label: o.label, columns: columns)
        }
        guard let first = rows.first else { throw .empty("'\(name)' (no data rows)") }
        for row in rows where row.fields.count != columns.count {
            throw .csv(path: name, line: row.line, column: nil,
                       message: "expected \(columns.count) fields, found \(row.fields.count)")
        }

        let featureIndices: [Int]
        if let like = o.like {
            featureIndices = try like.featureNames.map { (f: String) throws(DataError) -> Int in
                guard let j = columns.firstIndex(of: f), j != labelIndex else {
                    throw .csv(path: name, line: 1, column: nil,
                               message: "no feature column '\(f)', which the dataset it is read like has (columns: \(columns.joined(separator: ", ")))")
                }
                return j
            }
        } else {
            // A column with any number in it is numeric; its other cells must then be numbers too.
            featureIndices = columns.indices.filter { j in j != labelIndex && rows.contains { number($0.fields[j]) != nil } }
        }
        guard !featureIndices.isEmpty else {
            throw .csv(path: name, line: first.line, column: nil, message: "no numeric feature columns")
        }

        var x = [Double]()
        x.reserveCapacity(rows.count * featureIndices.count)
        var rawLabels = [String]()
        rawLabels.reserveCapacity(rows.count)
        for row in rows {
            for j in featureIndices {
                let cell = row.fields[j]
                guard let v = number(cell), v.isFinite else {
                    throw .csv(path: name, line: row.line, column: columns[j], message: cell.isEmpty ? "missing value"
                        : o.na.contains(cell) ? "missing value ('\(cell)'): drop the row or fill the cell before training"
                        : Double(cell)?.isInfinite == true ? "'\(cell)' is infinite: a model cannot learn from it" : "'\(cell)' is not a number")
                }
                x.append(v)
            }
            let l = row.fields[labelIndex]
            guard !l.isEmpty && !o.na.contains(l) else {
                throw .csv(path: name, line: row.line, column: o.label, message: l.isEmpty ? "missing label" : "missing label ('\(l)')")
            }
            rawLabels.append(l)
        }

        let labels = Labels(rawLabels)
        let kind: Dataset.Kind
        if let k = o.like?.kind ?? o.kind ?? (o.classes != nil ? .classification : nil) {
            kind = k
        } else if labels.allWhole {
            // Whole numbers are classes, as scikit-learn takes them, unless they look like a
            // measured quantity (diabetes' progress scores: 214 values in 331 rows): then the
            // guess could be either, and a wrong one trains a 214-class model. Ask instead.
            let distinct = labels.distinctCount
            if distinct > 20 && 2 * distinct > rows.count {
                throw .csv(path: name, line: first.line, column: o.label,
                           message: "\(distinct) different whole numbers in \(rows.count) rows: say kind: \"regression\" to predict the number, or kind: \"classification\" if each is a class")
            }
            kind = .classification
        } else {
            kind = labels.numbers != nil ? .regression : .classification
        }
        var y = [Double]()
        var names = [String]()
        switch kind {
        case .regression:
            guard let targets = labels.numbers else {
                let i = rawLabels.firstIndex { !(number($0)?.isFinite ?? false) }!
                throw .csv(path: name, line: rows[i].line, column: o.label,
                           message: "'\(rawLabels[i])' is not a finite number (regression target)")
            }
            y = targets
        case .classification:
            if let fixed = o.like?.classNames ?? o.classes {
                names = fixed
                y = try labels.ids(in: fixed) { (i: Int) throws(DataError) -> Never in
                    let known = fixed.count <= 10 ? fixed.joined(separator: ", ") : fixed.prefix(10).joined(separator: ", ") + ", ..."
                    throw .csv(path: name, line: rows[i].line, column: o.label,
                               message: "label '\(rawLabels[i])' is not one of the \(fixed.count) classes (\(known))")
                }
            } else {
                (names, y) = labels.classes()
            }
        }
        return try Dataset(
            X: Tensor(shape: [rows.count, featureIndices.count], data: x), y: y, kind: kind,
            classNames: names, featureNames: featureIndices.map { columns[$0] })
    }
}

/// A label column's cells and how they read as classes.
struct Labels {
    let raw: [String]
    /// Every cell as a finite number, or nil when one is not.
    let numbers: [Double]?
    /// Every cell is a whole number.
    let allWhole: Bool

    init(_ raw: [String]) {
        self.raw = raw
        var numbers: [Double]? = []
        for l in raw {
            guard let v = CSVLoader.number(l), v.isFinite else { numbers = nil; break }
            numbers!.append(v)
        }
        self.numbers = numbers
        allWhole = numbers?.allSatisfy { $0 == $0.rounded() } ?? false
    }

    /// How many different labels there are (whole numbers by their exact value).
    var distinctCount: Int {
        guard allWhole, let numbers else { return Set(raw).count }
        return Set(zip(raw, numbers).map { Labels.key($0, $1) }).count
    }

    /// A whole-number label as an exact key: the integer it spells when it fits in an Int
    /// (so 9007199254740993 is not 9007199254740992), else its Double.
    private enum Key: Hashable, Comparable {
        case int(Int)
        case double(Double)

        var value: Double { switch self { case .int(let i): Double(i); case .double(let d): d } }
        var name: String {
            switch self {
            case .int(let i): return String(i)
            case .double(let d): return d.magnitude < 1e16 && d == d.rounded() ? String(Int(d)) : "\(d)"
            }
        }
        static func < (a: Key, b: Key) -> Bool {
            if a.value != b.value { return a.value < b.value }
            if case .int(let i) = a, case .int(let j) = b { return i < j }
            if case .int = a { return true }
            return false
        }
    }

    /// A label spelled as an integer keeps every digit; one spelled otherwise (`2.0`, `1e3`) is
    /// the integer its Double is, so `2` and `2.0` are one class, as in a fixed class list.
    /// Only whole numbers beyond Int (2^63 and up) stay Doubles.
    private static func key(_ s: String, _ v: Double) -> Key {
        var t = Substring(s)
        if t.first == "+" { t = t.dropFirst() }
        if let i = Int(t) { return .int(i) }
        // (The label is a decimal number: without a point or an exponent it spells an integer.)
        let integerSpelling = !t.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if !integerSpelling && v >= -0x1p63 && v < 0x1p63 { return .int(Int(v)) }
        return .double(v)
    }

    /// Class names and ids derived from the labels alone.
    func classes() -> (names: [String], ids: [Double]) {
        if allWhole, let numbers {
            // Whole numbers 0 ... 999 name their own ids, as records {X, y} do.
            if numbers.allSatisfy({ $0 >= 0 && $0 < 1000 }) {
                let k = Int(numbers.max()!) + 1
                // A "-0" label is class 0, not an id that prints as -0.
                return ((0..<max(k, 2)).map(String.init), numbers.map { $0 == 0 ? 0 : $0 })
            }
            let keys = zip(raw, numbers).map { Labels.key($0, $1) }
            let distinct = Array(Set(keys)).sorted()
            let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Double($0)) })
            return (distinct.map(\.name), keys.map { index[$0]! })
        }
        let distinct = Array(Set(raw)).sorted()
        let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Double($0)) })
        return (distinct, raw.map { index[$0]! })
    }

    /// Ids in a fixed class list: a label matches a name spelled the same, or a number equal
    /// to it (`1.0` is class "1"); `unknown(row)` reports one that matches none.
    func ids(in names: [String], unknown: (Int) throws(DataError) -> Never) throws(DataError) -> [Double] {
        var index = [String: Double]()
        for (i, n) in names.enumerated() where index[n] == nil { index[n] = Double(i) }
        var byNumber = [Double: Double]()
        for (i, n) in names.enumerated() {
            if let v = CSVLoader.number(n), byNumber[v] == nil { byNumber[v] = Double(i) }
        }
        var ids = [Double]()
        ids.reserveCapacity(raw.count)
        for (row, l) in raw.enumerated() {
            if let id = index[l] ?? CSVLoader.number(l).flatMap({ byNumber[$0] }) {
                ids.append(id)
            } else {
                try unknown(row)
            }
        }
        return ids
    }
}

// MARK: - Digits

extension Generators {
    /// The 1,797 8x8 handwritten digits that scikit-learn ships (UCI "Optical Recognition of
    /// Handwritten Digits", Alpaydin and Kaynak 1998, CC BY 4.0), features = pixel / 16.
    ///
    /// Parsed once per process and cached; rows stay in scikit-learn's order.
    public static func digits() throws(DataError) -> Dataset {
        switch cachedDigits {
        case .success(let d): return d
        case .failure(let e): throw e
        }
    }

    private static let cachedDigits: Result<Dataset, DataError> = {
        guard let text = digitsText() else { return .failure(.missingResource("digits.csv")) }
        do throws(DataError) {
            var d = try CSVLoader.parse(text: text, name: "digits.csv", label: "c0", header: false)
            d.X = d.X.map { $0 / 16 }
            d.featureNames = (0..<64).map { "p\($0 / 8)_\($0 % 8)" }
            d.sampleShape = [8, 8]
            return .success(d)
        } catch {
            return .failure(error)
        }
    }()

    /// The bundled CSV. SwiftPM's generated `Bundle.module` calls fatalError when the resource
    /// bundle is neither beside the executable nor at its build path, so it is only touched
    /// when the bundle is known to be beside the executable; otherwise the source tree's copy
    /// (found from this file's path) serves, and a missing file is an error, not a crash.
    private static func digitsText() -> String? {
        let beside = Bundle.main.bundleURL.appendingPathComponent("psearch_PsearchCore.resources").path
        if FileManager.default.fileExists(atPath: beside),
           let url = Bundle.module.url(forResource: "digits", withExtension: "csv", subdirectory: "Resources"),
           let text = try? String(contentsOf: url, encoding: .utf8) {
            return text
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources/digits.csv")
        return try? String(contentsOf: source, encoding: .utf8)
    }
}
