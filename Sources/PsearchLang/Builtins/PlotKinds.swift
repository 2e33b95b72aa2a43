import Foundation
import PsearchCore
import PsearchPlot

/// A dataset as plot reads it: any record or object with `X` (n x d) and `y` (n labels).
struct DatasetView {
    var X: Tensor
    var y: [Double]
    var classNames: [String]?
    var n: Int { X.rows }
    var d: Int { X.cols }

    /// Labels that are whole numbers 0..<256 are classes; anything else is a regression target.
    var classes: [Int]? {
        guard y.allSatisfy({ $0 >= 0 && $0 < 256 && $0 == $0.rounded() }) else { return nil }
        return y.map { Int($0) }
    }

    func column(_ j: Int) -> [Double] { (0..<n).map { X.data[$0 * d + j] } }
}

/// The colour every run of a multi-start descent shares, so the minima stand out.
private let runColor = RGB(255, 64, 64)

extension PlotCall {
    // MARK: - plot: dispatch on the argument

    /// The figures of `plot`: several only for a search's `kind: "slice"`, one per parameter.
    func figuresForPlot() throws -> [Figure] {
        let v = try c.required("value")
        if isTrials(v) && c.value("data") == nil { return try trialsFigures(v) }
        if case .object(let o as ResultObject) = v, case .comparison(let cmp) = o.kind { return try comparisonFigures(v, cmp) }
        if c.given("kind") { throw c.bad("kind", "kind: is for a search or compare result; this is \(article(v.typeName))") }
        return [try figureForPlot()]
    }

    /// `plot(compare(...))`: every method's path (on f's contours in 2-d, on f's curve on a line)
    /// and the loss curves, or the one `kind:` names ("paths" or "loss").
    private func comparisonFigures(_ v: Value, _ cmp: MethodComparison) throws -> [Figure] {
        let kind = try c.given("kind") ? c.choice("kind", or: "paths") : nil
        if let kind, kind != "paths" && kind != "loss" {
            throw c.bad("kind", "a compare result is drawn as kind: \"paths\" or kind: \"loss\", got \"\(kind)\"")
        }
        if kind == nil && c.given("file") {
            throw c.bad("file", "a compare result draws two figures; give kind: \"paths\" or kind: \"loss\" to write one of them to a file")
        }
        let methods = cmp.runs.map { $0.method ?? "?" }
        var figures: [Figure] = []
        if kind != "loss" {
            let dim = cmp.runs.first?.dimension ?? 0
            figures.append(dim == 1 ? try lineComparisonFigure(cmp, methods) : try descentFigure(v, multi: true, methods: methods))
        }
        if kind != "paths" {
            let runs = zip(cmp.runs, methods).filter { !$0.0.losses.isEmpty }
            guard !runs.isEmpty else { throw c.bad("value", "nothing to plot: the runs recorded no losses") }
            // Runs of 27 and 2000 steps on one linear axis squeeze the short ones against its left
            // edge: when the lengths span a decade, steps go on a log axis (counted from 1).
            let lengths = runs.map { Double($0.0.losses.count) }
            let logSteps = lengths.max()! >= 10 * lengths.min()!
            let series = runs.map { r, m in
                Series.line(logSteps ? Line(xs: r.losses.indices.map { Double($0 + 1) }, ys: r.losses, label: m) : Line(ys: r.losses, label: m))
            }
            figures.append(Figure(title: "compare: loss at each step", x: Axis(label: logSteps ? "step (log)" : "step", log: logSteps),
                                  y: decadesAxis("loss", cmp.runs.flatMap(\.losses)), series: series))
        }
        return figures
    }

    /// A comparison on a line: f over the bracket and every end point, each method's end marked,
    /// and the bracket golden section and bisection started from.
    private func lineComparisonFigure(_ cmp: MethodComparison, _ methods: [String]) throws -> Figure {
        func value(_ f: Value, _ x: Double) throws -> Double {
            try scalar(try callNumbers(f, x), from: name(of: f), at: "x = \(formatNumber(x))")
        }
        let ends = cmp.runs.map { $0.x.first ?? .nan }
        let range = try c.value("x").map { v throws(RuntimeError) in try bounds(v, arg: "x") }
            ?? around(ends + (cmp.start.map { [$0.lo, $0.hi] } ?? []))
        var series: [Series] = []
        if isCallable(cmp.f) {
            let f = cmp.f
            series.append(.line(try Line(sampling: { x in try value(f, x) }, over: range, label: "f")))
        }
        if let b = cmp.start {
            let fl = try? value(cmp.f, b.lo), fh = try? value(cmp.f, b.hi)
            series.append(.markers(Markers(xs: [b.lo, b.hi], ys: [fl ?? .nan, fh ?? .nan], labels: ["[", "]"], label: "start bracket", color: RGB(130, 130, 130))))
        }
        // One marker per end point that can be told apart on the plot (a fiftieth of its
        // width), named by the methods that reached it.
        var points: [(x: Double, loss: Double, names: [String])] = []
        let near = (range.upperBound - range.lowerBound) / 50
        for (r, m) in zip(cmp.runs, methods) {
            guard let x = r.x.first, x.isFinite else { continue }
            if let k = points.firstIndex(where: { abs($0.x - x) <= near }) { points[k].names.append(m) } else { points.append((x, r.loss, [m])) }
        }
        series.append(.markers(Markers(xs: points.map(\.x), ys: points.map(\.loss), labels: points.map { $0.names.joined(separator: ", ") },
                                       label: "end points")))
        return Figure(title: "compare: \(cmp.runs.count) methods on a line", x: Axis(label: "x"), y: Axis(label: "f(x)"), series: series)
    }

