import PsearchCore

extension Builtins {
    /// Output, conversion, inspection, assertions and randomness.
    static let core: [Builtin] = [
        Builtin(BuiltinSpec("print", "write the values separated by spaces, then a newline", example: "print(\"x =\", 1 + 2)",
                            [Param("values", .any, default: .optional, variadic: true)])) { c in
            try c.interp.write(c.args.positional.map(\.display).joined(separator: " ") + "\n")
            return .none
        },
        Builtin(BuiltinSpec("echo",
                            "write x as the prompt echoes it: results as a summary, long vectors, lists and records shortened to fit width columns and 20 lines (print writes the whole text)",
                            example: "echo(linspace(0, 1, 1000))",
                            [Param("x", .any), Param("width", .int, default: 80, range: 24...1000)])) { c in
            try c.interp.write(Echo(width: try c.int("width")).text(try c.required("x")) + "\n")
            return .none
        },
        Builtin(BuiltinSpec("str", "the text print would show for x", example: "str(0.1 + 0.2)", [Param("x", .any)])) { c in
            .string(try c.required("x").display)
        },
        Builtin(BuiltinSpec("num",
                            "the number a string spells: decimal digits with an optional sign, fraction and exponent (\"3.5\", \"-2e-3\"), or inf, -inf, nan, spaces at the ends ignored; num(str(x)) == x for every number x",
                            example: "num(\"3.5\") * 2", [Param("s", .any)])) { c in
            let v = try c.required("s")
            if case .number = v { return v }
            guard case .string(let s) = v else { throw c.bad("s", "string expected, got \(v.typeName)") }
            guard let x = number(s) else {
                throw c.bad("s", "'\(s.count > 40 ? s.prefix(40) + "…" : s)' is not a number (decimal digits, e.g. \"3.5\" or \"-2e-3\", or inf, -inf, nan)")
            }
            return .number(x)
        },
        Builtin(BuiltinSpec("clock",
                            "seconds on a monotonic clock since the session started: subtract two readings to time a piece of a script",
                            example: "clock() >= 0", [])) { c in
            .number(c.interp.started.duration(to: .now).seconds)
        },
        Builtin(BuiltinSpec("type", "the type of x: number, bool, string, nil, vector, matrix, tensor, list, record, range, function",
                            example: "type([1, 2])", [Param("x", .any)])) { c in
            .string(try c.required("x").typeName)
        },
        Builtin(BuiltinSpec("len", "number of elements of a vector, list, string or range; rows of a matrix; fields of a record",
                            example: "len([4, 5, 6])", [Param("x", .any)]), single: length) { c in
            let v = try c.required("x")
            guard let n = length(v) else { throw c.bad("x", "vector, list, string, record or range expected, got \(v.typeName)") }
            return n
        },
        Builtin(BuiltinSpec("push", "xs with x appended, as the list [xs..., x] would be written: a vector while every element is a number, a matrix while the rows are vectors of one length",
                            example: "push([1, 2], 3)", [Param("xs", .any), Param("x", .any)])) { c in
            let xs = try c.required("xs"), x = try c.required("x")
            // The common case, a vector growing by a number, without boxing every element.
            if case .tensor(let t) = xs, t.rank == 1, case .number(let v) = x {
                try c.charge(Double(t.count))
                return .tensor(Tensor(t.data + [v]))
            }
            let items = try elements(c, "xs", xs)
            try c.charge(Double(items.count))
            return try ArrayNode.build(items + [x], c.interp)
        },
        Builtin(BuiltinSpec("concat", "the elements of a followed by those of b, as the list [a..., b...] would be written",
                            example: "concat([1, 2], [3, 4])", [Param("a", .any), Param("b", .any)])) { c in
            let a = try c.required("a"), b = try c.required("b")
            if case .tensor(let s) = a, case .tensor(let t) = b, s.rank == 1, t.rank == 1 {
                try c.charge(Double(s.count + t.count))
                return .tensor(Tensor(s.data + t.data))
            }
            let items = try elements(c, "a", a) + elements(c, "b", b)
            try c.charge(Double(items.count))
            return try ArrayNode.build(items, c.interp)
        },
        Builtin(BuiltinSpec("shape", "the dimensions of a tensor as a vector", example: "shape(zeros(7, 5, 3))", [Param("x", .any)])) { c in
            let v = try c.required("x")
            switch v {
            case .tensor(let t): return .tensor(Tensor(t.shape.map(Double.init)))
            case .number: return .tensor(Tensor([]))
            case .range(let lo, let hi): return .tensor(Tensor([rangeCount(lo, hi)]))
            case .list(let l): return .tensor(Tensor([Double(l.count)]))
            default: throw c.bad("x", "tensor expected, got \(v.typeName)")
            }
        },
        Builtin(BuiltinSpec("assert", "stop with an error when the condition is false", example: "assert(1 + 1 == 2, \"arithmetic\")",
                            [Param("condition", .bool), Param("message", .string, default: .optional, shownBare: true)])) { c in
            if !(try c.bool("condition")) {
                let m = c.given("message") ? try c.string("message") : nil
                throw RuntimeError(m.map { "assertion failed: \($0)" } ?? "assertion failed", argument: 0)
            }
            return .none
        },
        Builtin(BuiltinSpec("seed", "restart the random generator from seed n (every run starts from seed 42)", example: "seed(7); rand()",
                            [Param("n", .int, range: .seeds)])) { c in
            let n = try c.int("n")
            c.interp.random = Random(seed: UInt64(n))
            return .none
        },
        Builtin(BuiltinSpec("rand", "uniform random numbers in [0, 1): a number, or a tensor of the given shape", example: "rand(3)",
                            [Param("dims", .any, default: .optional, variadic: true)])) { c in
            try randomTensor(&c) { $0.uniform() }
        },
        Builtin(BuiltinSpec("randn", "standard normal random numbers: a number, or a tensor of the given shape", example: "randn(2, 2)",
                            [Param("dims", .any, default: .optional, variadic: true)])) { c in
            try randomTensor(&c) { $0.normal() }
        },
    ]

