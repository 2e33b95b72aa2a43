import Foundation
import PsearchCore
import PsearchPlot

/// The figures of a hyper-parameter search (`plot(r, kind: ...)`); each parameter's scale comes
/// from its domain in the space searched, never from the values drawn.
extension PlotCall {
    static let trialKinds = ["loss", "scatter", "parallel", "importance", "slice"]

    /// A search's trials and space: the typed result's own, or read from a hand-made record
    /// (numbers span a linear range, strings and flags are choices in order of appearance).
    struct TrialsView {
        var trials: [TrialRecord]
        var space: SearchSpace
        var method: String?
        var bestLoss: Double?
        /// Each choice's name as the script wrote it ("relu"), by parameter.
        var choiceNames: [String: [String]] = [:]
    }

    func trialsView(_ v: Value) throws -> TrialsView {
        if case .object(let o as ResultObject) = v, case .trials(let r, let decode) = o.kind {
            var view = TrialsView(trials: r.trials, space: r.space, method: r.method.rawValue, bestLoss: r.bestLoss)
            // The core holds a choice as its index; the result's decoder knows the script's value.
            if let base = r.trials.first?.params {
                for d in r.space.dimensions {
                    guard case .choices(let list) = d.domain else { continue }
                    view.choiceNames[d.name] = list.map { v in
                        var p = base
                        p[d.name] = v
                        return decode(p)[d.name]?.display ?? v.description
                    }
                }
            }
            return view
        }
        guard case .list(let items)? = try field(v, "trials") else { throw c.bad("value", "trials: a list of records expected") }
        var trials = [TrialRecord](), names = [String](), values = [String: [ParamValue]]()
        for (i, t) in items.enumerated() {
            var p = [String: ParamValue]()
            if let pv = try field(t, "params") {
                for n in fieldNames(pv) {
                    let x: ParamValue
                    switch try field(pv, n) {
                    case .number(let d)?: x = .number(d)
                    case .string(let s)?: x = .string(s)
                    case .bool(let b)?: x = .bool(b)
                    default: continue
                    }
                    p[n] = x
                    if !names.contains(n) { names.append(n) }
                    if !(values[n] ?? []).contains(x) { values[n, default: []].append(x) }
                }
            }
            var loss = Double.nan
            if case .number(let l)? = try field(t, "loss") { loss = l }
            var pruned = false
            if case .bool(let b)? = try field(t, "pruned") { pruned = b }
            trials.append(TrialRecord(index: i, params: p, loss: loss, seconds: 0, pruned: pruned))
        }
        let dims = names.map { n -> SearchSpace.Dimension in
            let vs = values[n] ?? []
            let xs = vs.compactMap(\.double)
            if xs.count == vs.count, let lo = xs.min(), let hi = xs.max() { return .init(n, .range(lo, hi)) }
            return .init(n, .choices(vs))
        }
        var method: String?
        if case .string(let m)? = try field(v, "method") { method = m }
        var best: Double?
        if case .number(let b)? = try field(v, "best_loss") { best = b }
        return TrialsView(trials: trials, space: SearchSpace(dims), method: method, bestLoss: best)
    }

    /// The figures `kind:` asks for (one per parameter for "slice", else one).
    func trialsFigures(_ v: Value) throws -> [Figure] {
        let view = try trialsView(v)
        guard !view.trials.isEmpty else { throw c.bad("value", "nothing to plot: no trials") }
        let kind = try c.choice("kind", or: "loss")
        let finite = view.trials.filter { $0.loss.isFinite }
        let best = view.bestLoss ?? finite.map(\.loss).min()
        let title = "search\(view.method.map { " (\($0))" } ?? ""): \(plural(view.trials.count, "trial"))"
            + (best.map { ", best loss \(short($0))" } ?? "")
        switch kind {
        case "scatter": return [try scatterFigure(view, title)]
        case "parallel": return [try parallelFigure(view)]
        case "importance": return [try importanceFigure(view)]
        case "slice": return try sliceFigures(view)
        case "paths": throw c.bad("kind", "kind: \"paths\" is for a compare result; a search is drawn as loss, scatter, slice, parallel or importance")
        default: return [lossFigure(view, title)]
        }
    }

