import PsearchCore
import PsearchPlot

extension Builtins {
    /// Drawing results: one `plot` verb dispatched on its argument, `scatter` and `show`.
    static let plots: [Builtin] = [
        Builtin(BuiltinSpec(
            "plot", "draw a vector, two vectors, a function, a search/descend/train result, a dataset or a model with its data; "
                + "a search result by kind: loss per trial (default), scatter, slice, parallel, importance (binned main-effect variance); "
                + "a compare result as paths and loss curves (kind: \"paths\" or \"loss\" for one)",
            example: "plot([3, 1, 4, 1, 5, 9, 2, 6])", [
                Param("value", .any), Param("data", .any, default: .optional, shownBare: true),
                Param("x", .any, default: .hint("[lo, hi]")), Param("y", .any, default: .hint("[lo, hi]")),
                Param("f", .function, default: .optional), Param("dims", .any, default: .hint("[i, j]")),
                // The grid's default and largest size depend on what is drawn (PlotKinds).
                Param("grid", .int, default: .hint("n")),
                // A search result's figures: "loss" per trial (the default), "scatter" of two
                // parameters, "parallel" coordinates, "importance" (binned main-effect variance)
                // and "slice" (loss against each parameter, one figure each).
                Param("kind", .choice(PlotCall.trialKinds + ["paths"]), default: .hint("\"loss\"")),
            ] + figureOptions, positional: 2)) { c in
            let p = PlotCall(c)
            for figure in try p.figuresForPlot() { _ = try p.emit(figure) }
            return .none
        },
        Builtin(BuiltinSpec(
            "scatter", "draw points (xs[i], ys[i]), coloured by class ids when classes: is given; scatter(data) draws a dataset",
            example: "scatter([1, 2, 3, 4], [2, 1, 4, 3], classes: [0, 0, 1, 1])", [
                Param("xs", .any), Param("ys", .any, default: .optional, shownBare: true), Param("classes", .any, default: .optional),
                Param("dims", .any, default: .hint("[i, j]")),
            ] + figureOptions, positional: 2)) { c in
            let p = PlotCall(c)
            return try p.emit(try p.figureForScatter())
        },
        Builtin(BuiltinSpec(
            "show", "draw an h x w x 3 image (values 0..1 or 0..255), an h x w grey image, or a batch or list of them as a grid",
            example: "show(reshape(linspace(0, 1, 48), 4, 4, 3))", [
                Param("images", .any), Param("labels", .any, default: .optional), Param("columns", .int, default: .optional, range: 1...1000),
            ] + figureOptions, positional: 1)) { c in
            let p = PlotCall(c)
            return try p.emit(try p.figureForShow())
        },
    ]

    /// The options every drawing takes. The size's default and limits depend on where the
    /// figure goes (terminal cells or SVG pixels), so `PlotCall` supplies them.
    static let figureOptions = [
        Param("title", .string, default: .optional), Param("width", .int, default: .optional), Param("height", .int, default: .optional),
        Param("file", .string, default: .optional), Param("logy", .bool, default: .optional),
    ]
}

/// One plotting call: its arguments, options and the interpreter, with the figure builders
/// (PlotKinds.swift) as methods so every kind reads arguments and reports errors the same way.
struct PlotCall {
    let c: Call
    var interp: Interpreter { c.interp }

    /// Terminal and .txt sizes are character cells; SVG sizes are pixels.
    static let defaultCells = (width: 72, height: 20)
    static let defaultPixels = (width: 640, height: 420)

    /// The spec's arity check has already limited the positional arguments (the options are named only).
    init(_ c: Call) { self.c = c }

    // MARK: - Output

