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

/// One parameter of a built-in: its name, what it accepts, its default and, for numbers, the
/// values it allows. The signature `:help` shows, the arity check, the argument checks, the
/// defaults a body reads and completion of named arguments are all generated from these.
/// A class, not a struct: a call reads its parameters by name several times, and copying a
/// struct with strings, arrays and a closure in it retained and released each one every time.
public final class Param: Sendable {
    /// What an argument must be. The scalar kinds are checked by the readers (`Call.number`,
    /// `int`, `bool`, `string`, `choice`, `function`); the others name what the body reads and
    /// checks itself (a dataset, a model, a start point that may be a number or a vector).
    public enum Kind: Sendable, Equatable {
        case number, int, bool, string
        /// A string that must be one of these.
        /// One of the strings, or one of the aliases (another name for one of them).
        case choice([String], aliases: [String] = [])
        case function, vector, tensor, dataset, model
        /// A list of strings.
        case strings
        case any
    }

    /// What stands in for a missing argument.
    public enum Default: Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
        /// The call must give it: `name` in the signature.
        case required
        /// May be left out; the body decides what that means (a fresh seed, the number of
        /// cores): `name:` in the signature, or bare `name` with `shownBare`.
        case optional
        /// Like `optional`, shown as `name: hint` (`box: [[lo, hi], ...]`).
        case hint(String)
        case number(Double)
        case bool(Bool)
        case string(String)

        public init(floatLiteral v: Double) { self = .number(v) }
        public init(integerLiteral v: Int) { self = .number(Double(v)) }
        public init(stringLiteral s: String) { self = .string(s) }
        public init(booleanLiteral b: Bool) { self = .bool(b) }
        public static func number(_ i: Int) -> Default { .number(Double(i)) }