    /// Losses drawn on a log axis when they are all > 0 and span two decades or more.
    private func lossAxis(_ losses: [Double]) -> Axis { decadesAxis("loss", losses) }

    /// An axis for one parameter: log for a log range, named categories for choices.
    private func paramAxis(_ d: SearchSpace.Dimension, _ view: TrialsView) -> Axis {
        switch d.domain {
        case .logRange: return Axis(label: "\(d.name) (log)", log: true)
        case .range, .intRange: return Axis(label: d.name)
        case .choices(let list):
            return Axis(label: d.name, range: -0.5...(Double(list.count) - 0.5),
                        ticks: list.enumerated().map { Tick(Double($0.offset), name(of: $0.element, $0.offset, d, view)) })
        }
    }

    private func name(of v: ParamValue, _ k: Int, _ d: SearchSpace.Dimension, _ view: TrialsView) -> String {
        if let names = view.choiceNames[d.name], k < names.count { return names[k] }
        return v.string ?? v.description
    }

    /// A trial's value of one parameter as drawn: a choice is its index in the list.
    private func coordinate(_ t: TrialRecord, _ d: SearchSpace.Dimension) -> Double {
        guard let v = t.params[d.name] else { return .nan }
        if case .choices(let list) = d.domain { return Double(list.firstIndex(of: v) ?? -1) }
        return v.double ?? .nan
    }

    /// The best completed trial; under halving, of the last round only (as the result's best),
    /// since a smaller budget's loss is not comparable.
    private func bestIndex(_ trials: [TrialRecord]) -> Int? {
        let top = trials.compactMap(\.budget).max()
        return trials.indices.filter { trials[$0].loss.isFinite && !trials[$0].pruned && (top == nil || trials[$0].budget == top) }
            .min { trials[$0].loss < trials[$1].loss }
    }

    /// Each trial's loss in trial order, pruned ones (at their last report) set apart, with the
    /// best so far as a step line over the completed ones.
    private func lossFigure(_ view: TrialsView, _ title: String) -> Figure {
        let trials = view.trials
        let xs = trials.indices.map { Double($0 + 1) }
        var stepX = [Double](), stepY = [Double](), running = Double.infinity
        for (i, t) in trials.enumerated() where !t.pruned && t.loss.isFinite {
            if t.loss < running {
                if running.isFinite {
                    stepX.append(xs[i])
                    stepY.append(running)
                }
                running = t.loss
                stepX.append(xs[i])
                stepY.append(running)
            }
        }
        if running.isFinite, let last = xs.last {
            stepX.append(last)
            stepY.append(running)
        }
        let anyPruned = trials.contains { $0.pruned }
        var series: [Series] = [.scatter(Scatter(xs: xs, ys: trials.map(\.loss), classes: trials.map { $0.pruned ? 1 : 0 },
                                                 classNames: anyPruned ? ["trial", "pruned (last report)"] : ["trial"],
                                                 label: "trial"))]
        if !stepX.isEmpty { series.append(.line(Line(xs: stepX, ys: stepY, label: "best so far"))) }
        if let b = bestIndex(trials) {
            series.append(.markers(Markers(xs: [xs[b]], ys: [trials[b].loss], labels: ["best"], label: "best trial")))
        }
        return Figure(title: title, x: Axis(label: "trial"), y: lossAxis(trials.map(\.loss)), series: series)
    }

