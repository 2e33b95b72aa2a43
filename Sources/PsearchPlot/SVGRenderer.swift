import PsearchCore

/// The figure as a standalone SVG document, `width` x `height` pixels (its viewBox).
///
/// Pure and byte-stable. No external assets: heatmaps and images are rects, merged along
/// rows where neighbours share a colour, and capped at 150 cells a side.
public func renderSVG(_ figure: Figure, width: Int = 640, height: Int = 420) -> String {
    let w = max(160, width), h = max(120, height)
    for s in figure.series {
        if case .images(let grid) = s { return SVGImages(grid: grid, title: figure.title, width: w).draw() }
    }
    return SVGPlot(figure: figure, width: w, height: h).draw()
}

/// Text safe inside an XML or HTML element or a quoted attribute (lesson pages use it too).
public func xmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // XML 1.0 forbids most control characters even when escaped.
            if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { out += "\u{FFFD}" }
            else if ch.value == 0xFFFE || ch.value == 0xFFFF { out += "\u{FFFD}" }
            else { out.unicodeScalars.append(ch) }
        }
    }
    return out
}

/// Coordinates are clamped to this before they become Ints: a point at 1e300 on an axis that
/// ends at 1 lies 1e302 px away, past Int's range, and is as invisible at 1e9 px.
private let farCoordinate = 1e9

/// A coordinate with at most two decimals and no trailing zeros: short files, stable bytes.
func num(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let i = Int((min(farCoordinate, max(-farCoordinate, v)) * 100).rounded())
    let neg = i < 0
    let a = abs(i)
    var s = neg ? "-" : ""
    s += String(a / 100)
    let frac = a % 100
    if frac != 0 {
        s += frac % 10 == 0 ? "." + String(frac / 10) : (frac < 10 ? ".0" : ".") + String(frac)
    }
    return s == "-0" ? "0" : s
}

/// A transform coefficient: four decimals, since it multiplies cell indices up to 120.
/// Relative luminance (0 black to 1 white) of a "#rrggbb" colour; 0 for anything else.
func lightness(_ hex: String) -> Double {
    let digits = Array(hex.dropFirst())
    guard hex.first == "#", digits.count == 6, let v = Int(String(digits), radix: 16) else { return 0 }
    let (r, g, b) = (Double((v >> 16) & 255), Double((v >> 8) & 255), Double(v & 255))
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
}

func num4(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    var s = String(Int((min(farCoordinate, abs(v)) * 10000).rounded()))
    while s.count < 5 { s = "0" + s }
    var whole = String(s.dropLast(4)), frac = String(s.suffix(4))
    while frac.last == "0" { frac.removeLast() }
    if whole.isEmpty { whole = "0" }
    let body = frac.isEmpty ? whole : whole + "." + frac
    return v < 0 && body != "0" ? "-" + body : body
}

private let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

/// About how wide a string is at `size` px in a sans-serif font, for layout only.
/// DejaVu Sans runs wide; a Hangul or CJK character takes about two Latin letters.
func textWidth(_ s: String, size: Double) -> Double { Double(s.reduce(0) { $0 + max(1, TextWidth.of($1)) }) * size * 0.66 }

struct SVGPlot {
    let figure: Figure
    let width: Int
    let height: Int
    let layout: FigureLayout
    let colors: SeriesColors

    init(figure: Figure, width: Int, height: Int) {
        self.figure = figure
        self.width = width
        self.height = height
        self.layout = FigureLayout(figure)
        self.colors = SeriesColors(figure)
    }

    // Plot area in pixels, set by draw().
    struct Area {
        var left: Double, top: Double, width: Double, height: Double
    }

    func px(_ v: Double, _ a: Area) -> Double { a.left + layout.x.fraction(v) * a.width }
    func py(_ v: Double, _ a: Area, _ axis: ResolvedAxis? = nil) -> Double { a.top + (1 - (axis ?? layout.y).fraction(v)) * a.height }

