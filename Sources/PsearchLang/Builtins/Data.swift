import PsearchCore

/// A dataset as a psearch value: a native object over the core's `Dataset`, read through its
/// fields (`d.X`, `d.y`, `d.classes`, `d.n`, `d.d`, `d.kind`, `d.features`, `d.shape`).
///
/// Other families (plot) read the core value directly: `Builtins.dataset(from:)` accepts this
/// object or a record `{X, y}` (with optional `classes`, `kind`), so both kinds of value work
/// wherever a dataset is expected.
public final class DatasetObject: NativeObject {
    public let data: Dataset
    /// Where it came from ("moons", "digits", a file name), for the one-line summary.
    public let origin: String

    public init(_ data: Dataset, origin: String) {
        self.data = data
        self.origin = origin
    }

    public override var typeName: String { "dataset" }

    /// `<dataset moons: classification: 200 samples x 2 features, 2 classes (0, 1)>`.
    public override var description: String { "<dataset \(origin): \(data.summary)>" }

    public override var fieldNames: [String] {
        ["X", "y", "classes", "n", "d", "kind", "features", "shape"] + (data.scaling == nil ? [] : ["mean", "std"])
    }

    public override func field(_ name: String) -> Value? {
        switch name {
        case "X": return .tensor(data.X)
        case "y": return .tensor(Tensor(data.y))
        case "classes": return .list(data.classNames.map { .string($0) })
        case "n": return .number(Double(data.n))
        case "d": return .number(Double(data.d))
        case "kind": return .string(data.kind.rawValue)
        case "features": return .list(data.featureNames.map { .string($0) })
        case "shape": return .tensor(Tensor(data.sampleShape.map(Double.init)))
        case "mean": return data.scaling.map { .tensor(Tensor($0.mean)) }
        case "std": return data.scaling.map { .tensor(Tensor($0.std)) }
        default: return nil
        }
    }
}

