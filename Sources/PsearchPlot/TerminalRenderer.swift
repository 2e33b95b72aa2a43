import PsearchCore

/// How the terminal renderer may colour its output.
public enum TerminalStyle: Sendable, Equatable {
    /// No escape codes at all: classes get marker characters, heatmaps a character ramp.
    case plain
    /// xterm 256 colours.
    case ansi256
    /// 24-bit colour.
    case truecolor

    /// The style for an output stream: plain unless it is a terminal and NO_COLOR is unset;
    /// 24-bit when COLORTERM says so.
    public static func detect(environment: [String: String], isTerminal: Bool) -> TerminalStyle {
        guard isTerminal else { return .plain }
        if let v = environment["NO_COLOR"], !v.isEmpty { return .plain }  // no-color.org: set and non-empty
        if environment["TERM"] == "dumb" { return .plain }
        let ct = (environment["COLORTERM"] ?? "").lowercased()
        return ct == "truecolor" || ct == "24bit" ? .truecolor : .ansi256
    }
}

/// The figure as terminal text `width` columns by about `height` lines, each ending in "\n".
///
/// Pure: same figure and size give the same bytes. `.plain` output has no escape codes.
public func render(_ figure: Figure, width: Int = 72, height: Int = 20, style: TerminalStyle = .plain) -> String {
    for s in figure.series {
        if case .images(let grid) = s {
            return renderImages(grid, title: figure.title, width: width, height: height, style: style)
        }
    }
    return TerminalPlot(figure: figure, width: max(24, width), height: max(8, height), style: style).draw()
}

/// Escape-code writer that only emits a colour change when the colour changes.
struct StyledText {
    let style: TerminalStyle
    var out = ""
    private var fg: UInt32 = 0
    private var bg: UInt32 = 0

    init(style: TerminalStyle) { self.style = style }

    private func code(_ c: UInt32, background: Bool) -> String {
        if c == 0 { return background ? "\u{1B}[49m" : "\u{1B}[39m" }
        let rgb = Canvas.unpack(c)
        switch style {
        case .truecolor: return "\u{1B}[\(background ? 48 : 38);2;\(rgb.r);\(rgb.g);\(rgb.b)m"
        case .ansi256: return "\u{1B}[\(background ? 48 : 38);5;\(Palette.xterm256(rgb))m"
        case .plain: return ""
        }
    }

    mutating func add(_ text: String, fg f: UInt32 = 0, bg b: UInt32 = 0) {
        // Labels come from user data: a control character could move the cursor or start an
        // escape sequence of its own, so none gets through.
        let s = text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
            ? String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0 }))
            : text
        if style != .plain {
            // Spaces show only their background, so their foreground need not change.
            let visibleFg = s.allSatisfy { $0 == " " } ? fg : f
            if visibleFg != fg { out += code(visibleFg, background: false); fg = visibleFg }
            if b != bg { out += code(b, background: true); bg = b }
        }
        out += s
    }

    /// One cell: the hot path, so no String is built for it.
    mutating func add(_ ch: Unicode.Scalar, fg f: UInt32 = 0, bg b: UInt32 = 0) {
        if ch.value < 0x20 || (0x7F...0x9F).contains(ch.value) { add("?", fg: f, bg: b); return }
        if style != .plain {
            let visibleFg = ch == " " ? fg : f
            if visibleFg != fg { out += code(visibleFg, background: false); fg = visibleFg }
            if b != bg { out += code(b, background: true); bg = b }
        }
        out.unicodeScalars.append(ch)
    }

    mutating func newline() {
        // Plain lines end at their last visible character, as a log file or a diff wants them.
        if style == .plain { while out.last == " " { out.removeLast() } }
        if fg != 0 || bg != 0 { out += "\u{1B}[0m" }
        fg = 0
        bg = 0
        out += "\n"
    }
}

