import Foundation
import PsearchCore
import PsearchStore

/// A continuous search dimension: what `logrange`, `uniform` and `intrange` return, read by
/// the space of `search(objective, space, ...)`.
public final class DomainObject: NativeObject {
    public let domain: ParamDomain

    public init(_ domain: ParamDomain) { self.domain = domain }

    public override var typeName: String { "domain" }

    public override var description: String {
        switch domain {
        case .logRange(let lo, let hi): return "logrange(\(formatNumber(lo)), \(formatNumber(hi)))"
        case .range(let lo, let hi): return "uniform(\(formatNumber(lo)), \(formatNumber(hi)))"
        case .intRange(let lo, let hi): return "intrange(\(lo), \(hi))"
        case .choices(let c): return "choices(\(c.map(\.description).joined(separator: ", ")))"
        }
    }
}

extension Builtins {
    /// Ranges for hyper-parameter search spaces.
    static let hyperSpace: [Builtin] = [
        Builtin(BuiltinSpec("logrange", "a search range sampled log-uniformly (learning rates): 0 < lo <= hi",
                            example: "search(fn(p) = (log(p.lr) + 5) ^ 2, {lr: logrange(1e-4, 1)}, trials: 8, workers: 1).best",
                            [Param("lo", .number), Param("hi", .number)])) { c in
            let (lo, hi) = try bounds(c)
            guard lo > 0 else { throw c.bad("lo", "must be positive for a log range, got \(formatNumber(lo))") }
            return .object(DomainObject(.logRange(lo, hi)))
        },
        Builtin(BuiltinSpec("uniform", "a search range sampled uniformly between lo and hi", example: "uniform(0, 0.5)",
                            [Param("lo", .number), Param("hi", .number)])) { c in
            let (lo, hi) = try bounds(c)
            return .object(DomainObject(.range(lo, hi)))
        },
        Builtin(BuiltinSpec("intrange", "a search range of the whole numbers lo ... hi, both included", example: "intrange(1, 3)",
                            [Param("lo", .int, range: -(1 << 40)...(1 << 40)), Param("hi", .int, range: -(1 << 40)...(1 << 40))])) { c in
            let lo = try c.int("lo"), hi = try c.int("hi")
            guard lo <= hi else { throw c.bad("hi", "must be at least lo (\(lo)), got \(hi)") }
            return .object(DomainObject(.intRange(lo, hi)))
        },
        Builtin(BuiltinSpec("study", "the newest study of a file written by search(..., study: file), as search returned it",
                            example: "search(fn(p) = p.x ^ 2, {x: [1, 2, 3]}, study: \"/tmp/psearch-example.db\", resume: false).best == study(\"/tmp/psearch-example.db\").best",
                            [Param("file", .string)])) { c in
            try study(c)
        },
        Builtin(BuiltinSpec("report",
                            "inside a search objective: tell the search the trial's value after step (an epoch, say); true when the prune rule says stop",
                            example: "search(fn(p) { if report(p.x, 1) { return p.x }; return p.x / 2 }, {x: uniform(0, 1)}, prune: \"median\", trials: 8, workers: 1).best_loss < 1",
                            [Param("value", .number), Param("step", .int)])) { c in
            try report(c)
        },
    ]

    static func report(_ c: Call) throws -> Value {
        guard let trial = c.interp.trial else {
            throw RuntimeError("report(value, step) is for a search objective: outside search(objective, space, ...) there is no trial to report to")
        }
        let value = try c.number("value")
        let step = try c.int("step")
        do {
            return .bool(try trial.report(value, step: step))
        } catch let e as TrialError {
            throw c.bad("step", e.description)
        }
    }

    static func bounds(_ c: Call) throws(RuntimeError) -> (Double, Double) {
        let lo = try c.number("lo"), hi = try c.number("hi")
        guard lo.isFinite else { throw c.bad("lo", "must be a finite number, got \(formatNumber(lo))") }
        guard hi.isFinite && hi >= lo else { throw c.bad("hi", "must be a finite number >= lo (\(formatNumber(lo))), got \(formatNumber(hi))") }
        return (lo, hi)
    }

