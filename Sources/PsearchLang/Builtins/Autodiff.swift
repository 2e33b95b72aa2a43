import PsearchCore

/// Per-session state of the search and autodiff built-ins.
final class OptimizerSession {
    /// `search(xs, t)` on one vector many times validates it once.
    let sorted = SortedVectorCache()
    /// Compiled recordings of functions `grad` was called on, by function value.
    var compiled: [ObjectIdentifier: CompiledFunction] = [:]
    /// More distinct functions than this (lambdas made in a loop) start the cache afresh.
    static let maxCompiled = 256
}

/// How a function's inputs are laid out: one tensor argument, or several numbers.
enum InputLayout: Equatable {
    case tensor([Int])
    case numbers(Int)

    var count: Int {
        switch self {
        case .tensor(let s): return s.reduce(1, *)
        case .numbers(let n): return n
        }
    }
}

/// What a psearch function reads from outside its frame when it is recorded (globals it names,
/// variables it captures, transitively through the functions it reaches), so a cached recording
/// is replayed only while all of them still hold the values it was recorded with.
struct Dependencies {
    enum Source {
        case global(GlobalCell, Value?)
        case cell(Cell, Value)
    }

    var sources: [Source] = []
    /// Whether some reachable function assigns a global or a captured variable.
    var writes = false

    init(_ f: Value) {
        var seen = Set<ObjectIdentifier>()
        visit(f, &seen)
    }

    private mutating func visit(_ v: Value, _ seen: inout Set<ObjectIdentifier>) {
        guard case .function(let fn) = v, fn.isClosure else { return }
        let c = unsafeDowncast(fn, to: Closure.self)
        guard seen.insert(ObjectIdentifier(c)).inserted else { return }
        if c.proto.writesNonLocal { writes = true }
        for cell in c.captures {
            sources.append(.cell(cell, cell.value))
            visit(cell.value, &seen)
        }
        for g in c.proto.globalsRead {
            sources.append(.global(g, g.value))
            if let v = g.value { visit(v, &seen) }
        }
    }

    /// Whether every source still holds the value it held when this was taken.
    var unchanged: Bool {
        for s in sources {
            switch s {
            case .global(let g, let v):
                switch (g.value, v) {
                case (nil, nil): continue
                case (let a?, let b?): if !Dependencies.identical(a, b) { return false }
                default: return false
                }
            case .cell(let c, let v):
                if !Dependencies.identical(c.value, v) { return false }
            }
        }
        return true
    }

    /// Same value without comparing contents: tensors by storage (a write to a shared tensor
    /// copies it first, so a changed tensor never keeps its storage).
    static func identical(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.none, .none): return true
        case (.tensor(let x), .tensor(let y)):
            return x.shape == y.shape && x.data.withUnsafeBufferPointer { p in y.data.withUnsafeBufferPointer { $0.baseAddress == p.baseAddress } }
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case (.record(let x), .record(let y)): return x.names == y.names && zip(x.values, y.values).allSatisfy { identical($0, $1) }
        case (.range(let a1, let b1), .range(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.function(let f), .function(let g)): return f === g
        case (.object(let o), .object(let p)): return o === p
        default: return false
        }
    }
}

/// A psearch function recorded on a tape for one input layout, replayed natively while its
/// control flow and the outer values it reads stay the same.
final class CompiledFunction {
    let function: Value
    let layout: InputLayout
    let objective: TapeObjective
    private let noted = Noted()

    /// What the last recording read from outside the function (a box shared with the
    /// objective's trace closure, so neither holds the other).
    final class Noted { var dependencies: Dependencies? }
    var dependencies: Dependencies? { noted.dependencies }

    /// `compiler: false` replays by the reference rules, so the tape's columns hold each call's
    /// values (`Tape.hessian` reads them).
    init(_ f: Value, layout: InputLayout, interp: Interpreter, callRange: SourceRange, compiler: Bool = true) {
        function = f
        self.layout = layout
        let noted = self.noted
        objective = TapeObjective(compiler: compiler ? interp.objectiveCompiler : nil) { [unowned interp] tape, x in
            try record(f, layout, tape, x, interp, callRange) { noted.dependencies = $0 }
        }
    }
}

/// Calls `f` on traced inputs and returns the output node (the `TapeObjective` trace).
private func record(_ f: Value, _ layout: InputLayout, _ tape: Tape, _ x: [Double], _ interp: Interpreter,
                    _ callRange: SourceRange, _ noteDependencies: (Dependencies) -> Void) throws -> Node {
    let deps = Dependencies(f)
    noteDependencies(deps)
    if deps.writes { tape.markNotReplayable("it assigns variables outside itself") }
    let tracer = Tracer(tape)
    let saved = interp.tracer
    interp.tracer = tracer
    defer {
        tracer.open = false
        interp.tracer = saved
    }
    let args: [Value]
    switch layout {
    case .tensor(let shape): args = [tracer.value(tape.input(Tensor(shape: shape, data: x)))]
    case .numbers: args = x.map { tracer.value(tape.input($0)) }
    }
    let out = try interp.call(f, Arguments(args), callRange: callRange)
    switch out {
    case .number(let v):
        return tape.constant(v)
    case .object(let o) where o is Traced:
        let t = o as! Traced
        try t.check(tracer)
        guard tape.isScalar(t.node) else { throw notANumber(f, "a \(t.kind)") }
        return t.node
    default:
        throw notANumber(f, article(out.typeName))
    }
}

private func notANumber(_ f: Value, _ got: String) -> RuntimeError {
    return RuntimeError("\(functionName(f)) must return a number to be differentiated, got \(got)")
}

