import PsearchCore

/// A figure: series on shared axes with a title and a legend, drawn by `render` (terminal text)
/// and `renderSVG`. A figure holding `.images` is drawn as a grid of pictures without axes.
///
/// Built-ins translate each result kind into series:
/// - a vector or two vectors: `.line(Line(ys:))`, `.line(Line(xs:ys:))`
/// - a function of one number: `.line(Line(sampling:over:))`
/// - a function of two numbers: `.heatmap(Heatmap(sampling:x:y:))` (contours included)
/// - a descent: that heatmap, then `.path(Path(...))` per run, `.markers(...)` for minima
/// - a binary or line search: `.intervals(Intervals(rows:))`
/// - a dataset: `.scatter(Scatter(xs:ys:classes:))`; with a model, `.regions(...)` first
/// - a training history: one `.line` per curve, with labels; accuracy on the right axis `y2`
/// - a hyper-parameter search: `.scatter` of losses (log y when they span decades) and a
///   best-so-far `.line`; parallel coordinates as `.line`s; importances as `.intervals` bars
/// - images: `.images(ImageGrid(images:))`
public struct Figure: Sendable {
    public var title: String?
    public var x: Axis
    public var y: Axis
    /// A second y axis on the right, for the lines marked `right` (accuracy beside loss): each
    /// side fits its own lines. Without right lines it is not drawn.
    public var y2: Axis?
    /// Drawn in order, except that heatmaps and regions always go underneath.
    public var series: [Series]

    public init(title: String? = nil, x: Axis = Axis(), y: Axis = Axis(), y2: Axis? = nil, series: [Series] = []) {
        self.title = title
        self.x = x
        self.y = y
        self.y2 = y2
        self.series = series
    }
}

/// One axis: its label, an optional fixed range, and optional fixed ticks.
public struct Axis: Sendable, Equatable {
    public var label: String?
    /// nil: fitted to the data.
    public var range: ClosedRange<Double>?
    /// nil: "nice number" ticks in data coordinates; otherwise exactly these (e.g. step names).
    public var ticks: [Tick]?
    /// True when values grow downwards (y) or leftwards (x), as steps of a search read top-down.
    public var reversed: Bool
    /// Positions by log10 of the value, with ticks at powers of ten; values <= 0 are not drawn.
    public var log: Bool

    public init(label: String? = nil, range: ClosedRange<Double>? = nil, ticks: [Tick]? = nil, reversed: Bool = false,
                log: Bool = false) {
        self.label = label
        self.range = range
        self.ticks = ticks
        self.reversed = reversed
        self.log = log
    }
}

public struct Tick: Sendable, Equatable {
    public var value: Double
    public var label: String
    public init(_ value: Double, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// A colour with 8-bit channels.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
}

/// Everything a figure can draw.
public enum Series: Sendable {
    case line(Line)
    case scatter(Scatter)
    case heatmap(Heatmap)
    case path(Path)
    case markers(Markers)
    case intervals(Intervals)
    case regions(Regions)
    case images(ImageGrid)
}

/// A polyline through (xs[i], ys[i]); a non-finite value lifts the pen (a gap).
public struct Line: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var label: String?
    public var color: RGB?
    /// Measured against the figure's right axis `y2` (when it has one).
    public var right: Bool

    public init(xs: [Double], ys: [Double], label: String? = nil, color: RGB? = nil, right: Bool = false) {
        precondition(xs.count == ys.count, "line needs as many xs as ys")
        self.xs = xs
        self.ys = ys
        self.label = label
        self.color = color
        self.right = right
    }

    /// A line over the index: ys[i] at x = i.
    public init(ys: [Double], label: String? = nil, color: RGB? = nil) {
        self.init(xs: ys.indices.map(Double.init), ys: ys, label: label, color: color)
    }