    /// Two parameters against each other (the first two, or `dims: [i, j]`), loss in thirds.
    private func scatterFigure(_ view: TrialsView, _ title: String) throws -> Figure {
        let dims = view.space.dimensions
        guard dims.count >= 2 else { throw c.bad("kind", "a scatter of trials needs two parameters, this search has \(dims.count)") }
        var (i, j) = (0, 1)
        if let dv = c.value("dims") {
            let ij = try numbers(dv, "dims", arg: "dims").map { Int($0) }
            guard ij.count == 2, ij.allSatisfy({ (0..<dims.count).contains($0) }), ij[0] != ij[1] else {
                throw c.bad("dims", "[i, j]: two different parameter numbers from 0 to \(dims.count - 1) expected")
            }
            (i, j) = (ij[0], ij[1])
        }
        let trials = view.trials
        let ax = trials.map { coordinate($0, dims[i]) }, ay = trials.map { coordinate($0, dims[j]) }
        let finite = trials.map(\.loss).filter { $0.isFinite }.sorted()
        let cut1 = finite.isEmpty ? 0 : finite[finite.count / 3], cut2 = finite.isEmpty ? 0 : finite[(2 * finite.count) / 3]
        let cls = trials.map { t in !t.loss.isFinite || t.pruned ? 2 : t.loss < cut1 ? 0 : t.loss < cut2 ? 1 : 2 }
        var series: [Series] = [.scatter(Scatter(xs: ax, ys: ay, classes: cls,
                                                 classNames: ["best third", "middle third", "worst third (or failed, pruned)"]))]
        if let b = bestIndex(trials) { series.append(.markers(Markers(xs: [ax[b]], ys: [ay[b]], labels: ["best"], label: "best trial"))) }
        return Figure(title: title, x: paramAxis(dims[i], view), y: paramAxis(dims[j], view), series: series)
    }

    /// Where a value sits on its parameter's axis, 0 (bottom) to 1 (top).
    private func unit(_ x: Double, _ d: SearchSpace.Dimension) -> Double {
        switch d.domain {
        case .logRange(let lo, let hi): return x > 0 ? log(x / lo) / log(hi / lo) : .nan
        case .range(let lo, let hi): return hi > lo ? (x - lo) / (hi - lo) : 0.5
        case .intRange(let lo, let hi): return hi > lo ? (x - Double(lo)) / Double(hi - lo) : 0.5
        case .choices(let list): return list.count > 1 ? x / Double(list.count - 1) : 0.5
        }
    }

    /// The labels at an axis's bottom and top (every choice for choices).
    private func axisLabels(_ d: SearchSpace.Dimension, _ view: TrialsView) -> [(Double, String)] {
        switch d.domain {
        case .logRange(let lo, let hi), .range(let lo, let hi): return [(0, short(lo)), (1, short(hi))]
        case .intRange(let lo, let hi): return [(0, String(lo)), (1, String(hi))]
        case .choices(let list):
            return list.enumerated().map { (list.count > 1 ? Double($0.offset) / Double(list.count - 1) : 0.5, name(of: $0.element, $0.offset, d, view)) }
        }
    }

    /// Parallel coordinates: one vertical axis per parameter, one polyline per completed trial
    /// coloured by its loss in four quartile bands (the legend is the colour scale), the best on top.
    private func parallelFigure(_ view: TrialsView) throws -> Figure {
        let dims = view.space.dimensions
        guard dims.count >= 2 else { throw c.bad("kind", "parallel coordinates need two parameters or more, this search has \(dims.count)") }
        let done = view.trials.filter { !$0.pruned && $0.loss.isFinite }.sorted { $0.loss != $1.loss ? $0.loss > $1.loss : $0.index < $1.index }
        guard !done.isEmpty else { throw c.bad("value", "nothing to plot: no trial finished with a finite loss") }
        let sorted = done.map(\.loss).reversed() as [Double]
        let bands = min(4, done.count)
        let cuts = (0...bands).map { sorted[min(sorted.count - 1, $0 * (sorted.count - 1) / bands)] }
        func band(_ l: Double) -> Int { (0..<bands).first { l <= cuts[$0 + 1] } ?? bands - 1 }
        let xs = dims.indices.map(Double.init)
        var series = [Series]()
        for b in (0..<bands).reversed() {
            var lx = [Double](), ly = [Double]()
            for t in done where band(t.loss) == b {
                if !lx.isEmpty {
                    lx.append(.nan)
                    ly.append(.nan)
                }
                lx += xs
                ly += dims.map { unit(coordinate(t, $0), $0) }
            }
            guard !lx.isEmpty else { continue }
            // Viridis: dark is low loss, as the heat maps draw it.
            let color = Palette.viridis(Double(b) / Double(max(1, bands - 1)) * 0.85)
            series.append(.line(Line(xs: lx, ys: ly, label: "loss \(short(cuts[b]))..\(short(cuts[b + 1]))", color: color)))
        }
        let best = bestIndex(view.trials).map { view.trials[$0] } ?? done[done.count - 1]
        series.append(.line(Line(xs: xs, ys: dims.map { unit(coordinate(best, $0), $0) }, label: "best trial \(short(best.loss))",
                                 color: RGB(230, 40, 40))))
        // Each axis with its range written at its ends (every choice for choices).
        var ax = [Double](), ay = [Double](), labels = [String]()
        for (k, d) in dims.enumerated() {
            for (y, text) in axisLabels(d, view) {
                ax.append(Double(k))
                ay.append(y)
                labels.append(text)
            }
        }
        series.append(.markers(Markers(xs: ax, ys: ay, labels: labels, color: RGB(120, 120, 120))))
        let logNote = dims.contains { if case .logRange = $0.domain { true } else { false } } ? " (log for a log range)" : ""
        return Figure(title: "parallel coordinates: \(plural(done.count, "completed trial"))",
                      x: Axis(label: "parameter", range: -0.3...(Double(dims.count) - 0.7),
                              ticks: dims.enumerated().map { Tick(Double($0.offset), $0.element.name) }),
                      y: Axis(label: "position in each range\(logNote)", range: -0.06...1.06, ticks: []), series: series)
    }