extension Builtins {
    /// Datasets: generated, bundled, loaded from CSV; splitting and scaling.
    static let data: [Builtin] = [
        Builtin(BuiltinSpec("dataset",
                            "a generated dataset: \"moons\", \"circles\", \"blobs\", \"xor\", \"spiral\" (classification) or \"linear\" (regression)",
                            example: "dataset(\"moons\", n: 100, seed: 1)", [
                                Param("name", .choice(Generators.names)), Param("n", .int, default: 200, range: .elements(from: 2)),
                                Param("noise", .number, default: 0.1, range: .finiteNonNegative),
                                Param("classes", .int, default: 3, range: 2...100), Param("d", .int, default: 1, range: 1...10_000), .seed,
                            ])) { c in
            let name = try c.choice("name")
            let n = try c.int("n")
            let noise = try c.number("noise")
            let classes = try c.int("classes")
            let d = try c.int("d")
            try c.interp.checkSize([n, d])
            let seed = try seedArgument(&c)
            return try dataValue(origin: name) { () throws(DataError) in
                try Generators.generate(name, n: n, noise: noise, classes: classes, d: d, seed: seed)
            }
        },
        Builtin(BuiltinSpec("images",
                            "generated 7x5 RGB pictures of dogs (0) and cats (1); each row of X is one image as 105 numbers",
                            example: "reshape(images(n: 10, seed: 1).X[0], 7, 5, 3)",
                            [Param("n", .int, default: 200, range: .elements(from: 2, per: 105)), .seed])) { c in
            let n = try c.int("n")
            let seed = try seedArgument(&c)
            return try dataValue(origin: "images") { () throws(DataError) in try Generators.images(n: n, seed: seed) }
        },
        Builtin(BuiltinSpec("digits",
                            "the 1,797 8x8 handwritten digits scikit-learn ships (UCI, CC BY 4.0), pixels scaled to 0..1",
                            example: "digits().n", [])) { _ in
            try dataValue(origin: "digits") { () throws(DataError) in try Generators.digits() }
        },
        Builtin(BuiltinSpec("load",
                            "a dataset from a CSV file: numeric columns are features, the label column the classes (or the targets with kind: \"regression\"); like: another dataset reads a test file as its train file was",
                            example: "load(\"Tests/PsearchLangTests/cases/data/pets.csv\", label: \"species\")", [
                                Param("file", .string), Param("label", .string),
                                Param("kind", .choice(["classification", "regression"]), default: .optional),
                                Param("classes", .strings, default: .optional), Param("like", .dataset, default: .optional),
                                Param("delimiter", .string, default: .optional),
                                Param("header", .bool, default: .bool(CSVLoader.Options(label: "").header)), Param("na", .strings, default: .optional),
                            ])) { c in
            let path = try c.string("file")
            var o = CSVLoader.Options(label: try c.string("label"))
            if c.given("kind") {
                o.kind = Dataset.Kind(rawValue: try c.choice("kind"))
            }
            if c.given("classes") {
                let names = try stringList(c, "classes")
                guard names.count >= 2 else { throw c.bad("classes", "needs at least 2 class names, got \(names.count)") }
                guard Set(names).count == names.count else { throw c.bad("classes", "names a class twice") }
                guard o.kind != .regression else { throw c.bad("classes", "is for a classification, not kind: \"regression\"") }
                o.classes = names
            }
            if let v = c.value("like") {
                guard let (d, _) = try dataset(from: v) else {
                    throw c.bad("like", "dataset expected (the one whose classes and columns to follow), got \(v.typeName)")
                }
                guard !c.given("kind") && !c.given("classes") else {
                    throw c.bad("like", "takes kind and classes from the dataset: give like: without kind: or classes:")
                }
                o.like = d
            }
            if c.given("delimiter") {
                let d = try c.string("delimiter")
                guard d.unicodeScalars.count == 1, let u = d.unicodeScalars.first, !"\"\r\n".unicodeScalars.contains(u) else {
                    throw c.bad("delimiter", "must be one character other than a quote or a line break, got \(Value.string(d).repr)")
                }
                o.delimiter = u
            }
            o.header = try c.bool("header")
            if c.given("na") { o.na = Set(try stringList(c, "na")) }
            let options = o
            return try dataValue(origin: path) { () throws(DataError) in try CSVLoader.load(path: path, options: options) }
        },
        Builtin(BuiltinSpec("split",
                            "shuffle and split a dataset into {train, test}, a fraction test of the rows in test; stratify: true keeps each class's share on both sides",
                            example: "split(dataset(\"moons\"), 0.25, seed: 1, stratify: true).test.n", [
                                Param("data", .dataset),
                                Param("test", .number, default: 0.2, range: Param.Range("0 < test < 1", "must be a fraction between 0 and 1") { $0 > 0 && $0 < 1 }),
                                .seed, Param("stratify", .bool, default: false),
                            ])) { c in
            let (d, origin) = try datasetArgument(c, "data")
            let fraction = try c.number("test")
            let seed = try seedArgument(&c)
            let stratify = try c.bool("stratify")
            if stratify && d.kind == .regression { throw c.bad("stratify", "needs a classification; this dataset is a regression") }
            do throws(DataError) {
                let (train, test) = try d.split(testFraction: fraction, seed: seed, stratify: stratify)
                return .record(Record([("train", .object(DatasetObject(train, origin: origin))),
                                       ("test", .object(DatasetObject(test, origin: origin)))]))
            } catch {
                throw RuntimeError(error.description)
            }
        },
        Builtin(BuiltinSpec("standardize",
                            "the dataset with every feature scaled to mean 0 and standard deviation 1, remembering the means and deviations (fields mean, std); like: train scales by the train set's numbers instead of the data's own",
                            example: "standardize(dataset(\"linear\", seed: 2), like: dataset(\"linear\", seed: 1)).X[0]",
                            [Param("data", .dataset), Param("like", .dataset, default: .optional)])) { c in
            let (d, origin) = try datasetArgument(c, "data")
            guard let v = c.value("like") else {
                return try dataValue(origin: origin) { () throws(DataError) in try d.standardized() }
            }
            guard let (reference, _) = try dataset(from: v) else {
                throw c.bad("like", "dataset expected (the train set whose means and deviations to use), got \(v.typeName)")
            }
            do throws(DataError) {
                return .object(DatasetObject(try d.standardized(like: reference), origin: origin))
            } catch {
                throw c.bad("like", error.description)
            }
        },
    ]