    private func isTrials(_ v: Value) -> Bool {
        if case .object(let o as ResultObject) = v { if case .trials = o.kind { return true } else { return false } }
        if case .record = v, fieldNames(v).contains("trials") {
            let names = fieldNames(v)
            return !(names.contains("path") || names.contains("runs") || names.contains("trace"))
        }
        return false
    }

    func figureForPlot() throws -> Figure {
        let v = try c.required("value")
        let data = c.value("data")
        switch v {
        case .function:
            if let data, isDataset(data) { return try regionsFigure(model: v, data: data) }
            return try functionFigure(v, data)
        case .object:
            if let data {
                guard isDataset(data) else { throw c.bad("data", "dataset expected (a value with X and y), got \(data.typeName)") }
                return try regionsFigure(model: v, data: data)
            }
            return try resultFigure(v)
        case .record:
            if data != nil { throw c.bad("data", "plot of a record takes no second value") }
            return try resultFigure(v)
        case .list(let items) where !items.isEmpty && items.allSatisfy(isImage):
            if data != nil { throw c.bad("data", "plot of images takes no second value") }
            return try imagesFigure(v, arg: "value")
        case .tensor, .range, .number, .list:
            return try numericFigure(v, data)
        case .bool, .string, .none:
            throw c.bad("value", "cannot plot \(article(v.typeName)): expected a vector, a function, a result record, a dataset or a model")
        }
    }

    /// What `plot(v)` draws for a result (the live views draw it too).
    func figure(of v: Value) throws -> Figure { try resultFigure(v) }

    private func isDataset(_ v: Value) -> Bool { fieldNames(v).contains("X") && fieldNames(v).contains("y") }

    private func isImage(_ v: Value) -> Bool {
        if case .tensor(let t) = v { return t.rank == 2 || t.rank == 3 }
        return false
    }

    // MARK: - Vectors

    private func numericFigure(_ v: Value, _ data: Value?) throws -> Figure {
        guard let t = try interp.asTensor(v) else { throw c.bad("value", "cannot plot \(article(v.typeName)) that holds non-numbers") }
        guard let data else {
            switch t.rank {
            case 0, 1:
                guard t.count > 0 else { throw c.bad("value", "nothing to plot: the vector is empty") }
                return Figure(x: Axis(label: "index"), series: [.line(Line(ys: t.data))])
            case 2:
                return try columnsFigure(xs: (0..<t.rows).map(Double.init), t, xLabel: "row")
            case 3, 4:
                return try imagesFigure(v, arg: "value")
            default:
                throw c.bad("value", "cannot plot a tensor of shape \(Tensor.describe(shape: t.shape))")
            }
        }
        let xs = try numbers(v, "xs", arg: "value")
        guard let ys = try interp.asTensor(data) else { throw c.bad("data", "ys: vector expected, got \(data.typeName)") }
        guard !xs.isEmpty else { throw c.bad("value", "nothing to plot: the vector is empty") }
        if ys.rank == 2 {
            guard ys.rows == xs.count else { throw c.bad("data", "ys has \(ys.rows) rows but xs has \(xs.count) numbers") }
            return try columnsFigure(xs: xs, ys, xLabel: "x")
        }
        guard ys.rank <= 1 else { throw c.bad("data", "ys: vector expected, got a tensor of shape \(Tensor.describe(shape: ys.shape))") }
        guard ys.count == xs.count else { throw c.bad("data", "ys has \(ys.count) number\(ys.count == 1 ? "" : "s") but xs has \(xs.count)") }
        return Figure(x: Axis(label: "x"), y: Axis(label: "y"), series: [.line(Line(xs: xs, ys: ys.data))])
    }

    /// A matrix as one line per column, as matplotlib draws one.
    private func columnsFigure(xs: [Double], _ m: Tensor, xLabel: String) throws -> Figure {
        let maxColumns = 10  // more lines than markers and colours cannot be told apart
        guard m.cols >= 1, m.rows >= 1 else { throw c.bad("value", "nothing to plot: the matrix is empty") }
        guard m.cols <= maxColumns else {
            throw c.bad(c.value("data") == nil ? "value" : "data",
                        "a matrix is drawn as one line per column, at most \(maxColumns); this one has \(m.cols) (plot a column with m[:, j])")
        }
        let series: [Series] = (0..<m.cols).map { j in
            .line(Line(xs: xs, ys: (0..<m.rows).map { m.data[$0 * m.cols + j] }, label: m.cols == 1 ? nil : "column \(j)"))
        }
        return Figure(x: Axis(label: xLabel), series: series)
    }