    /// `search(objective, space, method:, trials: 20, seed:, workers:)`: hyper-parameter search.
    ///
    /// Reads the objective and the space positionally (arguments 1 and 2) and `method`,
    /// `trials`, `seed`, `workers` by name, so any `search` dispatcher can hand its call over.
    /// Returns `{best, best_loss, trials, method}` (+ `note` when interrupted).
    ///
    /// Trials run on `workers` threads, each with its own interpreter (`makeWorker`) sharing
    /// the session's globals read-only; a trial's `rand()` draws from its own stream and its
    /// printed output is written in trial order, so results and output do not depend on the
    /// worker count. With `workers: 1` trials run on the session's interpreter itself.
    /// The form `search(objective, space, method:, trials: 20, seed:, workers:, prune:)`; the method's
    /// default depends on the space (grid for choices only, else tpe), the workers' on the machine.
    static let hyperSearchForm = Form([
        Param("objective", .function), Param("space", .any),
        Param("method", .choice(SearchMethod.allCases.map(\.rawValue)), default: .optional),
        Param("trials", .int, default: .number(Double(SearchOptions.defaultTrials)), range: 1...100_000), .seed,
        Param("workers", .int, default: .optional, range: 1...256),
        Param("prune", .choice(PruneRule.allCases.map(\.rawValue)), default: .optional),
        Param("study", .string, default: .optional), Param("resume", .bool, default: true),
        Param("engine", .choice(["threads", "ray"]), default: "threads"),
    ])

    static func hyperSearch(_ c: inout Call) throws -> Value {
        c.form = c.spec.forms.firstIndex { $0.params.first?.name == "objective" } ?? c.form
        guard let f = c.value(0) else { throw RuntimeError("missing argument #1 to '\(c.spec.name)' (the objective)") }
        switch f {
        case .function, .object: break
        default: throw c.bad(0, "function expected, got \(f.typeName)")
        }
        guard let sv = c.value(1) else { throw RuntimeError("missing argument #2 to '\(c.spec.name)' (the space)") }
        guard case .record(let spaceRecord) = sv else {
            throw c.bad(1, "search space expected: a record of choices or ranges like {lr: logrange(1e-4, 1), hidden: [4, 8, 16]}, got \(sv.typeName)")
        }
        let space = try readSpace(spaceRecord, c)
        let defaultMethod = space.space.isDiscrete ? "grid" : "tpe"
        let method = SearchMethod(rawValue: try c.choice("method", or: defaultMethod))!
        var o = SearchOptions(method: method, trials: try c.int("trials"))
        o.seed = try seedArgument(&c)
        if c.given("prune") {
            o.prune = PruneRule(rawValue: try c.choice("prune"))!
            if method == .halving {
                throw c.bad("prune", "halving already stops trials early by their budget: prune is for grid, random and tpe")
            }
        }
        o.workers = try c.int("workers", or: o.workers)
        let engine = try c.choice("engine")
        let call = c.interp.countSearchCall()
        if let remote = c.interp.remoteTrial {
            // A worker replaying the session: its own call is the trial; the others run here, on threads.
            if call == remote.request.call { try evaluateRemote(remote, c, f, space, o) }
        } else if engine == "ray" {
            guard call != nil else {
                throw c.bad("engine", "a search inside a trial runs where its trial runs: engine \"ray\" is for a search made outside any trial")
            }
        }
        // Worker threads get a quarter of the session thread's 1 GB stack, and a call depth to match.
        o.threadStackSize = 256 << 20
        let budgeted = method == .halving
        if budgeted { try checkTakesBudget(f, c) }
        var remote: WorkerRequest?

        var ray: RayEngine?
        if engine == "ray" && c.interp.remoteTrial == nil, let call {
            let r = try RayEngine(try .fromEnvironment())
            ray = r
            if !c.given("workers") { o.workers = r.cpus }
            o.threadStackSize = 1 << 20  // these threads only wait for the cluster
            let sources = c.interp.ranSources.map {
                WorkerRequest.Script(name: $0.source.name, text: String(decoding: $0.source.bytes, as: UTF8.self), repl: $0.repl)
            }
            remote = WorkerRequest(sources: sources, cwd: FileManager.default.currentDirectoryPath, maxElements: c.interp.limits.maxElements,
                                   call: call, space: space.text, seed: String(o.seed), index: 0, params: [:], budget: nil)
        }
        defer { ray?.close() }
        let runner = TrialRunner(parent: c.interp, objective: f, callRange: c.args.callRange, space: space,
                                 workers: o.workers, budgeted: budgeted)
        if let ray, let remote { runner.remote = (ray, remote) }
        // Under a step budget, trials on worker threads spend the session's steps, shared.
        let parent = c.interp
        if o.workers > 1, parent.limits.maxSteps != nil {
            runner.sharedFuel = SharedFuel(parent.fuel)
            parent.fuel = 0
        }
        defer { if let pool = runner.sharedFuel { parent.fuel = pool.remaining } }
        var store: StudyFile?
        // A worker replays the searches before its own without their study files: the driver keeps those.
        if c.given("study") && c.interp.remoteTrial == nil {
            let path = try c.string("study")
            let spec = StudySpec(
                objective: objectiveName(f), space: space.text, method: method.rawValue,
                seed: o.seed, prune: o.prune?.rawValue ?? "none",
                // Halving's candidates and budgets follow the trial count; the other methods' trial k does not.
                settings: method == .halving ? "trials: \(o.trials)" : "", trials: o.trials,
                scriptHash: scriptHash(c.interp.sources[c.args.callRange.source]?.bytes ?? []))
            let resume = try c.bool("resume")
            do {
                store = try StudyFile.open(path, spec: spec, resume: resume)
            } catch {
                throw c.bad("study", error.message)
            }
        }
        let result: SearchResult
        do {
            result = try Trials.search(space: space.space, options: o, store: store) { input in try runner.run(input) }
        } catch let e as StudyError {
            try? runner.flush()
            throw RuntimeError(e.message)
        } catch let e as TrialError {
            try runner.flush()
            throw RuntimeError(e.description)
        } catch {
            try? runner.flush()
            throw error
        }
        try runner.flush()
        return .object(ResultObject(.trials(result, decode: space.decode)))
    }