        /// The default as a value; nil for required and optional parameters.
        public var value: Value? {
            switch self {
            case .required, .optional, .hint: return nil
            case .number(let x): return .number(x)
            case .bool(let b): return .bool(b)
            case .string(let s): return .string(s)
            }
        }
    }

    /// The values a number parameter allows, with the message that says so.
    public struct Range: Sendable {
        /// `> 0`, `>= 0`, `1...100000`: how the range reads in a summary.
        public let text: String
        enum Test: Sendable {
            case numbers(message: String, ok: @Sendable (Double) -> Bool)
            /// Whole numbers `lo...hi`; `perElement` > 0 lowers `hi` to the session's tensor
            /// size limit divided by it (a count of rows of that many numbers).
            case ints(lo: Int, hi: Int, perElement: Int)
        }
        let test: Test

        /// Numbers that pass `ok`; a failing one is reported as "\(message), got x".
        public init(_ text: String, _ message: String, _ ok: @escaping @Sendable (Double) -> Bool) {
            self.text = text
            test = .numbers(message: message, ok: ok)
        }

        init(ints lo: Int, _ hi: Int, perElement: Int = 0) {
            text = perElement > 0 ? "\(lo)...\(perElement == 1 ? "" : "1/\(perElement) of ")the tensor size limit" : "\(lo)...\(hi)"
            test = .ints(lo: lo, hi: hi, perElement: perElement)
        }

        /// Whole numbers from `lo` up to the tensor size limit (divided by `per`: rows of `per` numbers).
        public static func elements(from lo: Int, per: Int = 1) -> Range { Range(ints: lo, Int.max, perElement: per) }
        /// A positive finite number (learning rates).
        public static let positive = Range("> 0", "must be a positive finite number") { $0 > 0 && $0.isFinite }
        /// Zero or more, infinity included (a tolerance of inf stops at once).
        public static let nonNegative = Range(">= 0", "must not be negative") { $0 >= 0 }
        /// A finite number zero or more.
        public static let finiteNonNegative = Range(">= 0", "must be a number >= 0") { $0 >= 0 && $0.isFinite }
        /// The same test as `positive`, in other words.
        public func saying(_ message: String) -> Range {
            guard case .numbers(_, let ok) = test else { return self }
            return Range(text, message, ok)
        }

        /// The whole number range of a parameter of kind int that names none.
        static let defaultInts = Range(ints: 0, Int(Int32.max))
        /// Seeds: whole numbers a Double holds exactly.
        public static let seeds = Range(ints: 0, 1 << 53)
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: Default
    public let range: Range?
    /// Takes every remaining positional argument (`dims...`); never named.
    public let variadic: Bool
    /// An optional parameter shown as `name` rather than `name:` (`assert(condition, message)`).
    public let shownBare: Bool

    public init(_ name: String, _ kind: Kind, default d: Default = .required, range: Range? = nil,
                variadic: Bool = false, shownBare: Bool = false) {
        self.name = name
        self.kind = kind
        self.defaultValue = d
        self.range = range ?? (kind == .int ? .defaultInts : nil)
        self.variadic = variadic
        self.shownBare = shownBare
    }

    public convenience init(_ name: String, _ kind: Kind, default d: Default = .required, range: ClosedRange<Int>) {
        self.init(name, kind, default: d, range: Range(ints: range.lowerBound, range.upperBound))
    }

    public convenience init(_ name: String, _ kind: Kind, default d: Default = .required, range: PartialRangeFrom<Int>) {
        self.init(name, kind, default: d, range: Range(ints: range.lowerBound, Int(Int32.max)))
    }

    /// `seed:`, the same for every built-in that draws random numbers.
    public static let seed = Param("seed", .int, default: .optional, range: .seeds)

    public var isRequired: Bool { defaultValue == .required }

    /// How the parameter reads in a signature: `f`, `lr: 0.01`, `seed:`, `box: [[lo, hi], ...]`, `dims...`.
    public var signature: String {
        if variadic { return name + "..." }
        switch defaultValue {
        case .required: return name
        case .optional: return shownBare ? name : name + ":"
        case .hint(let h): return "\(name): \(h)"
        case .number, .bool, .string: return "\(name): \(defaultValue.value!.repr)"
        }
    }

    /// Why `v` is not an argument this parameter accepts (the text inside "bad argument ... (...)"),
    /// or nil. Checks the scalar kinds and number ranges; the other kinds are the body's to check.
    /// `maxElements` is the session's tensor size limit, for ranges that follow it.
    public func problem(_ v: Value, maxElements: Int) -> String? {
        switch kind {
        case .number, .int:
            guard case .number(let x) = v else { return "number expected, got \(v.typeName)" }
            return rangeProblem(x, maxElements: maxElements)
        case .bool:
            guard case .bool = v else { return "bool expected, got \(v.typeName)" }
        case .string:
            guard case .string = v else { return "string expected, got \(v.typeName)" }
        case .choice(let choices, let aliases):
            guard case .string(let s) = v else { return "string expected, got \(v.typeName)" }
            // An alias stands for a choice; the message lists the choices, its "did you mean" both.
            guard choices.contains(s) || aliases.contains(s) else {
                var msg = "expected one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + ", got \"\(s)\""
                if let c = closest(s, among: choices + aliases) { msg += "; did you mean \"\(c)\"?" }
                return msg
            }
        case .function:
            switch v {
            case .function, .object: break
            default: return "function expected, got \(v.typeName)"
            }
        case .vector, .tensor, .dataset, .model, .strings, .any: break
        }
        return nil
    }

    func rangeProblem(_ x: Double, maxElements: Int) -> String? {
        guard let range else { return nil }
        switch range.test {
        case .numbers(let message, let ok):
            return ok(x) ? nil : "\(message), got \(formatNumber(x))"
        case .ints(let lo, let hi, let per):
            do throws(RuntimeError) {
                _ = try checkedInt(x, min: lo, max: per > 0 ? maxElements / per : hi) { m throws(RuntimeError) in throw RuntimeError(m) }
                return nil
            } catch {
                return error.message
            }
        }
    }
}

/// One way to call a built-in: `search(xs, target)` is one form of `search`, `search(f, lo, hi, ...)`
/// another. Positional arguments bind to a form's parameters in order.
public struct Form: Sendable {
    public let params: [Param]
    /// Parameters shown in the signature; those after them (another form's options) read as `...`.
    public let shown: Int
    /// How many arguments may be positional; the rest are named only.
    public let positional: Int

    /// `positional` limits positional arguments (plot's options are named only); `alsoTaking`
    /// adds named-only parameters not repeated in the signature (another form's options), shown as `...`.
    public init(_ params: [Param], positional: Int? = nil, alsoTaking extra: [Param] = []) {
        self.params = params + extra.filter { p in !params.contains { $0.name == p.name } }
        shown = params.count
        self.positional = min(positional ?? params.count, params.count)
    }

    /// `descend(f, start, lr: 0.01, ...)`.
    func signature(_ name: String) -> String {
        var parts = params.prefix(shown).map(\.signature)
        if shown < params.count { parts.append("...") }
        return "\(name)(\(parts.joined(separator: ", ")))"
    }

    /// Arguments a call must give positionally (when it names none): the leading required ones.
    var minArgs: Int { params.prefix { $0.isRequired }.count }
    var maxArgs: Int? { params.contains { $0.variadic } ? nil : positional }
}