    // MARK: - Functions

    /// A callable's name for titles ("fn" for anonymous ones).
    private func name(of f: Value) -> String {
        if case .function(let fn) = f, fn.name != "fn" { return fn.name }
        return "f"
    }

    /// Two-parameter functions take (x, y); anything else is handed the point as a 2-vector.
    private func takesTwoNumbers(_ f: Value) -> Bool {
        if case .function(let fn) = f { return fn.parameterNames.count == 2 }
        return false
    }

    /// f at (x, y), with either calling convention.
    private func evaluate2(_ f: Value, _ twoNumbers: Bool, _ x: Double, _ y: Double) throws -> Double {
        let r = twoNumbers ? try callNumbers(f, x, y) : try c.call(f, [.tensor(Tensor([x, y]))])
        return try scalar(r, from: name(of: f), at: "(\(formatNumber(x)), \(formatNumber(y)))")
    }

    private func functionFigure(_ f: Value, _ data: Value?) throws -> Figure {
        let fname = name(of: f)
        if data != nil && c.value("x") != nil { throw c.bad("x", "the range is given twice: as the second argument and as x:") }
        let xr: ClosedRange<Double>? = try data.map { v throws(RuntimeError) in try bounds(v, arg: "data") }
            ?? c.value("x").map { v throws(RuntimeError) in try bounds(v, arg: "x") }
        if let yv = c.value("y") {
            guard let xr else { throw c.bad("y", "give x: [lo, hi] as well as y: for a function of two numbers") }
            let yr = try bounds(yv, arg: "y")
            let heat = try heatmap(f, x: xr, y: yr, label: fname)
            return Figure(title: "\(fname)(x, y)", x: Axis(label: "x"), y: Axis(label: "y"), series: [.heatmap(heat)])
        }
        guard let xr else {
            throw RuntimeError("plot of a function needs a range: plot(\(fname), -3..3) or x: [lo, hi]; add y: [lo, hi] for a function of two numbers",
                               argument: 0)
        }
        if takesTwoNumbers(f) { throw c.bad(data == nil ? "x" : "data", "'\(fname)' takes two numbers: give x: [lo, hi] and y: [lo, hi]") }
        let line = try Line(sampling: { x in
            try scalar(try callNumbers(f, x), from: fname, at: "x = \(formatNumber(x))")
        }, over: xr, label: fname)
        return Figure(title: "\(fname)(x)", x: Axis(label: "x"), series: [.line(line)])
    }

    /// A function of two numbers (or of a 2-vector) sampled on a `grid:` x `grid:` grid.
    private func heatmap(_ f: Value, x: ClosedRange<Double>, y: ClosedRange<Double>, label: String) throws -> Heatmap {
        let n = try c.int("grid", or: 101, in: 2...2000)
        let two = takesTwoNumbers(f)
        let h = try Heatmap(sampling: { a, b in try evaluate2(f, two, a, b) }, x: x, y: y, resolution: n, contours: 10, label: label)
        guard h.values.data.contains(where: { $0.isFinite }) else {
            throw RuntimeError("'\(name(of: f))' has no finite value on [\(formatNumber(x.lowerBound)), \(formatNumber(x.upperBound))] x [\(formatNumber(y.lowerBound)), \(formatNumber(y.upperBound))]")
        }
        return h
    }

    // MARK: - Result records

    private func resultFigure(_ v: Value) throws -> Figure {
        // A model by its type: it has a path through weight space too, but it is not a descent.
        if case .object(let m as ModelObject) = v {
            if m.history != nil, let h = try field(v, "history") { return try historyFigure(h) }
            throw c.bad("value", "a model is drawn with its data: plot(m, data); an untrained model has no history to draw")
        }
        // A typed result by its kind.
        if case .object(let o as ResultObject) = v {
            switch o.kind {
            case .descent: return try descentFigure(v, multi: false)
            case .multiStart: return try descentFigure(v, multi: true)
            case .comparison(let cmp): return try descentFigure(v, multi: true, methods: cmp.runs.map { $0.method ?? "?" })
            case .binarySearch: return try binarySearchFigure(v)
            case .interval(let r): return try lineSearchFigure(v, start: r.start)
            case .trials: return try trialsFigures(v)[0]
            case .history: return try historyFigure(v)
            case .automl(let r, _): return automlFigure(r)
            }
        }
        // A record made by hand is read by the fields the results have.
        let names = fieldNames(v)
        let has = { (n: String) in names.contains(n) }
        if has("path") || has("runs") { return try descentFigure(v, multi: has("runs")) }
        if has("found") && has("trace") { return try binarySearchFigure(v) }
        if has("trace") { return try lineSearchFigure(v) }
        if has("trials") { return try trialsFigures(v)[0] }
        if has("train_loss") { return try historyFigure(v) }
        if let h = try field(v, "history"), fieldNames(h).contains("train_loss") { return try historyFigure(h) }
        if isDataset(v) { return try datasetFigure(try dataset(v, arg: "value")) }
        if case .object = v, names.contains("history") || names.isEmpty {
            throw c.bad("value", "a model is drawn with its data: plot(m, data); an untrained model has no history to draw")
        }
        throw c.bad("value", "cannot plot \(article(v.typeName)) with fields \(names.isEmpty ? "(none)" : names.joined(separator: ", ")): "
                    + "expected a descend, search or train result, a dataset or a training history")
    }

