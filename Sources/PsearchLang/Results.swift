import Foundation
import PsearchCore

/// A typed core result as a psearch value. It reads like a record (`type(r)` is "record",
/// `r.x`, `r["x"]`, `len(r)`, `==`, and writing a field turns it into a plain record), and
/// its fields derive from the typed value. `plot`, printing and summaries switch on `kind`,
/// never on field names.
///
/// A new result kind: a case here with its fields in `fields(of:)`, a builder where the
/// built-in returns it, and its figure in `PlotCall.resultFigure` (the switch is exhaustive,
/// so the compiler lists what is missing).
/// `compare`'s runs. On a line the guaranteed methods (golden section, and bisection on the
/// slope's sign) run too, each with the bracket it kept: `brackets[i]` for run i, and why it
/// stopped in `stops[i]` when that is not the bracket's width.
public struct MethodComparison {
    public var runs: [DescentResult]
    /// Wall time of each run: a field, not in the table, which prints the same bytes every run.
    public var seconds: [Double]
    public var brackets: [Int: (lo: Double, hi: Double)] = [:]
    public var stops: [Int: String] = [:]
    /// The bracket the guaranteed methods started from.
    public var start: (lo: Double, hi: Double)?
    public var f: Value
}

public final class ResultObject: NativeObject {
    public enum Kind {
        /// `descend(f, start)`; `f` rides along so `plot(r)` can draw the path on f's contours
        /// (multi-start runs carry none). `note` is appended to the message.
        case descent(DescentResult, scalarStart: Bool, note: String?, f: Value?)
        /// `descend(f, starts: N, box:)`: every run, the distinct minima, the best run.
        case multiStart(MultiStartResult, note: String?, f: Value)
        /// `search(xs, target)`; `xs` is the searched vector (shared storage), for the kept halves.
        case binarySearch(BinarySearchResult, xs: [Double])
        /// `search(f, lo, hi)`: golden section, bisection or a grid.
        case interval(IntervalResult)
        /// `search(objective, space)`; `decode` names a trial's parameters as the space does.
        case trials(SearchResult, decode: ([String: ParamValue]) -> Record)
        /// A trained model's `history`.
        case history(TrainHistory)
        /// `compare(f, start, methods:, budget:)`: one run per method, same start and budget.
        case comparison(MethodComparison)
        /// `automl(data)`: the best design trained (`model`, a model value) and the leaderboard.
        case automl(AutoMLResult, model: Value)
    }

    public let kind: Kind
    /// How the run was made, for the summary ("adam, lr 0.01"); nil when the kind says it.
    public let method: String?
    /// Field names in print order; `values[i]` is nil until field i is first read.
    public let names: [String]
    private var values: [Value?]
    /// Rebuilds a deferred descent path; `rerun` holds the recorded run once it has been made.
    private let rerun: (() throws -> DescentResult)?
    private var rerunResult: DescentResult?
    /// Parallel search trials may read a global result at once; one computes a lazy field, the
    /// others wait for it.
    /// An NSLock, not Synchronization's Mutex: ThreadSanitizer does not see the Mutex's futex as
    /// ordering the accesses it guards and reports a race that is not there.
    private let lock = NSLock()
    /// A binary search's fields: `search(xs, t)` is called in loops, so its result is made
    /// without a table of values and its numbers are read straight from the typed value.
    private static let binarySearchNames = ["found", "index", "steps", "bound", "trace"]

    /// `rerun` rebuilds a descent's deferred path: the objective was pure, so the same steps
    /// recorded give the same rows, and a long run nobody plots never fills memory with them.
    public init(_ kind: Kind, method: String? = nil, rerun: (() throws -> DescentResult)? = nil) {
        self.kind = kind
        self.method = method
        if case .binarySearch = kind {
            names = Self.binarySearchNames
            values = [nil]  // the trace, made on first read
        } else {
            let fields = ResultObject.fields(of: kind)
            names = fields.map(\.0)
            values = fields.map(\.1)
        }
        self.rerun = rerun
    }

    /// The typed core result, for the kinds that are searches (a history is part of one).
    public var result: (any OptimizationResult)? {
        switch kind {
        case .descent(let r, _, _, _): return r
        case .multiStart(let r, _, _): return r
        case .binarySearch(let r, _): return r
        case .interval(let r): return r
        case .trials(let r, _): return r
        case .history, .comparison, .automl: return nil
        }
    }

    public override var typeName: String { "record" }
    public override var isRecordLike: Bool { true }
    public override var fieldNames: [String] { names }

