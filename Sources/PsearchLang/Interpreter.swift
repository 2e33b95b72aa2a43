import PsearchCore
import PsearchFast
import PsearchPlot
import Synchronization

/// Where `print` and the built-ins write: stdout in the CLI, a buffer in tests, HTML in export.
public protocol OutputSink: AnyObject {
    func write(_ text: String) throws
}

/// Whether the text typed so far can run, needs more lines (an open bracket, brace or string,
/// a trailing operator), or can never become valid.
public enum Completeness: Sendable { case complete, incomplete, invalid }

/// Collects output in memory (tests, lesson checking).
public final class BufferSink: OutputSink {
    public private(set) var text = ""
    public init() {}
    public func write(_ s: String) { text += s }
}

/// Limits that keep bad input from exhausting the machine; each has its reason beside it.
public struct Limits: Sendable {
    /// Tensors larger than this are refused before allocating (10^8 doubles = 800 MB).
    public var maxElements = 100_000_000
    /// psearch calls nest at most this deep. The interpreter thread's stack is sized so that a
    /// debug build (whose frames are several times larger) still has room to spare.
    public var maxCallDepth = 10_000
    /// Values on the interpreter's own stack of frames (locals and arguments).
    public var stackSlots = 1 << 20
    /// Loop iterations plus calls one `run` may make; nil means no budget. Fuzzing sets it so
    /// that `while true {}` ends: an interrupt needs a person, a budget does not.
    public var maxSteps: Int?
    public init() {}
}

/// What long-running built-ins (train) report for the terminal; the executable draws it on
/// stderr, a library never prints.
public enum ProgressEvent: Sendable {
    /// Replace the status line with this text.
    case update(String)
    /// Clear the status line: the work is over.
    case done
    /// A one-line remark worth a line of its own ("interrupted in epoch 3: ...").
    case note(String)
}

/// A live view's picture: `draw` replaces the previous frame with this text; `end` leaves the
/// last frame on screen and starts the next view afresh.
public enum LiveFrame: Sendable {
    case draw(String)
    case end
}

/// A tree-walking interpreter: one per session. It runs on one thread at a time.
public final class Interpreter {
    public let sources: SourceRegistry
    public var output: OutputSink
    public var limits: Limits
    /// The session's random generator; `seed(n)` replaces it.
    public var random = Random()
    /// The search trial this interpreter is running, where `report` and `train` send their
    /// intermediate values; nil outside a search.
    public var trial: TrialReporter?
    /// In a `psearch worker` process: the trial to evaluate at the matching `search` call.
    public var remoteTrial: RemoteTrial?
    /// `search` calls made outside any trial; a worker finds its call by this count.
    var searchCalls = 0
    /// Trials running on this interpreter itself (`workers: 1`): a search made inside one is not counted.
    var trialDepth = 0
    /// The sources this session ran, in order, with their mode: what a worker replays.
    private(set) var ranSources: [(source: Source, repl: Bool)] = []
    /// Where progress of long built-ins goes; nil (the default, and in workers) shows nothing.
    public var progress: ((ProgressEvent) -> Void)?
    /// True for the interpreters `makeWorker` makes: they run beside others on shared globals,
    /// so assigning a global there is refused instead of racing.
    public private(set) var isWorker = false
    /// Distinct for every interpreter the process makes (never reused, unlike an address):
    /// names the owner of the cells it creates.
    let id = Interpreter.ids.add(1, ordering: .relaxed).newValue
    private static let ids = Atomic<Int>(0)
    /// How `plot` colours terminal output; the executable picks it from the environment.
    public var plotStyle: TerminalStyle = .plain
    /// The size of the terminal output goes to, asked at each plot (windows get resized); nil
    /// when output is not a terminal.
    public var terminalSize: () -> (cols: Int, rows: Int)? = { nil }

    /// When the session started: `clock()` counts from here (a worker keeps its session's).
    private(set) var started = ContinuousClock.now
    /// Variables declared at the top level.
    private(set) var globals = Globals()