extension Interpreter {
    /// The cached recording of `f` for `layout`, made afresh when there is none, the layout
    /// differs, or an outer value it read has changed since it was recorded.
    func compiled(_ f: Value, layout: InputLayout, callRange: SourceRange) -> CompiledFunction {
        guard case .function(let fn) = f else { return CompiledFunction(f, layout: layout, interp: self, callRange: callRange) }
        let key = ObjectIdentifier(fn)
        if let c = optimizer.compiled[key], c.layout == layout, c.dependencies?.unchanged ?? true { return c }
        if optimizer.compiled.count >= OptimizerSession.maxCompiled { optimizer.compiled.removeAll() }
        let c = CompiledFunction(f, layout: layout, interp: self, callRange: callRange)
        optimizer.compiled[key] = c
        return c
    }
}

/// The built-in test function a value is, if it is one (not a user function of the same name).
func testFunction(_ v: Value) -> TestFunction? {
    guard case .function(let fn) = v, !fn.isClosure else { return nil }
    return TestFunctions.named(fn.name)
}

enum TestFunctionBuiltins {
    static func dimensionMessage(_ f: TestFunction, _ shape: [Int]) -> String {
        let want = f.dimension.map { "a vector of \($0) numbers" } ?? "a vector of at least \(f.minDimension) number\(f.minDimension == 1 ? "" : "s")"
        let got = shape.count == 1 ? "\(shape[0]) number\(shape[0] == 1 ? "" : "s")" : "shape \(Tensor.describe(shape: shape))"
        return "\(f.name) needs \(want), got \(got)"
    }
}

extension Builtins {
    /// `grad` and the lessons' test functions.
    static let autodiff: [Builtin] = [
        Builtin(BuiltinSpec("grad",
                            "the exact gradient of f at x (reverse mode): a vector for f of a vector, [df/dx, df/dy, ...] for f of numbers",
                            example: "grad(fn(p) = p[0]^2 + 3 * p[1], [1, 2])", forms: [
                                Form([Param("f", .function), Param("x", .any)]),
                                Form([Param("f", .function), Param("x", .number), Param("y", .number, variadic: true)]),
                            ])) { c in
            try grad(&c)
        },
    ] + TestFunctions.all.map(testFunctionBuiltin)

    static func testFunctionBuiltin(_ f: TestFunction) -> Builtin {
        let what: String
        switch f.name {
        case "sphere": what = "the sphere function: sum of squares, minimum 0 at the origin"
        case "booth": what = "the Booth function of 2 numbers, minimum 0 at (1, 3)"
        case "beale": what = "the Beale function of 2 numbers, minimum 0 at (3, 0.5)"
        case "rosenbrock": what = "the Rosenbrock banana valley, minimum 0 at (1, ..., 1)"
        case "himmelblau": what = "the Himmelblau function of 2 numbers: four minima, all 0"
        default: what = "the Rastrigin function: a bowl covered in local minima, minimum 0 at the origin"
        }
        let example = f.dimension == 2 || f.name == "rosenbrock" ? "\(f.name)([1, 1])" : "\(f.name)([0.5, -1, 2])"
        return Builtin(BuiltinSpec(f.name, what + "; a test function for grad, descend and plot", example: example, [Param("p", .vector)])) { c in
            let p = try c.tensor("p")
            guard p.rank == 1, f.accepts(dimension: p.count) else { throw c.bad("p", TestFunctionBuiltins.dimensionMessage(f, p.shape)) }
            return .number(f.value(p.data))
        }
    }

    static func grad(_ c: inout Call) throws -> Value {
        let f = try c.function("f")
        let points = c.args.positional.dropFirst()
        var layout: InputLayout
        var x: [Double] = []
        if points.count == 1 {
            let v = points.first!
            if case .number(let n) = v {
                layout = .numbers(1)
                x = [n]
            } else {
                guard let t = try c.interp.asTensor(v) else { throw c.bad(1, "number or vector expected, got \(v.typeName)") }
                layout = .tensor(t.shape)
                x = t.data
            }
        } else {
            for (i, v) in points.enumerated() {
                guard case .number(let n) = v else {
                    throw c.bad(i + 1, "number expected, got \(v.typeName) (with several points, each is one number)")
                }
                x.append(n)
            }
            layout = .numbers(x.count)
        }
        if let named = c.args.named.first(where: { $0.0 == "x" }) {
            // grad(f, x: v)
            guard points.isEmpty, let t = try c.interp.asTensor(named.1) else { throw c.bad("x", "vector expected, got \(named.1.typeName)") }
            layout = .tensor(t.shape)
            x = t.data
        }
        var g = [Double](repeating: 0, count: x.count)
        if let tf = testFunction(f) {
            guard case .tensor(let s) = layout, s.count == 1, tf.accepts(dimension: s[0]) else {
                var shape: [Int] = [x.count]
                if case .tensor(let s) = layout { shape = s }
                throw c.bad(1, TestFunctionBuiltins.dimensionMessage(tf, shape))
            }
            g = tf.valueAndGradient(x).gradient
        } else {
            let compiled = c.interp.compiled(f, layout: layout, callRange: c.args.callRange)
            do {
                _ = try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try compiled.objective(xp, $0) } }
            } catch let e as AutoDiffError {
                throw RuntimeError(e.description)
            }
        }
        switch layout {
        case .numbers(1): return .number(g[0])
        case .numbers: return .tensor(Tensor(g))
        case .tensor(let s): return .tensor(Tensor(shape: s, data: g))
        }
    }
}

/// How messages name a function value: 'f', or "the function" for an anonymous one.
func functionName(_ f: Value) -> String {
    if case .function(let fn) = f, fn.name != "fn" { return "'\(fn.name)'" }
    return "the function"
}
