import PsearchCore

/// The arguments of one call as evaluated: positional first, then named, with their ranges.
public struct Arguments {
    public var positional: [Value] = []
    public var named: [(String, Value)] = []
    /// Source ranges in written order: positional ones, then named ones.
    public var ranges: [SourceRange] = []
    public let callRange: SourceRange

    init(callRange: SourceRange) { self.callRange = callRange }

    public init(_ positional: [Value], named: [(String, Value)] = []) {
        self.positional = positional
        self.named = named
        callRange = .none
    }
}

/// One entry of the built-ins table: the function and everything `:help` shows about it.
public struct BuiltinSpec: Sendable {
    public let name: String
    /// `descend(f, start, lr: 0.01, steps: 1000, method: "gd")`
    public let signature: String
    /// One line, lowercase, no final period.
    public let summary: String
    /// A runnable example, checked by the test suite.
    public let example: String
    /// Parameter names in positional order; named arguments must be among them.
    public let params: [String]
    public let minArgs: Int
    /// nil: any number of positional arguments.
    public let maxArgs: Int?

    /// `min` defaults to every parameter being required; `variadic` lifts the maximum.
    public init(_ name: String, _ signature: String, _ summary: String, example: String,
                params: [String] = [], min: Int? = nil, variadic: Bool = false) {
        self.name = name
        self.signature = signature
        self.summary = summary
        self.example = example
        self.params = params
        self.minArgs = min ?? params.count
        self.maxArgs = variadic ? nil : params.count
    }

    /// The one arity check, before a call runs (the resolver) or as it runs (a built-in
    /// called through a variable): nil when the positional count fits. With named arguments
    /// a short positional list may be fine; the body reports what is missing.
    func arityProblem(positional: Int, named: Bool) -> String? {
        func takes(_ bound: String, _ n: Int) -> String {
            "'\(name)' takes \(bound)\(n) argument\(n == 1 ? "" : "s"), got \(positional)"
        }
        if positional < minArgs && !named { return takes(maxArgs == minArgs ? "" : "at least ", minArgs) }
        if let m = maxArgs, positional > m { return takes(m == minArgs ? "" : "at most ", m) }
        return nil
    }
}

/// Immutable after creation; bodies capture nothing mutable, so the table can be shared.
public final class Builtin: Callable, @unchecked Sendable {
    public let spec: BuiltinSpec
    let body: (inout Call) throws -> Value
    /// For element-wise functions of one number: called directly on a number argument,
    /// skipping the argument list (calls like `floor(x)` sit in inner loops).
    let unary: ((Double) -> Double)?
    /// A direct form for one argument of any type; nil when it cannot handle the value, and
    /// then the full body runs (with its argument checks and messages).
    let single: ((Value) -> Value?)?

    init(_ spec: BuiltinSpec, unary: ((Double) -> Double)? = nil, single: ((Value) -> Value?)? = nil,
         _ body: @escaping (inout Call) throws -> Value) {
        self.spec = spec
        self.body = body
        self.unary = unary
        self.single = single
        super.init(isClosure: false)
    }

    public override var name: String { spec.name }
    public override var parameterNames: [String] { spec.params }
}

/// What a built-in's body sees: its arguments, read with uniform checks that produce Lua-style
/// messages ("bad argument #2 to 'descend' (number expected, got vector)"), and the interpreter.
public struct Call {
    public let spec: BuiltinSpec
    public var args: Arguments
    public unowned let interp: Interpreter

    public var count: Int { args.positional.count }

    /// Spends the step budget on this call's work (`Interpreter.charge`).
    public func charge(_ units: Double) throws(RuntimeError) {
        try interp.charge(units, spec.name, at: args.callRange)
    }

    /// The argument for parameter `name`: named, or positional at the parameter's place.
    public func value(_ name: String) -> Value? {
        if let v = args.named.first(where: { $0.0 == name })?.1 { return v }
        if let i = spec.params.firstIndex(of: name), i < args.positional.count { return args.positional[i] }
        return nil
    }

    public func value(_ i: Int) -> Value? { i < args.positional.count ? args.positional[i] : nil }

    /// Index in `Arguments.ranges` of a parameter's argument, for the caret.
    func position(_ name: String) -> Int? {
        if let k = args.named.firstIndex(where: { $0.0 == name }) { return args.positional.count + k }
        if let i = spec.params.firstIndex(of: name), i < args.positional.count { return i }
        return nil
    }

    public func bad(_ name: String, _ message: String) -> RuntimeError {
        let pos = position(name)
        let label = args.named.contains(where: { $0.0 == name }) || pos == nil ? "'\(name)'" : "#\(pos! + 1)"
        return RuntimeError("bad argument \(label) to '\(spec.name)' (\(message))", argument: pos)
    }

    public func bad(_ i: Int, _ message: String) -> RuntimeError {
        RuntimeError("bad argument #\(i + 1) to '\(spec.name)' (\(message))", argument: i)
    }

    public func required(_ name: String) throws(RuntimeError) -> Value {
        guard let v = value(name) else { throw RuntimeError("missing argument '\(name)' to '\(spec.name)'", notes: [Diagnostic.Note("usage: \(spec.signature)")]) }
        return v
    }

    // MARK: typed readers by parameter name