/// One entry of the built-ins table: the function and everything `:help` shows about it.
/// A class: a call reads it through `Call` on every call of a built-in, and copying a struct
/// of six references cost six retains and releases each time (grad in a loop).
public final class BuiltinSpec: Sendable {
    public let name: String
    /// One line, lowercase, no final period.
    public let summary: String
    /// A runnable example, checked by the test suite.
    public let example: String
    /// The ways to call it; most built-ins have one.
    public let forms: [Form]
    /// `descend(f, start, lr: 0.01, steps: 1000, method: "gd", ...) or descend(f, starts: 10, ...)`:
    /// made when asked for (help, a usage note), not for each of the built-ins at start-up.
    public var signature: String { forms.map { $0.signature(name) }.joined(separator: " or ") }
    /// The first form's positional parameter names (what `f.parameterNames` reports).
    public let params: [String]
    /// Every name a named argument may use, in any form.
    public let names: [String]
    public let minArgs: Int
    /// nil: any number of positional arguments.
    public let maxArgs: Int?

    /// A built-in with one form.
    public convenience init(_ name: String, _ summary: String, example: String, _ params: [Param], positional: Int? = nil) {
        self.init(name, summary, example: example, forms: [Form(params, positional: positional)])
    }

    public init(_ name: String, _ summary: String, example: String, forms: [Form]) {
        self.name = name
        self.summary = summary
        self.example = example
        self.forms = forms
        params = forms[0].params.prefix(forms[0].positional).filter { !$0.variadic }.map(\.name)
        var names: [String] = []
        for f in forms { for p in f.params where !p.variadic && !names.contains(p.name) { names.append(p.name) } }
        self.names = names
        minArgs = forms.map(\.minArgs).min()!
        maxArgs = forms.contains { $0.maxArgs == nil } ? nil : forms.map { $0.maxArgs! }.max()!
    }

    /// The parameter `name` of form `form`, else of any form.
    public func param(_ name: String, form: Int = 0) -> Param? {
        if let p = forms[form].params.first(where: { $0.name == name }) { return p }
        for f in forms { if let p = f.params.first(where: { $0.name == name }) { return p } }
        return nil
    }

