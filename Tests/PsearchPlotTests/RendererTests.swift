import Foundation
import PsearchCore
@testable import PsearchPlot
import Testing

@Suite struct TickTests {
    @Test func niceTicksAreRoundAndInsideTheRange() {
        let t = Ticks.nice(lo: 0, hi: 1, target: 5)
        #expect(t.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        for tick in Ticks.nice(lo: -3.3, hi: 7.1, target: 6) {
            #expect(tick.value >= -3.3 && tick.value <= 7.1)
            #expect(!tick.label.hasPrefix("-0"), "no negative zero: \(tick.label)")
        }
        #expect(Ticks.nice(lo: -3, hi: 3, target: 6).contains { $0.value == 0 && $0.label == "0" })
    }

    @Test func hugeAndTinyRangesUseScientificLabels() {
        let big = Ticks.nice(lo: 0, hi: 5e6, target: 5)
        #expect(big.contains { $0.label == "1e6" }, "\(big.map(\.label))")
        let tiny = Ticks.nice(lo: 0, hi: 5e-6, target: 5)
        #expect(tiny.contains { $0.label == "1e-6" }, "\(tiny.map(\.label))")
        // Neighbouring labels must differ, or the axis lies.
        let close = Ticks.nice(lo: 1_000_000, hi: 1_000_010, target: 5).map(\.label)
        #expect(Set(close).count == close.count, "\(close)")
    }

    @Test func fixedTicksAreThinnedNotCrowded() {
        let axis = ResolvedAxis(lo: -0.5, hi: 9.5, reversed: true, fixedTicks: (0..<10).map { Tick(Double($0), "s\($0)") }, label: nil)
        #expect(axis.ticks(target: 5).map(\.label) == ["s0", "s2", "s4", "s6", "s8"])
        #expect(axis.ticks(target: 20).count == 10)
    }
}

@Suite struct ContourTests {
    @Test func circleContourLiesOnTheCircleAndCloses() {
        let n = 81
        var v = [Double]()
        for j in 0..<n { for i in 0..<n { let x = -2 + 4 * Double(i) / 80, y = -2 + 4 * Double(j) / 80; v.append(x * x + y * y) } }
        let lines = Contours.polylines(values: v, rows: n, cols: n, x: -2...2, y: -2...2, level: 1)
        #expect(lines.count == 1)
        let ring = lines[0]
        #expect(ring.first == ring.last, "a contour inside the grid is a closed ring")
        for p in ring {
            // Linear interpolation of r^2 on a 0.05 grid errs by well under 0.01 in radius.
            #expect(abs((p.x * p.x + p.y * p.y).squareRoot() - 1) < 0.01)
        }
        #expect(ring.count > 60)
    }