    public override func field(_ name: String) throws -> Value? {
        if case .binarySearch(let r, _) = kind {
            switch name {
            case "found": return .bool(r.found)
            case "index": return .number(Double(r.index))
            case "steps": return .number(Double(r.steps))
            case "bound": return .number(Double(r.bound))
            case "trace": return try cached(0, name)
            default: return nil
            }
        }
        guard let i = names.firstIndex(of: name) else { return nil }
        return try cached(i, name)
    }

    /// Field i's value, computed once (under the lock: parallel trials may read it at once).
    private func cached(_ i: Int, _ name: String) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let v = values[i] { return v }
        let v = try compute(name)
        values[i] = v
        return v
    }

    /// A field the typed value does not hold ready: a binary search's kept halves (rebuilt from
    /// the step bits, so a search in a loop stays O(log n)), a descent's deferred path and losses.
    private func compute(_ name: String) throws -> Value {
        switch kind {
        case .binarySearch(let r, let xs):
            return .list(r.trace(xs).map { .tensor(Tensor($0)) })
        case .descent:
            if rerunResult == nil {
                guard let rerun else { return .none }
                let again = try rerun()
                if again.interrupted { throw Interrupted() }
                rerunResult = again
            }
            return name == "path" ? .tensor(rerunResult!.path) : .tensor(Tensor(rerunResult!.losses))
        default:
            return .none
        }
    }

    /// The record of every field (a lazy one is computed even if Ctrl-C is pressed: printing
    /// cannot stop half-way; one that still fails is left out).
    public override var description: String {
        if case .comparison(let c) = kind { return Self.table(c) }
        var fields: [(String, Value)] = []
        for name in names {
            if let v = try? field(name) { fields.append((name, v)) }
        }
        return Value.record(Record(fields)).repr
    }

    // MARK: - Summaries at the prompt

    /// The figures that matter, in at most `echo.lines` lines; fields named by their shape.
    /// A result small enough to print whole on one line echoes as `print` shows it.
    public override func summary(_ echo: Echo) -> String? {
        // A comparison's printed form is already its summary: the table, a line per method.
        if case .comparison = kind { return description }
        let whole = description
        if TextWidth.of(whole) <= echo.width { return whole }
        var lines: [String]
        switch kind {
        case .descent(let r, _, _, _):
            let message = (try? field("message"))?.flatMap { if case .string(let s) = $0 { s } else { nil } } ?? r.message
            lines = ["descend" + (method.map { " (\($0))" } ?? "") + ": " + message]
            lines += fieldLines(echo, ["x", "loss", "evaluations"])
            lines.append(shapes(echo, ["path", "losses"]))
        case .multiStart(let m, _, _):
            let diverged = m.runs.filter(\.diverged).count
            var head = "descend from \(m.runs.count) starts" + (method.map { " (\($0))" } ?? "") + ": "
            head += "\(m.minima.count) distinct minim\(m.minima.count == 1 ? "um" : "a")"
            if diverged > 0 { head += ", \(diverged) run\(diverged == 1 ? "" : "s") diverged" }
            lines = [head]
            let xs = m.minima.map { brief($0.x) }
            let xWidth = max(7, xs.map { TextWidth.of($0) }.max() ?? 0)
            let losses = m.minima.map { brief($0.loss) }
            let lossWidth = max(4, losses.map(\.count).max() ?? 0)
            func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - TextWidth.of(s))) }
            if !m.minima.isEmpty { lines.append("  " + pad("minimum", xWidth) + "  " + pad("loss", lossWidth) + "  runs") }
            let room = echo.lines - 4
            let shown = m.minima.count <= room ? m.minima.count : room - 1
            for k in 0..<shown {
                lines.append("  " + pad(xs[k], xWidth) + "  " + pad(losses[k], lossWidth) + "  \(m.minima[k].count)")
            }
            if shown < m.minima.count { lines.append("  … \(m.minima.count - shown) more minima") }
            if let b = m.best { lines.append("  best: x \(brief(m.runs[b].x)), loss \(brief(m.runs[b].loss))") }
            lines.append(shapes(echo, ["runs", "minima", "best", "starts", "f"]))
        case .trials(let r, _):
            let pruned = r.trials.filter(\.pruned).count
            let seconds = r.trials.reduce(0) { $0 + $1.seconds }
            var head = "search (\(r.method.rawValue)): \(r.trials.count) trial\(r.trials.count == 1 ? "" : "s")"
            if pruned > 0 { head += ", \(pruned) pruned" }
            if r.interrupted { head += ", interrupted" }
            head += ", best loss \(brief(r.bestLoss))"
            if let k = r.trials.firstIndex(where: { $0.loss == r.bestLoss && !$0.pruned }) { head += " (trial \(k))" }
            head += String(format: ", %.3g s in trials", seconds)
            lines = [head]
            lines += fieldLines(echo, ["best"])
            if let n = r.note { lines.append("  note: " + n.clipped(echo.width - 8)) }
            lines.append(shapes(echo, ["trials"]))
        case .automl(let r, _):
            let classifies = r.leaderboard.contains { !$0.valAccuracy.isNaN }
            lines = ["automl: \(r.trials) trial\(r.trials == 1 ? "" : "s"), \(r.leaderboard.count) design\(r.leaderboard.count == 1 ? "" : "s") raced by successive halving"]
            lines += fieldLines(echo, ["model"])
            let metric = classifies ? "val acc" : "val loss"
            lines.append("  rank  \(metric)  epochs  design")
            func weights(_ e: LeaderboardEntry) -> String {
                " (\(Model.grouped(e.weights)) weight\(e.weights == 1 ? "" : "s"))"
            }
            let room = echo.lines - 5
            let shown = r.leaderboard.count <= room ? r.leaderboard.count : room - 1
            for (k, e) in r.leaderboard.prefix(shown).enumerated() {
                let value = brief(classifies ? e.valAccuracy : e.valLoss)
                lines.append("  " + "\(k + 1)".padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                             + value.padding(toLength: max(metric.count, value.count), withPad: " ", startingAt: 0) + "  "
                             + "\(e.epochs)".padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + e.design + weights(e))
            }
            if shown < r.leaderboard.count { lines.append("  … \(r.leaderboard.count - shown) more designs") }
            if let n = r.note { lines.append("  note: " + n.clipped(echo.width - 8)) }
            lines.append(shapes(echo, ["leaderboard"]))
        default:
            return nil
        }
        lines.append(echo.atPrompt ? "  (print shows every field; :full the last value whole)" : "  (print shows every field)")
        return lines.map { $0.clipped(echo.width) }.joined(separator: "\n")
    }

    /// "  x: [3, 2]" for each field, shortened to the width.
    private func fieldLines(_ echo: Echo, _ names: [String]) -> [String] {
        names.compactMap { name in
            guard let v = try? field(name) else { return nil }
            return "  \(name): " + echo.inline(v, echo.width - TextWidth.of(name) - 4)
        }
    }

    /// "  also: path (78 x 2 matrix), losses (vector of 78)": the fields a summary does not
    /// spell out, by their shape.
    private func shapes(_ echo: Echo, _ names: [String]) -> String {
        let parts = names.compactMap { name -> String? in
            guard let v = try? field(name) else { return nil }
            return "\(name) (\(echo.kind(v)))"
        }
        return "  also: " + parts.joined(separator: ", ")
    }

    /// The run with the lowest finite loss (the first on a tie).
    static func bestIndex(_ runs: [DescentResult]) -> Int {
        var best = 0
        for (i, r) in runs.enumerated() where r.loss.isFinite && !(runs[best].loss <= r.loss) { best = i }
        return best
    }

    /// Why a gradient-descent run stopped, in the table's words.
    static func stepStop(_ r: DescentResult) -> String {
        if r.diverged { return "diverged" }
        if r.stalled { return "line search stalled" }
        return r.converged ? "gradient tolerance" : "evaluation budget"
    }

    /// A comparison as a table: method, calls of f, of its gradient, of its Hessian, final loss,
    /// distance to the best end point, why it stopped. Times are left out: the printed form is
    /// the same bytes on every run.
    static func table(_ c: MethodComparison) -> String {
        let runs = c.runs
        let best = runs.isEmpty ? [] : runs[bestIndex(runs)].x
        let head = ["method", "evaluations", "gradients", "hessians", "loss", "distance to best", "stop"]
        let g3 = { (v: Double) in formatNumber(Double(String(format: "%.3g", v)) ?? v) }
        let rows = runs.enumerated().map { i, r -> [String] in
            let d = zip(r.x, best).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let stop = c.stops[i] ?? c.brackets[i].map { "bracket \(g3($0.hi - $0.lo)) wide" } ?? r.termination?.rawValue ?? stepStop(r)
            return [r.method ?? "", "\(r.evaluations)", "\(r.gradientEvaluations)", "\(r.hessianEvaluations)",
                    formatNumber(Double(String(format: "%.6g", r.loss)) ?? r.loss), g3(d), stop]
        }
        let widths = head.indices.map { i in ([head[i]] + rows.map { $0[i] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, s in s.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(head)] + rows.map(line)).joined(separator: "\n")
    }

    // MARK: - Fields of each kind

    /// The fields in print order, nil where `compute` makes it on first read.
    private static func fields(of kind: Kind) -> [(String, Value?)] {
        switch kind {
        case .descent(let r, let scalarStart, let note, let f):
            var fields: [(String, Value?)] = [
                ("x", scalarStart ? .number(r.x[0]) : .tensor(Tensor(r.x))),
                ("loss", .number(r.loss)),
                ("steps", .number(Double(r.steps))),
                ("evaluations", .number(Double(r.evaluations))),
                ("converged", .bool(r.converged)),
                ("diverged", .bool(r.diverged)),
                ("message", .string(note.map { r.message + "; " + $0 } ?? r.message)),
            ]
            if r.pathDeferred {
                fields += [("path", nil), ("losses", nil)]
            } else {
                fields += [("path", .tensor(r.path)), ("losses", .tensor(Tensor(r.losses)))]
            }
            if let f { fields.append(("f", f)) }
            if let method = r.method, let why = r.termination {
                // Only the second-order methods: the per-step rules print as they always have.
                fields += [("method", .string(method)), ("stop", .string(why.rawValue)),
                           ("gradient_evaluations", .number(Double(r.gradientEvaluations))),
                           ("hessian_evaluations", .number(Double(r.hessianEvaluations)))]
            }
            return fields
        case .multiStart(let m, let note, let f):
            let runs = m.runs.map { Value.object(ResultObject(.descent($0, scalarStart: false, note: note, f: nil))) }
            let minima = m.minima.map { min in
                Value.record(Record([("x", .tensor(Tensor(min.x))), ("loss", .number(min.loss)), ("count", .number(Double(min.count)))]))
            }
            let n = m.starts.first?.count ?? 0
            return [
                ("runs", .list(runs)),
                ("minima", .list(minima)),
                ("best", m.best.map { runs[$0] } ?? Value.none),
                ("starts", .tensor(Tensor(shape: [m.starts.count, n], data: m.starts.flatMap { $0 }))),
                ("f", f),
            ]
        case .binarySearch:
            return []  // read straight from the typed value (see `field`)
        case .interval(let r):
            var trace: [Double] = []
            trace.reserveCapacity(2 * r.trace.count)
            for s in r.trace {
                trace.append(s.lo)
                trace.append(s.hi)
            }
            return [
                ("x", .number(r.x)),
                ("loss", .number(r.loss)),
                ("steps", .number(Double(r.steps))),
                ("evaluations", .number(Double(r.evaluations))),
                ("bound", .number(Double(r.bound))),
                ("trace", .tensor(Tensor(shape: [r.trace.count, 2], data: trace))),
            ]
        case .trials(let r, let decode):
            var fields: [(String, Value?)] = [
                ("best", .record(decode(r.best))),
                ("best_loss", .number(r.bestLoss)),
                ("trials", .list(r.trials.map { t in
                    var fields: [(String, Value)] = [("params", .record(decode(t.params))), ("loss", .number(t.loss)),
                                                     ("seconds", .number(t.seconds)), ("pruned", .bool(t.pruned))]
                    if let b = t.budget { fields.append(("budget", .number(Double(b)))) }
                    return .record(Record(fields))
                })),
                ("method", .string(r.method.rawValue)),
            ]
            if let n = r.note { fields.append(("note", .string(n))) }
            return fields
        case .comparison(let c):
            let runs = c.runs, f = c.f
            return [
                ("methods", .list(runs.map { .string($0.method ?? "") })),
                ("runs", .list(runs.map { .object(ResultObject(.descent($0, scalarStart: false, note: nil, f: nil))) })),
                ("best", .number(Double(bestIndex(runs)))),
                ("seconds", .tensor(Tensor(c.seconds))),
                ("f", f),
            ]
        case .automl(let r, let model):
            let board: [Value] = r.leaderboard.map { e in
                let params = Record(e.params.keys.sorted().map { ($0, Builtins.paramValue(e.params[$0]!)) })
                return .record(Record([("model", .string(e.model)), ("params", .record(params)), ("epochs", .number(Double(e.epochs))),
                                       ("val_loss", .number(e.valLoss)), ("val_acc", .number(e.valAccuracy)), ("seconds", .number(e.seconds))]))
            }
            return [("model", model), ("leaderboard", .list(board)), ("trials", .number(Double(r.trials)))]
        case .history(let h):
            return [
                ("train_loss", .tensor(Tensor(h.trainLoss))),
                ("val_loss", .tensor(Tensor(h.valLoss))),
                ("val_acc", .tensor(Tensor(h.valAccuracy))),
            ]
        }
    }
}
