import PsearchCore

/// A psearch value. Numbers are unboxed; tensors, lists and records are values with
/// copy-on-write, so `b = a; b[0] = 9` leaves `a` alone.
public enum Value {
    case number(Double)
    case bool(Bool)
    case string(String)
    case none
    case tensor(Tensor)
    case list([Value])
    case record(Record)
    /// `a..b`: a half-open range of numbers stepping by 1, iterated without allocating.
    case range(Double, Double)
    case function(Callable)
    /// A value owned by a built-in family: a model, a figure, a dataset handle.
    case object(NativeObject)

    /// The name `type(x)` returns and messages use.
    public var typeName: String {
        switch self {
        case .number: return "number"
        case .bool: return "bool"
        case .string: return "string"
        case .none: return "nil"
        case .tensor(let t): return t.rank == 1 ? "vector" : t.rank == 2 ? "matrix" : "tensor"
        case .list: return "list"
        case .record: return "record"
        case .range: return "range"
        case .function: return "function"
        case .object(let o): return o.typeName
        }
    }
}

// Moving a payload out of an enum: `switch` on an inout value keeps a second reference alive
// for the whole case body, so mutating the payload would copy the storage every time. These
// helpers leave `.none` behind and return the only reference, so copy-on-write stays in place.
extension Value {
    mutating func takeTensor() -> Tensor? {
        guard case .tensor(let t) = self else { return nil }
        self = .none
        return t
    }

    mutating func takeList() -> [Value]? {
        guard case .list(let l) = self else { return nil }
        self = .none
        return l
    }

    mutating func takeRecord() -> Record? {
        guard case .record(let r) = self else { return nil }
        self = .none
        return r
    }
}

/// Fields in the order they were written, read with `.name`.
public struct Record {
    public var names: [String]
    public var values: [Value]

    public init(_ fields: [(String, Value)] = []) {
        names = fields.map(\.0)
        values = fields.map(\.1)
    }

    public subscript(name: String) -> Value? {
        get { names.firstIndex(of: name).map { values[$0] } }
        set {
            if let i = names.firstIndex(of: name) {
                if let v = newValue { values[i] = v } else {
                    names.remove(at: i)
                    values.remove(at: i)
                }
            } else if let v = newValue {
                names.append(name)
                values.append(v)
            }
        }
    }
}

/// Anything that can be called: a psearch function (closure) or a built-in.
public class Callable {
    /// Set once at creation so calls can branch without a dynamic cast.
    let isClosure: Bool
    init(isClosure: Bool) { self.isClosure = isClosure }
    public var name: String { "fn" }
    /// Parameter names, for named arguments, `:help` and completion.
    public var parameterNames: [String] { [] }
}

/// A value with native state owned by a built-in family (models, datasets, …).
open class NativeObject {
    public init() {}
    open var typeName: String { "object" }
    open var description: String { "<\(typeName)>" }
    /// `obj.name`; nil when there is no such field. A field computed on first read may throw
    /// (Ctrl-C while it is computed).
    open func field(_ name: String) throws -> Value? { nil }
    open var fieldNames: [String] { [] }
    /// Objects that map inputs to outputs (models) can be called like functions.
    open func call(_ args: [Value], _ interp: Interpreter) throws -> Value? { nil }
    /// Objects that read like records (results): indexing by name, `len`, `==` and writing a
    /// field treat them as the record `asRecord` gives.
    open var isRecordLike: Bool { false }
    /// What the prompt echoes when the whole text would not fit (see `Echo`); nil for the
    /// generic form (a record-like object field by field, anything else its description).
    open func summary(_ echo: Echo) -> String? { nil }

    /// The record of every field, in order.
    public func asRecord() throws -> Record {
        var fields: [(String, Value)] = []
        for name in fieldNames { fields.append((name, try field(name) ?? .none)) }
        return Record(fields)
    }
}

// MARK: - Text

/// Shortest text that reads back to the same Double; integers without ".0".
public func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    if v == v.rounded(), abs(v) < 1e16 {
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        return String(Int64(v))
    }
    return v.description
}