    /// In a worker, at its search call: evaluates the one trial the driver asked for, keeps the
    /// reply on `remote`, and unwinds the replay (the driver does the searching).
    static func evaluateRemote(_ remote: RemoteTrial, _ c: Call, _ f: Value, _ space: Space, _ o: SearchOptions) throws -> Never {
        let req = remote.request
        func done(_ reply: WorkerReply) -> RemoteTrialDone {
            remote.reply = reply
            return RemoteTrialDone()
        }
        guard space.text == req.space, String(o.seed) == req.seed else {
            throw done(WorkerReply(refused: "search call #\(req.call) replays here with space \(space.text) and seed \(o.seed), "
                                       + "the driver's has space \(req.space) and seed \(req.seed)"))
        }
        var params: [String: ParamValue] = [:]
        for d in space.space.dimensions {
            guard let v = req.params[d.name]?.value, fits(v, d.domain) else {
                throw done(WorkerReply(refused: "the request's value of '\(d.name)' is missing or outside the space"))
            }
            params[d.name] = v
        }
        guard params.count == req.params.count else { throw done(WorkerReply(refused: "the request names parameters the space does not have")) }
        let runner = TrialRunner(parent: c.interp, objective: f, callRange: c.args.callRange, space: space, workers: 1,
                                 budgeted: o.method == .halving)
        let out = BufferSink()
        let saved = c.interp.output
        c.interp.output = out
        defer { c.interp.output = saved }
        var reporter: TrialReporter?
        if let p = req.pruning {
            let history = p.history.compactMap(\.reports)
            let rule = PruneRule(rawValue: p.rule)
            guard rule == o.prune, rule != nil || p.rule == "none", history.count == p.history.count else {
                throw done(WorkerReply(refused: "the request's prune rule or reports do not match this search's (prune: \(o.prune?.rawValue ?? "none"))"))
            }
            reporter = TrialReporter(index: req.index, rule: rule, history: history)
        } else if o.prune != nil {
            throw done(WorkerReply(refused: "this search prunes (prune: \(o.prune!.rawValue)) and the request sent no reports to decide from"))
        }
        // Halving sets budgets instead of taking reports: there the request has no `pruning`.
        do {
            let loss = try runner.run(TrialInput(index: req.index, params: params, budget: req.budget, random: Random(seed: o.seed).stream(req.index),
                                                 reporter: reporter))
            throw done(WorkerReply(loss: "\(loss)", output: out.text, reports: reporter.map { .init($0.reportsSoFar) }))
        } catch let e as RuntimeError {
            // As the worker would print it (calls folded, the rest counted), placed in the driver's sources.
            let d = c.interp.diagnostic(e)
            throw done(WorkerReply(output: out.text, error: .init(d.message, d.range), notes: d.notes.map { .init($0.message, $0.range) }))
        }
    }