    // The stack of frames: each call takes `frameSize` slots above `sp`.
    let stack: UnsafeMutablePointer<Value>
    var sp = 0
    var depth = 0
    /// Steps left in this run (`Limits.maxSteps`); loops and calls spend one each. Int.max
    /// when there is no budget, so the check is one decrement and a branch never taken.
    var fuel = Int.max
    /// While a parallel `search` runs, the budget its trials share: a worker that runs out of
    /// `fuel` draws more from here, so trials on other threads spend the session's steps.
    var sharedFuel: SharedFuel?
    /// The closure whose body runs now, held without reference counting: whoever calls a
    /// closure holds it for the whole call, and the previous one is put back when the call
    /// returns or throws (a counted reference cost two retain/release pairs per call).
    var currentClosure: Unmanaged<Closure>?

    /// Captured variable `i` of the running closure.
    @inline(__always)
    func capture(_ i: Int) -> Cell { currentClosure!._withUnsafeGuaranteedRef { $0.captures[i] } }
    var returnValue: Value = .none
    /// The value of the last expression statement of a REPL input.
    var lastValue: Value?
    /// The recording `grad`/`descend` are making of a function, if any: built-in calls go
    /// through it while it is set (Evaluator/Traced.swift).
    var tracer: Tracer?
    /// Caches of the search and autodiff built-ins for this session (Builtins/Autodiff.swift).
    lazy var optimizer = OptimizerSession()
    /// Compiles the functions `grad` and `descend` record into fast replays (PsearchFast's
    /// scalar programs and machine code); nil replays them by the core's reference rules, with
    /// the same bits (tests compare the two).
    public var objectiveCompiler: (any ObjectiveCompiler)? = FastCompiler()

    /// Called with each top-level statement's index in its chunk just before it runs, so lesson
    /// checking and `:save` can tell which statement printed what.
    public var statementObserver: ((Int) -> Void)?
    /// Where `live: true` draws its frames, each replacing the last in place; nil (the default,
    /// and whenever the output is not a terminal) draws only the final picture, as `plot` would.
    public var liveFrame: ((LiveFrame) -> Void)?
    /// Where a drawn figure goes together with the terminal text it would have written (lesson
    /// export and a notebook show the SVG and keep the text as its plain form); nil writes the
    /// text to the output.
    public var figureDisplay: ((Figure, String) throws -> Void)?

    public init(output: OutputSink, limits: Limits = Limits()) {
        sources = SourceRegistry()
        self.output = output
        self.limits = limits
        stack = UnsafeMutablePointer<Value>.allocate(capacity: limits.stackSlots)
    }

    /// An interpreter for another thread (a search trial): it shares this one's globals (the
    /// cells themselves, so closures resolved here run there) and sources, and has its own
    /// stack, frames, random generator and output. Globals are read-only there.
    /// `maxCallDepth` must fit the thread's stack.
    public func makeWorker(output: OutputSink, maxCallDepth: Int) -> Interpreter {
        var l = limits
        l.maxCallDepth = min(limits.maxCallDepth, maxCallDepth)
        // A trial's frames are shallow next to a session's; a smaller stack of slots keeps
        // each worker's memory modest.
        l.stackSlots = min(limits.stackSlots, 1 << 16)
        let w = Interpreter(sources: sources, output: output, limits: l)
        w.globals = Globals(sharing: globals)
        w.started = started
        w.isWorker = true
        w.objectiveCompiler = objectiveCompiler
        // Under a budget a worker starts with none and draws on `sharedFuel`.
        w.fuel = limits.maxSteps == nil ? Int.max : 0
        return w
    }

    private init(sources: SourceRegistry, output: OutputSink, limits: Limits) {
        self.sources = sources
        self.output = output
        self.limits = limits
        stack = UnsafeMutablePointer<Value>.allocate(capacity: limits.stackSlots)
    }