/// One legend entry: a short coloured symbol and its words.
struct LegendItem {
    var symbol: [(Unicode.Scalar, UInt32, UInt32)]  // character, foreground, background
    var label: String
    /// Words before the symbol, as a colour bar's low end: "loss 0 [ramp] 2509".
    var prefix = ""
    var width: Int { (prefix.isEmpty ? 0 : TextWidth.of(prefix) + 1) + symbol.count + (label.isEmpty ? 0 : 1 + TextWidth.of(label)) }
}

/// The pieces of a figure that both renderers colour the same way.
struct SeriesColors {
    var colors: [RGB?]

    init(_ figure: Figure) {
        let overHeat = figure.series.contains { if case .heatmap = $0 { return true } else { return false } }
        let palette = overHeat ? Palette.overHeatmap : Palette.category
        var k = 0
        colors = figure.series.map { s in
            func next(_ fixed: RGB?) -> RGB {
                if let fixed { return fixed }
                defer { k += 1 }
                return palette[k % palette.count]
            }
            switch s {
            case .line(let l): return next(l.color)
            case .path(let p): return next(p.color)
            // Markers are minima and bests: neutral (the text colour; white on a heatmap) so
            // they never pass for a class or a line.
            case .markers(let m): return m.color ?? (overHeat ? RGB(255, 255, 255) : nil)
            case .intervals(let iv): return next(iv.color)
            case .scatter, .heatmap, .regions, .images: return nil
            }
        }
    }
}

struct TerminalPlot {
    let figure: Figure
    let width: Int
    let height: Int
    let style: TerminalStyle
    let layout: FigureLayout
    let colors: SeriesColors
    var plain: Bool { style == .plain }

    init(figure: Figure, width: Int, height: Int, style: TerminalStyle) {
        self.figure = figure
        self.width = width
        self.height = height
        self.style = style
        self.layout = FigureLayout(figure)
        self.colors = SeriesColors(figure)
    }