    /// The argument `name` as a list of strings.
    static func stringList(_ c: Call, _ name: String) throws(RuntimeError) -> [String] {
        let v = try c.required(name)
        guard case .list(let items) = v else { throw c.bad(name, "list of strings expected, got \(v.typeName)") }
        return try items.map { (item: Value) throws(RuntimeError) -> String in
            guard case .string(let s) = item else { throw c.bad(name, "list of strings expected, found \(item.typeName) \(item.repr)") }
            return s
        }
    }

    /// `seed:` when given, else the next number of the session's generator, so that runs
    /// repeat while two calls in one run still differ.
    static func seedArgument(_ c: inout Call) throws(RuntimeError) -> UInt64 {
        if c.given("seed") { return UInt64(try c.int("seed")) }
        return c.interp.random.next()
    }

    static func dataValue(origin: String, _ make: () throws(DataError) -> Dataset) throws(RuntimeError) -> Value {
        do {
            return .object(DatasetObject(try make(), origin: origin))
        } catch {
            throw RuntimeError(error.description)
        }
    }

    /// The dataset argument `name`: a dataset value or a record `{X, y}`.
    static func datasetArgument(_ c: Call, _ name: String) throws(RuntimeError) -> (Dataset, String) {
        let v = try c.required(name)
        let d: (Dataset, String)?
        do { d = try dataset(from: v) } catch { throw c.bad(name, error.message) }
        guard let d else {
            throw c.bad(name, "dataset expected (from dataset, images, digits, load, or a record {X, y}), got \(v.typeName)")
        }
        return d
    }

    /// The dataset argument `name` for a model: every feature must be finite, as
    /// scikit-learn demands (a nan trains to nan weights and a "diverged" note otherwise).
    static func modelData(_ c: Call, _ name: String) throws(RuntimeError) -> (Dataset, String) {
        let (d, origin) = try datasetArgument(c, name)
        if let (row, feature, v) = d.firstNonFinite {
            throw c.bad(name, "row \(row), feature '\(feature)' is \(formatNumber(v)): a model cannot learn from nan or infinity; drop or fill it")
        }
        return (d, origin)
    }

    /// A core dataset from a dataset value or a record `{X: n x d matrix, y: vector}` (optional
    /// `classes`: names; `kind`: "classification" or "regression", else guessed: whole labels
    /// 0 ... 999 are classes). nil when the value is neither; an error when the record is bad.
    public static func dataset(from v: Value) throws(RuntimeError) -> (Dataset, String)? {
        switch v {
        case .object(let o as DatasetObject):
            return (o.data, o.origin)
        case .record(let r):
            guard case .tensor(let X)? = r["X"] else { throw RuntimeError("a dataset record needs a field X (an n x d matrix)") }
            guard let yv = r["y"], case .tensor(let yt) = yv, yt.rank == 1 else {
                throw RuntimeError("a dataset record needs a field y (a vector)")
            }
            var names: [String]? = nil
            if let cv = r["classes"] {
                guard case .list(let items) = cv else { throw RuntimeError("field classes must be a list of names, got \(cv.typeName)") }
                names = items.map(\.display)
            }
            var kind: Dataset.Kind
            if let kv = r["kind"] {
                guard case .string(let s) = kv, let k = Dataset.Kind(rawValue: s) else {
                    throw RuntimeError("field kind must be \"classification\" or \"regression\", got \(kv.repr)")
                }
                kind = k
            } else {
                let whole = yt.data.allSatisfy { $0 >= 0 && $0 < 1000 && $0 == $0.rounded() }
                kind = whole || names != nil ? .classification : .regression
            }
            if kind == .classification && names == nil {
                // Checked before Int(): a label of 1e300 or nan would trap, one of 1e9 would
                // name a billion classes.
                if let bad = yt.data.first(where: { !($0 >= 0 && $0 < 1000 && $0 == $0.rounded()) }) {
                    throw RuntimeError("class labels must be whole numbers 0 to 999, got \(formatNumber(bad))")
                }
                let k = Int(yt.data.max() ?? 0) + 1
                names = (0..<max(k, 2)).map(String.init)
            }
            do {
                return (try Dataset(X: X, y: yt.data, kind: kind, classNames: kind == .classification ? names! : []), "record")
            } catch {
                throw RuntimeError(error.description)
            }
        default:
            return nil
        }
    }
}
