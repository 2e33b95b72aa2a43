/// Colour maps and palettes shared by the terminal and SVG renderers.
public enum Palette {
    /// Category colours (matplotlib's tab10): class k and the k-th line get `category[k % 10]`.
    public static let category: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
    ]

    /// Lines drawn over a heatmap: blue and green vanish into viridis, so warm and light colours first.
    public static let overHeatmap: [RGB] = [
        RGB(255, 64, 64), RGB(255, 255, 255), RGB(255, 160, 0), RGB(255, 0, 255), RGB(0, 255, 255),
        RGB(255, 200, 200), RGB(255, 255, 0), RGB(200, 200, 255),
    ]

    /// Plain-text markers per class (and per line when several lines share a plot).
    public static let markers: [Character] = ["o", "x", "+", "*", "#", "@", "%", "&", "=", "$"]

    /// Plain-text fill per class for decision regions: light enough that markers stay readable.
    public static let regionFill: [Character] = [" ", "·", ":", "'", ",", ";", "`", "\""]

    /// Plain-text ramp for heatmaps, dark (low) to dense (high).
    /// No "-" or "=": they read as lines next to the contours.
    public static let ramp: [Character] = [" ", ".", ",", ":", ";", "+", "*", "%", "#", "@"]

    /// Eight-bit grey ramp for images in plain text, by luminance.
    public static let imageRamp: [Character] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// Stops of matplotlib's viridis at t = 0, 1/8, ..., 1; linear in between is within a few
    /// units per channel of the full table, well below what a terminal cell can show.
    static let viridisStops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (253, 231, 37),
    ]

    /// Viridis at `t` in 0...1 (clamped): perceptually even, readable in grey, colour-blind safe.
    public static func viridis(_ t: Double) -> RGB {
        let u = t.isNaN ? 0 : min(1, max(0, t)) * Double(viridisStops.count - 1)
        let i = min(viridisStops.count - 2, Int(u))
        let f = u - Double(i)
        let a = viridisStops[i], b = viridisStops[i + 1]
        return RGB(UInt8((a.0 + (b.0 - a.0) * f).rounded()), UInt8((a.1 + (b.1 - a.1) * f).rounded()),
                   UInt8((a.2 + (b.2 - a.2) * f).rounded()))
    }

    /// A pale version of a class colour for shading regions under the points.
    static func pale(_ c: RGB, _ amount: Double = 0.72) -> RGB {
        func mix(_ v: UInt8) -> UInt8 { UInt8((Double(v) + (255 - Double(v)) * amount).rounded()) }
        return RGB(mix(c.r), mix(c.g), mix(c.b))
    }

    /// Relative luminance in 0...1 (Rec. 709 weights on the 8-bit values).
    static func luminance(_ c: RGB) -> Double {
        (0.2126 * Double(c.r) + 0.7152 * Double(c.g) + 0.0722 * Double(c.b)) / 255
    }

    /// A line colour that stays visible on `background`.
    static func contrasting(_ background: RGB) -> RGB {
        luminance(background) > 0.5 ? RGB(30, 30, 30) : RGB(235, 235, 235)
    }

    static func hex(_ c: RGB) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [c.r, c.g, c.b] {
            s.append(digits[Int(v >> 4)])
            s.append(digits[Int(v & 15)])
        }
        return s
    }

    /// The nearest xterm-256 colour: the 6x6x6 cube or the 24-step grey ramp.
    static func xterm256(_ c: RGB) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for i in 1..<6 where abs(levels[i] - Int(v)) < abs(levels[best] - Int(v)) { best = i }
            return best
        }
        let (ri, gi, bi) = (nearestLevel(c.r), nearestLevel(c.g), nearestLevel(c.b))
        func dist(_ r: Int, _ g: Int, _ b: Int) -> Int {
            let dr = r - Int(c.r), dg = g - Int(c.g), db = b - Int(c.b)
            return dr * dr + dg * dg + db * db
        }
        let cubeDist = dist(levels[ri], levels[gi], levels[bi])
        let avg = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let greyIndex = min(23, max(0, (avg - 8 + 5) / 10))
        let grey = 8 + 10 * greyIndex
        if dist(grey, grey, grey) < cubeDist { return 232 + greyIndex }
        return 16 + 36 * ri + 6 * gi + bi
    }
}