    func draw() -> String {
        let legendLines = wrap(legendItems(), width: width)
        let header = (figure.title == nil ? 0 : 1) + (layout.y.label == nil && layout.y2?.label == nil ? 0 : 1)
        let footer = 2 + (layout.x.label == nil ? 0 : 1) + legendLines.count
        let rows = max(3, height - header - footer)

        // y ticks: at most one per row, about one every three rows; the right axis likewise.
        func rowTicks(_ axis: ResolvedAxis) -> [(row: Int, label: String)] {
            var ticks = [(row: Int, label: String)]()
            for t in axis.ticks(target: axis.fixedTicks == nil ? max(2, rows / 3) : rows) {
                let f = axis.fraction(t.value)
                let row = min(rows - 1, max(0, Int(((1 - f) * Double(rows)).rounded(.down))))
                if !ticks.contains(where: { $0.row == row }) { ticks.append((row, t.label)) }
            }
            return ticks
        }
        let yTicks = rowTicks(layout.y)
        let y2Ticks = layout.y2.map(rowTicks) ?? []
        let labelWidth = max(1, yTicks.map { $0.label.count }.max() ?? 1)
        let left = labelWidth + 1
        // The right axis: its line, a space and its labels.
        let right = layout.y2 == nil ? 1 : 2 + (y2Ticks.map { $0.label.count }.max() ?? 1)
        let cols = max(4, width - left - right)

        var canvas = Canvas(cols: cols, rows: rows)
        drawSeries(into: &canvas)

        var st = StyledText(style: style)
        if let title = figure.title {
            let t = clipped(title, width)
            st.add(String(repeating: " ", count: max(0, (width - TextWidth.of(t)) / 2)) + t)
            st.newline()
        }
        if layout.y.label != nil || layout.y2?.label != nil {
            // The left axis's label at the left, the right one's ending over its labels.
            let l = clipped(layout.y.label ?? "", width)
            let r = clipped(layout.y2?.label ?? "", max(0, width - TextWidth.of(l) - 2))
            let gap = r.isEmpty ? 0 : max(1, width - TextWidth.of(l) - TextWidth.of(r))
            st.add(l + String(repeating: " ", count: gap) + r)
            st.newline()
        }
        for r in 0..<rows {
            if let tick = yTicks.first(where: { $0.row == r }) {
                st.add(String(repeating: " ", count: labelWidth - tick.label.count) + tick.label + "┤")
            } else {
                st.add(String(repeating: " ", count: labelWidth) + "│")
            }
            for c in 0..<cols {
                let i = r * cols + c
                let bg = plain ? 0 : canvas.background[i]
                if canvas.text[i] == Canvas.covered {
                    continue  // the wide character to the left fills this cell
                } else if canvas.text[i] != 0 {
                    st.add(Unicode.Scalar(canvas.text[i])!, fg: resolve(canvas.textColor[i], on: bg), bg: bg)
                } else if canvas.bits[i] != 0 {
                    st.add(Unicode.Scalar(0x2800 + UInt32(canvas.bits[i]))!, fg: resolve(canvas.dotColor[i], on: bg), bg: bg)
                } else if plain && canvas.fill[i] != 0 {
                    st.add(Unicode.Scalar(canvas.fill[i])!)
                } else {
                    st.add(" " as Unicode.Scalar, bg: bg)
                }
            }
            if layout.y2 != nil {
                if let tick = y2Ticks.first(where: { $0.row == r }) { st.add("├" + tick.label) } else { st.add("│") }
            }
            st.newline()
        }

        // x axis: tick marks under the plot, labels centred on them, never overlapping.
        let xTicks = placeXTicks(cols: cols)
        var axis = Array(String(repeating: "─", count: cols))
        for t in xTicks { axis[t.col] = "┬" }
        st.add(String(repeating: " ", count: labelWidth) + "└" + String(axis) + (layout.y2 == nil ? "" : "┘"))
        st.newline()
        var labels = [Character](repeating: " ", count: left + cols + 1)
        for t in xTicks {
            for (k, ch) in t.label.enumerated() where left + t.start + k < labels.count { labels[left + t.start + k] = ch }
        }
        st.add(String(labels).trailingSpacesTrimmed)
        st.newline()
        if let xl = layout.x.label {
            let t = clipped(xl, width)
            st.add(String(repeating: " ", count: max(0, left + (cols - TextWidth.of(t)) / 2)) + t)
            st.newline()
        }
        for line in legendLines {
            for (k, item) in line.enumerated() {
                if k > 0 { st.add("   ") }
                if !item.prefix.isEmpty { st.add(item.prefix + " ") }
                for (ch, fg, bg) in item.symbol { st.add(ch, fg: plain ? 0 : fg, bg: plain ? 0 : bg) }
                if !item.label.isEmpty { st.add(" " + item.label) }
            }
            st.newline()
        }
        return st.out
    }

    private func resolve(_ color: UInt32, on bg: UInt32) -> UInt32 {
        if plain { return 0 }
        if color == Canvas.contrast { return bg == 0 ? 0 : Canvas.pack(Palette.contrasting(Canvas.unpack(bg))) }
        return color
    }

    /// Tick columns and label starts, with fewer ticks until every label fits with a gap.
    private func placeXTicks(cols: Int) -> [(col: Int, start: Int, label: String)] {
        var target = max(2, cols / 10)
        while true {
            var placed = [(col: Int, start: Int, label: String)]()
            var ok = true
            var lastEnd = -3  // a label may start one column left of the axis, under the corner
            let ticks = layout.x.ticks(target: target).sorted { layout.x.fraction($0.value) < layout.x.fraction($1.value) }
            for t in ticks {
                let col = min(cols - 1, max(0, Int((layout.x.fraction(t.value) * Double(cols)).rounded(.down))))
                let n = t.label.count
                let start = min(cols + 1 - n, max(-1, col - (n - 1) / 2))
                if start <= lastEnd + 1 { ok = false; break }
                placed.append((col, start, t.label))
                lastEnd = start + n - 1
            }
            if ok || target <= 2 { return ok ? placed : Array(placed.prefix(1)) }
            target -= 1
        }
    }

    // MARK: - Series

    private func dotX(_ v: Double, _ c: Canvas) -> Double { layout.x.fraction(v) * Double(c.dotsWide) }
    private func dotY(_ v: Double, _ c: Canvas, _ axis: ResolvedAxis) -> Double { (1 - axis.fraction(v)) * Double(c.dotsHigh) }