    /// A field that must be there, with a message naming the kind that needed it.
    private func need(_ v: Value, _ name: String, _ kind: String) throws -> Value {
        guard let f = try field(v, name) else { throw c.bad("value", "\(kind) has no field '\(name)'") }
        return f
    }

    private func number(_ v: Value?) -> Double? {
        if case .number(let x)? = v { return x }
        if case .bool(let b)? = v { return b ? 1 : 0 }
        return nil
    }

    /// Rows of a matrix-like value: a matrix, a list of vectors, or a vector (one row).
    private func rows(_ v: Value, _ what: String) throws(RuntimeError) -> [[Double]] {
        switch v {
        case .tensor(let t) where t.rank == 2:
            return (0..<t.rows).map { i in Array(t.data[(i * t.cols)..<((i + 1) * t.cols)]) }
        case .tensor(let t) where t.rank == 1:
            return [t.data]
        case .list(let items):
            var out = [[Double]]()
            for item in items {
                guard let t = try interp.asTensor(item), t.rank <= 1 else {
                    throw c.bad("value", "\(what): vectors expected, got \(article(item.typeName))")
                }
                out.append(t.data)
            }
            return out
        default:
            throw c.bad("value", "\(what): a matrix or a list of vectors expected, got \(v.typeName)")
        }
    }

    // MARK: descend

    /// A descend result (x, loss, path: one row per point, losses) or a multi-start one (runs,
    /// minima {x, loss, count}, best). The contours need the function: the convention is that
    /// descend results carry it in a field `f`; without one, `f:` supplies it, and with
    /// neither the path is drawn alone. `x:`/`y:` override the window (default: the points'
    /// extent plus 15%). Paths that are not 2-d are drawn as their loss per step.
    /// `methods`: a comparison's paths, one colour and legend entry per method.
    private func descentFigure(_ v: Value, multi: Bool, methods: [String]? = nil) throws -> Figure {
        var paths = [[[Double]]]()
        var minima = [(point: [Double], count: Int)]()
        if multi {
            guard case .list(let runs) = try need(v, "runs", "a multi-start result") else {
                throw c.bad("value", "runs: a list of descend results expected")
            }
            for r in runs { paths.append(try rows(try need(r, "path", "a run"), "path")) }
            if case .list(let ms)? = try field(v, "minima") {
                for m in ms {
                    let p = try numbers(try need(m, "x", "a minimum"), "minimum", arg: "value")
                    // A count is only shown as a label: anything but a small whole number shows none.
                    let count = number(try field(m, "count")).flatMap { $0 >= 0 && $0 < 1e15 ? Int($0) : nil } ?? 0
                    minima.append((p, count))
                }
            }
        } else {
            paths.append(try rows(try need(v, "path", "a descend result"), "path"))
        }
        let dim = paths.first(where: { !$0.isEmpty })?.first?.count ?? 0
        guard dim > 0 else { throw c.bad("value", "nothing to plot: the descent path is empty") }
        guard paths.allSatisfy({ $0.allSatisfy { $0.count == dim } }) else { throw c.bad("value", "path rows differ in length") }

        let fvalue = try c.value("f") ?? field(v, "f")
        if let fv = c.value("f"), !isCallable(fv) { throw c.bad("f", "function expected, got \(fv.typeName)") }
        let title = try methods.map { "compare: \($0.count) methods from one start" } ?? descentTitle(v, runs: multi ? paths.count : nil)
        if dim != 2 {
            // Only a plane can be drawn under a path; other dimensions show the loss falling.
            guard !multi else { throw c.bad("value", "the runs are \(dim)-dimensional: only 2-d descents are drawn as paths (plot one run's losses)") }
            let losses = try numbers(try need(v, "losses", "a \(dim)-d descend result"), "losses", arg: "value")
            guard !losses.isEmpty else { throw c.bad("value", "nothing to plot: the descent has no losses") }
            return Figure(title: title, x: Axis(label: "step"), y: decadesAxis("loss", losses), series: [.line(Line(ys: losses, label: "loss"))])
        }
        var series = [Series]()
        let pointsX = paths.flatMap { $0.map { $0[0] } } + minima.map { $0.point.first ?? .nan }
        let pointsY = paths.flatMap { $0.map { $0[1] } } + minima.map { $0.point.count > 1 ? $0.point[1] : .nan }
        if let fvalue, isCallable(fvalue) {
            let xr = try c.value("x").map { v throws(RuntimeError) in try bounds(v, arg: "x") } ?? around(pointsX)
            let yr = try c.value("y").map { v throws(RuntimeError) in try bounds(v, arg: "y") } ?? around(pointsY)
            series.append(.heatmap(try heatmap(fvalue, x: xr, y: yr, label: "loss")))
        }
        for (k, p) in paths.enumerated() {
            let t = thinned(p)
            if let methods {
                series.append(.path(Path(xs: t.map { $0[0] }, ys: t.map { $0[1] }, label: k < methods.count ? methods[k] : nil)))
                continue
            }
            let label = multi ? (k == 0 ? "runs (\(paths.count))" : nil) : "path (\(p.count) points)"
            series.append(.path(Path(xs: t.map { $0[0] }, ys: t.map { $0[1] }, label: label, color: multi ? runColor : nil)))
        }
        if !minima.isEmpty {
            let ms = minima.filter { $0.point.count == 2 }
            series.append(.markers(Markers(xs: ms.map { $0.point[0] }, ys: ms.map { $0.point[1] },
                                           labels: ms.map { $0.count > 0 ? "x\($0.count)" : "" }, label: "minima (runs)")))
        }
        var fig = Figure(title: title, x: Axis(label: "x[0]"), y: Axis(label: "x[1]"), series: series)
        if fvalue == nil {
            // Without the function the path has no landscape; say how to add it.
            fig.title = title + " (f: adds contours)"
        }
        return fig
    }

