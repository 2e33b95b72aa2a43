import PsearchCore

/// Reading and writing `v[i]`, `m[i, j]`, `v[a..b]` and `r.name`.
///
/// Every number used as an index or a count is checked before it becomes an `Int`: Swift traps
/// on converting nan, inf, or a Double beyond Int's range, and a psearch error must never crash.
enum Indexing {
    /// A whole-number index into `count` elements; negative indices count from the end.
    static func index(_ v: Value, count: Int, of what: String) throws(RuntimeError) -> Int {
        guard case .number(let x) = v else { throw RuntimeError("index must be a number, got \(v.typeName)") }
        guard x.isFinite, x == x.rounded() else { throw RuntimeError("index must be a whole number, got \(formatNumber(x))") }
        let i = x < 0 ? x + Double(count) : x
        guard i >= 0 && i < Double(count) else {
            throw RuntimeError("index \(formatNumber(x)) is out of range for \(what) of length \(count)")
        }
        return Int(i)
    }

    /// The half-open bounds of a slice `a..b` into `count` elements (negative bounds from the end).
    static func slice(_ lo: Double, _ hi: Double, count: Int, of what: String) throws(RuntimeError) -> Range<Int> {
        func bound(_ x: Double) throws(RuntimeError) -> Int {
            guard x.isFinite, x == x.rounded() else { throw RuntimeError("slice bound must be a whole number, got \(formatNumber(x))") }
            let b = x < 0 ? x + Double(count) : x
            guard b >= 0 && b <= Double(count) else {
                throw RuntimeError("slice \(formatNumber(lo))..\(formatNumber(hi)) is out of range for \(what) of length \(count)")
            }
            return Int(b)
        }
        let a = try bound(lo), b = try bound(hi)
        return a..<max(a, b)
    }

    enum Key {
        case at(Int)
        case span(Range<Int>)
    }

    static func keys(_ keys: [Value], shape: [Int], what: String) throws(RuntimeError) -> [Key] {
        guard keys.count <= shape.count else {
            throw RuntimeError("\(keys.count) indices for \(article(what)) with \(shape.count) \(shape.count == 1 ? "axis" : "axes")")
        }
        var out: [Key] = []
        for (axis, k) in keys.enumerated() {
            let name = shape.count == 1 ? what : "axis \(axis)"
            if case .range(let lo, let hi) = k {
                out.append(.span(try slice(lo, hi, count: shape[axis], of: name)))
            } else {
                out.append(.at(try index(k, count: shape[axis], of: name)))
            }
        }
        return out
    }

    static func get(_ v: Value, _ keys: [Value], _ node: IndexNode, _ ip: Interpreter) throws -> Value {
        do {
            return try get(v, keys, ip)
        } catch var e as RuntimeError {
            if e.range == nil { e.range = node.range }
            throw e
        }
    }

    static func get(_ v: Value, _ keys: [Value], _ ip: Interpreter) throws -> Value {
        switch v {
        case .tensor(let t):
            let ks = try Indexing.keys(keys, shape: t.shape, what: v.typeName)
            return gather(t, ks)
        case .list(let items):
            guard keys.count == 1 else { throw RuntimeError("a list takes one index, got \(keys.count)") }
            if case .range(let lo, let hi) = keys[0] {
                return .list(Array(items[try slice(lo, hi, count: items.count, of: "list")]))
            }
            return items[try index(keys[0], count: items.count, of: "list")]
        case .string(let s):
            guard keys.count == 1 else { throw RuntimeError("a string takes one index, got \(keys.count)") }
            let chars = Array(s)
            if case .range(let lo, let hi) = keys[0] {
                return .string(String(chars[try slice(lo, hi, count: chars.count, of: "string")]))
            }
            return .string(String(chars[try index(keys[0], count: chars.count, of: "string")]))
        case .range:
            return try get(try ip.materialize(v), keys, ip)
        case .record(let r):
            guard keys.count == 1, case .string(let name) = keys[0] else {
                throw RuntimeError("a record is indexed by a field name string: r[\"name\"], or read with r.name")
            }
            guard let f = r[name] else { throw missingField(name, r.names, "record") }
            return f
        case .object(let o) where o.isRecordLike:
            guard keys.count == 1, case .string(let name) = keys[0] else {
                throw RuntimeError("a record is indexed by a field name string: r[\"name\"], or read with r.name")
            }
            guard let f = try o.field(name) else { throw missingField(name, o.fieldNames, "record") }
            return f
        default:
            if let r = try Traced.index(v, keys) { return r }
            throw RuntimeError("cannot index \(article(v.typeName))")
        }
    }