    /// The cell holding a data point, or nil when it falls outside the plot.
    private func cell(_ x: Double, _ y: Double, _ c: Canvas, _ axis: ResolvedAxis? = nil) -> (Int, Int)? {
        let fx = layout.x.fraction(x), fy = 1 - (axis ?? layout.y).fraction(y)
        guard fx >= 0, fx <= 1, fy >= 0, fy <= 1 else { return nil }
        return (min(c.cols - 1, Int(fx * Double(c.cols))), min(c.rows - 1, Int(fy * Double(c.rows))))
    }

    /// The data coordinates at the centre of a cell.
    private func centre(_ col: Int, _ row: Int, _ c: Canvas) -> (Double, Double) {
        var fx = (Double(col) + 0.5) / Double(c.cols)
        var fy = 1 - (Double(row) + 0.5) / Double(c.rows)
        if layout.x.reversed { fx = 1 - fx }
        if layout.y.reversed { fy = 1 - fy }
        return (layout.x.value(at: fx), layout.y.value(at: fy))
    }

    private func drawSeries(into c: inout Canvas) {
        // Grids first so that everything else lands on top of them.
        for s in figure.series {
            if case .heatmap(let h) = s { drawHeatmap(h, &c) }
            if case .regions(let r) = s { drawRegions(r, &c) }
        }
        let lineCount = figure.series.filter { if case .line = $0 { return true } else { return false } }.count
        var lineIndex = 0
        for (k, s) in figure.series.enumerated() {
            let color = colors.colors[k].map(Canvas.pack) ?? 0
            switch s {
            case .line(let l):
                let axis = layout.y(for: l)
                drawPolyline(l.xs, l.ys, color, &c, axis)
                if plain && lineCount > 1 {
                    // Braille lines look alike without colour: a marker every few columns tells them apart.
                    let marker = Palette.markers[lineIndex % Palette.markers.count].unicodeScalars.first!
                    let stride = max(1, Int((Double(l.xs.count) / Double(max(1, c.cols / 5))).rounded(.up)))
                    for i in Swift.stride(from: lineIndex % stride, to: l.xs.count, by: stride) {
                        if let (col, row) = cell(l.xs[i], l.ys[i], c, axis) { c.put(col, row, marker, color) }
                    }
                }
                lineIndex += 1
            case .scatter(let sc): drawScatter(sc, &c)
            case .path(let p):
                drawPolyline(p.xs, p.ys, color, &c)
                if plain {
                    // Without colour a path's braille looks like the contours under it; its
                    // iterates as dots set it apart.
                    for i in p.xs.indices {
                        if let (col, row) = cell(p.xs[i], p.ys[i], c), c.isFree(col, row) { c.put(col, row, "•", color) }
                    }
                }
                if p.marksEnds, !p.xs.isEmpty {
                    if let (col, row) = cell(p.xs[0], p.ys[0], c) { c.put(col, row, "○", color) }
                    if let (col, row) = cell(p.xs[p.xs.count - 1], p.ys[p.ys.count - 1], c) { c.put(col, row, "●", color) }
                }
            case .markers(let m):
                for i in m.xs.indices {
                    guard let (col, row) = cell(m.xs[i], m.ys[i], c) else { continue }
                    c.put(col, row, "◆", color)
                    // The label goes right of the marker when it fits, else left of it.
                    let label = m.labels[i], n = TextWidth.of(label)
                    guard n > 0 else { continue }
                    let rightFree = (1...n).allSatisfy { c.isFree(col + $0, row) }
                    let leftFree = (1...n).allSatisfy { c.isFree(col - $0, row) }
                    let start = rightFree ? col + 1 : leftFree ? col - n : nil
                    if let start { c.write(label, start, row, color) }
                }
            case .intervals(let iv): drawIntervals(iv, color, &c)
            case .heatmap, .regions, .images: break
            }
        }
    }

