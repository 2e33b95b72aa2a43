import Foundation
import PsearchCore
import PsearchPlot

/// One deterministic figure per kind the built-ins will draw; shared by snapshot tests and
/// the benchmark. Only `uniform()` is used for noise so the bytes do not hang on libm.
enum Fixtures {
    static let all: [(name: String, figure: Figure)] = [
        ("line-vector", lineVector()),
        ("line-xy", lineXY()),
        ("function", function()),
        ("training-history", trainingHistory()),
        ("loss-accuracy", lossAndAccuracy()),
        ("scatter-classes", scatterClasses()),
        ("trials", trials()),
        ("heatmap-linear", heatmapLinear()),
        ("heatmap-rosenbrock", rosenbrock()),
        ("descent-path", descentPath()),
        ("multistart", multistart()),
        ("binary-search", binarySearch()),
        ("line-search", lineSearch()),
        ("decision-regions", decisionRegions()),
        ("image", image()),
        ("image-grid", imageGrid()),
        ("escaping", escaping()),
    ]

    static func lineVector() -> Figure {
        let ys = (0..<30).map { i in 3 * exp(-Double(i) / 8) + 0.2 * sin(Double(i)) }
        return Figure(series: [.line(Line(ys: ys))])
    }

    static func lineXY() -> Figure {
        let xs = stride(from: -2.0, through: 2.0, by: 0.25).map { $0 }
        return Figure(title: "x cubed", x: Axis(label: "x"), y: Axis(label: "y"),
                      series: [.line(Line(xs: xs, ys: xs.map { $0 * $0 * $0 }, label: "x^3"))])
    }

    static func function() -> Figure {
        Figure(title: "sin over -3..3", x: Axis(label: "x"),
               series: [.line(Line(sampling: { sin($0) }, over: -3...3, label: "sin"))])
    }

    static func trainingHistory() -> Figure {
        let epochs = (1...40).map(Double.init)
        let train = epochs.map { 1.2 * exp(-$0 / 9) + 0.05 }
        let valid = epochs.map { 1.25 * exp(-$0 / 10) + 0.09 + 0.002 * max(0, $0 - 25) }
        return Figure(title: "training", x: Axis(label: "epoch"), y: Axis(label: "loss"),
                      series: [.line(Line(xs: epochs, ys: train, label: "train")),
                               .line(Line(xs: epochs, ys: valid, label: "validation"))])
    }

    /// Loss on the left axis, accuracy on its own 0 to 1 axis on the right.
    static func lossAndAccuracy() -> Figure {
        let epochs = (1...40).map(Double.init)
        let valid = epochs.map { 1.25 * exp(-$0 / 10) + 0.09 }
        let accuracy = epochs.map { 0.95 - 0.45 * exp(-$0 / 6) }
        return Figure(title: "training", x: Axis(label: "epoch"), y: Axis(label: "loss"), y2: Axis(label: "accuracy", range: 0...1),
                      series: [.line(Line(xs: epochs, ys: valid, label: "validation loss")),
                               .line(Line(xs: epochs, ys: accuracy, label: "validation accuracy", right: true))])
    }

    /// Three blobs; the noise is a sum of uniforms (roughly normal, and libm-free).
    static func blobs(_ n: Int, seed: UInt64) -> (xs: [Double], ys: [Double], cls: [Int]) {
        var r = Random(seed: seed)
        let centres = [(-1.5, -1.0), (1.5, -0.5), (0.0, 1.6)]
        var xs = [Double](), ys = [Double](), cls = [Int]()
        for i in 0..<n {
            let c = i % 3
            let nx = (r.uniform() + r.uniform() + r.uniform() - 1.5) * 1.1
            let ny = (r.uniform() + r.uniform() + r.uniform() - 1.5) * 1.1
            xs.append(centres[c].0 + nx)
            ys.append(centres[c].1 + ny)
            cls.append(c)
        }
        return (xs, ys, cls)
    }