    /// Draws the figure to the output sink (in the session's style), or writes it to `file:`.
    func emit(_ figure: Figure) throws -> Value {
        var figure = figure
        if c.given("title") { figure.title = try c.string("title") }
        if c.given("logy") {
            // Asked for: a log y axis (values <= 0 are not drawn), or a linear one where the
            // figure chose log by itself.
            let log = try c.bool("logy")
            if log != figure.y.log {
                figure.y.log = log
                let label = figure.y.label ?? ""
                figure.y.label = log ? (label.isEmpty ? "log" : label + " (log)") : (label.hasSuffix(" (log)") ? String(label.dropLast(6)) : label)
            }
        }
        if c.given("file") {
            try write(figure, to: try c.string("file"))
            return .none
        }
        let size = try terminalSize()
        try chargeCells(size.width, size.height)
        let text = PsearchPlot.render(enlargedImages(figure, width: size.width, height: size.height),
                                      width: size.width, height: size.height, style: interp.plotStyle)
        // Lesson export and the notebook kernel take the figure itself (to draw it as SVG) with its text.
        if let display = interp.figureDisplay { try display(figure, text) } else { try interp.write(text) }
        return .none
    }

    /// Under a step budget, drawing costs steps like other work: about two per character cell
    /// (a 40 x 12 plot takes a third of a millisecond, as many as 8,000 loop iterations would
    /// in a release build; counted low so a lesson's few plots fit a small budget). Without
    /// it, a plot inside an objective drew thousands of times at no cost (found by fuzzing).
    private func chargeCells(_ width: Int, _ height: Int) throws(RuntimeError) {
        try c.charge(Double(width) * Double(height) * 2)
    }

    /// The size for terminal text: `width:`/`height:`, else the terminal's own size when output
    /// goes to one (the line under the plot is left for the prompt), else 72 x 20.
    private func terminalSize() throws(RuntimeError) -> (width: Int, height: Int) {
        var w = Self.defaultCells.width, h = Self.defaultCells.height
        if let t = interp.terminalSize() {
            w = max(24, t.cols)
            h = max(8, t.rows - 2)
        }
        return (try c.int("width", or: w, in: 24...1000), try c.int("height", or: h, in: 8...1000))
    }

    private func write(_ figure: Figure, to path: String) throws {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        // A leading dot names a hidden file, not an extension.
        var ext = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { ext = name[name.index(after: dot)...].lowercased() }
        let text: String
        switch ext {
        case "svg":
            let w = try c.int("width", or: Self.defaultPixels.width, in: 100...10_000)
            let h = try c.int("height", or: Self.defaultPixels.height, in: 100...10_000)
            // Heat maps and contours are sampled per pixel block: about one step per 50 pixels.
            try c.charge(Double(w) * Double(h) / 50)
            text = renderSVG(figure, width: w, height: h)
        case "txt":
            // Files do not follow the terminal: the same script writes the same bytes anywhere.
            let w = try c.int("width", or: Self.defaultCells.width, in: 24...1000)
            let h = try c.int("height", or: Self.defaultCells.height, in: 8...1000)
            try chargeCells(w, h)
            text = PsearchPlot.render(enlargedImages(figure, width: w, height: h), width: w, height: h, style: .plain)
        case "":
            throw c.bad("file", "'\(path)' has no extension: use .svg for a picture or .txt for terminal text")
        default:
            throw c.bad("file", "cannot write '.\(ext)' files: use .svg for a picture or .txt for terminal text")
        }
        do {
            try AtomicFile.write(text, to: path)
        } catch {
            throw RuntimeError(error.description, argument: c.position("file"))
        }
    }

    /// Small images (a 7 x 5 picture is 5 characters wide) enlarged by the largest whole
    /// factor, up to 8, at which the grid still fits; the renderer only ever shrinks.
    private func enlargedImages(_ figure: Figure, width: Int, height: Int) -> Figure {
        guard case .images(var grid)? = figure.series.first, !grid.images.isEmpty else { return figure }
        let maxW = grid.images.map { $0.shape[1] }.max()!, maxH = grid.images.map { $0.shape[0] }.max()!
        func fits(_ f: Int) -> Bool {
            let cellW = maxW * f
            let perRow = min(grid.columns ?? Int.max, (width + 1) / (cellW + 1), grid.images.count)
            guard perRow >= 1 else { return false }
            let groups = (grid.images.count + perRow - 1) / perRow
            let lines = (figure.title == nil ? 0 : 1) + groups * ((maxH * f + 1) / 2 + (grid.labels == nil ? 0 : 1))
            return lines <= height
        }
        var f = 1
        while f < 8 && fits(f + 1) { f += 1 }
        guard f > 1 else { return figure }
        grid.images = grid.images.map { t in
            let h = t.shape[0], w = t.shape[1], ch = t.rank == 3 ? t.shape[2] : 1
            var data = [Double](repeating: 0, count: h * f * w * f * ch)
            for y in 0..<(h * f) {
                for x in 0..<(w * f) {
                    for k in 0..<ch { data[(y * w * f + x) * ch + k] = t.data[((y / f) * w + x / f) * ch + k] }
                }
            }
            return Tensor(shape: t.rank == 3 ? [h * f, w * f, ch] : [h * f, w * f], data: data)
        }
        var out = figure
        out.series = [.images(grid)]
        return out
    }