    private func drawPolyline(_ xs: [Double], _ ys: [Double], _ color: UInt32, _ c: inout Canvas, _ axis: ResolvedAxis? = nil) {
        let axis = axis ?? layout.y
        let n = min(xs.count, ys.count)
        if n == 1 { c.line(dotX(xs[0], c), dotY(ys[0], c, axis), dotX(xs[0], c), dotY(ys[0], c, axis), color) }
        guard n >= 2 else { return }
        var px = dotX(xs[0], c), py = dotY(ys[0], c, axis)
        for i in 1..<n {
            let qx = dotX(xs[i], c), qy = dotY(ys[i], c, axis)
            if px.isFinite && py.isFinite && qx.isFinite && qy.isFinite { c.line(px, py, qx, qy, color) }
            (px, py) = (qx, qy)
        }
    }

    private func drawScatter(_ sc: Scatter, _ c: inout Canvas) {
        let n = min(sc.xs.count, sc.ys.count)
        let classes = sc.classes
        let k = Palette.category.count
        let multi = classes.map { presentClasses($0).count > 1 } ?? false
        let colorsPacked = Palette.category.map(Canvas.pack)
        // Counting per cell and class lets the majority class own a crowded cell, whatever the order.
        var counts = [Int32](repeating: 0, count: c.cols * c.rows * k)
        let w = Double(c.dotsWide), h = Double(c.dotsHigh)
        for i in 0..<n {
            let fx = layout.x.fraction(sc.xs[i]), fy = 1 - layout.y.fraction(sc.ys[i])
            guard fx >= 0, fx <= 1, fy >= 0, fy <= 1 else { continue }
            let dx = min(c.dotsWide - 1, Int(fx * w)), dy = min(c.dotsHigh - 1, Int(fy * h))
            let cls = ((classes?[i] ?? 0) % k + k) % k
            c.dot(dx, dy, colorsPacked[cls])
            counts[((dy >> 2) * c.cols + (dx >> 1)) * k + cls] += 1
        }
        // Few points read best as markers (and colour-blind readers get shapes as well as
        // colours); a crowd reads best as braille density, except that plain text must still
        // tell classes apart.
        let sparse = n <= 500
        for cell in 0..<(c.cols * c.rows) where c.bits[cell] != 0 {
            var best = 0, total: Int32 = 0
            for j in 0..<k {
                total += counts[cell * k + j]
                if counts[cell * k + j] > counts[cell * k + best] { best = j }
            }
            guard total > 0 else { continue }  // braille from an earlier series
            c.dotColor[cell] = colorsPacked[best]
            if sparse || (plain && multi) {
                c.text[cell] = Palette.markers[best].unicodeScalars.first!.value
                c.textColor[cell] = colorsPacked[best]
            }
        }
    }

    private func drawHeatmap(_ h: Heatmap, _ c: inout Canvas) {
        let rows = h.values.rows, cols = h.values.cols
        let scale = ValueScale(values: h.values.data, scale: h.scale)
        let ramp = Palette.ramp.map { $0.unicodeScalars.first!.value }
        h.values.data.withUnsafeBufferPointer { v in
            for r in 0..<c.rows {
                for col in 0..<c.cols {
                    let (x, y) = centre(col, r, c)
                    guard x >= h.x.lowerBound, x <= h.x.upperBound, y >= h.y.lowerBound, y <= h.y.upperBound else { continue }
                    let value = bilinear(v, rows, cols, (x - h.x.lowerBound) / (h.x.upperBound - h.x.lowerBound),
                                         (y - h.y.lowerBound) / (h.y.upperBound - h.y.lowerBound))
                    guard value.isFinite else { continue }
                    let t = min(1, max(0, scale.t(value)))
                    c.background[r * c.cols + col] = Canvas.pack(Palette.viridis(t))
                    c.fill[r * c.cols + col] = ramp[min(ramp.count - 1, Int(t * Double(ramp.count)))]
                }
            }
        }
        // A terminal row holds about one contour before they merge into solid braille.
        for level in scale.levels(min(h.contours, max(3, c.rows / 2))) {
            Contours.trace(values: h.values.data, rows: rows, cols: cols, x: h.x, y: h.y, level: level) { _, a, _, b in
                c.line(dotX(a.x, c), dotY(a.y, c, layout.y), dotX(b.x, c), dotY(b.y, c, layout.y), Canvas.contrast)
            }
        }
    }