    static func scatterClasses() -> Figure {
        let b = blobs(150, seed: 7)
        return Figure(title: "three blobs", x: Axis(label: "feature 1"), y: Axis(label: "feature 2"),
                      series: [.scatter(Scatter(xs: b.xs, ys: b.ys, classes: b.cls, classNames: ["setosa", "versicolor", "virginica"]))])
    }

    static func trials() -> Figure {
        var r = Random(seed: 3)
        let lrs = (0..<24).map { _ in pow(10, r.uniform(-4, 0)) }
        let losses = lrs.map { lr in 0.1 + pow(log10(lr) + 2, 2) * 0.2 + 0.05 * r.uniform() }
        return Figure(title: "loss per trial", x: Axis(label: "log10 learning rate"), y: Axis(label: "validation loss"),
                      series: [.scatter(Scatter(xs: lrs.map { log10($0) }, ys: losses, label: "trial")),
                               .markers(Markers(xs: [log10(lrs[losses.firstIndex(of: losses.min()!)!])], ys: [losses.min()!],
                                                labels: ["best"], label: "best trial"))])
    }

    static func heatmapLinear() -> Figure {
        let h = Heatmap(sampling: { x, y in sin(x) * cos(y) }, x: -3...3, y: -2...2, resolution: 61, contours: 7, label: "sin x cos y")
        return Figure(title: "sin(x) cos(y)", x: Axis(label: "x"), y: Axis(label: "y"), series: [.heatmap(h)])
    }

    static func rosenbrockF(_ x: Double, _ y: Double) -> Double { (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x) }

    static func rosenbrock(resolution: Int = 101) -> Figure {
        let h = Heatmap(sampling: rosenbrockF, x: -2...2, y: -1...3, resolution: resolution, contours: 12, label: "loss")
        return Figure(title: "Rosenbrock", x: Axis(label: "x"), y: Axis(label: "y"), series: [.heatmap(h)])
    }

    /// Gradient descent with momentum on Rosenbrock from (-1.5, 2), as the descend built-in would trace it.
    static func descentTrace(from start: (Double, Double), steps: Int) -> (xs: [Double], ys: [Double]) {
        var (x, y) = start
        var (vx, vy) = (0.0, 0.0)
        var xs = [x], ys = [y]
        for _ in 0..<steps {
            let gx = -2 * (1 - x) - 400 * x * (y - x * x), gy = 200 * (y - x * x)
            vx = 0.9 * vx - 0.0008 * gx
            vy = 0.9 * vy - 0.0008 * gy
            x += vx
            y += vy
            xs.append(x)
            ys.append(y)
        }
        return (xs, ys)
    }

    static func descentPath() -> Figure {
        var f = rosenbrock()
        f.title = "descend: momentum on Rosenbrock"
        let t = descentTrace(from: (-1.5, 2.0), steps: 400)
        f.series.append(.path(Path(xs: t.xs, ys: t.ys, label: "momentum")))
        return f
    }

    static func multistart() -> Figure {
        // A two-minimum function: runs from a grid of starts fall into one basin or the other.
        func g(_ x: Double, _ y: Double) -> Double { pow(x * x - 1, 2) + 0.6 * y * y + 0.3 * x }
        var series: [Series] = [.heatmap(Heatmap(sampling: g, x: -2...2, y: -1.5...1.5, resolution: 81, contours: 9, label: "f"))]
        let starts = [(-1.8, 1.2), (-0.3, -1.3), (0.2, 1.4), (1.8, -1.2), (1.1, 1.3)]
        var ends = [(Double, Double)]()
        for s in starts {
            var (x, y) = s
            var xs = [x], ys = [y]
            for _ in 0..<40 {
                let gx = 4 * x * (x * x - 1) + 0.3, gy = 1.2 * y
                x -= 0.05 * gx
                y -= 0.05 * gy
                xs.append(x)
                ys.append(y)
            }
            series.append(.path(Path(xs: xs, ys: ys, color: RGB(255, 64, 64))))
            ends.append((x, y))
        }
        let left = ends.filter { $0.0 < 0 }.count
        series.append(.markers(Markers(xs: [-1.036, 0.96], ys: [0, 0], labels: ["x\(left)", "x\(starts.count - left)"],
                                       label: "minima (runs)", color: RGB(255, 255, 255))))
        return Figure(title: "multi-start descent", x: Axis(label: "x"), y: Axis(label: "y"), series: series)
    }

