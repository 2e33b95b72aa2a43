import Foundation
import Testing
@testable import PsearchCore

/// The loader beside pandas.read_csv on the edge-case files in csv-edge/: pandas' answer for
/// each (pandas.json, written by scripts/csv-edge-pandas.py with pandas 3.1.1) is the reference.
/// A file psearch reads must give pandas' cells; a file psearch reads differently or refuses is
/// listed with the reason, and the test checks that it still does exactly that.
@Suite struct PandasCSVTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("csv-edge")

    /// What psearch does with one file, read with `label` as the label column.
    enum Reading {
        /// Feature columns and labels agree with pandas' cells.
        case same(label: String)
        /// Agree with pandas except for the column names given (psearch's spelling).
        case renamed(label: String, features: [String], because: String)
        /// psearch refuses the file with this message.
        case refused(label: String, message: String, because: String)
    }

    static let readings: [String: Reading] = [
        "big_ints.csv": .same(label: "big"),
        "blank_lines.csv": .same(label: "b"),
        "bom.csv": .same(label: "b"),
        "booleans.csv": .refused(
            label: "t", message: "booleans.csv:2: column 'mixed': 'True' is not a number",
            because: "pandas reads True/False as bool and keeps a column of text and numbers as text; a model needs numbers, and a column with any number in it is a numeric column to psearch, so its first text cell is named"),
        "crlf.csv": .same(label: "b"),
        "duplicate_header.csv": .same(label: "a.2"),
        "duplicate_header_lookahead.csv": .same(label: "y"),
        "empty_file.csv": .refused(label: "x", message: "'empty_file.csv' is empty", because: "pandas refuses it too (EmptyDataError)"),
        "escaped_quotes.csv": .same(label: "text"),
        "exponent.csv": .same(label: "underscore"),
        "header_only.csv": .refused(
            label: "c", message: "'header_only.csv' (no data rows) is empty",
            because: "pandas gives a frame of 0 rows; a dataset with no rows cannot be trained or scored"),
        "hex.csv": .same(label: "a"),
        "huge_label.csv": .same(label: "label"),
        "inf_cells.csv": .refused(
            label: "id", message: "inf_cells.csv:2: column 'v': 'inf' is infinite: a model cannot learn from it",
            because: "pandas reads inf, -inf, +inf and Infinity as floats; scikit-learn then refuses them in X ('Input X contains infinity'); psearch refuses them at load and names the cell"),
        "leading_zeros.csv": .same(label: "n"),
        "mixed_text_numbers.csv": .refused(
            label: "b", message: "mixed_text_numbers.csv:4: column 'a': 'three' is not a number",
            because: "pandas keeps the column as text (dtype str); psearch names the cell that is not a number"),
        "na_cells.csv": .refused(
            label: "id", message: "na_cells.csv:2: column 'v': missing value",
            because: "pandas reads its NA spellings as NaN; scikit-learn refuses NaN in X ('Input X contains NaN'); psearch refuses at load, naming the first such cell"),
        "no_final_newline.csv": .same(label: "b"),
        "quoted_comma.csv": .same(label: "name"),
        "quoted_newline.csv": .same(label: "n"),
        "quoted_numbers.csv": .same(label: "b"),
        "ragged_long.csv": .refused(
            label: "b", message: "ragged_long.csv:3: expected 2 fields, found 3",
            because: "pandas refuses it too, on the same line ('Expected 2 fields in line 3, saw 3')"),
        "ragged_short.csv": .refused(
            label: "a", message: "ragged_short.csv:3: expected 3 fields, found 2",
            because: "pandas fills the missing cells with NaN, which scikit-learn would then refuse; a short row is more often a broken file than a missing value"),
        "semicolon_delim.csv": .same(label: "c"),
        "tab_delim.tsv": .same(label: "c"),
        "trailing_comma.csv": .same(label: "b"),
        "whitespace.csv": .same(label: "c"),
        "unicode_header.csv": .renamed(
            label: "漢字", features: ["café", "cafe\u{301}.1"],
            because: "'café' and 'cafe\u{301}' are two columns to pandas (Python compares code points) but the same name to psearch, whose strings compare by canonical equivalence (grammar.md), so the second is renamed as a repeated name is"),
    ]

    /// One file's answer, its columns in pandas' order. A column is found by its name's code
    /// points, as pandas compares names: 'café' and 'cafe\u{301}' are two columns there.
    struct Reference {
        struct Column { let name: String; let dtype: String; let values: [Any] }
        let columns: [Column]
        let error: String?

        func column(_ name: String) -> Column? { columns.first { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) } }
    }

    static func reference() throws -> (pandas: String, files: [String: Reference]) {
        let data = try Data(contentsOf: dir.appendingPathComponent("pandas.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try #require(json["files"] as? [String: [String: Any]])
        var out = [String: Reference]()
        for (name, f) in files {
            let columns = (f["columns"] as? [[String: Any]] ?? []).map {
                Reference.Column(name: $0["name"] as! String, dtype: $0["dtype"] as! String, values: $0["values"] as! [Any])
            }
            out[name] = Reference(columns: columns, error: f["error"] as? String)
        }
        return (try #require(json["pandas"] as? String), out)
    }

    /// A pandas cell as a number: ints are strings of the exact integer, floats JSON numbers,
    /// infinities the strings "inf"/"-inf", NaN null.
    static func number(_ cell: Any, dtype: String) -> Double? {
        switch dtype {
        case "int64", "uint64": return (cell as? String).flatMap(Double.init)
        case "float64":
            if let s = cell as? String { return s == "inf" ? .infinity : s == "-inf" ? -.infinity : nil }
            return (cell as? NSNumber)?.doubleValue
        default: return nil
        }
    }

    @Test func everyFileIsListed() throws {
        let (version, files) = try Self.reference()
        #expect(version == "3.1.1")
        let csvs = try FileManager.default.contentsOfDirectory(atPath: Self.dir.path).filter { !$0.hasSuffix(".json") }
        #expect(Set(csvs) == Set(files.keys), "pandas.json is stale: rerun scripts/csv-edge-pandas.py")
        #expect(Set(Self.readings.keys) == Set(files.keys))
    }

    @Test(arguments: readings.keys.sorted())
    func agreesWithPandas(file: String) throws {
        let ref = try #require(try Self.reference().files[file])
        let path = Self.dir.appendingPathComponent(file).path
        switch Self.readings[file]! {
        case .refused(let label, let message, _):
            #expect(throws: DataError.self) { try CSVLoader.load(path: path, options: .init(label: label)) }
            do {
                _ = try CSVLoader.load(path: path, options: .init(label: label))
            } catch {
                // The path in the message is the one given; compare from the file name on.
                let text = error.description.replacingOccurrences(of: Self.dir.path + "/", with: "")
                #expect(text.hasPrefix(message), "\(text)")
            }
        case .same(let label):
            try compare(file: file, path: path, label: label, ref: ref, features: nil)
        case .renamed(let label, let features, _):
            try compare(file: file, path: path, label: label, ref: ref, features: features)
        }
    }

    func compare(file: String, path: String, label: String, ref: Reference, features: [String]?) throws {
        #expect(ref.error == nil)
        let d = try CSVLoader.load(path: path, options: .init(label: label))
        // psearch's features: pandas' numeric columns other than the label with a value in them
        // (a text column is not a feature; an all-empty column, as a trailing comma makes, is none).
        let labelColumn = try #require(ref.column(label))
        let numeric = ref.columns.filter { c in
            c.name != label && ["int64", "uint64", "float64"].contains(c.dtype) && c.values.contains { !($0 is NSNull) }
        }
        #expect(d.featureNames == (features ?? numeric.map(\.name)), "\(file)")
        #expect(d.n == labelColumn.values.count)
        for (j, c) in numeric.enumerated() where j < d.d {
            for (i, cell) in c.values.enumerated() {
                let v = try #require(Self.number(cell, dtype: c.dtype), "\(file) \(c.name)[\(i)]")
                #expect(d.X[i, j] == v, "\(file) row \(i) column \(c.name): psearch \(d.X[i, j]), pandas \(v)")
            }
        }
        let dtype = labelColumn.dtype
        for (i, cell) in labelColumn.values.enumerated() {
            switch d.kind {
            case .regression:
                #expect(d.y[i] == Self.number(cell, dtype: dtype), "\(file) label row \(i)")
            case .classification:
                let name = d.classNames[Int(d.y[i])]
                if let v = Self.number(cell, dtype: dtype) {
                    #expect(CSVLoader.number(name) == v, "\(file) label row \(i): class '\(name)', pandas \(v)")
                } else {
                    #expect(name == cell as? String, "\(file) label row \(i)")
                }
            }
        }
        if d.kind == .classification, dtype == "str" {
            // Text classes in sorted order, as scikit-learn's LabelEncoder numbers them.
            let texts = labelColumn.values.compactMap { $0 as? String }
            #expect(d.classNames == Array(Set(texts)).sorted())
        }
    }

    @Test func headerNamesFollowPandasCReader() {
        // Each expected list is what pandas 3.1.1's read_csv names that header.
        #expect(CSVLoader.headerNames(["a", "a", "b", "a"]) == ["a", "a.1", "b", "a.2"])
        #expect(CSVLoader.headerNames(["a", "a.1", "a"]) == ["a", "a.1", "a.2"])
        #expect(CSVLoader.headerNames(["a", "a", "a.1"]) == ["a", "a.2", "a.1"])
        #expect(CSVLoader.headerNames(["", "x", ""]) == ["Unnamed: 0", "x", "Unnamed: 2"])
        #expect(CSVLoader.headerNames(["a", "", "a"]) == ["a", "Unnamed: 1", "a.1"])
        #expect(CSVLoader.headerNames(["x", "x.1", "x", "x.1"]) == ["x", "x.1", "x.2", "x.1.1"])
    }
}