    deinit {
        // A global function's body refers to the global cells it uses, its own included, so
        // cell -> closure -> body -> cell is a reference cycle: the session that owns the
        // globals breaks it (workers share the cells and leave them be).
        if !isWorker { for g in globals.cells { g.value = nil } }
        stack.deinitialize(count: sp)
        stack.deallocate()
    }

    // MARK: - Running code

    /// Parses, resolves and runs a source. Syntax and name errors fail as `.syntax` before
    /// anything runs; a runtime error as `.runtime` after the output so far.
    /// In REPL mode the value of a final expression statement is returned.
    @discardableResult
    public func run(_ text: String, name: String, repl: Bool = false) throws(RunFailure) -> Value? {
        try run(bytes: Array(text.utf8), name: name, repl: repl)
    }

    @discardableResult
    public func run(bytes: [UInt8], name: String, repl: Bool = false) throws(RunFailure) -> Value? {
        try run(sources.add(name: name, bytes: bytes), repl: repl)
    }

    @discardableResult
    public func run(_ source: Source, repl: Bool = false) throws(RunFailure) -> Value? {
        let parsed = Parser.parse(source)
        if !parsed.diagnostics.isEmpty { throw .syntax(DiagnosticList(parsed.diagnostics)) }
        globals.declaredInThisChunk = []
        let block: BlockNode, frameSize: Int
        do {
            (block, frameSize) = try Resolver.resolve(parsed.statements, globals: globals, mode: repl ? .repl : .script, keepLast: repl)
        } catch {
            throw .syntax(error)
        }
        if !isWorker { ranSources.append((source, repl)) }
        lastValue = nil
        fuel = limits.maxSteps ?? Int.max
        let base = sp
        let fp: Frame
        do { fp = try pushFrame(frameSize, at: block.range) } catch { throw failure(error) }
        defer {
            popFrame(fp, frameSize)
            sp = base
            depth = 0
            currentClosure = nil
        }
        do {
            if let observe = statementObserver {
                for (i, s) in block.body.enumerated() {
                    observe(i)
                    if try s.exec(self, fp) != .normal { break }
                }
            } else {
                _ = try block.exec(self, fp)
            }
        } catch {
            throw failure(error)
        }
        return lastValue
    }

    /// Counts a `search` call made outside any trial and returns its number (1, 2, ...); nil inside a trial.
    func countSearchCall() -> Int? {
        guard !isWorker && trialDepth == 0 else { return nil }
        searchCalls += 1
        return searchCalls
    }

    /// What a thrown error means to the one running the script.
    private func failure(_ error: any Error) -> RunFailure {
        switch error {
        case let e as RuntimeError: return .runtime(diagnostic(e))
        case is Interrupted: return .interrupted
        case let e as OutputError: return .output(e)
        case let e as RunFailure: return e
        default: return .runtime(Diagnostic(.runtime, "\(error)", at: .none))
        }
    }

    /// A runtime error placed in the source, ready to render.
    func diagnostic(_ e: RuntimeError) -> Diagnostic {
        var e = e
        e.finishTrace()
        var notes = e.notes
        if e.hiddenCalls > 0 { notes.append(Diagnostic.Note("… and \(e.hiddenCalls) calls further out")) }
        return Diagnostic(.runtime, e.message, at: e.range ?? .none, notes: notes)
    }

    public static func parseOnly(_ bytes: [UInt8], name: String) -> (ast: String, diagnostics: DiagnosticList?, sources: SourceRegistry) {
        let reg = SourceRegistry()
        let src = reg.add(name: name, bytes: bytes)
        let r = Parser.parse(src)
        return (ASTPrinter.print(r.statements), r.diagnostics.isEmpty ? nil : DiagnosticList(r.diagnostics), reg)
    }

    /// Whether `text` is a whole input, needs more lines, or cannot be fixed by more lines.
    public static func completeness(of text: String) -> Completeness {
        let reg = SourceRegistry()
        let r = Parser.parse(reg.add(name: "<input>", bytes: Array(text.utf8)))
        if r.diagnostics.isEmpty { return .complete }
        return r.incomplete ? .incomplete : .invalid
    }