    @Test func contourLeavingTheGridIsOpen() {
        // f = x: the level 0.3 is a vertical line from bottom to top.
        let n = 11
        var v = [Double]()
        for _ in 0..<n { for i in 0..<n { v.append(Double(i) / 10) } }
        let lines = Contours.polylines(values: v, rows: n, cols: n, x: 0...1, y: 0...1, level: 0.3)
        #expect(lines.count == 1)
        #expect(lines[0].count == n)
        for p in lines[0] { #expect(abs(p.x - 0.3) < 1e-12) }
    }

    @Test func regionBoundaryFollowsTheClassifier() {
        let r = Regions(sampling: { x, _ in x < 0.25 ? 0 : 1 }, x: -1...1, y: -1...1, resolution: 40)
        let segs = r.boundarySegments()
        #expect(!segs.isEmpty)
        // Cells are 0.05 wide: the boundary sits within one cell of x = 0.25.
        for (a, b) in segs { #expect(abs(a.x - 0.25) <= 0.05 && abs(b.x - 0.25) <= 0.05) }
    }
}

@Suite struct ColourScaleTests {
    @Test func rosenbrockIsLogAndSineIsLinear() {
        let rosen = Heatmap(sampling: Fixtures.rosenbrockF, x: -2...2, y: -1...3, resolution: 50)
        #expect(ValueScale(values: rosen.values.data, scale: .auto).isLog)
        let wave = Heatmap(sampling: { x, y in sin(x) * cos(y) }, x: -3...3, y: -3...3, resolution: 50)
        #expect(!ValueScale(values: wave.values.data, scale: .auto).isLog)
        let bowl = Heatmap(sampling: { x, y in x * x + y * y }, x: -2...2, y: -2...2, resolution: 50)
        #expect(!ValueScale(values: bowl.values.data, scale: .auto).isLog)
    }

    @Test func scaleMapsEndsToZeroAndOneBothWays() {
        for kind in [ColorScale.linear, .log] {
            let s = ValueScale(values: [0, 1, 10, 100, 1000], scale: kind)
            #expect(abs(s.t(0)) < 1e-12 && abs(s.t(1000) - 1) < 1e-12)
            for t in [0.1, 0.5, 0.9] { #expect(abs(s.t(s.value(at: t)) - t) < 1e-9) }
            let levels = s.levels(5)
            #expect(levels.count == 5 && levels == levels.sorted())
        }
    }

    @Test func logBarTicksAreRoundNumbers() {
        // A log scale starts at the minimum, here 0.0012: ticks are powers of ten above it,
        // labelled as round numbers ("1", not "1.001"), with both ends.
        let s = ValueScale(values: [0.0012, 0.5, 3, 40, 2500], scale: .log)
        let labels = s.barTicks(target: 8, minGap: 0.05).map(Ticks.short)
        #expect(labels == ["0.0012", "1", "10", "100", "1000", "2500"])
        #expect(ValueScale.round(0.0012 + 0.01, toPowerOfTen: -3) == 0.011)
        #expect(ValueScale.round(1234.5, toPowerOfTen: 2) == 1200)
        #expect(ValueScale.round(1e300, toPowerOfTen: -20) == 1e300, "overflow keeps the value")
    }

    /// Values from -1.7e308 to 1.7e308: hi - lo overflows, which made eps inf and the log bar
    /// ticks Int(log10(inf)), a trap. The scale is linear on halves instead.
    @Test(arguments: [ColorScale.auto, .log, .linear]) func scaleOverMostOfTheDoublesIsLinear(_ kind: ColorScale) {
        let s = ValueScale(values: [-1.7e308, 0, 1.7e308], scale: kind)
        #expect(!s.isLog)
        #expect(s.t(-1.7e308) == 0 && s.t(0) == 0.5 && s.t(1.7e308) == 1)
        #expect(s.value(at: 0.5) == 0 && s.value(at: 1) == 1.7e308)
        #expect(s.barTicks(target: 6) == [-1.7e308, 1.7e308])
        #expect(s.levels(3).allSatisfy { $0.isFinite })
    }

    @Test func viridisEndsAndXterm() {
        #expect(Palette.viridis(0) == RGB(68, 1, 84))
        #expect(Palette.viridis(1) == RGB(253, 231, 37))
        #expect(Palette.xterm256(RGB(255, 0, 0)) == 196)
        #expect(Palette.xterm256(RGB(128, 128, 128)) == 244)
    }
}

@Suite struct TerminalTests {
    @Test func styleFollowsNoColorColortermAndTty() {
        #expect(TerminalStyle.detect(environment: [:], isTerminal: false) == .plain)
        #expect(TerminalStyle.detect(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"], isTerminal: true) == .plain)
        #expect(TerminalStyle.detect(environment: ["COLORTERM": "truecolor"], isTerminal: true) == .truecolor)
        #expect(TerminalStyle.detect(environment: ["COLORTERM": "24bit"], isTerminal: true) == .truecolor)
        #expect(TerminalStyle.detect(environment: ["TERM": "xterm-256color"], isTerminal: true) == .ansi256)
        #expect(TerminalStyle.detect(environment: ["TERM": "dumb"], isTerminal: true) == .plain)
    }

    @Test(arguments: SnapshotTests.names) func plainFitsTheSizeAsked(_ name: String) {
        let fig = SnapshotTests.figure(name)
        for (w, h) in [(72, 20), (40, 12), (120, 40)] {
            let lines = render(fig, width: w, height: h, style: .plain).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            for line in lines { #expect(line.count <= w, "\(name) at \(w)x\(h): a line of \(line.count) columns") }
            if case .images = fig.series[0] { continue }
            #expect(lines.count == h, "\(name) at \(w)x\(h): \(lines.count) lines")
        }
    }

    @Test func colourHasEscapesAndResetsEveryLine() {
        let text = render(Fixtures.rosenbrock(), width: 60, height: 16, style: .truecolor)
        #expect(text.contains("\u{1B}[48;2;"))
        for line in text.split(separator: "\n") {
            // Replay the SGR codes: every line must end in the terminal's default colours.
            var fgSet = false, bgSet = false
            for code in line.split(separator: "\u{1B}").dropFirst() {
                let params = code.dropFirst().prefix { $0 != "m" }
                switch params {
                case "0": (fgSet, bgSet) = (false, false)
                case "39": fgSet = false
                case "49": bgSet = false
                default:
                    if params.hasPrefix("38;") { fgSet = true }
                    if params.hasPrefix("48;") { bgSet = true }
                }
            }
            #expect(!fgSet && !bgSet, "a coloured line must not bleed into the next: \(line.debugDescription)")
        }
        #expect(render(Fixtures.rosenbrock(), width: 60, height: 16, style: .ansi256).contains("\u{1B}[48;5;"))
    }

    @Test func controlCharactersInLabelsNeverReachTheTerminal() {
        let fig = Figure(title: "evil\u{1B}[2Jtitle", series: [.line(Line(ys: [1, 2], label: "a\u{7}b"))])
        for style in [TerminalStyle.plain, .truecolor] {
            let text = render(fig, width: 40, height: 10, style: style)
            #expect(!text.contains("\u{1B}[2J") && !text.contains("\u{7}"))
        }
    }

    @Test func scatterOfManyPointsKeepsTheMajorityClassPerCell() {
        // Class 1 outnumbers class 0 four to one in one spot: the cell shows class 1's marker.
        let xs = [Double](repeating: 0.5, count: 1000), ys = xs
        let cls = (0..<1000).map { $0 % 5 == 0 ? 0 : 1 }
        let fig = Figure(x: Axis(range: 0...1), y: Axis(range: 0...1), series: [.scatter(Scatter(xs: xs, ys: ys, classes: cls))])
        let text = render(fig, width: 30, height: 10, style: .plain)
        let plotArea = text.split(separator: "\n").dropLast(3).joined()
        #expect(plotArea.contains("x") && !plotArea.contains("o"))
    }

    @Test func plainImageUsesTheRamp() {
        // A white top half over a black bottom half: '@' rows over blank rows.
        var data = [Double]()
        for j in 0..<4 { for _ in 0..<3 { data += j < 2 ? [1, 1, 1] : [0, 0, 0] } }
        let text = render(Figure(series: [.images(ImageGrid(images: [Tensor(shape: [4, 3, 3], data: data)]))]), style: .plain)
        #expect(text == "@@@\n\n")
        let colour = render(Figure(series: [.images(ImageGrid(images: [Tensor(shape: [4, 3, 3], data: data)]))]), style: .truecolor)
        #expect(colour.contains("▀") && colour.contains("\u{1B}[38;2;255;255;255m"))
    }
}

@Suite struct SVGTests {
    @Test func textIsEscaped() {
        #expect(xmlEscaped("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        #expect(xmlEscaped("x\u{1}y") == "x\u{FFFD}y")
        let svg = renderSVG(Fixtures.escaping())
        #expect(svg.contains("a &lt; b &amp; &quot;c&quot; &gt; &apos;d&apos;"))
        #expect(!svg.contains("<max>"))
    }

    @Test func numbersAreShortAndStable() {
        #expect(num(1) == "1")
        #expect(num(-0.001) == "0")
        #expect(num(12.345) == "12.35" || num(12.345) == "12.34")
        #expect(num(-3.5) == "-3.5")
        #expect(num(0.05) == "0.05")
        #expect(num4(-0.123456) == "-0.1235")
        #expect(num4(2) == "2")
        // Far off the canvas (1e302 px from a point at 1e300 on a 0...1 axis) is clamped, not
        // converted: Int(1e304) traps.
        #expect(num(1e302) == "1000000000" && num(-1e302) == "-1000000000")
        #expect(num4(-1e302) == "-1000000000")
    }

    @Test func bigHeatmapsAndScattersStayReasonablySized() {
        let big = Figure(series: [.heatmap(Heatmap(sampling: Fixtures.rosenbrockF, x: -2...2, y: -1...3, resolution: 200))])
        #expect(renderSVG(big).utf8.count < 400_000)
        let b = Fixtures.blobs(100_000, seed: 1)
        let svg = renderSVG(Figure(series: [.scatter(Scatter(xs: b.xs, ys: b.ys, classes: b.cls))]))
        #expect(svg.utf8.count < 2_500_000)
    }

    @Test func svgIsDeterministic() {
        for (_, fig) in Fixtures.all { #expect(renderSVG(fig) == renderSVG(fig)) }
    }
}

/// Degenerate input a user can produce from the prompt draws something, never traps.
@Suite struct DegenerateInputTests {
    static let figures: [Figure] = [
        Figure(),
        Figure(series: [.line(Line(ys: []))]),
        Figure(series: [.line(Line(ys: [5]))]),
        Figure(series: [.line(Line(ys: [2, 2, 2]))]),
        Figure(series: [.line(Line(xs: [0, 1, 2, 3], ys: [1, .nan, .infinity, 2]))]),
        Figure(series: [.line(Line(sampling: { 1 / $0 }, over: -1...1))]),
        Figure(series: [.scatter(Scatter(xs: [], ys: [], classes: []))]),
        Figure(series: [.scatter(Scatter(xs: [1], ys: [1], classes: [-3]))]),
        Figure(series: [.heatmap(Heatmap(values: Tensor(repeating: .nan, shape: [3, 3]), x: 0...1, y: 0...1))]),
        Figure(series: [.heatmap(Heatmap(values: Tensor(repeating: 7, shape: [4, 4]), x: 0...1, y: 0...1))]),
        Figure(series: [.heatmap(Heatmap(sampling: { x, y in x * y }, x: 0...0, y: 0...1, resolution: 5))]),
        Figure(series: [.intervals(Intervals(rows: [Interval(lo: 1, hi: 1, probe: 1)]))]),
        Figure(series: [.intervals(Intervals(rows: []))]),
        Figure(series: [.regions(Regions(classes: [2], rows: 1, cols: 1, x: 0...1, y: 0...1))]),
        Figure(series: [.path(Path(xs: [], ys: []))]),
        Figure(series: [.markers(Markers(xs: [1e300], ys: [-1e300], labels: ["far"]))]),
        Figure(series: [.images(ImageGrid(images: []))]),
        Figure(series: [.images(ImageGrid(images: [Tensor(shape: [1, 1], data: [0.5])]))]),
        Figure(series: [.images(ImageGrid(images: [Tensor(repeating: 1, shape: [300, 500, 3])]))]),
        // Extremes that trapped converting to Int: a heatmap over most of the doubles (its bar
        // ticks), a path whose padded extent overflows so the axis falls back to 0...1 and a point
        // lands 1e302 px out (SVG), intervals as wide as that (terminal columns).
        Figure(series: [.heatmap(Heatmap(values: Tensor(shape: [2, 2], data: [-1.7e308, 1.7e308, 0, 1]), x: 0...1, y: 0...1))]),
        Figure(series: [.path(Path(xs: [-1e308, 1e308, 1e300], ys: [0, 0, 1]))]),
        Figure(series: [.markers(Markers(xs: [-1e308, 1e308, 1e300], ys: [0, 0, 1], labels: ["a", "b", "c"]))]),
        Figure(series: [.intervals(Intervals(rows: [Interval(lo: -1e308, hi: 1e308, probe: 1e300), Interval(lo: 0, hi: 1e300)]))]),
        Figure(series: [.scatter(Scatter(xs: [-1e308, 1e308, 1e300], ys: [1e300, -1e308, 1e308], classes: [0, 1, 2]))]),
    ]

    /// Korean labels take two cells a letter: no line of the picture grows past its width, the
    /// title is centred by cells, and a marker's label is drawn whole beside it.
    @Test func wideCharactersTakeTwoCells() {
        let fig = Figure(title: "손실 함수", x: Axis(label: "가중치"),
                         series: [.line(Line(ys: [3, 1, 2], label: "곡선")),
                                  .markers(Markers(xs: [1], ys: [1], labels: ["최소"]))])
        let text = render(fig, width: 40, height: 10, style: .plain)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines { #expect(TextWidth.of(line) <= 40, "\(line) is \(TextWidth.of(line)) cells") }
        #expect(lines.first.map(String.init) == String(repeating: " ", count: 15) + "손실 함수")
        #expect(lines.contains { $0.contains("◆최소") || $0.contains("최소◆") })
    }

    @Test(arguments: 0..<figures.count) func rendersWithoutTrapping(_ i: Int) {
        let fig = Self.figures[i]
        for (w, h) in [(72, 20), (1, 1), (300, 100)] {
            #expect(!render(fig, width: w, height: h, style: .plain).isEmpty || i == 16)
            _ = render(fig, width: w, height: h, style: .ansi256)
            #expect(renderSVG(fig, width: w, height: h).hasSuffix("</svg>\n"))
        }
    }
}