    public func number(_ name: String) throws(RuntimeError) -> Double {
        let v = try required(name)
        guard case .number(let x) = v else { throw bad(name, "number expected, got \(v.typeName)") }
        return x
    }

    public func number(_ name: String, default d: Double) throws(RuntimeError) -> Double {
        value(name) == nil ? d : try number(name)
    }

    public func bool(_ name: String, default d: Bool) throws(RuntimeError) -> Bool {
        guard let v = value(name) else { return d }
        guard case .bool(let b) = v else { throw bad(name, "bool expected, got \(v.typeName)") }
        return b
    }

    public func string(_ name: String) throws(RuntimeError) -> String {
        let v = try required(name)
        guard case .string(let s) = v else { throw bad(name, "string expected, got \(v.typeName)") }
        return s
    }

    public func string(_ name: String, default d: String) throws(RuntimeError) -> String {
        value(name) == nil ? d : try string(name)
    }

    /// A string that must be one of `choices`.
    public func choice(_ name: String, _ choices: [String], default d: String) throws(RuntimeError) -> String {
        let s = try string(name, default: d)
        guard choices.contains(s) else {
            var msg = "expected one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + ", got \"\(s)\""
            if let c = closest(s, among: choices) { msg += "; did you mean \"\(c)\"?" }
            throw bad(name, msg)
        }
        return s
    }

    /// A string that must be one of `choices` or a key of `aliases`, which stands for its value.
    /// The error lists `choices` alone; its "did you mean" weighs the aliases too.
    public func choice(_ name: String, _ choices: [String], aliases: [String: String], default d: String) throws(RuntimeError) -> String {
        let s = try string(name, default: d)
        if let canonical = aliases[s] { return canonical }
        guard choices.contains(s) else {
            var msg = "expected one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + ", got \"\(s)\""
            if let c = closest(s, among: choices + aliases.keys.sorted()) { msg += "; did you mean \"\(c)\"?" }
            throw bad(name, msg)
        }
        return s
    }

    /// A whole number in `0...limit`, checked before it becomes an Int (Swift traps on nan,
    /// inf and out-of-range conversions).
    public func int(_ name: String, min lo: Int = 0, max hi: Int = Int(Int32.max)) throws(RuntimeError) -> Int {
        let v = try required(name)
        guard case .number(let x) = v else { throw bad(name, "number expected, got \(v.typeName)") }
        return try checkedInt(x, min: lo, max: hi) { m throws(RuntimeError) in throw bad(name, m) }
    }

    public func int(_ name: String, default d: Int, min lo: Int = 0, max hi: Int = Int(Int32.max)) throws(RuntimeError) -> Int {
        value(name) == nil ? d : try int(name, min: lo, max: hi)
    }

    public func function(_ name: String) throws(RuntimeError) -> Value {
        let v = try required(name)
        switch v {
        case .function: return v
        case .object: return v
        default: throw bad(name, "function expected, got \(v.typeName)")
        }
    }

    /// A tensor (ranges and number lists are converted).
    public func tensor(_ name: String) throws(RuntimeError) -> Tensor {
        let v = try required(name)
        guard let t = try interp.asTensor(v) else { throw bad(name, "vector expected, got \(v.typeName)") }
        return t
    }

    public func vector(_ name: String) throws(RuntimeError) -> Tensor {
        let t = try tensor(name)
        guard t.rank == 1 else { throw bad(name, "vector expected, got a tensor of shape \(Tensor.describe(shape: t.shape))") }
        return t
    }

    /// Calls a psearch function (or any callable value) with positional arguments.
    public func call(_ f: Value, _ args: [Value]) throws -> Value {
        try interp.call(f, Arguments(args), callRange: self.args.callRange)
    }
}

/// Converts a Double to an Int in `lo...hi` or reports why it cannot be one.
func checkedInt(_ x: Double, min lo: Int, max hi: Int, _ fail: (String) throws(RuntimeError) -> Never) throws(RuntimeError) -> Int {
    if x.isNaN { try fail("whole number expected, got nan") }
    if x.isInfinite { try fail("whole number expected, got \(formatNumber(x))") }
    if x != x.rounded() { try fail("whole number expected, got \(formatNumber(x))") }
    // Compared as Ints: Double(Int.max) rounds up to 2^63, so `x > Double(hi)` would let 2^63
    // through to a trapping Int(x). Int(exactly:) is nil only beyond Int's range.
    guard let i = Int(exactly: x) else { try fail(x < 0 ? belowMinimum(lo, x) : "must be at most \(hi), got \(formatNumber(x))") }
    if i < lo { try fail(belowMinimum(lo, x)) }
    if i > hi { try fail("must be at most \(hi), got \(formatNumber(x))") }
    return i
}

private func belowMinimum(_ lo: Int, _ x: Double) -> String {
    lo == 0 ? "must not be negative, got \(formatNumber(x))" : "must be at least \(lo), got \(formatNumber(x))"
}

/// The table of every built-in, one family per file.
public enum Builtins {
    public static let all: [Builtin] = core + tensors + math + search + autodiff + descent + data + models + hyperSpace + plots

    static let byName: [String: Builtin] = Dictionary(all.map { ($0.spec.name, $0) }, uniquingKeysWith: { a, _ in a })

    public static func named(_ name: String) -> Builtin? { byName[name] }
}