    private func isCallable(_ v: Value) -> Bool {
        switch v {
        case .function, .object: return true
        default: return false
        }
    }

    private func descentTitle(_ v: Value, runs: Int?) throws -> String {
        if let runs {
            let found = (try field(v, "minima")).flatMap { if case .list(let l) = $0 { return l.count } else { return nil } }
            return "descend: \(runs) runs" + (found.map { ", \($0) minim\($0 == 1 ? "um" : "a") found" } ?? "")
        }
        var parts = [String]()
        if let l = number(try field(v, "loss")) { parts.append("loss \(short(l))") }
        if let s = number(try field(v, "steps")) { parts.append("after \(formatNumber(s)) steps") }
        if case .bool(true)? = try field(v, "diverged") { parts.append("(diverged)") }
        return (["descend:"] + parts).joined(separator: " ")
    }

    /// A range around points with a margin of 15%, so the path is not drawn on the edge.
    private func around(_ vs: [Double]) -> ClosedRange<Double> {
        let fin = vs.filter { $0.isFinite }
        guard var lo = fin.min(), var hi = fin.max() else { return -1...1 }
        if hi - lo < 1e-9 * max(1, abs(lo)) { (lo, hi) = (lo - 1, hi + 1) }
        let d = (hi - lo) * 0.15
        return (lo - d)...(hi + d)
    }

    /// At most `limit` points, first and last kept: a 200,000-step path draws the same on a
    /// terminal and would make an SVG of many megabytes.
    private func thinned(_ p: [[Double]], limit: Int = 4000) -> [[Double]] {
        guard p.count > limit else { return p }
        let step = Double(p.count - 1) / Double(limit - 1)
        return (0..<limit).map { p[min(p.count - 1, Int((Double($0) * step).rounded()))] }
    }

    // MARK: search

    private func binarySearchFigure(_ v: Value) throws -> Figure {
        let halves = try rows(try need(v, "trace", "a binary search result"), "trace")
        guard !halves.isEmpty, halves.allSatisfy({ !$0.isEmpty }) else {
            throw c.bad("value", "nothing to plot: the search kept no halves (a vector of one element needs no step)")
        }
        // The middle element compared at step k is the middle of the half kept at step k-1
        // (mid = lo + (hi - lo) / 2). search(xs, target) keeps the searched vector: drawn as
        // step 0, it gives the first comparison its probe and shows the half that step dropped.
        // A hand-built record starts at the first kept half, its first comparison unknown.
        var rows = [Interval]()
        var previous: [Double]? = nil
        if case .object(let o as ResultObject) = v, case .binarySearch(_, let xs) = o.kind, let lo = xs.first, let hi = xs.last {
            rows.append(Interval(lo: lo, hi: hi, label: "0"))
            previous = xs
        }
        for (k, h) in halves.enumerated() {
            rows.append(Interval(lo: h.first!, hi: h.last!, probe: previous.map { $0[$0.count / 2] }, label: String(k + 1)))
            previous = h
        }
        var title = "binary search"
        let steps = number(try field(v, "steps")).map(formatNumber) ?? String(halves.count)
        if let found = try field(v, "found"), let i = number(try field(v, "index")) {
            let isFound: Bool = { if case .bool(true) = found { return true } else { return false } }()
            title += (isFound ? ": found at index \(formatNumber(i))" : ": not found, insertion index \(formatNumber(i))")
        }
        title += " in \(steps) step\(steps == "1" ? "" : "s")"
        if let b = number(try field(v, "bound")) { title += " (bound \(formatNumber(b)))" }
        return Figure(title: title, x: Axis(label: "value"), series: [.intervals(Intervals(rows: rows, label: "kept half"))])
    }

