import Foundation
import PsearchCore
import PsearchPlot

/// `train(..., live: true)`: the model as it learns, redrawn in place — the decision regions
/// over the data for two-feature classification (TensorFlow Playground in a terminal), the loss
/// curves otherwise, with epoch, loss and accuracy in the title. Frames are at least
/// `interval` seconds apart, so drawing costs a small share of the training time (measured in
/// the README). Off a terminal only the final picture is drawn, as `plot` would.
final class LiveTraining {
    private let model: Model
    private let data: Dataset
    private let interp: Interpreter
    private let interval: Double
    private var trainLoss: [Double] = [], valLoss: [Double] = [], valAccuracy: [Double] = []
    private var lastFrame = -Double.infinity
    private var last: TrainProgress?
    /// Frames drawn so far.
    private(set) var frames = 0

    init(model: Model, data: Dataset, interp: Interpreter, interval: Double = 0.2) {
        self.model = model
        self.data = data
        self.interp = interp
        self.interval = interval
    }

    /// Decision regions need two features and classes; anything else shows its loss curves.
    var showsRegions: Bool { data.kind == .classification && data.d == 2 }

    /// After each epoch: keep the curves; draw a frame when one is due and a terminal shows it.
    func epoch(_ p: TrainProgress) {
        trainLoss.append(p.trainLoss)
        if let l = p.valLoss { valLoss.append(l) }
        if let a = p.valAccuracy { valAccuracy.append(a) }
        last = p
        guard let show = interp.liveFrame, p.elapsed - lastFrame >= interval || p.epoch == p.epochs else { return }
        lastFrame = p.elapsed
        if let picture = try? figure(p) { show(.draw(LiveView.text(picture, interp))) }
        frames += 1
    }

    /// The last picture, over the last frame on a terminal.
    func finish(weights: [Double]) throws {
        guard var p = last else { return }
        p.weights = weights
        try LiveView.finish(try figure(p), interp)
    }

    // MARK: - The picture

    func figure(_ p: TrainProgress) throws -> Figure {
        var title = "epoch \(p.epoch)/\(p.epochs)  loss \(Descent.fmt(p.trainLoss, "%.4g"))"
        if let a = p.valAccuracy { title += "  val acc \(Descent.fmt(a, "%.3f"))" } else if let l = p.valLoss { title += "  val loss \(Descent.fmt(l, "%.4g"))" }
        guard showsRegions else {
            var series = [Series]()
            for (ys, label) in [(trainLoss, "train loss"), (valLoss, "validation loss"), (valAccuracy, "validation accuracy")] where !ys.isEmpty {
                series.append(.line(Line(xs: ys.indices.map { Double($0 + 1) }, ys: ys, label: label, right: label == "validation accuracy")))
            }
            return Figure(title: title, x: Axis(label: "epoch", range: 1...Double(max(2, p.epochs))), y: decadesAxis("loss", trainLoss + valLoss),
                          y2: valAccuracy.isEmpty ? nil : Axis(label: "accuracy", range: 0...1), series: series)
        }
        let xs = column(0), ys = column(1)
        let xr = around(xs), yr = around(ys)
        // One forward pass over the whole grid: the model at this epoch's weights.
        let n = 60
        var grid = [Double]()
        grid.reserveCapacity(2 * n * n)
        for j in 0..<n {
            let y = yr.lowerBound + (yr.upperBound - yr.lowerBound) * (Double(j) + 0.5) / Double(n)
            for i in 0..<n {
                grid.append(xr.lowerBound + (xr.upperBound - xr.lowerBound) * (Double(i) + 0.5) / Double(n))
                grid.append(y)
            }
        }
        let now = try model.withParams(p.weights.isEmpty ? model.weights : p.weights)
        let classes = try now.classify(Tensor(shape: [n * n, 2], data: grid))
        let regions = Regions(classes: classes, rows: n, cols: n, x: xr, y: yr, classNames: data.classNames)
        let points = Scatter(xs: xs, ys: ys, classes: data.y.map { Int($0) }, classNames: data.classNames)
        return Figure(title: title, x: Axis(label: "feature 0"), y: Axis(label: "feature 1"), series: [.regions(regions), .scatter(points)])
    }

    private func column(_ k: Int) -> [Double] {
        (0..<data.n).map { data.X.data[$0 * data.d + k] }
    }

    private func around(_ vs: [Double]) -> ClosedRange<Double> {
        let fin = vs.filter(\.isFinite)
        guard var lo = fin.min(), var hi = fin.max() else { return -1...1 }
        if hi - lo < 1e-9 * max(1, abs(lo)) { (lo, hi) = (lo - 1, hi + 1) }
        let d = (hi - lo) * 0.08
        return (lo - d)...(hi + d)
    }
}

/// What both live views share: the frame's size and the finished picture.
enum LiveView {
    /// A frame as text: the terminal's width (at most 100), its height less the lines the
    /// statement and the prompt keep (at most 30).
    static func text(_ figure: Figure, _ interp: Interpreter) -> String {
        let size = interp.terminalSize() ?? (cols: 72, rows: 24)
        return PsearchPlot.render(figure, width: max(24, min(size.cols, 100)), height: max(8, min(size.rows - 4, 30)), style: interp.plotStyle)
    }

    /// The finished picture: over the last frame on a terminal (where it stays), otherwise
    /// written like any plot (to the output, or to a lesson page as SVG).
    static func finish(_ figure: Figure, _ interp: Interpreter) throws {
        if let show = interp.liveFrame {
            show(.draw(text(figure, interp)))
            show(.end)
        } else if let display = interp.figureDisplay {
            try display(figure, text(figure, interp))
        } else {
            try interp.write(text(figure, interp))
        }
    }
}