    /// A value the driver sent fits its dimension (choices by index, integers whole).
    static func fits(_ v: ParamValue, _ domain: ParamDomain) -> Bool {
        switch (domain, v) {
        case (.choices(let c), _): return v.int.map { c.indices.contains($0) } ?? false
        case (.range(let lo, let hi), .number(let x)): return x >= lo && x <= hi
        case (.logRange(let lo, let hi), .number(let x)): return x >= lo && x <= hi
        case (.intRange(let lo, let hi), _): return v.int.map { (lo...hi).contains($0) } ?? false
        default: return false
        }
    }

    static func objectiveName(_ f: Value) -> String {
        if case .function(let fn) = f, let closure = fn as? Closure { return closure.proto.name }
        return f.typeName
    }

    /// FNV-1a (64-bit) of a script's bytes, recorded with a study.
    static func scriptHash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return "fnv1a64:" + String(h, radix: 16)
    }

    /// `study(file)`: the newest study of a file `search(..., study: file)` wrote, as search returned it.
    static func study(_ c: Call) throws -> Value {
        let path = try c.string("file")
        let read: (info: StudyInfo, trials: [StoredTrial])
        do { read = try StudyFile.read(path) } catch { throw c.bad("file", error.message) }
        return .object(ResultObject(.trials(try studyResult(read.info, read.trials), decode: try studySpace(read.info).decode)))
    }

    /// The space a study was made with, read back from its source text.
    static func studySpace(_ info: StudyInfo) throws -> Space {
        let scratch = Interpreter(output: BufferSink())
        guard case .record(let r)? = try? scratch.run(info.spec.space, name: "<study space>", repl: true) else {
            throw RuntimeError("the study's space \(info.spec.space) cannot be read back")
        }
        let args = Arguments([.number(0), .record(r)])
        let call = Call(spec: Builtins.named("search")!.spec, args: args, interp: scratch)
        return try readSpace(r, call)
    }

    /// The finished trials of a study as the search's result: best of the last round, note when unfinished.
    static func studyResult(_ info: StudyInfo, _ stored: [StoredTrial]) throws -> SearchResult {
        let done = stored.filter { $0.state.isFinished }.map(\.record)
        let lastRound = done.map(\.round).max() ?? 0
        let pool = done.filter { $0.round == lastRound }
        guard let best = pool.min(by: { a, b in
            let (la, lb) = (a.loss.isNaN ? .infinity : a.loss, b.loss.isNaN ? .infinity : b.loss)
            return la != lb ? la < lb : a.index < b.index
        }) else { throw RuntimeError("the study has no finished trial yet") }
        let method = SearchMethod(rawValue: info.spec.method) ?? .random
        let open = stored.count - done.count
        let space = try studySpace(info).space
        return SearchResult(best: best.params, bestLoss: best.loss, trials: done, method: method, names: space.names,
                            interrupted: open > 0,
                            note: open > 0 ? "\(open) trial\(open == 1 ? "" : "s") of the study did not finish: best of those that did" : nil,
                            space: space)
    }

    /// Halving hands each trial its budget: the objective needs a `budget` parameter (or a second one).
    static func checkTakesBudget(_ f: Value, _ c: Call) throws(RuntimeError) {
        guard case .function(let fn) = f else { return }
        let names = fn.parameterNames
        if fn is Closure && !names.contains("budget") && names.count < 2 {
            throw c.bad(0, "method \"halving\" calls the objective with a budget: define it as fn(p, budget)")
        }
    }

    /// The space as the core sees it: lists become choices by index (so any value can be a
    /// choice: numbers, strings, lists of layer sizes), ranges stay ranges.
    struct Space {
        var space: SearchSpace
        /// The values of each choice dimension, by name.
        var choices: [String: [Value]]

        /// The space as psearch source, choices by their values: what a study file keeps.
        var text: String {
            "{" + space.dimensions.map { d in
                if let items = choices[d.name] { return "\(d.name): [" + items.map(\.repr).joined(separator: ", ") + "]" }
                return "\(d.name): \(DomainObject(d.domain).description)"
            }.joined(separator: ", ") + "}"
        }

        func decode(_ p: [String: ParamValue]) -> Record {
            Record(space.names.map { name in
                let v = p[name]!
                if let items = choices[name], let i = v.int { return (name, items[i]) }
                return (name, paramValue(v))
            })
        }
    }

    static func readSpace(_ r: Record, _ c: Call) throws(RuntimeError) -> Space {
        var dims: [SearchSpace.Dimension] = []
        var choices: [String: [Value]] = [:]
        guard !r.names.isEmpty else { throw c.bad(1, "the search space has no parameters") }
        for (name, v) in zip(r.names, r.values) {
            var items: [Value]? = nil
            switch v {
            case .list(let l): items = l
            case .tensor(let t) where t.rank == 1: items = t.data.map { .number($0) }
            case .range:
                guard case .tensor(let t) = try c.interp.materialize(v) else { items = [] ; break }
                items = t.data.map { .number($0) }
            case .object(let o as DomainObject):
                dims.append(.init(name, o.domain))
            case .number, .string, .bool:
                items = [v]
            default:
                throw c.bad(1, "parameter '\(name)' must be a list of choices or a range (logrange, uniform, intrange), got \(v.typeName)")
            }
            if let items {
                guard !items.isEmpty else { throw c.bad(1, "parameter '\(name)' has no choices") }
                choices[name] = items
                dims.append(.init(name, .choices(items.indices.map { .number(Double($0)) })))
            }
        }
        return Space(space: SearchSpace(dims), choices: choices)
    }
}