    /// A function of one number sampled at `samples` evenly spaced points of `range`.
    ///
    /// 241 samples keep curves smooth on a 120-column braille canvas and in SVG alike.
    public init(sampling f: (Double) throws -> Double, over range: ClosedRange<Double>, samples: Int = 241,
                label: String? = nil, color: RGB? = nil) rethrows {
        let n = max(2, samples)
        let step = (range.upperBound - range.lowerBound) / Double(n - 1)
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(n)
        ys.reserveCapacity(n)
        for i in 0..<n {
            let x = i == n - 1 ? range.upperBound : range.lowerBound + Double(i) * step
            xs.append(x)
            ys.append(try f(x))
        }
        self.init(xs: xs, ys: ys, label: label, color: color)
    }
}

/// Points, each with a class id (0, 1, 2, ...) that picks its colour and its plain-text marker.
public struct Scatter: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    /// nil: every point is class 0.
    public var classes: [Int]?
    /// Legend names per class id; nil: "class 0", "class 1", ... (or `label` for one class).
    public var classNames: [String]?
    public var label: String?

    public init(xs: [Double], ys: [Double], classes: [Int]? = nil, classNames: [String]? = nil, label: String? = nil) {
        precondition(xs.count == ys.count, "scatter needs as many xs as ys")
        precondition(classes == nil || classes!.count == xs.count, "scatter needs one class per point")
        self.xs = xs
        self.ys = ys
        self.classes = classes
        self.classNames = classNames
        self.label = label
    }
}

/// How values map to colours.
public enum ColorScale: Sendable, Equatable {
    /// Log when the values span decades (most of the grid crowds near the minimum), else linear.
    case auto
    case linear
    case log
}

/// Values sampled on a grid over an x/y range, drawn as colour with contour lines over it.
public struct Heatmap: Sendable {
    /// rows x cols; row 0 is at `y.lowerBound`, column 0 at `x.lowerBound`; samples sit on
    /// grid points (the corners of the range are samples). Non-finite values are left blank.
    public var values: Tensor
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    public var scale: ColorScale
    /// Number of contour levels, evenly spaced in colour space; 0 draws no contours.
    public var contours: Int
    /// Named in the legend beside the colour bar, e.g. "loss".
    public var label: String?

    public init(values: Tensor, x: ClosedRange<Double>, y: ClosedRange<Double>, scale: ColorScale = .auto,
                contours: Int = 10, label: String? = nil) {
        precondition(values.rank == 2 && values.rows >= 2 && values.cols >= 2, "heatmap needs a rows x cols grid of at least 2x2")
        self.values = values
        self.x = x
        self.y = y
        self.scale = scale
        self.contours = contours
        self.label = label
    }

    /// A function of two numbers sampled on a `resolution` x `resolution` grid.
    public init(sampling f: (Double, Double) throws -> Double, x: ClosedRange<Double>, y: ClosedRange<Double>,
                resolution: Int = 101, scale: ColorScale = .auto, contours: Int = 10, label: String? = nil) rethrows {
        let n = max(2, resolution)
        var data = [Double]()
        data.reserveCapacity(n * n)
        for j in 0..<n {
            let yv = y.lowerBound + (y.upperBound - y.lowerBound) * Double(j) / Double(n - 1)
            for i in 0..<n {
                let xv = x.lowerBound + (x.upperBound - x.lowerBound) * Double(i) / Double(n - 1)
                data.append(try f(xv, yv))
            }
        }
        self.init(values: Tensor(shape: [n, n], data: data), x: x, y: y, scale: scale, contours: contours, label: label)
    }
}

/// A polyline such as a descent's iterates, with its start and end marked.
public struct Path: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var label: String?
    public var color: RGB?
    public var marksEnds: Bool

    public init(xs: [Double], ys: [Double], label: String? = nil, color: RGB? = nil, marksEnds: Bool = true) {
        precondition(xs.count == ys.count, "path needs as many xs as ys")
        self.xs = xs
        self.ys = ys
        self.label = label
        self.color = color
        self.marksEnds = marksEnds
    }
}