    /// The one arity check, before a call runs (the resolver) or as it runs (a built-in
    /// called through a variable): nil when the positional count fits. With named arguments
    /// a short positional list may be fine; the body reports what is missing.
    func arityProblem(positional: Int, named: Bool) -> String? {
        func takes(_ bound: String, _ n: Int) -> String {
            // Where some parameters are named only, the bound counts positional arguments: say
            // so. (Worked out only for the message: this check runs on every call.)
            let kind = forms.contains { $0.positional < $0.shown } ? " positional" : ""
            return "'\(name)' takes \(bound)\(n)\(kind) argument\(n == 1 ? "" : "s"), got \(positional)"
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
    /// `unary` or `single` is there: tested without copying either closure (a retain each).
    let hasDirectForm: Bool

    init(_ spec: BuiltinSpec, unary: ((Double) -> Double)? = nil, single: ((Value) -> Value?)? = nil,
         _ body: @escaping (inout Call) throws -> Value) {
        self.spec = spec
        self.body = body
        self.unary = unary
        self.single = single
        hasDirectForm = unary != nil || single != nil
        super.init(isClosure: false)
    }

    public override var name: String { spec.name }
    public override var parameterNames: [String] { spec.params }
}

/// What a built-in's body sees: its arguments, read with uniform checks that produce Lua-style
/// messages ("bad argument #2 to 'descend' (number expected, got vector)"), and the interpreter.
///
/// The readers take the parameter's kind, range and default from the spec: `c.number("lr")`
/// is the argument, checked, or the spec's default. A parameter whose default depends on the
/// run (the number of cores, the terminal's width) is declared `.optional` and read with `or:`.
public struct Call {
    public let spec: BuiltinSpec
    public var args: Arguments
    /// Unowned and unchecked: a `Call` lives only while the interpreter runs the built-in.
    public unowned(unsafe) let interp: Interpreter
    /// The form the body is reading (an index into `spec.forms`): positional arguments bind to
    /// its parameters. A body with several forms sets it once it knows which one it was given.
    public var form = 0

    init(spec: BuiltinSpec, args: consuming Arguments, interp: Interpreter) {
        self.spec = spec
        self.args = args
        self.interp = interp
    }

    public var count: Int { args.positional.count }

    /// Spends the step budget on this call's work (`Interpreter.charge`).
    public func charge(_ units: Double) throws(RuntimeError) {
        try interp.charge(units, spec.name, at: args.callRange)
    }

    /// The argument for parameter `name`: named, or positional at the parameter's place in the form.
    public func value(_ name: String) -> Value? {
        if let v = args.named.first(where: { $0.0 == name })?.1 { return v }
        if let i = positionalIndex(name), i < args.positional.count { return args.positional[i] }
        return nil
    }

    public func value(_ i: Int) -> Value? { i < args.positional.count ? args.positional[i] : nil }

    /// Whether the call gives parameter `name`.
    public func given(_ name: String) -> Bool { value(name) != nil }

    private func positionalIndex(_ name: String) -> Int? {
        let f = spec.forms[form]
        guard let i = f.params.firstIndex(where: { $0.name == name }), i < f.positional else { return nil }
        return i
    }

    /// Index in `Arguments.ranges` of a parameter's argument, for the caret.
    func position(_ name: String) -> Int? {
        if let k = args.named.firstIndex(where: { $0.0 == name }) { return args.positional.count + k }
        if let i = positionalIndex(name), i < args.positional.count { return i }
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
        guard let v = value(name) else { throw missing(name) }
        return v
    }

    func missing(_ name: String) -> RuntimeError {
        RuntimeError("missing argument '\(name)' to '\(spec.name)'", notes: [Diagnostic.Note("usage: \(spec.signature)")])
    }

    /// The spec's parameter `name`; reading one the spec does not declare is a bug in the table.
    func param(_ name: String) -> Param {
        guard let p = spec.param(name, form: form) else { preconditionFailure("'\(spec.name)' declares no parameter '\(name)'") }
        return p
    }

    /// The argument for `name`, or the spec's default; checked against the parameter's kind and range.
    public func checked(_ name: String) throws(RuntimeError) -> Value {
        // One pass over the form for both the parameter and its argument: built-ins like `grad`
        // sit in inner loops, and `param` then `value` scanned the form twice.
        let f = spec.forms[form]
        let p: Param
        let given: Value?
        if let i = f.params.firstIndex(where: { $0.name == name }) {
            p = f.params[i]
            given = args.named.isEmpty ? (i < f.positional && i < args.positional.count ? args.positional[i] : nil) : value(name)
        } else {
            p = param(name)
            given = value(name)
        }
        guard let v = given ?? p.defaultValue.value else { throw missing(name) }
        if let m = p.problem(v, maxElements: interp.limits.maxElements) { throw bad(name, m) }
        return v
    }

    // MARK: typed readers by parameter name

    public func number(_ name: String) throws(RuntimeError) -> Double {
        guard case .number(let x) = try checked(name) else { preconditionFailure("'\(name)' is not a number parameter") }
        return x
    }

    /// A whole number in the parameter's range, checked before it becomes an Int (Swift traps
    /// on nan, inf and out-of-range conversions).
    public func int(_ name: String) throws(RuntimeError) -> Int {
        guard case .number(let x) = try checked(name), let i = Int(exactly: x) else { preconditionFailure("'\(name)' is not an int parameter") }
        return i
    }

    /// An optional int whose default the body knows at run time (the number of cores).
    public func int(_ name: String, or fallback: Int) throws(RuntimeError) -> Int {
        given(name) ? try int(name) : fallback
    }

    /// An optional int whose default and allowed values depend on the run (a plot's size counts
    /// terminal cells or SVG pixels): the spec gives the kind, the body the default and range.
    public func int(_ name: String, or fallback: Int, in range: ClosedRange<Int>) throws(RuntimeError) -> Int {
        guard let v = value(name) else { return fallback }
        guard case .number(let x) = v else { throw bad(name, "number expected, got \(v.typeName)") }
        return try checkedInt(x, min: range.lowerBound, max: range.upperBound) { m throws(RuntimeError) in throw bad(name, m) }
    }

    public func bool(_ name: String) throws(RuntimeError) -> Bool {
        guard case .bool(let b) = try checked(name) else { preconditionFailure("'\(name)' is not a bool parameter") }
        return b
    }

    public func string(_ name: String) throws(RuntimeError) -> String {
        guard case .string(let s) = try checked(name) else { preconditionFailure("'\(name)' is not a string parameter") }
        return s
    }

    /// A string among the parameter's choices.
    public func choice(_ name: String) throws(RuntimeError) -> String { try string(name) }

    /// An optional choice whose default depends on the other arguments (hyper-parameter search's method).
    public func choice(_ name: String, or fallback: String) throws(RuntimeError) -> String {
        given(name) ? try string(name) : fallback
    }

    public func function(_ name: String) throws(RuntimeError) -> Value { try checked(name) }

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
    public static let all: [Builtin] = core + tensors + math + search + autodiff + descent + secondOrder + data + models + hyperSpace + plots

    static let byName: [String: Builtin] = Dictionary(all.map { ($0.spec.name, $0) }, uniquingKeysWith: { a, _ in a })

    public static func named(_ name: String) -> Builtin? { byName[name] }
}