    /// The flat offsets of the elements that per-axis keys select (trailing axes taken whole),
    /// in row-major order, and the shape of the selection (axes indexed by a number drop out).
    static func selection(_ t: Tensor, _ ks: [Key]) -> (positions: [Int], shape: [Int]) {
        var axes: [[Int]] = []
        var shape: [Int] = []
        for axis in 0..<t.rank {
            if axis < ks.count {
                switch ks[axis] {
                case .at(let i): axes.append([i])
                case .span(let r):
                    axes.append(Array(r))
                    shape.append(r.count)
                }
            } else {
                axes.append(Array(0..<t.shape[axis]))
                shape.append(t.shape[axis])
            }
        }
        var strides = [Int](repeating: 1, count: t.rank)
        for k in stride(from: t.rank - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * t.shape[k + 1] }
        var positions: [Int] = []
        positions.reserveCapacity(axes.reduce(1) { $0 * $1.count })
        func walk(_ axis: Int, _ offset: Int) {
            if axis == t.rank {
                positions.append(offset)
                return
            }
            for i in axes[axis] { walk(axis + 1, offset + i * strides[axis]) }
        }
        walk(0, 0)
        return (positions, shape)
    }

    /// The sub-tensor selected by per-axis keys: a number when every axis is indexed.
    static func gather(_ t: Tensor, _ ks: [Key]) -> Value {
        let (positions, shape) = selection(t, ks)
        if shape.isEmpty { return .number(t.data[positions[0]]) }
        return .tensor(Tensor(shape: shape, data: positions.map { t.data[$0] }))
    }

    static func field(_ v: Value, _ name: String, _ range: SourceRange) throws -> Value {
        switch v {
        case .record(let r):
            if let f = r[name] { return f }
            var e = missingField(name, r.names, "record")
            e.range = range
            throw e
        case .object(let o):
            if let f = try o.field(name) { return f }
            var e = missingField(name, o.fieldNames, o.typeName)
            e.range = range
            throw e
        default:
            throw RuntimeError("\(article(v.typeName)) has no fields (reading '.\(name)')", at: range)
        }
    }

    static func missingField(_ name: String, _ names: [String], _ what: String) -> RuntimeError {
        var notes: [Diagnostic.Note] = []
        if let s = closest(name, among: names) { notes.append(Diagnostic.Note("did you mean '\(s)'?")) }
        let list = names.isEmpty ? "it has none" : "it has " + names.joined(separator: ", ")
        return RuntimeError("\(what) has no field '\(name)' (\(list))", notes: notes)
    }

    // MARK: - Assignment