/// Labelled points, e.g. the minima of a multi-start descent labelled "x3" (three runs).
public struct Markers: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    /// One per point; "" for none.
    public var labels: [String]
    /// Legend entry, e.g. "minima (runs)".
    public var label: String?
    public var color: RGB?

    public init(xs: [Double], ys: [Double], labels: [String]? = nil, label: String? = nil, color: RGB? = nil) {
        precondition(xs.count == ys.count, "markers need as many xs as ys")
        self.xs = xs
        self.ys = ys
        self.labels = labels ?? Array(repeating: "", count: xs.count)
        precondition(self.labels.count == xs.count, "markers need one label per point")
        self.label = label
        self.color = color
    }
}

/// One step of a search on a number line: the interval kept, and the point probed.
public struct Interval: Sendable, Equatable {
    public var lo: Double
    public var hi: Double
    public var probe: Double?
    /// The row's name on the y axis; nil: the step number (1, 2, ...).
    public var label: String?

    public init(lo: Double, hi: Double, probe: Double? = nil, label: String? = nil) {
        self.lo = lo
        self.hi = hi
        self.probe = probe
        self.label = label
    }
}

/// Intervals step by step, first at the top: a binary search's kept halves or a line search's
/// shrinking bracket. Each row also shows, faintly, the part of the previous row it dropped.
public struct Intervals: Sendable {
    public var rows: [Interval]
    public var label: String?
    public var color: RGB?
    /// False for rows that are not steps of one search (bars of a bar chart): no faint remainder.
    public var showsDropped: Bool

    public init(rows: [Interval], label: String? = nil, color: RGB? = nil, showsDropped: Bool = true) {
        self.rows = rows
        self.label = label
        self.color = color
        self.showsDropped = showsDropped
    }
}

/// Decision regions: a class id per grid cell, shaded, with the boundaries between classes.
public struct Regions: Sendable {
    /// rows x cols, row 0 at `y.lowerBound`; each entry is the class at that cell's centre.
    public var classes: [Int]
    public var rows: Int
    public var cols: Int
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    public var classNames: [String]?

    public init(classes: [Int], rows: Int, cols: Int, x: ClosedRange<Double>, y: ClosedRange<Double>, classNames: [String]? = nil) {
        precondition(rows >= 1 && cols >= 1 && classes.count == rows * cols, "regions need rows x cols class ids")
        self.classes = classes
        self.rows = rows
        self.cols = cols
        self.x = x
        self.y = y
        self.classNames = classNames
    }

    /// A classifier sampled at the centres of a `resolution` x `resolution` grid of cells.
    public init(sampling classify: (Double, Double) throws -> Int, x: ClosedRange<Double>, y: ClosedRange<Double>,
                resolution: Int = 80, classNames: [String]? = nil) rethrows {
        let n = max(1, resolution)
        var c = [Int]()
        c.reserveCapacity(n * n)
        for j in 0..<n {
            let yv = y.lowerBound + (y.upperBound - y.lowerBound) * (Double(j) + 0.5) / Double(n)
            for i in 0..<n {
                let xv = x.lowerBound + (x.upperBound - x.lowerBound) * (Double(i) + 0.5) / Double(n)
                c.append(try classify(xv, yv))
            }
        }
        self.init(classes: c, rows: n, cols: n, x: x, y: y, classNames: classNames)
    }
}

/// RGB images (h x w x 3, or h x w grey), drawn side by side and wrapped into rows.
///
/// Values in 0...1 are taken as is; when any value exceeds 1 the image is read as 0...255.
public struct ImageGrid: Sendable {
    public var images: [Tensor]
    /// Captions under the images; nil for none.
    public var labels: [String]?
    /// Images per row; nil: as many as fit.
    public var columns: Int?

    public init(images: [Tensor], labels: [String]? = nil, columns: Int? = nil) {
        precondition(images.allSatisfy { ($0.rank == 3 && ($0.shape[2] == 3 || $0.shape[2] == 1)) || $0.rank == 2 },
                     "images must be h x w x 3, h x w x 1 or h x w")
        self.images = images
        self.labels = labels
        self.columns = columns
    }
}
