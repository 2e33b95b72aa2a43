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

    public override var fieldNames: [String] { ["X", "y", "classes", "n", "d", "kind", "features", "shape"] }

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
        default: return nil
        }
    }
}

extension Builtins {
    /// Datasets: generated, bundled, loaded from CSV; splitting and scaling.
    static let data: [Builtin] = [
        Builtin(BuiltinSpec("dataset", "dataset(name, n: 200, noise: 0.1, classes: 3, d: 1, seed:)",
                            "a generated dataset: \"moons\", \"circles\", \"blobs\", \"xor\", \"spiral\" (classification) or \"linear\" (regression)",
                            example: "dataset(\"moons\", n: 100, seed: 1)",
                            params: ["name", "n", "noise", "classes", "d", "seed"], min: 1)) { c in
            let name = try c.choice("name", Generators.names, default: "moons")
            let n = try c.int("n", default: 200, min: 2, max: c.interp.limits.maxElements)
            let noise = try c.number("noise", default: 0.1)
            guard noise >= 0 && noise.isFinite else { throw c.bad("noise", "must be a number >= 0, got \(formatNumber(noise))") }
            let classes = try c.int("classes", default: 3, min: 2, max: 100)
            let d = try c.int("d", default: 1, min: 1, max: 10_000)
            try c.interp.checkSize([n, d])
            let seed = try seedArgument(&c)
            return try dataValue(origin: name) { () throws(DataError) in
                try Generators.generate(name, n: n, noise: noise, classes: classes, d: d, seed: seed)
            }
        },
        Builtin(BuiltinSpec("images", "images(n: 200, seed:)",
                            "generated 7x5 RGB pictures of dogs (0) and cats (1); each row of X is one image as 105 numbers",
                            example: "reshape(images(n: 10, seed: 1).X[0], 7, 5, 3)", params: ["n", "seed"], min: 0)) { c in
            let n = try c.int("n", default: 200, min: 2, max: c.interp.limits.maxElements / 105)
            let seed = try seedArgument(&c)
            return try dataValue(origin: "images") { () throws(DataError) in try Generators.images(n: n, seed: seed) }
        },
        Builtin(BuiltinSpec("digits", "digits()",
                            "the 1,797 8x8 handwritten digits scikit-learn ships (UCI, CC BY 4.0), pixels scaled to 0..1",
                            example: "digits().n", params: [])) { _ in
            try dataValue(origin: "digits") { () throws(DataError) in try Generators.digits() }
        },
        Builtin(BuiltinSpec("load", "load(file, label:, kind:, header: true)",
                            "a dataset from a CSV file: numeric columns are features, the label column the classes (or the targets with kind: \"regression\")",
                            example: "load(\"Tests/PsearchLangTests/cases/data/pets.csv\", label: \"species\")",
                            params: ["file", "label", "kind", "header"], min: 2)) { c in
            let path = try c.string("file")
            let label = try c.string("label")
            let kind = c.value("kind") == nil ? nil : Dataset.Kind(rawValue: try c.choice("kind", ["classification", "regression"], default: "classification"))
            let header = try c.bool("header", default: true)
            return try dataValue(origin: path) { () throws(DataError) in
                try CSVLoader.load(path: path, label: label, header: header, kind: kind)
            }
        },
        Builtin(BuiltinSpec("split", "split(data, test: 0.2, seed:)",
                            "shuffle and split a dataset into {train, test}, a fraction test of the rows in test",
                            example: "split(dataset(\"moons\"), 0.25, seed: 1).test.n", params: ["data", "test", "seed"], min: 1)) { c in
            let (d, origin) = try datasetArgument(c, "data")
            let fraction = try c.number("test", default: 0.2)
            guard fraction > 0 && fraction < 1 else { throw c.bad("test", "must be a fraction between 0 and 1, got \(formatNumber(fraction))") }
            let seed = try seedArgument(&c)
            do throws(DataError) {
                let (train, test) = try d.split(testFraction: fraction, seed: seed)
                return .record(Record([("train", .object(DatasetObject(train, origin: origin))),
                                       ("test", .object(DatasetObject(test, origin: origin)))]))
            } catch {
                throw RuntimeError(error.description)
            }
        },
        Builtin(BuiltinSpec("standardize", "standardize(data)",
                            "the dataset with every feature scaled to mean 0 and standard deviation 1",
                            example: "mean(standardize(dataset(\"linear\")).X)", params: ["data"])) { c in
            let (d, origin) = try datasetArgument(c, "data")
            return try dataValue(origin: origin) { () throws(DataError) in try d.standardized() }
        },
    ]

    /// `seed:` when given, else the next number of the session's generator, so that runs
    /// repeat while two calls in one run still differ.
    static func seedArgument(_ c: inout Call) throws(RuntimeError) -> UInt64 {
        if c.value("seed") != nil { return UInt64(try c.int("seed", max: Int(1 << 53))) }
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
