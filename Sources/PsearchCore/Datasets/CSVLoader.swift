import CSV
import Foundation

/// Reads CSV files into datasets, parsing with yaslab/CSV.swift (RFC 4180 quoting).
///
/// Rules: the first row is the header (unless `header: false`, when columns are named c0, c1,
/// ...). Columns holding at least one number become features; all-text columns other than the
/// label are skipped (their names are left out of `featureNames`). A non-number or an empty
/// cell in a feature column, or a row with the wrong number of fields, is an error naming the
/// file, line and column. Blank lines are skipped.
///
/// The label column: strings become class ids in order of first appearance. A label column
/// whose values are all integers (like digits' 0..9) is a classification with the distinct
/// values sorted numerically as class names; any non-integer number makes it a regression on
/// those targets. `kind:` overrides the guess.
///
/// Line numbers count one line per record, so a quoted field spanning lines shifts them.
public enum CSVLoader {
    /// Loads `path` with `label` as the label column.
    public static func load(
        path: String, label: String, header: Bool = true, kind: Dataset.Kind? = nil
    ) throws(DataError) -> Dataset {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path)
                ? "not readable as UTF-8 text" : "no such file")
        }
        return try parse(text: text, name: path, label: label, header: header, kind: kind)
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

    /// Parses CSV text; `name` is the file name used in error messages.
    public static func parse(
        text: String, name: String, label: String, header: Bool = true, kind: Dataset.Kind? = nil
    ) throws(DataError) -> Dataset {
        let reader: CSVReader
        do {
            // The reader's own trimming goes through NSString and took 60% of loading 100,000
            // rows; fields are trimmed below, and only those with spaces at an end.
            reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: false)
        } catch {
            throw .csv(path: name, line: 1, column: nil, message: "cannot parse: \(error)")
        }
        var line = 0
        var columns: [String]? = nil
        var rows: [(line: Int, fields: [String])] = []
        while var fields = reader.next() {
            line += 1
            for i in fields.indices where needsTrim(fields[i]) { fields[i] = trimmed(fields[i]) }
            if fields.count == 1 && fields[0].isEmpty { continue }
            if columns == nil {
                if header {
                    columns = fields
                    continue
                }
                columns = (0..<fields.count).map { "c\($0)" }
            }
            rows.append((line, fields))
        }
        if let error = reader.error {
            throw .csv(path: name, line: line, column: nil, message: "cannot parse: \(error)")
        }
        guard let columns else { throw .empty("'\(name)'") }
        guard let labelIndex = columns.firstIndex(of: label) else {
            throw .missingLabelColumn(path: name, label: label, columns: columns)
        }
        guard let first = rows.first else { throw .empty("'\(name)' (no data rows)") }
        for row in rows where row.fields.count != columns.count {
            throw .csv(path: name, line: row.line, column: nil,
                       message: "expected \(columns.count) fields, found \(row.fields.count)")
        }
        // A column with any number in it is numeric; its other cells must then be numbers too.
        let featureIndices = columns.indices.filter { j in j != labelIndex && rows.contains { Double($0.fields[j]) != nil } }
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
                guard let v = Double(cell) else {
                    throw .csv(path: name, line: row.line, column: columns[j],
                               message: cell.isEmpty ? "missing value" : "'\(cell)' is not a number")
                }
                x.append(v)
            }
            let l = row.fields[labelIndex]
            guard !l.isEmpty else {
                throw .csv(path: name, line: row.line, column: label, message: "missing label")
            }
            rawLabels.append(l)
        }

        let numeric = rawLabels.map { Double($0) }
        let allNumeric = numeric.allSatisfy { $0 != nil && $0!.isFinite }
        let allIntegers = allNumeric && numeric.allSatisfy { $0! == $0!.rounded() }
        let chosen = kind ?? (allNumeric && !allIntegers ? .regression : .classification)

        var y = [Double]()
        var names = [String]()
        switch chosen {
        case .regression:
            for (i, v) in numeric.enumerated() {
                guard let v else {
                    throw .csv(path: name, line: rows[i].line, column: label,
                               message: "'\(rawLabels[i])' is not a number (regression target)")
                }
                y.append(v)
            }
        case .classification:
            if allIntegers {
                let distinct = Array(Set(numeric.map { $0! })).sorted()
                let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
                names = distinct.map { String(Int($0)) }
                y = numeric.map { Double(index[$0!]!) }
            } else {
                var index = [String: Int]()
                for l in rawLabels {
                    if let id = index[l] {
                        y.append(Double(id))
                    } else {
                        index[l] = names.count
                        y.append(Double(names.count))
                        names.append(l)
                    }
                }
            }
        }
        return try Dataset(
            X: Tensor(shape: [rows.count, featureIndices.count], data: x), y: y, kind: chosen,
            classNames: names, featureNames: featureIndices.map { columns[$0] })
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