    // MARK: - Globals

    /// Defined globals, in declaration order (for `:vars` and completion).
    public var variables: [(name: String, value: Value)] {
        globals.cells.compactMap { g in g.value.map { (g.name, $0) } }
    }

    public func setGlobal(_ name: String, _ value: Value) {
        globals.cell(name).value = value
    }

    public func global(_ name: String) -> Value? {
        globals[name]?.value
    }

    /// Forgets every variable (the REPL's `:reset`).
    public func reset() {
        globals.removeAll()
        random = Random()
    }

    // MARK: - Frames and calls

    @inline(__always)
    func pushFrame(_ size: Int, at range: SourceRange) throws -> Frame {
        let base = sp
        guard base + size <= limits.stackSlots else { throw stackOverflow(range) }
        let fp = stack + base
        // A loop of constant stores: `initialize(repeating:count:)` copies its value through
        // the enum's generic copy (a retain call) for every slot.
        for i in 0..<size { (fp + i).initialize(to: .none) }
        sp = base + size
        return fp
    }

    @inline(__always)
    func popFrame(_ fp: Frame, _ size: Int) {
        // Slot by slot: `deinitialize(count:)` goes through the runtime's generic array
        // destroy (the value witness per element), several times the cost for a frame of two.
        for i in 0..<size { _ = (fp + i).move() }
        sp = fp - stack
    }

    /// Spends one step of the budget: a loop iteration or a call.
    @inline(__always)
    func spendStep(_ range: SourceRange) throws(RuntimeError) {
        fuel &-= 1
        if fuel < 0 { try refuel(range) }
    }

    /// Out of steps: draws more from the shared budget in a parallel trial, else stops.
    @inline(never)
    func refuel(_ range: SourceRange) throws(RuntimeError) {
        if let pool = sharedFuel {
            let got = pool.take(SharedFuel.chunk)
            if got > 0 {
                fuel += got
                return
            }
        }
        throw outOfSteps(range)
    }

    /// Spends the budget on a built-in's own work, in units of about one loop iteration, so that
    /// under a step budget one call cannot train for seconds. Without a budget it does nothing.
    func charge(_ units: Double, _ name: String, at range: SourceRange) throws(RuntimeError) {
        guard limits.maxSteps != nil else { return }
        let cost = units >= Double(Int.max / 4) || units.isNaN ? Int.max / 4 : max(0, Int(units))
        if cost > fuel, let pool = sharedFuel { fuel += pool.take(cost - fuel) }
        if cost > fuel {
            let left = fuel
            fuel = 0
            throw RuntimeError("step budget exhausted: '\(name)' would take about \(cost) steps of work, \(left) are left", at: range)
        }
        fuel -= cost
    }

    @inline(never)
    func outOfSteps(_ range: SourceRange) -> RuntimeError {
        fuel = 0
        return RuntimeError("step budget exhausted: more than \(limits.maxSteps ?? 0) loop iterations and calls", at: range)
    }

    func stackOverflow(_ range: SourceRange) -> RuntimeError {
        RuntimeError("stack overflow: recursion deeper than \(limits.maxCallDepth) calls", at: range,
                     notes: [Diagnostic.Note("a function that calls itself needs a case that stops the recursion")])
    }

    /// Runs a closure whose arguments are already in `fp`'s first slots.
    @inline(__always)
    func invoke(_ c: Closure, _ fp: Frame, callRange: SourceRange) throws -> Value {
        depth += 1
        defer { depth -= 1 }
        if depth > limits.maxCallDepth { throw stackOverflow(callRange) }
        if Interrupt.isRequested { throw Interrupted() }
        try spendStep(callRange)
        let proto = c.proto
        if !proto.boxedParams.isEmpty {
            for s in proto.boxedParams { fp[s] = .object(Cell(fp[s], owner: id)) }
        }
        if let s = proto.selfSlot { fp[s] = proto.selfBoxed ? .object(Cell(.function(c), owner: id)) : .function(c) }
        // Only a function with captures reads `currentClosure`; others skip the bookkeeping.
        if proto.captures.isEmpty { return try runBody(proto, fp, callRange: callRange) }
        let saved = currentClosure
        currentClosure = Unmanaged.passUnretained(c)
        defer { currentClosure = saved }
        return try runBody(proto, fp, callRange: callRange)
    }