    private func drawRegions(_ reg: Regions, _ c: inout Canvas) {
        let k = Palette.category.count
        let fills = Palette.regionFill.map { $0.unicodeScalars.first!.value }
        for r in 0..<c.rows {
            for col in 0..<c.cols {
                let (x, y) = centre(col, r, c)
                guard let cls = reg.classAt(x, y) else { continue }
                let m = (cls % k + k) % k
                c.background[r * c.cols + col] = Canvas.pack(Palette.pale(Palette.category[m]))
                c.fill[r * c.cols + col] = fills[m % fills.count]
            }
        }
        for seg in reg.boundarySegments() {
            c.line(dotX(seg.0.x, c), dotY(seg.0.y, c, layout.y), dotX(seg.1.x, c), dotY(seg.1.y, c, layout.y), Canvas.pack(RGB(40, 40, 40)))
        }
    }

    private func drawIntervals(_ iv: Intervals, _ color: UInt32, _ c: inout Canvas) {
        let dropped = Canvas.pack(RGB(150, 150, 150))
        func col(_ v: Double) -> Int? {
            let f = layout.x.fraction(v)
            guard f.isFinite else { return nil }
            // Clamped before the conversion: an end at 1e308 on a 0...1 axis is f = 1e308.
            return Int(min(Double(c.cols - 1), max(0, f * Double(c.cols))))
        }
        for (i, row) in iv.rows.enumerated() {
            let fy = 1 - layout.y.fraction(Double(i))
            guard fy >= 0, fy <= 1 else { continue }
            let r = min(c.rows - 1, Int(fy * Double(c.rows)))
            guard let a = col(min(row.lo, row.hi)), let b = col(max(row.lo, row.hi)) else { continue }
            if iv.showsDropped, i > 0, let pa = col(min(iv.rows[i - 1].lo, iv.rows[i - 1].hi)), let pb = col(max(iv.rows[i - 1].lo, iv.rows[i - 1].hi)) {
                for x in pa...pb { c.put(x, r, "╌", dropped) }
            }
            if a == b {
                c.put(a, r, "│", color)
            } else {
                c.put(a, r, "├", color)
                if b > a + 1 { for x in (a + 1)..<b { c.put(x, r, "─", color) } }
                c.put(b, r, "┤", color)
            }
            if let p = row.probe, let pc = col(p) { c.put(pc, r, "●", color) }
        }
    }

    // MARK: - Legend