    static func binarySearch() -> Figure {
        // Find sqrt(2) in [0, 4]: each row keeps the half where x^2 - 2 changes sign.
        var lo = 0.0, hi = 4.0
        var rows = [Interval(lo: lo, hi: hi)]
        for _ in 0..<7 {
            let mid = (lo + hi) / 2
            if mid * mid < 2 { lo = mid } else { hi = mid }
            rows.append(Interval(lo: lo, hi: hi, probe: mid))
        }
        return Figure(title: "binary search for sqrt(2)", x: Axis(label: "x"), series: [.intervals(Intervals(rows: rows))])
    }

    static func lineSearch() -> Figure {
        // Golden-section search for the minimum of (x - 0.7)^2 on [-2, 3].
        let phi = (5.0.squareRoot() - 1) / 2
        var a = -2.0, b = 3.0
        var rows = [Interval(lo: a, hi: b, label: "start")]
        for i in 1...9 {
            let c = b - phi * (b - a), d = a + phi * (b - a)
            let f: (Double) -> Double = { ($0 - 0.7) * ($0 - 0.7) }
            if f(c) < f(d) { b = d } else { a = c }
            rows.append(Interval(lo: a, hi: b, probe: (a + b) / 2, label: "step \(i)"))
        }
        return Figure(title: "golden-section line search", x: Axis(label: "x"),
                      series: [.intervals(Intervals(rows: rows, label: "bracket"))])
    }

    static func decisionRegions() -> Figure {
        let b = blobs(90, seed: 11)
        // A nearest-centre classifier: straight boundaries meeting at one point.
        let centres = [(-1.5, -1.0), (1.5, -0.5), (0.0, 1.6)]
        let regions = Regions(sampling: { x, y in
            var best = 0, bestD = Double.infinity
            for (k, c) in centres.enumerated() {
                let d = (x - c.0) * (x - c.0) + (y - c.1) * (y - c.1)
                if d < bestD { (best, bestD) = (k, d) }
            }
            return best
        }, x: -3.5...3.5, y: -3...3.5, resolution: 90)
        return Figure(title: "nearest-centre classifier", x: Axis(label: "feature 1"), y: Axis(label: "feature 2"),
                      series: [.regions(regions), .scatter(Scatter(xs: b.xs, ys: b.ys, classes: b.cls))])
    }

    /// A 12 x 16 RGB image in 0...1: red grows to the right, green downwards, a blue disc.
    static func rgbImage(_ h: Int = 12, _ w: Int = 16, shift: Double = 0) -> Tensor {
        var data = [Double]()
        for j in 0..<h {
            for i in 0..<w {
                let dx = Double(i) - Double(w) / 2 - shift, dy = Double(j) - Double(h) / 2
                data += [Double(i) / Double(w - 1), Double(j) / Double(h - 1), dx * dx + dy * dy < 12 ? 1 : 0.1]
            }
        }
        return Tensor(shape: [h, w, 3], data: data)
    }

    static func image() -> Figure {
        Figure(title: "an RGB image", series: [.images(ImageGrid(images: [rgbImage()]))])
    }

    static func imageGrid() -> Figure {
        // The last image is 0...255, the others 0...1: both scales are read.
        let imgs = (0..<4).map { rgbImage(shift: Double($0) * 2 - 3) } + [rgbImage().map { $0 * 255 }]
        return Figure(title: "a batch", series: [.images(ImageGrid(images: imgs, labels: ["0", "1", "2", "3", "4"], columns: 3))])
    }

    static func escaping() -> Figure {
        Figure(title: "a < b & \"c\" > 'd'", x: Axis(label: "<x>"), y: Axis(label: "y & z"),
               series: [.line(Line(ys: [1, 3, 2], label: "f<&>\u{1}g")),
                        .markers(Markers(xs: [1], ys: [3], labels: ["<max>"]))])
    }
}