    @inline(__always)
    private func runBody(_ proto: FunctionProto, _ fp: Frame, callRange: SourceRange) throws -> Value {
        do {
            if let e = proto.unretainedExpr { return try e._withUnsafeGuaranteedRef { try $0.eval(self, fp) } }
            if try proto.unretainedBlock!._withUnsafeGuaranteedRef({ try $0.exec(self, fp) }) == .returnValue {
                // Moved out, leaving nil behind: no copy to retain and release.
                var v = Value.none
                swap(&v, &returnValue)
                return v
            }
            return .none
        } catch var e as RuntimeError {
            e.addCaller(proto.name, callRange)
            throw e
        }
    }

    /// A call with named arguments, defaults or a count that differs from the parameters.
    func callClosureGeneral(_ c: Closure, _ args: Arguments, callRange: SourceRange) throws -> Value {
        let proto = c.proto
        let n = proto.paramNames.count
        if args.positional.count > n {
            throw RuntimeError("'\(proto.name)' takes \(n) argument\(n == 1 ? "" : "s"), got \(args.positional.count)", at: callRange,
                               notes: [Diagnostic.Note("defined as fn \(proto.name)(\(proto.paramNames.joined(separator: ", ")))", at: proto.range)])
        }
        let size = proto.frameSize
        let fp = try pushFrame(size, at: callRange)
        defer { popFrame(fp, size) }
        var given = [Bool](repeating: false, count: n)
        for (i, v) in args.positional.enumerated() {
            fp[i] = v
            given[i] = true
        }
        for (k, (label, v)) in args.named.enumerated() {
            guard let i = proto.paramNames.firstIndex(of: label) else {
                let r = args.ranges.indices.contains(args.positional.count + k) ? args.ranges[args.positional.count + k] : callRange
                var notes = [Diagnostic.Note("defined as fn \(proto.name)(\(proto.paramNames.joined(separator: ", ")))", at: proto.range)]
                if let s = closest(label, among: proto.paramNames) { notes.insert(Diagnostic.Note("did you mean '\(s)'?"), at: 0) }
                throw RuntimeError("'\(proto.name)' has no parameter '\(label)'", at: r, notes: notes)
            }
            if given[i] { throw RuntimeError("argument '\(label)' of '\(proto.name)' is given twice", at: callRange) }
            fp[i] = v
            given[i] = true
        }
        // Defaults are evaluated at each call, in the callee's frame, so they can use earlier parameters.
        for i in 0..<n where !given[i] {
            guard let d = proto.defaults[i] else {
                throw RuntimeError("missing argument '\(proto.paramNames[i])' in call to '\(proto.name)'", at: callRange,
                                   notes: [Diagnostic.Note("defined as fn \(proto.name)(\(proto.paramNames.joined(separator: ", ")))", at: proto.range)])
            }
            let saved = currentClosure
            currentClosure = Unmanaged.passUnretained(c)
            defer { currentClosure = saved }
            fp[i] = try d.eval(self, fp)
        }
        return try invoke(c, fp, callRange: callRange)
    }