    /// The bracket after each step, under the interval it started from (step 0) when the result
    /// knows it: how fast the guarantee narrows.
    private func lineSearchFigure(_ v: Value, start: (lo: Double, hi: Double)? = nil) throws -> Figure {
        let trace = try rows(try need(v, "trace", "a line search result"), "trace")
        guard !trace.isEmpty else { throw c.bad("value", "nothing to plot: the search took no steps") }
        guard trace.allSatisfy({ $0.count == 2 }) else { throw c.bad("value", "trace: [lo, hi] intervals expected") }
        var rows = trace.enumerated().map { Interval(lo: $0.element[0], hi: $0.element[1], label: "\($0.offset + 1)") }
        if let start, start.lo.isFinite, start.hi.isFinite { rows.insert(Interval(lo: start.lo, hi: start.hi, label: "0"), at: 0) }
        var series: [Series] = [.intervals(Intervals(rows: rows, label: "bracket"))]
        var title = "line search"
        if let x = number(try field(v, "x")) {
            title += ": x = \(short(x))"
            series.append(.markers(Markers(xs: [x], ys: [Double(rows.count - 1)], labels: [short(x)], label: "x")))
        }
        if let s = number(try field(v, "steps")) { title += " after \(formatNumber(s)) steps" }
        if let e = number(try field(v, "evaluations")) { title += ", \(formatNumber(e)) evaluations" }
        return Figure(title: title, x: Axis(label: "x"), series: series)
    }

    // MARK: automl

    /// The race's leaderboard as bars, best on top: validation accuracy (classification) or
    /// loss (regression) of each design at the largest budget it reached.
    private func automlFigure(_ r: AutoMLResult) -> Figure {
        let classifies = r.leaderboard.contains { !$0.valAccuracy.isNaN }
        let rows = r.leaderboard.enumerated().map { k, e in
            let value = classifies ? e.valAccuracy : e.valLoss
            return Interval(lo: 0, hi: value.isFinite ? value : 0, label: "\(k + 1) \(e.design) \(short(value))")
        }
        let metric = classifies ? "validation accuracy" : "validation loss"
        return Figure(title: "automl: \(plural(r.trials, "trial")), best first", x: Axis(label: metric, range: classifies ? 0...1 : nil),
                      y: Axis(), series: [.intervals(Intervals(rows: rows, label: metric, showsDropped: false))])
    }

    // MARK: training history

    private func historyFigure(_ h: Value) throws -> Figure {
        func curve(_ name: String) throws -> [Double] {
            guard let v = try field(h, name) else { return [] }
            if case .none = v { return [] }
            return try numbers(v, name, arg: "value")
        }
        let curves = [("train_loss", "train loss"), ("val_loss", "validation loss"), ("val_acc", "validation accuracy")]
        var series = [Series]()
        var epochs = 0
        var last = [String: Double]()
        for (key, label) in curves {
            let ys = try curve(key)
            guard !ys.isEmpty else { continue }
            epochs = max(epochs, ys.count)
            last[key] = ys[ys.count - 1]
            series.append(.line(Line(xs: ys.indices.map { Double($0 + 1) }, ys: ys, label: label, right: key == "val_acc")))
        }
        guard !series.isEmpty else { throw c.bad("value", "nothing to plot: the history has no epochs") }
        var title = "training: \(plural(epochs, "epoch"))"
        // The last epoch's numbers, short enough to fit a 50-column title.
        if let l = last["val_loss"] ?? last["train_loss"] { title += ", \(last["val_loss"] == nil ? "train" : "val") loss \(short(l))" }
        if let a = last["val_acc"] { title += ", val acc \(short(a))" }
        // Loss on the left (log when it spans decades), accuracy on its own 0 to 1 axis on the
        // right; accuracy is only measured on a validation set, so without one (val: 0) there
        // is no right axis.
        let y = decadesAxis("loss", try curve("train_loss") + curve("val_loss"))
        let y2 = last["val_acc"] == nil ? nil : Axis(label: "accuracy", range: 0...1)
        return Figure(title: title, x: Axis(label: "epoch"), y: y, y2: y2, series: series)
    }

    // MARK: - Datasets and models

    /// Reads `X` and `y` (and `classes` names) from a record or object.
    func dataset(_ v: Value, arg: String) throws -> DatasetView {
        guard let xv = try field(v, "X"), let yv = try field(v, "y") else {
            throw c.bad(arg, "dataset expected (a value with X and y), got \(v.typeName)")
        }
        let rowsX = try rows(xv, "X")
        let d = rowsX.first?.count ?? 0
        guard !rowsX.isEmpty, d > 0 else { throw c.bad(arg, "nothing to plot: the dataset has no points") }
        guard rowsX.allSatisfy({ $0.count == d }) else { throw c.bad(arg, "X: rows differ in length") }
        if case .tensor(let t) = xv, t.rank == 1 { throw c.bad(arg, "X: an n x d matrix expected, got a vector") }
        let y = try numbers(yv, "y", arg: arg)
        guard y.count == rowsX.count else { throw c.bad(arg, "y has \(plural(y.count, "label")) but X has \(plural(rowsX.count, "row"))") }
        var names: [String]?
        if case .list(let items)? = try field(v, "classes") { names = items.map(\.display) }
        return DatasetView(X: Tensor(shape: [rowsX.count, d], data: rowsX.flatMap { $0 }), y: y, classNames: names)
    }