    private func legendItems() -> [LegendItem] {
        var items = [LegendItem]()
        let hasScatter = figure.series.contains { if case .scatter = $0 { return true } else { return false } }
        let lineCount = figure.series.filter { if case .line = $0 { return true } else { return false } }.count
        var lineIndex = 0
        var pathEnds = false
        for (k, s) in figure.series.enumerated() {
            let color = colors.colors[k].map(Canvas.pack) ?? 0
            switch s {
            case .line(let l):
                if plain && lineCount > 1 {
                    let m = Palette.markers[lineIndex % Palette.markers.count].unicodeScalars.first!
                    items.append(LegendItem(symbol: [("─", color, 0), (m, color, 0), ("─", color, 0)], label: (l.label ?? "line \(lineIndex + 1)")))
                } else if let label = l.label {
                    items.append(LegendItem(symbol: [("─", color, 0), ("─", color, 0)], label: label))
                }
                lineIndex += 1
            case .scatter(let sc):
                let named = scatterClasses(sc)
                let multi = named.count > 1
                for (cls, name) in named {
                    let m = (cls % 10 + 10) % 10
                    let asMarker = sc.xs.count <= 500 || (plain && multi)
                    let sym: Unicode.Scalar = asMarker ? Palette.markers[m].unicodeScalars.first! : "⠂"
                    items.append(LegendItem(symbol: [(sym, Canvas.pack(Palette.category[m]), 0)], label: name))
                }
            case .path(let p):
                if let label = p.label {
                    let sym: [(Unicode.Scalar, UInt32, UInt32)] = plain ? [("─", 0, 0), ("•", 0, 0), ("─", 0, 0)] : [("─", color, 0), ("─", color, 0)]
                    items.append(LegendItem(symbol: sym, label: label))
                }
                if p.marksEnds { pathEnds = true }
            case .markers(let m):
                if let label = m.label { items.append(LegendItem(symbol: [("◆", color, 0)], label: label)) }
            case .intervals(let iv):
                items.append(LegendItem(symbol: [("├", color, 0), ("─", color, 0), ("┤", color, 0)], label: iv.label ?? "kept"))
                if iv.showsDropped { items.append(LegendItem(symbol: [("╌", Canvas.pack(RGB(150, 150, 150)), 0)], label: "dropped")) }
                if iv.rows.contains(where: { $0.probe != nil }) { items.append(LegendItem(symbol: [("●", color, 0)], label: "probe")) }
            case .heatmap(let h):
                let scale = ValueScale(values: h.values.data, scale: h.scale)
                var sym = [(Unicode.Scalar, UInt32, UInt32)]()
                if plain {
                    sym.append(("[", 0, 0))
                    for ch in Palette.ramp { sym.append((ch.unicodeScalars.first!, 0, 0)) }
                    sym.append(("]", 0, 0))
                } else {
                    for i in 0..<10 { sym.append((" ", 0, Canvas.pack(Palette.viridis((Double(i) + 0.5) / 10)))) }
                }
                let name = h.label.map { $0 + " " } ?? ""
                items.append(LegendItem(symbol: sym, label: Ticks.short(scale.hi) + (scale.isLog ? " (log scale)" : ""),
                                        prefix: name + Ticks.short(scale.lo)))
            case .regions(let reg):
                if !hasScatter {
                    for cls in presentClasses(reg.classes) {
                        let m = (cls % 10 + 10) % 10
                        let fill = Palette.regionFill[m % Palette.regionFill.count].unicodeScalars.first!
                        let sym: [(Unicode.Scalar, UInt32, UInt32)] = plain ? [("[", 0, 0), (fill, 0, 0), ("]", 0, 0)]
                            : [(" ", 0, Canvas.pack(Palette.pale(Palette.category[m]))), (" ", 0, Canvas.pack(Palette.pale(Palette.category[m])))]
                        items.append(LegendItem(symbol: sym, label: reg.classNames.flatMap { cls < $0.count ? $0[cls] : nil } ?? "class \(cls)"))
                    }
                }
            case .images: break
            }
        }
        if pathEnds {
            items.append(LegendItem(symbol: [("○", 0, 0)], label: "start"))
            items.append(LegendItem(symbol: [("●", 0, 0)], label: "end"))
        }
        return items
    }