    func callBuiltin(_ b: Builtin, _ args: consuming Arguments, callRange: SourceRange) throws -> Value {
        let spec = b.spec
        if let problem = spec.arityProblem(positional: args.positional.count, named: !args.named.isEmpty) {
            throw RuntimeError(problem, at: callRange, notes: [Diagnostic.Note("usage: \(spec.signature)")])
        }
        for (k, (label, _)) in args.named.enumerated() where !spec.names.contains(label) {
            let r = args.ranges.indices.contains(args.positional.count + k) ? args.ranges[args.positional.count + k] : callRange
            throw RuntimeError("'\(spec.name)' has no parameter '\(label)'", at: r, notes: [Diagnostic.Note("usage: \(spec.signature)")])
        }
        // The arguments move into the call (no copy of their arrays).
        var call = Call(spec: spec, args: args, interp: self)
        do {
            if let t = tracer { return try t.callBuiltin(b, &call) }
            return try b.body(&call)
        } catch var e as RuntimeError {
            if e.range == nil {
                if let a = e.argument, a < call.args.ranges.count { e.range = call.args.ranges[a] } else { e.range = callRange }
            }
            throw e
        } catch let e as TensorError {
            throw RuntimeError(e.description, at: callRange)
        }
    }

    /// Calls any callable value (used by built-ins that take functions).
    public func call(_ f: Value, _ args: Arguments, callRange: SourceRange) throws -> Value {
        switch f {
        case .function(let fn):
            if fn.isClosure { return try callClosureGeneral(unsafeDowncast(fn, to: Closure.self), args, callRange: callRange) }
            return try callBuiltin(unsafeDowncast(fn, to: Builtin.self), args, callRange: callRange)
        case .object(let o):
            if args.named.isEmpty, let r = try o.call(args.positional, self) { return r }
            fallthrough
        default:
            throw RuntimeError("cannot call \(article(f.typeName))", at: callRange)
        }
    }

    // MARK: - Conversions shared by built-ins

    /// A range as a vector, refusing ranges over the size limit before allocating.
    func materialize(_ v: Value) throws(RuntimeError) -> Value {
        if case .range(let lo, let hi) = v { return .tensor(try rangeTensor(lo, hi, limit: limits.maxElements)) }
        return v
    }

    /// A tensor from a tensor, range, number or list of numbers; nil for other values.
    public func asTensor(_ v: Value) throws(RuntimeError) -> Tensor? {
        switch v {
        case .tensor(let t): return t
        case .range(let lo, let hi): return try rangeTensor(lo, hi, limit: limits.maxElements)
        case .number(let x): return Tensor([x])
        case .list(let items):
            var out: [Double] = []
            for i in items {
                guard case .number(let x) = i else { return nil }
                out.append(x)
            }
            return Tensor(out)
        default: return nil
        }
    }

    /// Checks a requested shape against the size limit before anything is allocated.
    public func checkSize(_ shape: [Int]) throws(RuntimeError) {
        guard let n = Tensor.checkedCount(of: shape), n <= limits.maxElements else {
            let text = shape.map(String.init).joined(separator: " x ")
            throw RuntimeError("a tensor of \(text) elements is over the size limit of \(limits.maxElements) elements",
                               notes: [Diagnostic.Note("raise it with --max-elements if you really mean it")])
        }
    }

    func write(_ text: String) throws {
        try output.write(text)
    }
}

/// The version `psearch --version` prints.
public let psearchVersion = "0.1.0"

/// Steps of a budget shared by threads, handed out in chunks so the interpreters' own
/// per-step check stays a plain decrement.
final class SharedFuel: Sendable {
    /// Steps a worker takes at a time.
    static let chunk = 1024
    private let left: Atomic<Int>

    init(_ steps: Int) { left = Atomic(max(0, steps)) }

    /// Takes up to `wanted` steps; returns how many it got (0 once none are left).
    func take(_ wanted: Int) -> Int {
        var current = left.load(ordering: .relaxed)
        while current > 0 {
            let got = min(current, wanted)
            let (done, seen) = left.compareExchange(expected: current, desired: current - got, ordering: .relaxed)
            if done { return got }
            current = seen
        }
        return 0
    }

    /// Returns steps a worker did not use.
    func giveBack(_ steps: Int) {
        if steps > 0 { left.add(steps, ordering: .relaxed) }
    }

    var remaining: Int { left.load(ordering: .relaxed) }
}
