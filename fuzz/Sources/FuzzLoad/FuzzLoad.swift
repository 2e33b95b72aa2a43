import PsearchCore

/// `load`'s CSV reader on arbitrary bytes, with options chosen by the first three bytes; the
/// rest is the file. Any input must give a dataset that keeps the loader's promises or a
/// `DataError` with a message (and, for one naming a line, a line of the input): anything else
/// is a `fatalError`, which libFuzzer reports as a crash.
///
/// Option bytes (missing ones read as 0, so a seed is the file behind three zero bytes):
/// - byte 0, bits 0-1, the label: 0 the first line's last field (c<last> without a header),
///   1 its first field (c0), 2 `c<k>` with k = byte 1 bits 0-2, 3 a name no file has;
///   bit 2 `header: false`; bits 3-4 kind: guess, classification, regression, guess;
///   bit 5 a delimiter given (byte 1 bits 3-5 pick it), else sniffed; bit 6 a custom `na:`
///   list (byte 2 bits 0-1); bit 7 `classes:` given (byte 2 bits 2-3).
/// - byte 1, bit 6: `like:` a fixed train file (bit 7: the regression one, else the
///   classification), without kind and classes as the `load` built-in requires.
/// The option values are the ones the `load` built-in lets through (a delimiter other than a
/// quote or line break, at least two distinct class names).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoad(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let option = { (i: Int) -> UInt8 in i < size ? bytes[i] : 0 }
    let (b0, b1, b2) = (option(0), option(1), option(2))
    let file = size > 3 ? UnsafeBufferPointer(rebasing: bytes[3...]) : UnsafeBufferPointer(start: data, count: 0)
    // load(path:) refuses a file that is not UTF-8; the repaired text (U+FFFD for each bad
    // sequence) still exercises the parser on text that is not ASCII.
    let text = String(validating: file, as: UTF8.self) ?? String(decoding: file, as: UTF8.self)

    var o = CSVLoader.Options(label: "")
    o.header = b0 & 0b100 == 0
    if b0 & 0b10_0000 != 0 { o.delimiter = delimiters[Int(b1 >> 3) & 7] }
    o.label = label(mode: b0 & 3, index: Int(b1 & 7), header: o.header, text: text, delimiter: o.delimiter)
    if b1 & 0b100_0000 != 0 {
        o.like = b1 & 0b1000_0000 != 0 ? likeRegression : likeClassification
    } else {
        o.kind = [nil, .classification, .regression, nil][Int(b0 >> 3) & 3]
        if b0 & 0b1000_0000 != 0 && o.kind != .regression { o.classes = classLists[Int(b2 >> 2) & 3] }
    }
    if b0 & 0b100_0000 != 0 { o.na = naLists[Int(b2) & 3] }

    do throws(DataError) {
        let d = try CSVLoader.parse(text: text, name: "fuzz.csv", options: o)
        check(d, o, lines: lineCount(text))
    } catch {
        check(error, o, lines: lineCount(text))
    }
    return 0
}

private let delimiters: [Unicode.Scalar] = [",", "\t", ";", "|", " ", ":", "#", "é"]
private let naLists: [Set<String>] = [[], ["-", "?"], ["NA", "x", "0"], ["neg", "1", "nan"]]
private let classLists: [[String]] = [["neg", "pos"], ["0", "1", "2"], ["cat", "dog", "x", "y"], ["1.0", "2", "10"]]

/// The `like:` datasets, read once: small train files whose columns some seeds share.
private let likeClassification = fixed("x,y,sentiment\n1,2,neg\n3,4,pos\n5,6,neg\n", label: "sentiment")
private let likeRegression = fixed("a,b,label\n1,2,0.5\n3,4,1.5\n", label: "label")

private func fixed(_ text: String, label: String) -> Dataset {
    do throws(DataError) {
        return try CSVLoader.parse(text: text, name: "like.csv", label: label)
    } catch {
        fatalError("the fixed like: file does not load: \(error)")
    }
}