    func draw() -> String {
        let legend = legendItems()
        let heatmap = figure.series.compactMap { if case .heatmap(let h) = $0 { return h } else { return nil } }.first
        // The legend column: 14 px gap, 28 px symbol, the text, 8 px to the edge.
        let legendW = legend.isEmpty ? 0 : (legend.map { 50 + textWidth($0.label, size: 12) }.max() ?? 0)
        let barW: Double = heatmap.map { h in
            let scale = ValueScale(values: h.values.data, scale: h.scale)
            let widest = scale.barTicks(target: 6).map { textWidth(Ticks.short($0), size: 10) }.max() ?? 30
            return max(14 + 21 + widest + 8, 14 + textWidth(h.label ?? "", size: 12) + 8)
        } ?? 0
        // A right axis takes its tick labels and its rotated label before the legend.
        let y2Ticks = layout.y2.map { $0.ticks(target: max(2, Int((Double(height) - 100) / 50))) } ?? []
        let y2W = layout.y2 == nil ? 0 : 14 + (y2Ticks.map { textWidth($0.label, size: 11) }.max() ?? 10) + (layout.y2?.label == nil ? 0 : 22)
        let rightW = max(16, max(legendW, barW)) + y2W
        let top: Double = figure.title == nil ? 16 : 40
        let bottom: Double = 36 + (layout.x.label == nil ? 0 : 20)

        let area0H = Double(height) - top - bottom
        // Named rows (search steps) can sit closer than numbers: one label per 16 px.
        let yTicks = layout.y.ticks(target: max(2, Int(area0H / (layout.y.fixedTicks == nil ? 50 : 16))))
        let yLabelW = yTicks.map { textWidth($0.label, size: 11) }.max() ?? 10
        let left = yLabelW + 14 + (layout.y.label == nil ? 0 : 22)
        let a = Area(left: left, top: top, width: max(20, Double(width) - left - rightW), height: max(20, area0H))
        let xTicks = fittingXTicks(a)

        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        font-family="\(fontFamily)" font-size="12">

        """
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        if let title = figure.title {
            out += "<text x=\"\(num(Double(width) / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(xmlEscaped(title))</text>\n"
        }
        out += "<defs><clipPath id=\"plot\"><rect x=\"\(num(a.left))\" y=\"\(num(a.top))\" width=\"\(num(a.width))\" height=\"\(num(a.height))\"/></clipPath></defs>\n"

        // Grid lines under the data; a heatmap hides them, which is what one wants there.
        out += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
        for t in xTicks { out += "<line x1=\"\(num(px(t.value, a)))\" y1=\"\(num(a.top))\" x2=\"\(num(px(t.value, a)))\" y2=\"\(num(a.top + a.height))\"/>\n" }
        for t in yTicks { out += "<line x1=\"\(num(a.left))\" y1=\"\(num(py(t.value, a)))\" x2=\"\(num(a.left + a.width))\" y2=\"\(num(py(t.value, a)))\"/>\n" }
        out += "</g>\n<g clip-path=\"url(#plot)\">\n"
        for s in figure.series {
            if case .heatmap(let h) = s { out += heatmapSVG(h, a) }
            if case .regions(let r) = s { out += regionsSVG(r, a) }
        }
        for (k, s) in figure.series.enumerated() {
            let color = colors.colors[k].map(Palette.hex) ?? "#000000"
            switch s {
            case .line(let l): out += polylineSVG(l.xs, l.ys, a, stroke: color, width: 1.8, axis: layout.y(for: l))
            case .scatter(let sc): out += scatterSVG(sc, a)
            case .path(let p):
                out += polylineSVG(p.xs, p.ys, a, stroke: color, width: 2)
                if p.xs.count <= 300 {
                    // Iterates as dots show the step sizes, which is the point of a descent plot.
                    var d = ""
                    for i in p.xs.indices where p.xs[i].isFinite && p.ys[i].isFinite {
                        d += "M\(num(px(p.xs[i], a))) \(num(py(p.ys[i], a)))h0"
                    }
                    out += "<path d=\"\(d)\" stroke=\"\(color)\" stroke-width=\"4.5\" stroke-linecap=\"round\" fill=\"none\"/>\n"
                }
                if p.marksEnds, let x0 = p.xs.first, let y0 = p.ys.first, let x1 = p.xs.last, let y1 = p.ys.last {
                    out += "<circle cx=\"\(num(px(x0, a)))\" cy=\"\(num(py(y0, a)))\" r=\"6\" fill=\"#ffffff\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n"
                    out += "<circle cx=\"\(num(px(x1, a)))\" cy=\"\(num(py(y1, a)))\" r=\"6\" fill=\"\(color)\" stroke=\"#000000\" stroke-width=\"1.2\"/>\n"
                }
            case .markers(let m):
                for i in m.xs.indices {
                    let x = px(m.xs[i], a), y = py(m.ys[i], a)
                    out += "<path d=\"M\(num(x)) \(num(y - 7))l7 7l-7 7l-7-7z\" fill=\"\(color)\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
                    if !m.labels[i].isEmpty {
                        // A label that would run past the plot area (and be clipped) goes to the marker's left.
                        let fits = x + 10 + 8 * Double(m.labels[i].count) <= a.left + a.width
                        let at = fits ? "x=\"\(num(x + 10))\"" : "x=\"\(num(x - 10))\" text-anchor=\"end\""
                        out += "<text \(at) y=\"\(num(y + 4))\" font-weight=\"bold\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" fill=\"#000000\">\(xmlEscaped(m.labels[i]))</text>\n"
                    }
                }
            case .intervals(let iv): out += intervalsSVG(iv, color, a)
            case .heatmap, .regions, .images: break
            }
        }
        out += "</g>\n"

        // Axes, ticks and labels.
        out += "<g stroke=\"#000000\" stroke-width=\"1\" fill=\"none\">\n"
        out += "<path d=\"M\(num(a.left)) \(num(a.top))V\(num(a.top + a.height))H\(num(a.left + a.width))\(layout.y2 == nil ? "" : "V\(num(a.top))")\"/>\n"
        for t in xTicks { out += "<path d=\"M\(num(px(t.value, a))) \(num(a.top + a.height))v5\"/>\n" }
        for t in yTicks { out += "<path d=\"M\(num(a.left)) \(num(py(t.value, a)))h-5\"/>\n" }
        for t in y2Ticks { out += "<path d=\"M\(num(a.left + a.width)) \(num(py(t.value, a, layout.y2)))h5\"/>\n" }
        out += "</g>\n<g font-size=\"11\" fill=\"#222222\">\n"
        for t in xTicks {
            out += "<text x=\"\(num(px(t.value, a)))\" y=\"\(num(a.top + a.height + 18))\" text-anchor=\"middle\">\(xmlEscaped(t.label))</text>\n"
        }
        for t in yTicks {
            out += "<text x=\"\(num(a.left - 8))\" y=\"\(num(py(t.value, a) + 4))\" text-anchor=\"end\">\(xmlEscaped(t.label))</text>\n"
        }
        for t in y2Ticks {
            out += "<text x=\"\(num(a.left + a.width + 8))\" y=\"\(num(py(t.value, a, layout.y2) + 4))\">\(xmlEscaped(t.label))</text>\n"
        }
        out += "</g>\n"
        if let xl = layout.x.label {
            out += "<text x=\"\(num(a.left + a.width / 2))\" y=\"\(num(a.top + a.height + 40))\" text-anchor=\"middle\" font-size=\"13\">\(xmlEscaped(xl))</text>\n"
        }
        if let yl = layout.y.label {
            let cx = 16.0, cy = a.top + a.height / 2
            out += "<text x=\"\(num(cx))\" y=\"\(num(cy))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 \(num(cx)) \(num(cy)))\">\(xmlEscaped(yl))</text>\n"
        }

        if let yl = layout.y2?.label {
            let cx = a.left + a.width + y2W - 12, cy = a.top + a.height / 2
            out += "<text x=\"\(num(cx))\" y=\"\(num(cy))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(90 \(num(cx)) \(num(cy)))\">\(xmlEscaped(yl))</text>\n"
        }

        // Legend and colour bar live right of the plot (and of a right axis), so they never cover data.
        var ly = a.top + 6
        let lx = a.left + a.width + y2W + 14
        for item in legend {
            out += legendSymbol(item, x: lx, y: ly)
            out += "<text x=\"\(num(lx + 28))\" y=\"\(num(ly + 4))\">\(xmlEscaped(item.label))</text>\n"
            ly += 20
        }
        if let h = heatmap { out += colorBarSVG(h, x: lx, top: ly + 8, bottom: a.top + a.height) }
        out += "</svg>\n"
        return out
    }

    private func fittingXTicks(_ a: Area) -> [Tick] {
        var target = max(2, Int(a.width / 80))
        while true {
            let ticks = layout.x.ticks(target: target)
            let pos = ticks.map { (px($0.value, a), textWidth($0.label, size: 11)) }.sorted { $0.0 < $1.0 }
            var ok = true
            for i in 1..<max(1, pos.count) where pos[i].0 - pos[i].1 / 2 < pos[i - 1].0 + pos[i - 1].1 / 2 + 6 { ok = false }
            if ok || target <= 2 { return ticks }
            target -= 1
        }
    }

    private func polylineSVG(_ xs: [Double], _ ys: [Double], _ a: Area, stroke: String, width: Double, axis: ResolvedAxis? = nil) -> String {
        var d = ""
        var penDown = false
        for i in 0..<min(xs.count, ys.count) {
            let x = px(xs[i], a), y = py(ys[i], a, axis)
            guard x.isFinite, y.isFinite, abs(x) < 1e6, abs(y) < 1e6 else { penDown = false; continue }
            d += (penDown ? "L" : "M") + num(x) + " " + num(y)
            penDown = true
        }
        guard !d.isEmpty else { return "" }
        return "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(num(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
    }

    private func scatterSVG(_ sc: Scatter, _ a: Area) -> String {
        // One path per class of zero-length round-capped segments: a dot costs ~14 bytes,
        // so 100,000 points stay near 1.5 MB where circles would need 5.
        let n = min(sc.xs.count, sc.ys.count)
        let size = n > 5000 ? 2.5 : n > 500 ? 4.5 : 7
        var out = ""
        for (cls, _) in scatterClasses(sc) {
            var d = ""
            for i in 0..<n where (sc.classes?[i] ?? cls) == cls {
                let x = px(sc.xs[i], a), y = py(sc.ys[i], a)
                guard x.isFinite, y.isFinite else { continue }
                d += "M" + num(x) + " " + num(y) + "h0"
            }
            let color = Palette.hex(Palette.category[(cls % 10 + 10) % 10])
            if n <= 500 {
                // A dark rim keeps few, large points readable over pale regions.
                out += "<path d=\"\(d)\" stroke=\"#222222\" stroke-width=\"\(num(size + 2))\" stroke-linecap=\"round\" fill=\"none\"/>\n"
            }
            out += "<path d=\"\(d)\" stroke=\"\(color)\" stroke-width=\"\(num(size))\" stroke-linecap=\"round\" fill=\"none\"/>\n"
        }
        return out
    }

    /// Rows of rects, a run of equal colours merged into one, over the grid's own range.
    /// Grid cells as one path per colour, a run of equal colours along a row merged into one
    /// rectangle. Paths are in cell units under one transform, about 14 bytes a run, so a
    /// 120 x 120 map stays near 200 kB.
    private func cellsSVG(cols: Int, rows: Int, x: ClosedRange<Double>, y: ClosedRange<Double>, _ a: Area,
                          color: (Int, Int) -> RGB?) -> String {
        let x0 = px(x.lowerBound, a), x1 = px(x.upperBound, a)
        let y0 = py(y.lowerBound, a), y1 = py(y.upperBound, a)
        var paths = [RGB: String]()
        var order = [RGB]()
        for j in 0..<rows {
            var i = 0
            while i < cols {
                guard let c = color(i, j) else { i += 1; continue }
                var k = i + 1
                while k < cols, color(k, j) == c { k += 1 }
                if paths[c] == nil { order.append(c); paths[c] = "" }
                paths[c]! += "M\(i) \(j)h\(k - i)v1h-\(k - i)z"
                i = k
            }
        }
        // Row j counts up from y.lowerBound, so the y scale is negative when y points up.
        let sx = (x1 - x0) / Double(cols), sy = (y1 - y0) / Double(rows)
        var out = "<g shape-rendering=\"crispEdges\" transform=\"matrix(\(num4(sx)) 0 0 \(num4(sy)) \(num4(x0)) \(num4(y0)))\">\n"
        for c in order { out += "<path fill=\"\(Palette.hex(c))\" d=\"\(paths[c]!)\"/>\n" }
        return out + "</g>\n"
    }

    private func heatmapSVG(_ h: Heatmap, _ a: Area) -> String {
        let scale = ValueScale(values: h.values.data, scale: h.scale)
        let rows = h.values.rows, cols = h.values.cols
        // 120 cells a side, resampled bilinearly: coarse grids look smooth, fine ones cost no
        // more, and the colour is quantised to 64 steps so runs merge (steps of 1/64 of
        // viridis are below what eyes see).
        let nx = 120, ny = 120
        var out = ""
        h.values.data.withUnsafeBufferPointer { v in
            out += cellsSVG(cols: nx, rows: ny, x: h.x, y: h.y, a) { i, j in
                let value = bilinear(v, rows, cols, (Double(i) + 0.5) / Double(nx), (Double(j) + 0.5) / Double(ny))
                guard value.isFinite else { return nil }
                let t = (min(1, max(0, scale.t(value))) * 63).rounded() / 63
                return Palette.viridis(t)
            }
        }
        for level in scale.levels(h.contours) {
            let t = scale.t(level)
            let stroke = Palette.hex(Palette.contrasting(Palette.viridis(t)))
            var d = ""
            for line in Contours.polylines(values: h.values.data, rows: rows, cols: cols, x: h.x, y: h.y, level: level) {
                for (k, p) in line.enumerated() { d += (k == 0 ? "M" : "L") + num(px(p.x, a)) + " " + num(py(p.y, a)) }
            }
            if !d.isEmpty {
                out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-opacity=\"0.85\" stroke-width=\"1\" stroke-linejoin=\"round\"/>\n"
            }
        }
        return out
    }

    private func regionsSVG(_ r: Regions, _ a: Area) -> String {
        let nx = min(120, r.cols), ny = min(120, r.rows)
        var out = cellsSVG(cols: nx, rows: ny, x: r.x, y: r.y, a) { i, j in
            let ci = i * r.cols / nx, cj = j * r.rows / ny
            let cls = r.classes[cj * r.cols + ci]
            return Palette.pale(Palette.category[(cls % 10 + 10) % 10])
        }
        var d = ""
        for line in r.boundaryLines() {
            // The class grid makes stairs two or three cells long; smoothing over about two
            // cells turns them into the curve the classifier really has, within a cell of it.
            for (k, p) in chaikin(smoothed(line, rounds: 6)).enumerated() { d += (k == 0 ? "M" : "L") + num(px(p.x, a)) + " " + num(py(p.y, a)) }
        }
        if !d.isEmpty {
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1.6\" stroke-linecap=\"round\"/>\n"
        }
        return out
    }

    private func intervalsSVG(_ iv: Intervals, _ color: String, _ a: Area) -> String {
        var out = ""
        for (i, row) in iv.rows.enumerated() {
            let y = py(Double(i), a)
            if iv.showsDropped, i > 0 {
                let prev = iv.rows[i - 1]
                out += "<path d=\"M\(num(px(prev.lo, a))) \(num(y))H\(num(px(prev.hi, a)))\" stroke=\"#9a9a9a\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
            }
            let xa = px(row.lo, a), xb = px(row.hi, a)
            out += "<path d=\"M\(num(xa)) \(num(y))H\(num(xb))M\(num(xa)) \(num(y - 6))v12M\(num(xb)) \(num(y - 6))v12\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            if let p = row.probe {
                out += "<circle cx=\"\(num(px(p, a)))\" cy=\"\(num(y))\" r=\"4.5\" fill=\"\(color)\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
            }
        }
        return out
    }

    private func colorBarSVG(_ h: Heatmap, x: Double, top: Double, bottom: Double) -> String {
        let scale = ValueScale(values: h.values.data, scale: h.scale)
        var out = ""
        var y0 = top
        if let label = h.label {
            out += "<text x=\"\(num(x))\" y=\"\(num(top + 4))\">\(xmlEscaped(label))</text>\n"
            y0 += 14
        }
        let barH = max(30, bottom - y0)
        let steps = 48
        out += "<g shape-rendering=\"crispEdges\">\n"
        for k in 0..<steps {
            let t = 1 - (Double(k) + 0.5) / Double(steps)
            out += "<rect x=\"\(num(x))\" y=\"\(num(y0 + barH * Double(k) / Double(steps)))\" width=\"14\" height=\"\(num(barH / Double(steps) + 0.3))\" fill=\"\(Palette.hex(Palette.viridis(t)))\"/>\n"
        }
        out += "</g>\n<rect x=\"\(num(x))\" y=\"\(num(y0))\" width=\"14\" height=\"\(num(barH))\" fill=\"none\" stroke=\"#000000\"/>\n"
        for v in scale.barTicks(target: max(2, Int(barH / 45)), minGap: 14 / barH) {
            let y = y0 + barH * (1 - min(1, max(0, scale.t(v))))
            out += "<path d=\"M\(num(x + 14)) \(num(y))h4\" stroke=\"#000000\"/>\n"
            out += "<text x=\"\(num(x + 21))\" y=\"\(num(y + 4))\" font-size=\"10\">\(xmlEscaped(Ticks.short(v)))</text>\n"
        }
        if scale.isLog {
            out += "<text x=\"\(num(x))\" y=\"\(num(y0 + barH + 14))\" font-size=\"10\" fill=\"#555555\">log scale</text>\n"
        }
        return out
    }

    // MARK: - Legend

    enum Symbol { case line(String), dot(String), marker(String), interval(String), dropped, probe(String), start, end, fill(String) }
    struct Item { var symbol: Symbol; var label: String }

    private func legendItems() -> [Item] {
        var items = [Item]()
        let hasScatter = figure.series.contains { if case .scatter = $0 { return true } else { return false } }
        var lineIndex = 0
        var ends = false
        for (k, s) in figure.series.enumerated() {
            let color = colors.colors[k].map(Palette.hex) ?? "#000000"
            switch s {
            case .line(let l):
                lineIndex += 1
                if let label = l.label { items.append(Item(symbol: .line(color), label: label)) }
                else if figure.series.filter({ if case .line = $0 { return true } else { return false } }).count > 1 {
                    items.append(Item(symbol: .line(color), label: "line \(lineIndex)"))
                }
            case .scatter(let sc):
                for (cls, name) in scatterClasses(sc) {
                    items.append(Item(symbol: .dot(Palette.hex(Palette.category[(cls % 10 + 10) % 10])), label: name))
                }
            case .path(let p):
                if let label = p.label { items.append(Item(symbol: .line(color), label: label)) }
                if p.marksEnds { ends = true }
            case .markers(let m):
                if let label = m.label { items.append(Item(symbol: .marker(color), label: label)) }
            case .intervals(let iv):
                items.append(Item(symbol: .interval(color), label: iv.label ?? "kept"))
                if iv.showsDropped { items.append(Item(symbol: .dropped, label: "dropped")) }
                if iv.rows.contains(where: { $0.probe != nil }) { items.append(Item(symbol: .probe(color), label: "probe")) }
            case .regions(let reg):
                if !hasScatter {
                    for cls in presentClasses(reg.classes) {
                        let name = reg.classNames.flatMap { cls >= 0 && cls < $0.count ? $0[cls] : nil } ?? "class \(cls)"
                        items.append(Item(symbol: .fill(Palette.hex(Palette.pale(Palette.category[(cls % 10 + 10) % 10]))), label: name))
                    }
                }
            case .heatmap, .images: break
            }
        }
        if ends {
            items.append(Item(symbol: .start, label: "start"))
            items.append(Item(symbol: .end, label: "end"))
        }
        return items
    }

    private func legendSymbol(_ item: Item, x: Double, y: Double) -> String {
        switch item.symbol {
        case .line(let c):
            let stroke = "<path d=\"M\(num(x)) \(num(y))h22\" stroke=\"\(c)\" stroke-width=\"2.5\"/>\n"
            // A light colour (white or pale paths drawn over a heatmap) would vanish on the
            // legend's white: it gets a dark edge there.
            guard lightness(c) > 0.8 else { return stroke }
            return "<path d=\"M\(num(x - 1)) \(num(y))h24\" stroke=\"#555555\" stroke-width=\"4.5\"/>\n" + stroke
        case .dot(let c):
            return "<circle cx=\"\(num(x + 11))\" cy=\"\(num(y))\" r=\"4.5\" fill=\"\(c)\" stroke=\"#222222\"/>\n"
        case .marker(let c):
            return "<path d=\"M\(num(x + 11)) \(num(y - 6))l6 6l-6 6l-6-6z\" fill=\"\(c)\" stroke=\"#000000\"/>\n"
        case .interval(let c):
            return "<path d=\"M\(num(x)) \(num(y))h22M\(num(x)) \(num(y - 5))v10M\(num(x + 22)) \(num(y - 5))v10\" stroke=\"\(c)\" stroke-width=\"2.5\"/>\n"
        case .dropped:
            return "<path d=\"M\(num(x)) \(num(y))h22\" stroke=\"#9a9a9a\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
        case .probe(let c):
            return "<circle cx=\"\(num(x + 11))\" cy=\"\(num(y))\" r=\"4.5\" fill=\"\(c)\" stroke=\"#000000\"/>\n"
        case .start:
            return "<circle cx=\"\(num(x + 11))\" cy=\"\(num(y))\" r=\"5\" fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"2\"/>\n"
        case .end:
            return "<circle cx=\"\(num(x + 11))\" cy=\"\(num(y))\" r=\"5\" fill=\"#555555\" stroke=\"#000000\"/>\n"
        case .fill(let c):
            return "<rect x=\"\(num(x))\" y=\"\(num(y - 6))\" width=\"22\" height=\"12\" fill=\"\(c)\" stroke=\"#888888\"/>\n"
        }
    }
}

/// Images laid out in a grid, each pixel a rect (runs of equal colour merged).
struct SVGImages {
    let grid: ImageGrid
    let title: String?
    let width: Int

    func draw() -> String {
        var pics = grid.images.map(Pixels.init)
        // Rects beyond 128 a side would bloat the file without showing more at this size.
        let maxSide = pics.map { max($0.width, $0.height) }.max() ?? 1
        let f = max(1, (maxSide + 127) / 128)
        pics = pics.map { $0.shrunk(by: f) }
        let cellW = pics.map(\.width).max() ?? 1, cellH = pics.map(\.height).max() ?? 1
        let gap = 12.0, margin = 16.0
        let perRow = max(1, min(grid.columns ?? pics.count, pics.count))
        let scale = max(1, min(16, ((Double(width) - 2 * margin - gap * Double(perRow - 1)) / Double(perRow)) / Double(cellW)))
        let boxW = Double(cellW) * scale, boxH = Double(cellH) * scale
        let caption: Double = grid.labels == nil ? 0 : 18
        let top: Double = title == nil ? margin : 40
        let rowsN = (pics.count + perRow - 1) / max(1, perRow)
        let totalW = max(Double(width), 2 * margin + Double(perRow) * boxW + Double(perRow - 1) * gap)
        let totalH = top + Double(rowsN) * (boxH + caption + gap) + margin - gap
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(num(totalW))" height="\(num(totalH))" viewBox="0 0 \(num(totalW)) \(num(totalH))" \
        font-family="\(fontFamily)" font-size="12">
        <rect width="\(num(totalW))" height="\(num(totalH))" fill="#ffffff"/>

        """
        if let title {
            out += "<text x=\"\(num(totalW / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(xmlEscaped(title))</text>\n"
        }
        for (k, p) in pics.enumerated() {
            let ox = margin + Double(k % perRow) * (boxW + gap)
            let oy = top + Double(k / perRow) * (boxH + caption + gap)
            out += "<g shape-rendering=\"crispEdges\">\n"
            for j in 0..<p.height {
                var i = 0
                while i < p.width {
                    let c = p.rgb[j * p.width + i]
                    var e = i + 1
                    while e < p.width, p.rgb[j * p.width + e] == c { e += 1 }
                    out += "<rect x=\"\(num(ox + Double(i) * scale))\" y=\"\(num(oy + Double(j) * scale))\" width=\"\(num(Double(e - i) * scale))\" height=\"\(num(scale))\" fill=\"\(Palette.hex(c))\"/>\n"
                    i = e
                }
            }
            out += "</g>\n<rect x=\"\(num(ox))\" y=\"\(num(oy))\" width=\"\(num(Double(p.width) * scale))\" height=\"\(num(Double(p.height) * scale))\" fill=\"none\" stroke=\"#999999\"/>\n"
            if let labels = grid.labels, k < labels.count {
                out += "<text x=\"\(num(ox + Double(p.width) * scale / 2))\" y=\"\(num(oy + Double(p.height) * scale + 14))\" text-anchor=\"middle\">\(xmlEscaped(labels[k]))</text>\n"
            }
        }
        return out + "</svg>\n"
    }
}