/// A string as psearch source would write it.
public func quote(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\0": out += "\\0"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}

extension Value {
    /// How `print` shows a value: strings bare, everything else as `repr`.
    public var display: String {
        if case .string(let s) = self { return s }
        return repr
    }

    /// How the REPL echoes a value and containers show their elements: strings quoted.
    public var repr: String {
        switch self {
        case .number(let v): return formatNumber(v)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return quote(s)
        case .none: return "nil"
        case .tensor(let t): return formatTensor(t)
        case .list(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .record(let r):
            return "{" + zip(r.names, r.values).map { "\($0): \($1.repr)" }.joined(separator: ", ") + "}"
        case .range(let a, let b): return "\(formatNumber(a))..\(formatNumber(b))"
        case .function(let f):
            if let c = f as? Closure { return "<fn \(c.proto.name)(\(c.proto.paramNames.joined(separator: ", ")))>" }
            return "<built-in \(f.name)>"
        case .object(let o): return o.description
        }
    }
}

/// Tensors print as nested brackets; past `summaryThreshold` elements each axis shows its
/// first and last three entries around "…", as numpy does.
func formatTensor(_ t: Tensor) -> String {
    let summaryThreshold = 1000
    let summarize = t.count > summaryThreshold
    if t.rank == 0 { return t.count == 1 ? formatNumber(t.data[0]) : "[]" }
    var strides = [Int](repeating: 1, count: t.rank)
    for k in stride(from: t.rank - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * t.shape[k + 1] }
    func go(_ axis: Int, _ offset: Int) -> String {
        let n = t.shape[axis]
        var idx = Array(0..<n)
        var gap = false
        if summarize && n > 6 {
            idx = [0, 1, 2, n - 3, n - 2, n - 1]
            gap = true
        }
        var parts: [String] = []
        for (k, i) in idx.enumerated() {
            if gap && k == 3 { parts.append("…") }
            if axis == t.rank - 1 {
                parts.append(formatNumber(t.data[offset + i]))
            } else {
                parts.append(go(axis + 1, offset + i * strides[axis]))
            }
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }
    let body = go(0, 0)
    return summarize ? body + " (shape \(Tensor.describe(shape: t.shape)))" : body
}

// MARK: - Equality

extension Value {
    /// Structural equality for `==`: numbers by IEEE (nan != nan), containers element-wise.
    public static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.none, .none): return true
        case (.tensor(let x), .tensor(let y)): return x.shape == y.shape && x.data == y.data
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.record(let x), .record(let y)):
            return x.names == y.names && zip(x.values, y.values).allSatisfy { equal($0, $1) }
        case (.range(let a1, let b1), .range(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.function(let f), .function(let g)): return f === g
        case (.object(let o), .object(let p)) where !(o.isRecordLike && p.isRecordLike): return o === p
        case (.object(let o), _) where o.isRecordLike:
            return (try? o.asRecord()).map { equal(.record($0), b) } ?? false
        case (_, .object(let p)) where p.isRecordLike:
            return (try? p.asRecord()).map { equal(a, .record($0)) } ?? false
        case (.tensor(let t), .range(let lo, let hi)), (.range(let lo, let hi), .tensor(let t)):
            // Element by element, never materialised: 0..1e18 == [1] must not allocate the range.
            guard t.rank == 1, rangeCount(lo, hi) == Double(t.count) else { return false }
            return t.data.indices.allSatisfy { t.data[$0] == lo + Double($0) }
        default: return false
        }
    }
}

/// The elements of `lo..hi`: lo, lo+1, … while < hi.
func rangeCount(_ lo: Double, _ hi: Double) -> Double {
    guard lo.isFinite, hi.isFinite, hi > lo else { return hi.isNaN || lo.isNaN ? .nan : (hi > lo ? .infinity : 0) }
    return (hi - lo).rounded(.up)
}

func rangeTensor(_ lo: Double, _ hi: Double, limit: Int) throws(RuntimeError) -> Tensor {
    let n = rangeCount(lo, hi)
    guard n.isFinite else { throw RuntimeError("range \(formatNumber(lo))..\(formatNumber(hi)) has no finite length") }
    // Int(exactly:) rather than `n <= Double(limit)`: with limit Int.max that lets 2^63 through.
    guard let count = Int(exactly: n), count <= limit else {
        throw RuntimeError("range \(formatNumber(lo))..\(formatNumber(hi)) has \(formatNumber(n)) elements, over the tensor size limit of \(limit)")
    }
    var data = [Double](repeating: 0, count: count)
    for i in 0..<count { data[i] = lo + Double(i) }
    return Tensor(data)
}

/// A runtime error before it is placed: built-ins throw it without a range and the
/// interpreter attaches the range of the call or argument that failed.
public struct RuntimeError: Error {
    public var message: String
    public var range: SourceRange?
    public var notes: [Diagnostic.Note]
    /// The argument position the error is about, so the caret can point at it.
    public var argument: Int?

    /// The innermost calls are shown as notes; deeper traces (a runaway recursion) are summarised.
    static let shownCallers = 6
    private var shownCalls = 0
    private var lastRepeats = 0
    private var lastName = ""
    /// Calls beyond the shown ones, reported as a count.
    private(set) var hiddenCalls = 0

    /// Records that the error left function `name`, called at `range`: a short traceback.
    /// Consecutive calls from one site (a recursion) fold into one note with a count.
    mutating func addCaller(_ name: String, _ range: SourceRange) {
        let message = "in '\(name)', called"
        if shownCalls > 0, hiddenCalls == 0, let last = notes.last, last.message == message, last.range == range {
            lastRepeats += 1
            return
        }
        finishTrace()
        lastName = name
        if shownCalls < RuntimeError.shownCallers {
            notes.append(Diagnostic.Note(message, at: range))
            shownCalls += 1
        } else {
            hiddenCalls += 1
        }
    }

    /// Writes a pending repeat count into the last note.
    mutating func finishTrace() {
        guard lastRepeats > 0, let i = notes.indices.last else { return }
        notes[i].message = "in '\(lastName)' (\(lastRepeats + 1) nested calls), called"
        lastRepeats = 0
    }

    public init(_ message: String, at range: SourceRange? = nil, argument: Int? = nil, notes: [Diagnostic.Note] = []) {
        self.message = message
        self.range = range
        self.argument = argument
        self.notes = notes
    }
}