/// Runs the psearch objective for `Trials.search`, on whichever thread the executor picks.
///
/// Marked unchecked-Sendable because it hands interpreters to threads: each interpreter is
/// used by one trial at a time (taken from and returned to `pool` under `lock`), the parent
/// only when there is a single worker (then everything runs on the calling thread).
final class TrialRunner: @unchecked Sendable {
    let parent: Interpreter
    let objective: Value
    let callRange: SourceRange
    let space: Builtins.Space
    let workers: Int
    let budgeted: Bool
    /// The step budget the workers share, when the session has one.
    var sharedFuel: SharedFuel?
    private let lock = NSLock()
    private var pool: [Interpreter] = []
    /// Trial outputs waiting for earlier trials, written in index order.
    private var pending: [Int: String] = [:]
    private var nextToWrite = 0
    private var writeError: Error?

    init(parent: Interpreter, objective: Value, callRange: SourceRange, space: Builtins.Space, workers: Int, budgeted: Bool) {
        self.parent = parent
        self.objective = objective
        self.callRange = callRange
        self.space = space
        self.workers = workers
        self.budgeted = budgeted
    }

    /// Set for engine "ray": trials go to the cluster as worker requests made from this template.
    var remote: (engine: RayEngine, template: WorkerRequest)?

    func run(_ input: TrialInput) throws -> Double {
        if let remote { return try runRemote(input, remote.engine, remote.template) }
        let params = Value.record(space.decode(input.params))
        var args = Arguments([params])
        if budgeted, let b = input.budget {
            if case .function(let fn) = objective, fn.parameterNames.contains("budget") {
                args.named = [("budget", .number(Double(b)))]
            } else {
                args.positional.append(.number(Double(b)))
            }
        }
        let result: Value
        if workers == 1 {
            // On the calling thread: the session's own interpreter, with the trial's stream.
            let (saved, savedTrial) = (parent.random, parent.trial)
            parent.random = input.random
            parent.trial = input.reporter
            parent.trialDepth += 1
            defer {
                (parent.random, parent.trial) = (saved, savedTrial)
                parent.trialDepth -= 1
            }
            result = try parent.call(objective, args, callRange: callRange)
        } else {
            let ip = take()
            let out = BufferSink()
            ip.output = out
            ip.random = input.random
            ip.trial = input.reporter
            ip.sharedFuel = sharedFuel
            defer {
                // Steps this trial drew but did not use go back to the others.
                if let pool = sharedFuel {
                    pool.giveBack(ip.fuel)
                    ip.fuel = 0
                }
                // Before the interpreter goes back: once in the pool another trial may take it.
                ip.trial = nil
                give(ip)
                deliver(input.index, out.text)
            }
            result = try ip.call(objective, args, callRange: callRange)
        }
        guard case .number(let loss) = result else {
            throw RuntimeError("the search objective must return a number (the loss), got \(result.typeName)", at: callRange)
        }
        return loss
    }