    /// The two features `dims:` picks (default the first two).
    private func dims(_ ds: DatasetView) throws(RuntimeError) -> (Int, Int) {
        guard let v = c.value("dims") else { return ds.d >= 2 ? (0, 1) : (0, 0) }
        let ds2 = try numbers(v, "dims", arg: "dims")
        guard ds2.count == 2 else { throw c.bad("dims", "two feature indices expected, got \(ds2.count)") }
        var out = [Int]()
        for x in ds2 {
            guard x == x.rounded(), x >= 0, x < Double(ds.d) else {
                throw c.bad("dims", "feature indices are 0 to \(ds.d - 1), got \(formatNumber(x))")
            }
            out.append(Int(x))
        }
        guard out[0] != out[1] else { throw c.bad("dims", "two different features expected, got \(out[0]) twice") }
        return (out[0], out[1])
    }

    private func pointsSeries(_ ds: DatasetView, _ i: Int, _ j: Int) -> (series: Series, yLabel: String) {
        if ds.d == 1 || i == j {
            // One feature: the label is the other coordinate.
            return (.scatter(Scatter(xs: ds.column(i), ys: ds.y, classes: ds.classes, classNames: ds.classNames)), "y")
        }
        return (.scatter(Scatter(xs: ds.column(i), ys: ds.column(j), classes: ds.classes, classNames: ds.classNames)), "feature \(j)")
    }

    func datasetFigure(_ ds: DatasetView) throws -> Figure {
        let (i, j) = try dims(ds)
        let p = pointsSeries(ds, i, j)
        let k = Set(ds.classes ?? []).count
        let title = "\(ds.n) points" + (ds.classes == nil ? "" : ", \(k) class\(k == 1 ? "" : "es")")
        return Figure(title: title, x: Axis(label: "feature \(i)"), y: Axis(label: p.yLabel), series: [p.series])
    }

    /// Decision regions of a classifier over two features, the others held at their means.
    private func regionsFigure(model: Value, data: Value) throws -> Figure {
        let ds = try dataset(data, arg: "data")
        guard ds.d >= 2 else { throw c.bad("data", "decision regions need at least two features, the dataset has \(ds.d)") }
        let (i, j) = try dims(ds)
        let n = try c.int("grid", or: 80, in: 2...1000)
        var means = [Double](repeating: 0, count: ds.d)
        for r in 0..<ds.n { for k in 0..<ds.d { means[k] += ds.X.data[r * ds.d + k] / Double(ds.n) } }
        let xr = around(ds.column(i), margin: 0.08), yr = around(ds.column(j), margin: 0.08)
        let regions = try Regions(sampling: { x, y in
            var p = means
            p[i] = x
            p[j] = y
            return try classOf(try c.call(model, [.tensor(Tensor(p))]))
        }, x: xr, y: yr, resolution: n, classNames: ds.classNames)
        let points = pointsSeries(ds, i, j).series
        var title = "decision regions"
        if ds.d > 2 { title += " (other features at their means)" }
        return Figure(title: title, x: Axis(label: "feature \(i)"), y: Axis(label: "feature \(j)"), series: [.regions(regions), points])
    }

    private func around(_ vs: [Double], margin: Double) -> ClosedRange<Double> {
        let fin = vs.filter { $0.isFinite }
        guard var lo = fin.min(), var hi = fin.max() else { return -1...1 }
        if hi - lo < 1e-9 * max(1, abs(lo)) { (lo, hi) = (lo - 1, hi + 1) }
        let d = (hi - lo) * margin
        return (lo - d)...(hi + d)
    }

    /// A model's output as a class: a probability vector's argmax; a single number that is a
    /// class id (0, 1, 2, ...) as is, any other number as a probability cut at 0.5.
    private func classOf(_ out: Value) throws(RuntimeError) -> Int {
        func fromNumber(_ p: Double) -> Int {
            if p == p.rounded() && p >= 0 && p < 256 { return Int(p) }
            return p >= 0.5 ? 1 : 0
        }
        switch out {
        case .number(let p): return fromNumber(p)
        case .bool(let b): return b ? 1 : 0
        case .tensor(let t) where t.count == 1: return fromNumber(t.data[0])
        case .tensor(let t) where t.rank == 1 && t.count > 1: return t.argmax() ?? 0
        default:
            throw RuntimeError("the model returned \(article(out.typeName)); a class, a probability or a vector of probabilities was expected")
        }
    }

    // MARK: - scatter