    static func set(_ base: inout Value, _ path: ArraySlice<StorePathNode.PathStep>, _ keys: ArraySlice<[Value]>,
                    _ value: Value, _ ip: Interpreter) throws {
        // Writing into a result makes it the plain record of its fields (a copy: others holding
        // the result see it unchanged).
        if case .object(let o) = base, o.isRecordLike { base = .record(try o.asRecord()) }
        let step = path.first!
        let rest = path.dropFirst(), restKeys = keys.dropFirst()
        switch step {
        case .field(let name, let r):
            guard var rec = base.takeRecord() else {
                throw RuntimeError("cannot set field '\(name)' on \(article(base.typeName))", at: r)
            }
            defer { base = .record(rec) }
            try setField(&rec, name, rest, restKeys, value, ip, r)
        case .index(_, let r):
            let k = keys.first!
            do {
                if var t = base.takeTensor() {
                    defer { base = .tensor(t) }
                    // `m[i][j] = x` is `m[i, j] = x`: later index steps add axes.
                    var all = k
                    for (step, more) in zip(rest, restKeys) {
                        guard case .index = step else { throw RuntimeError("a tensor has no fields") }
                        all += more
                    }
                    try store(&t, all, value)
                } else if var items = base.takeList() {
                    defer { base = .list(items) }
                    guard k.count == 1 else { throw RuntimeError("a list takes one index, got \(k.count)") }
                    let i = try index(k[0], count: items.count, of: "list")
                    if rest.isEmpty {
                        items[i] = value
                    } else {
                        var inner = items[i]
                        items[i] = .none
                        defer { items[i] = inner }
                        try set(&inner, rest, restKeys, value, ip)
                    }
                } else if case .record = base {
                    guard k.count == 1, case .string(let name) = k[0] else {
                        throw RuntimeError("a record is indexed by a field name string")
                    }
                    var rec = base.takeRecord()!
                    defer { base = .record(rec) }
                    try setField(&rec, name, rest, restKeys, value, ip, r)
                } else if case .range = base {
                    base = try ip.materialize(base)
                    try set(&base, path, keys, value, ip)
                } else {
                    throw RuntimeError("cannot assign into \(article(base.typeName)) by index")
                }
            } catch let e as RuntimeError {
                throw place(e, r)
            }
        }
    }

    private static func setField(_ rec: inout Record, _ name: String, _ rest: ArraySlice<StorePathNode.PathStep>,
                                 _ restKeys: ArraySlice<[Value]>, _ value: Value, _ ip: Interpreter, _ r: SourceRange) throws {
        if rest.isEmpty {
            rec[name] = value
            return
        }
        guard var inner = rec[name] else { throw place(missingField(name, rec.names, "record"), r) }
        rec[name] = Value.none
        defer { rec[name] = inner }
        try set(&inner, rest, restKeys, value, ip)
    }

    private static func place(_ e: RuntimeError, _ r: SourceRange) -> RuntimeError {
        var e = e
        if e.range == nil { e.range = r }
        return e
    }

    /// Writes a number (or a tensor of the selected shape) into the selected part of `t`.
    static func store(_ t: inout Tensor, _ keys: [Value], _ value: Value) throws(RuntimeError) {
        let ks = try Indexing.keys(keys, shape: t.shape, what: t.rank == 1 ? "vector" : t.rank == 2 ? "matrix" : "tensor")
        // Fast path: one number into one element.
        if ks.count == t.rank, case .number(let x) = value, ks.allSatisfy({ if case .at = $0 { return true } else { return false } }) {
            var offset = 0
            for (axis, k) in ks.enumerated() {
                if case .at(let i) = k { offset = offset * t.shape[axis] + i }
            }
            t.data[offset] = x
            return
        }
        let (positions, shape) = selection(t, ks)
        switch value {
        case .number(let x):
            for p in positions { t.data[p] = x }
        case .tensor(let src):
            guard src.shape == shape || (src.count == positions.count && shape.count <= 1) else {
                throw RuntimeError("cannot assign a tensor of shape \(Tensor.describe(shape: src.shape)) into a part of shape \(Tensor.describe(shape: shape))")
            }
            for (i, p) in positions.enumerated() { t.data[p] = src.data[i] }
        default:
            if Traced.of(value) != nil {
                throw RuntimeError("cannot differentiate through an element assignment: build the vector from its elements instead, e.g. [a, b]")
            }
            throw RuntimeError("a tensor holds numbers, cannot store \(article(value.typeName))")
        }
    }
}

/// The name in `names` closest to `name` by edit distance, when it is close enough to be a typo.
func closest(_ name: String, among names: some Sequence<String>) -> String? {
    var best: (String, Int)? = nil
    let limit = max(1, name.count / 3)
    for n in names {
        let d = editDistance(name, n)
        if d <= limit, d < (best?.1 ?? Int.max) { best = (n, d) }
    }
    return best?.0
}

/// Levenshtein distance where swapping two neighbouring letters counts as one edit (optimal
/// string alignment): "adma" is one typo away from "adam", not two. The one metric behind
/// every "did you mean" (names, parameters, fields, REPL commands).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var before = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], before[j - 2] + 1) }
        }
        (before, prev, cur) = (prev, cur, before)
    }
    return prev[b.count]
}