    /// One trial as a Ray task: its output is written in trial order as the local workers' is.
    private func runRemote(_ input: TrialInput, _ engine: RayEngine, _ template: WorkerRequest) throws -> Double {
        var request = template
        request.index = input.index
        request.params = input.params.mapValues(WorkerRequest.Param.init)
        request.budget = input.budget
        // Pruning decisions read trials 0 ..< k − lag: they go with the trial (waiting for them
        // first, as the local reporter would at its first report).
        if let r = input.reporter {
            request.pruning = .init(rule: r.pruneRule?.rawValue ?? "none",
                                    history: r.pruneRule == nil ? [] : try r.decisionHistory().map(WorkerRequest.Reports.init))
        }
        let text = try engine.run(id: input.index, request: String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
        guard let reply = try? JSONDecoder().decode(WorkerReply.self, from: Data(text.utf8)) else {
            throw RuntimeError("engine \"ray\": the psearch worker for trial \(input.index) wrote no reply: \(text.prefix(120))", at: callRange)
        }
        if let why = reply.refused { throw RuntimeError("engine \"ray\": the worker for trial \(input.index) refused it: \(why)", at: callRange) }
        deliver(input.index, reply.output)
        if let r = input.reporter, let sent = reply.reports {
            guard let reports = sent.reports else {
                throw RuntimeError("engine \"ray\": the worker for trial \(input.index) sent unreadable reports", at: callRange)
            }
            r.adopt(reports)
        }
        if let e = reply.error {
            throw RuntimeError(e.message, at: e.range, notes: (reply.notes ?? []).map { Diagnostic.Note($0.message, at: $0.range) })
        }
        guard let loss = reply.loss.flatMap(Double.init) else {
            throw RuntimeError("engine \"ray\": the worker for trial \(input.index) sent no loss", at: callRange)
        }
        return loss
    }

    private func take() -> Interpreter {
        lock.lock()
        defer { lock.unlock() }
        if let ip = pool.popLast() { return ip }
        // A worker thread's stack is a quarter of the session thread's: so is its call depth.
        return parent.makeWorker(output: BufferSink(), maxCallDepth: parent.limits.maxCallDepth / 4)
    }

    private func give(_ ip: Interpreter) {
        lock.lock()
        pool.append(ip)
        lock.unlock()
    }

    /// Writes trial `index`'s output once every earlier trial's is written.
    private func deliver(_ index: Int, _ text: String) {
        lock.lock()
        defer { lock.unlock() }
        pending[index] = text
        while let t = pending.removeValue(forKey: nextToWrite) {
            write(t)
            nextToWrite += 1
        }
    }

    private func write(_ text: String) {
        guard !text.isEmpty, writeError == nil else { return }
        do { try parent.output.write(text) } catch { writeError = error }
    }

    /// Writes what is left (trials after a gap left by an interrupt or error), in index order.
    func flush() throws {
        lock.lock()
        defer { lock.unlock() }
        for i in pending.keys.sorted() { write(pending[i]!) }
        pending = [:]
        if let e = writeError { throw e }
    }
}