/// One round of Chaikin corner cutting; the ends of an open line stay put.
func chaikin(_ line: [Contours.Point]) -> [Contours.Point] {
    guard line.count > 2 else { return line }
    let closed = line.first == line.last
    var out = [Contours.Point]()
    out.reserveCapacity(line.count * 2)
    if !closed { out.append(line[0]) }
    for i in 0..<(line.count - 1) {
        let p = line[i], q = line[i + 1]
        out.append(Contours.Point(x: 0.75 * p.x + 0.25 * q.x, y: 0.75 * p.y + 0.25 * q.y))
        out.append(Contours.Point(x: 0.25 * p.x + 0.75 * q.x, y: 0.25 * p.y + 0.75 * q.y))
    }
    if closed { out.append(out[0]) } else { out.append(line[line.count - 1]) }
    return out
}

/// Binomial (1 2 1) smoothing of a polyline, `rounds` times; open lines keep their ends.
func smoothed(_ line: [Contours.Point], rounds: Int) -> [Contours.Point] {
    guard line.count > 2 else { return line }
    let closed = line.first == line.last
    var p = closed ? Array(line.dropLast()) : line
    let n = p.count
    for _ in 0..<rounds {
        var q = p
        for i in 0..<n {
            if !closed && (i == 0 || i == n - 1) { continue }
            let a = p[(i - 1 + n) % n], b = p[(i + 1) % n]
            q[i] = Contours.Point(x: (a.x + 2 * p[i].x + b.x) / 4, y: (a.y + 2 * p[i].y + b.y) / 4)
        }
        p = q
    }
    if closed { p.append(p[0]) }
    return p
}