    func figureForScatter() throws -> Figure {
        let v = try c.required("xs")
        if isDataset(v) {
            if c.given("ys") { throw c.bad("ys", "scatter of a dataset takes no second value") }
            return try datasetFigure(try dataset(v, arg: "xs"))
        }
        let xs = try numbers(v, "xs", arg: "xs")
        guard let yv = c.value("ys") else { throw c.missing("ys") }
        let ys = try numbers(yv, "ys", arg: "ys")
        guard ys.count == xs.count else { throw c.bad("ys", "ys has \(ys.count) number\(ys.count == 1 ? "" : "s") but xs has \(xs.count)") }
        guard !xs.isEmpty else { throw c.bad("xs", "nothing to plot: the vectors are empty") }
        var classes: [Int]?
        if let cv = c.value("classes") {
            let ids = try numbers(cv, "classes", arg: "classes")
            guard ids.count == xs.count else { throw c.bad("classes", "\(plural(ids.count, "class id")) for \(plural(xs.count, "point"))") }
            classes = []
            for id in ids {
                guard id == id.rounded(), id >= 0, id < 256 else { throw c.bad("classes", "class ids are whole numbers 0 to 255, got \(formatNumber(id))") }
                classes!.append(Int(id))
            }
        }
        return Figure(x: Axis(label: "x"), y: Axis(label: "y"), series: [.scatter(Scatter(xs: xs, ys: ys, classes: classes))])
    }

    // MARK: - show

    func figureForShow() throws -> Figure {
        let v = try c.required("images")
        var fig = try imagesFigure(v, arg: "images")
        if case .images(var grid)? = fig.series.first {
            if let lv = c.value("labels") {
                if case .list(let items) = lv {
                    grid.labels = items.map(\.display)
                } else {
                    grid.labels = try numbers(lv, "labels", arg: "labels").map(formatNumber)
                }
                try checkLabels(grid)
            }
            if c.given("columns") { grid.columns = try c.int("columns") }
            fig.series = [.images(grid)]
        }
        return fig
    }

    private func checkLabels(_ g: ImageGrid) throws(RuntimeError) {
        if let l = g.labels, l.count != g.images.count { throw c.bad("labels", "\(plural(l.count, "label")) for \(plural(g.images.count, "image"))") }
    }

    /// An image (h x w x 3, h x w x 1, h x w), a batch (n x h x w x c) or a list of images.
    func imagesFigure(_ v: Value, arg: String) throws -> Figure {
        var images = [Tensor]()
        func check(_ t: Tensor) throws(RuntimeError) {
            let ok = (t.rank == 2 || (t.rank == 3 && (t.shape[2] == 3 || t.shape[2] == 1))) && t.shape[0] >= 1 && t.shape[1] >= 1
            guard ok else {
                throw c.bad(arg, "an image is h x w x 3 (RGB), h x w x 1 or h x w, got shape \(Tensor.describe(shape: t.shape))"
                            + (t.rank == 1 ? " (reshape a flat image first, e.g. reshape(x, 7, 5, 3))" : ""))
            }
            images.append(t)
        }
        switch v {
        case .tensor(let t) where t.rank == 3 && t.shape[2] != 3 && t.shape[2] != 1:
            // n x h x w: a batch of grey images (digits), as a list of matrices becomes.
            let n = t.shape[0], per = t.shape[1] * t.shape[2]
            guard n >= 1 else { throw c.bad(arg, "nothing to show: the batch is empty") }
            for k in 0..<n { try check(Tensor(shape: [t.shape[1], t.shape[2]], data: Array(t.data[(k * per)..<((k + 1) * per)]))) }
        case .tensor(let t) where t.rank == 4:
            let n = t.shape[0], per = t.shape[1] * t.shape[2] * t.shape[3]
            guard n >= 1 else { throw c.bad(arg, "nothing to show: the batch is empty") }
            for k in 0..<n { try check(Tensor(shape: Array(t.shape.dropFirst()), data: Array(t.data[(k * per)..<((k + 1) * per)]))) }
        case .tensor(let t):
            try check(t)
        case .list(let items):
            guard !items.isEmpty else { throw c.bad(arg, "nothing to show: the list is empty") }
            for item in items {
                guard case .tensor(let t) = item else { throw c.bad(arg, "a list of images expected, found \(article(item.typeName))") }
                try check(t)
            }
        default:
            throw c.bad(arg, "image tensor expected, got \(v.typeName)")
        }
        return Figure(series: [.images(ImageGrid(images: images))])
    }
}

/// An axis for values such as losses: log (labelled so) when they are all > 0 and span two
/// decades or more, where a linear axis would flatten everything after the first steps.
func decadesAxis(_ label: String, _ values: [Double]) -> Axis {
    let f = values.filter { $0.isFinite }
    if let lo = f.min(), let hi = f.max(), lo > 0, hi / lo >= 100 { return Axis(label: label + " (log)", log: true) }
    return Axis(label: label)
}

/// Four significant digits: enough for a title or a marker label.
func short(_ x: Double) -> String {
    guard x.isFinite else { return formatNumber(x) }
    let s = String(format: "%.4g", x)
    return s
}

/// "1 label", "2 labels".
func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