/// The label for `mode`: a field of the first line (split on the delimiter, trimmed and
/// unquoted as a header is; without a header the column's name c<i>), `c<index>`, or a name
/// that no column has.
private func label(mode: UInt8, index: Int, header: Bool, text: String, delimiter: Unicode.Scalar?) -> String {
    if mode == 2 { return "c\(index)" }
    if mode == 3 { return "\u{1}no such column" }
    var line = Substring(text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text))
    if let end = line.firstIndex(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) { line = line[..<end] }
    let d = delimiter ?? CSVLoader.sniffed.first { line.unicodeScalars.contains($0) } ?? ","
    let fields = line.split(separator: Character(d), omittingEmptySubsequences: false)
    guard header else { return mode == 0 ? "c\(fields.count - 1)" : "c0" }
    var field = String((mode == 0 ? fields.last : fields.first) ?? "")
    field = field.trimmingSpaces()
    if field.count >= 2 && field.hasPrefix("\"") && field.hasSuffix("\"") {
        field = String(field.dropFirst().dropLast()).replacingAll("\"\"", with: "\"")
    }
    return field
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let u = unicodeScalars
        let space: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        guard let a = u.firstIndex(where: { !space($0) }), let b = u.lastIndex(where: { !space($0) }) else { return "" }
        return String(self[a...b])
    }

    fileprivate func replacingAll(_ a: String, with b: String) -> String {
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

/// Lines of the file: one more than its line breaks (LF, CRLF and a lone CR each one).
private func lineCount(_ text: String) -> Int {
    var n = 1
    var afterCR = false
    for b in text.utf8 {
        if b == 0x0A { if !afterCR { n += 1 } } else if b == 0x0D { n += 1 }
        afterCR = b == 0x0D
    }
    return n
}

private func fail(_ what: String, _ o: CSVLoader.Options) -> Never {
    fatalError("load invariant: \(what) (label '\(o.label)', header \(o.header), kind \(String(describing: o.kind)), classes \(String(describing: o.classes)), delimiter \(String(describing: o.delimiter)), like \(o.like != nil))")
}

/// What a loaded dataset promises (CSVLoader's and Dataset's doc comments).
private func check(_ d: Dataset, _ o: CSVLoader.Options, lines: Int) {
    let (n, k) = (d.X.shape.first ?? 0, d.d)
    guard d.X.rank == 2, n >= 1, k >= 1, d.X.data.count == n * k else { fail("X is \(d.X.shape), \(d.X.data.count) numbers", o) }
    guard n + (o.header ? 1 : 0) <= lines else { fail("\(n) rows from \(lines) lines", o) }
    guard d.X.data.allSatisfy(\.isFinite) else { fail("a feature is not finite", o) }
    guard d.y.count == n else { fail("\(d.y.count) labels for \(n) rows", o) }
    guard d.featureNames.count == k, !d.featureNames.contains(o.label) else { fail("feature names \(d.featureNames)", o) }
    guard d.sampleShape == [k], d.scaling == nil else { fail("sample shape \(d.sampleShape)", o) }
    if let like = o.like {
        guard d.kind == like.kind, d.classNames == like.classNames, d.featureNames == like.featureNames else {
            fail("read like a \(like.kind) with \(like.featureNames) and classes \(like.classNames), got \(d.kind), \(d.featureNames), \(d.classNames)", o)
        }
    }
    if let kind = o.kind, d.kind != kind { fail("asked for \(kind), got \(d.kind)", o) }
    switch d.kind {
    case .regression:
        guard d.classNames.isEmpty, d.y.allSatisfy(\.isFinite) else { fail("regression targets \(d.y.prefix(8)), classes \(d.classNames)", o) }
    case .classification:
        let classes = d.classNames.count
        guard d.y.allSatisfy({ $0 >= 0 && $0 < Double(classes) && $0 == $0.rounded() && $0.sign == .plus }) else {
            fail("labels \(d.y.prefix(8)) outside 0..<\(classes)", o)
        }
        if let fixed = o.like?.classNames ?? o.classes {
            guard d.classNames == fixed else { fail("classes \(d.classNames), asked for \(fixed)", o) }
        } else {
            guard classes >= 1, !d.classNames.contains(""), Set(d.classNames).count == classes else {
                fail("derived class names \(d.classNames)", o)
            }
        }
    }
}

/// What a load error promises: a message, and a line of the file where it names one.
private func check(_ e: DataError, _ o: CSVLoader.Options, lines: Int) {
    guard !e.description.isEmpty else { fail("an empty message", o) }
    switch e {
    case .csv(let path, let line, _, let message):
        guard path == "fuzz.csv", !message.isEmpty else { fail("csv error '\(e)'", o) }
        guard line >= 1 && line <= lines else { fail("line \(line) of a file of \(lines) lines: \(e)", o) }
    case .missingLabelColumn(let path, let label, let columns):
        guard path == "fuzz.csv", label == o.label, !columns.contains(label), !columns.isEmpty else { fail("'\(e)'", o) }
    case .empty(let what):
        guard what.hasPrefix("'fuzz.csv'") else { fail("'\(e)'", o) }
    case .notAMatrix, .lengthMismatch, .badLabel, .badArgument, .unknownDataset, .cannotRead, .missingResource:
        // The loader builds the dataset itself: its own checks failing is a loader bug.
        fail("unexpected error '\(e)'", o)
    }
}