    /// Horizontal bars of each parameter's share of the loss's variance, largest first.
    private func importanceFigure(_ view: TrialsView) throws -> Figure {
        let done = view.trials.filter { !$0.pruned }
        guard done.filter({ $0.loss.isFinite }).count >= 4 else {
            throw c.bad("value", "importance needs 4 completed trials with a finite loss or more, this search has \(done.filter { $0.loss.isFinite }.count)")
        }
        let shares = Importance.shares(done, space: view.space).enumerated().sorted { $0.element.share != $1.element.share ? $0.element.share > $1.element.share : $0.offset < $1.offset }
        let rows = shares.map { Interval(lo: 0, hi: $0.element.share, label: "\($0.element.name) \(String(format: "%.2f", $0.element.share))") }
        return Figure(title: "importance (\(Importance.methodName)), \(plural(done.count, "trial"))",
                      x: Axis(label: "share of the loss's variance", range: 0...1), y: Axis(),
                      series: [.intervals(Intervals(rows: rows, label: "importance", showsDropped: false))])
    }

    /// Loss against each parameter, one figure per parameter, the x scale from its domain.
    private func sliceFigures(_ view: TrialsView) throws -> [Figure] {
        var dims = view.space.dimensions
        if let dv = c.value("dims") {
            let ks = try numbers(dv, "dims", arg: "dims").map { Int($0) }
            guard !ks.isEmpty, ks.allSatisfy({ (0..<dims.count).contains($0) }) else {
                throw c.bad("dims", "parameter numbers from 0 to \(dims.count - 1) expected")
            }
            dims = ks.map { dims[$0] }
        }
        if c.given("file") && dims.count > 1 {
            throw c.bad("file", "kind: \"slice\" draws one figure per parameter; give dims: [i] to write one of them to a file")
        }
        let trials = view.trials
        let yAxis = lossAxis(trials.map(\.loss))
        let anyPruned = trials.contains { $0.pruned }
        return dims.map { d in
            var series: [Series] = [.scatter(Scatter(xs: trials.map { coordinate($0, d) }, ys: trials.map(\.loss),
                                                     classes: trials.map { $0.pruned ? 1 : 0 },
                                                     classNames: anyPruned ? ["trial", "pruned (last report)"] : ["trial"]))]
            if let b = bestIndex(trials) {
                series.append(.markers(Markers(xs: [coordinate(trials[b], d)], ys: [trials[b].loss], labels: ["best"], label: "best trial")))
            }
            return Figure(title: "loss against \(d.name): \(plural(trials.count, "trial"))", x: paramAxis(d, view), y: yAxis, series: series)
        }
    }
}