    /// The elements `push` and `concat` join: a list's items, a vector's numbers, a matrix's rows.
    static func elements(_ c: Call, _ name: String, _ v: Value) throws -> [Value] {
        switch try c.interp.materialize(v) {
        case .list(let items): return items
        case .tensor(let t) where t.rank == 1: return t.data.map { .number($0) }
        case .tensor(let t) where t.rank >= 2:
            let rowShape = Array(t.shape.dropFirst()), n = t.count / t.shape[0]
            return (0..<t.shape[0]).map { i in .tensor(Tensor(shape: rowShape, data: Array(t.data[(i * n)..<((i + 1) * n)]))) }
        default:
            throw c.bad(name, "a list or vector expected, got \(v.typeName)" + (v.typeName == "string" ? "; join strings with +" : ""))
        }
    }

    static func length(_ v: Value) -> Value? {
        switch v {
        case .tensor(let t): return .number(Double(t.rank == 0 ? 1 : t.shape[0]))
        case .list(let l): return .number(Double(l.count))
        case .string(let s): return .number(Double(s.count))
        case .record(let r): return .number(Double(r.names.count))
        case .object(let o) where o.isRecordLike: return .number(Double(o.fieldNames.count))
        case .range(let lo, let hi): return .number(rangeCount(lo, hi))
        default: return nil
        }
    }

    static func randomTensor(_ c: inout Call, _ draw: (inout Random) -> Double) throws -> Value {
        if c.count == 0 { return .number(draw(&c.interp.random)) }
        let shape = try dims(c)
        var data = [Double](repeating: 0, count: Tensor.count(of: shape))
        for i in data.indices { data[i] = draw(&c.interp.random) }
        return .tensor(Tensor(shape: shape, data: data))
    }

    /// A shape from the positional arguments: `zeros(7, 5, 3)`, `zeros([7, 5, 3])`, `zeros(shape(x))`.
    static func dims(_ c: Call, from first: Int = 0) throws(RuntimeError) -> [Int] {
        var shape: [Int] = []
        for i in first..<c.count {
            let v = c.args.positional[i]
            switch v {
            case .number(let x):
                shape.append(try checkedInt(x, min: 0, max: Int.max / 2) { m throws(RuntimeError) in throw c.bad(i, "dimension: \(m)") })
            case .tensor(let t) where t.rank == 1:
                for x in t.data {
                    shape.append(try checkedInt(x, min: 0, max: Int.max / 2) { m throws(RuntimeError) in throw c.bad(i, "dimension: \(m)") })
                }
            default:
                throw c.bad(i, "dimension expected (a whole number or a vector of them), got \(v.typeName)")
            }
        }
        do { try c.interp.checkSize(shape) } catch { throw RuntimeError(error.message, argument: first, notes: error.notes) }
        return shape
    }
}

/// What `num` reads: a decimal number as a CSV file holds one (no hex, no `_`), or the
/// spellings `str` gives the non-finite numbers.
private func number(_ text: String) -> Double? {
    let s = text.trimmingSpaces
    switch s {
    case "inf", "+inf": return .infinity
    case "-inf": return -.infinity
    case "nan", "+nan", "-nan": return .nan
    default: return CSVLoader.number(s)
    }
}

extension Duration {
    /// The duration in seconds, attoseconds included.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let u = utf8
        let space: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let a = u.firstIndex(where: { !space($0) }), let b = u.lastIndex(where: { !space($0) }) else { return "" }
        return String(self[a...b])
    }
}