    private func wrap(_ items: [LegendItem], width: Int) -> [[LegendItem]] {
        var lines = [[LegendItem]]()
        var current = [LegendItem]()
        var used = 0
        for item in items {
            let w = item.width
            if !current.isEmpty && used + 3 + w > width {
                lines.append(current)
                current = []
                used = 0
            }
            used += (current.isEmpty ? 0 : 3) + w
            current.append(item)
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// Class ids present in a scatter, sorted, with their legend names.
func scatterClasses(_ sc: Scatter) -> [(Int, String)] {
    guard let classes = sc.classes else { return [(0, sc.label ?? sc.classNames?.first ?? "points")] }
    let present = presentClasses(classes)
    if present.count == 1 && sc.label != nil { return [(present[0], sc.label!)] }
    return present.map { cls in (cls, sc.classNames.flatMap { cls >= 0 && cls < $0.count ? $0[cls] : nil } ?? "class \(cls)") }
}

/// The distinct class ids, sorted; ids 0..<64 (the usual case) without hashing.
func presentClasses(_ classes: [Int]) -> [Int] {
    var seen = [Bool](repeating: false, count: 64)
    var other = Set<Int>()
    for c in classes {
        if c >= 0 && c < 64 { seen[c] = true } else { other.insert(c) }
    }
    return (seen.indices.filter { seen[$0] } + other).sorted()
}

/// Bilinear interpolation of a rows x cols grid at fractions (fx, fy) of its x and y ranges.
@inline(__always)
func bilinear(_ v: UnsafeBufferPointer<Double>, _ rows: Int, _ cols: Int, _ fx: Double, _ fy: Double) -> Double {
    guard fx.isFinite, fy.isFinite else { return .nan }
    let gx = min(max(fx, 0), 1) * Double(cols - 1), gy = min(max(fy, 0), 1) * Double(rows - 1)
    let i = min(cols - 2, Int(gx)), j = min(rows - 2, Int(gy))
    let tx = gx - Double(i), ty = gy - Double(j)
    let a = v[j * cols + i], b = v[j * cols + i + 1], c = v[(j + 1) * cols + i], d = v[(j + 1) * cols + i + 1]
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
}

extension Regions {
    /// The class of the cell holding (x, y), nil outside the grid.
    func classAt(_ px: Double, _ py: Double) -> Int? {
        let fx = (px - x.lowerBound) / (x.upperBound - x.lowerBound)
        let fy = (py - y.lowerBound) / (y.upperBound - y.lowerBound)
        guard fx >= 0, fx <= 1, fy >= 0, fy <= 1 else { return nil }
        let i = min(cols - 1, Int(fx * Double(cols))), j = min(rows - 1, Int(fy * Double(rows)))
        return classes[j * cols + i]
    }

    /// Boundaries between classes as segments in data coordinates.
    ///
    /// Marching squares on each class's indicator (1 inside, 0 outside) at 0.5, over the cell
    /// centres: cuts run between cell centres and across corners, smoother than cell edges.
    /// Every boundary touches two classes, so all classes but the last cover them all.
    func boundaryLines() -> [[Contours.Point]] {
        guard rows >= 2, cols >= 2 else { return [] }
        let present = presentClasses(classes)
        guard present.count > 1 else { return [] }
        let (cx, cy) = centreRanges()
        return present.dropLast().flatMap { cls in
            Contours.polylines(values: classes.map { $0 == cls ? 1.0 : 0.0 }, rows: rows, cols: cols, x: cx, y: cy, level: 0.5)
        }
    }

    /// The ranges spanned by the cell centres, where the class samples sit.
    private func centreRanges() -> (ClosedRange<Double>, ClosedRange<Double>) {
        let dx = (x.upperBound - x.lowerBound) / Double(cols), dy = (y.upperBound - y.lowerBound) / Double(rows)
        return ((x.lowerBound + dx / 2)...(x.upperBound - dx / 2), (y.lowerBound + dy / 2)...(y.upperBound - dy / 2))
    }

    func boundarySegments() -> [(Contours.Point, Contours.Point)] {
        guard rows >= 2, cols >= 2 else { return [] }
        let present = presentClasses(classes)
        guard present.count > 1 else { return [] }
        let dx = (x.upperBound - x.lowerBound) / Double(cols), dy = (y.upperBound - y.lowerBound) / Double(rows)
        let cx = (x.lowerBound + dx / 2)...(x.upperBound - dx / 2)
        let cy = (y.lowerBound + dy / 2)...(y.upperBound - dy / 2)
        var out = [(Contours.Point, Contours.Point)]()
        for cls in present.dropLast() {
            let indicator = classes.map { $0 == cls ? 1.0 : 0.0 }
            Contours.trace(values: indicator, rows: rows, cols: cols, x: cx, y: cy, level: 0.5) { _, a, _, b in
                out.append((a, b))
            }
        }
        return out
    }
}

extension String {
    var trailingSpacesTrimmed: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// At most `cells` terminal cells of `s` (a wide character takes two).
func clipped(_ s: String, _ cells: Int) -> String {
    var out = "", used = 0
    for ch in s {
        let w = TextWidth.of(ch)
        if used + w > cells { break }
        out.append(ch)
        used += w
    }
    return out
}