    // MARK: - Reading values

    /// The numbers of a vector-like value (vector, range, list of numbers, a single number).
    func numbers(_ v: Value, _ what: String, arg: String) throws(RuntimeError) -> [Double] {
        guard let t = try interp.asTensor(v) else { throw c.bad(arg, "\(what): vector expected, got \(v.typeName)") }
        guard t.rank <= 1 else { throw c.bad(arg, "\(what): vector expected, got a tensor of shape \(Tensor.describe(shape: t.shape))") }
        return t.data
    }

    /// `[lo, hi]` (or `lo..hi`) with finite lo < hi.
    func bounds(_ v: Value, arg: String) throws(RuntimeError) -> ClosedRange<Double> {
        let lo: Double, hi: Double
        if case .range(let a, let b) = v {
            (lo, hi) = (a, b)
        } else {
            let xs = try numbers(v, "range", arg: arg)
            guard xs.count == 2 else { throw c.bad(arg, "[lo, hi] expected, got \(xs.count) number\(xs.count == 1 ? "" : "s")") }
            (lo, hi) = (xs[0], xs[1])
        }
        guard lo.isFinite, hi.isFinite, lo < hi else {
            throw c.bad(arg, "range must be finite with lo < hi, got \(formatNumber(lo))..\(formatNumber(hi))")
        }
        return lo...hi
    }

    /// A number from a function's result (a number or a one-element tensor).
    /// `point` is only formatted for the error: it is built 40,000 times for a heatmap otherwise.
    func scalar(_ v: Value, from name: @autoclosure () -> String, at point: @autoclosure () -> String) throws(RuntimeError) -> Double {
        switch v {
        case .number(let x): return x
        case .bool(let b): return b ? 1 : 0
        case .tensor(let t) where t.count == 1: return t.data[0]
        default: throw RuntimeError("'\(name())' returned \(article(v.typeName)) at \(point()), a number was expected for plotting")
        }
    }
}

/// A named field of a record or of an object (datasets and models may be either).
func field(_ v: Value, _ name: String) throws -> Value? {
    switch v {
    case .record(let r): return r[name]
    case .object(let o): return try o.field(name)
    default: return nil
    }
}

func fieldNames(_ v: Value) -> [String] {
    switch v {
    case .record(let r): return r.names
    case .object(let o): return o.fieldNames
    default: return []
    }
}

extension PlotCall {
    /// Calls `f` with one or two numbers, skipping the general call's argument list when f is
    /// a psearch function of exactly that many parameters: a 200 x 200 heatmap makes 40,000
    /// calls, and the general path's allocations were most of its time.
    func callNumbers(_ f: Value, _ a: Double, _ b: Double? = nil) throws -> Value {
        let n = b == nil ? 1 : 2
        if case .function(let fn) = f, fn.isClosure {
            let closure = unsafeDowncast(fn, to: Closure.self)
            if closure.proto.paramNames.count == n {
                let size = closure.proto.frameSize
                let fp = try interp.pushFrame(size, at: c.args.callRange)
                defer { interp.popFrame(fp, size) }
                fp[0] = .number(a)
                if let b { fp[1] = .number(b) }
                return try interp.invoke(closure, fp, callRange: c.args.callRange)
            }
        }
        return try c.call(f, b.map { [.number(a), .number($0)] } ?? [.number(a)])
    }
}
