import PsearchCore

/// A character-cell canvas: braille dots (2x4 per cell) under text, over a background.
///
/// Colours are packed as 0x01RRGGBB; 0 means "the terminal's default", and `contrast` means
/// "whatever reads on this cell's background" (contours over a heatmap).
struct Canvas {
    let cols: Int
    let rows: Int
    var bits: [UInt8]
    var dotColor: [UInt32]
    var text: [UInt32]  // Unicode scalar value, 0 for none
    var textColor: [UInt32]
    var background: [UInt32]
    var fill: [UInt32]  // plain-text background character (heatmap ramp, region fill), 0 for none

    static let contrast: UInt32 = 0x0200_0000

    static func pack(_ c: RGB) -> UInt32 { 0x0100_0000 | UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b) }
    static func unpack(_ v: UInt32) -> RGB { RGB(UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)) }

    var dotsWide: Int { cols * 2 }
    var dotsHigh: Int { rows * 4 }

    init(cols: Int, rows: Int) {
        self.cols = cols
        self.rows = rows
        let n = cols * rows
        bits = [UInt8](repeating: 0, count: n)
        dotColor = [UInt32](repeating: 0, count: n)
        text = [UInt32](repeating: 0, count: n)
        textColor = [UInt32](repeating: 0, count: n)
        background = [UInt32](repeating: 0, count: n)
        fill = [UInt32](repeating: 0, count: n)
    }

    // Braille dot bit for (x % 2, y % 4), per the Unicode braille block's dot numbering.
    private static let dotBit: [UInt8] = [0x01, 0x08, 0x02, 0x10, 0x04, 0x20, 0x40, 0x80]

    @inline(__always)
    mutating func dot(_ x: Int, _ y: Int, _ color: UInt32) {
        guard x >= 0, y >= 0, x < dotsWide, y < dotsHigh else { return }
        let cell = (y >> 2) * cols + (x >> 1)
        bits[cell] |= Canvas.dotBit[(y & 3) * 2 + (x & 1)]
        dotColor[cell] = color
    }

    /// A straight line between dot coordinates (fractional), clipped to the canvas.
    mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ color: UInt32) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        // Liang–Barsky clip, so a point far off-canvas costs nothing.
        var t0 = 0.0, t1 = 1.0
        let dx = x1 - x0, dy = y1 - y0
        let w = Double(dotsWide) - 1e-9, h = Double(dotsHigh) - 1e-9
        for (p, q) in [(-dx, x0), (dx, w - x0), (-dy, y0), (dy, h - y0)] {
            if p == 0 {
                if q < 0 { return }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return }; if r > t0 { t0 = r } }
                else { if r < t0 { return }; if r < t1 { t1 = r } }
            }
        }
        let ax = x0 + t0 * dx, ay = y0 + t0 * dy
        let bx = x0 + t1 * dx, by = y0 + t1 * dy
        // Ends near ±1e308 overflow dx to infinity and the clip to nan: such a line is not drawable.
        guard ax.isFinite, ay.isFinite, bx.isFinite, by.isFinite else { return }
        let steps = Int(max(abs(bx - ax), abs(by - ay)).rounded(.up))
        if steps == 0 {
            dot(Int(ax), Int(ay), color)
            return
        }
        let sx = (bx - ax) / Double(steps), sy = (by - ay) / Double(steps)
        for k in 0...steps {
            dot(Int(ax + sx * Double(k)), Int(ay + sy * Double(k)), color)
        }
    }

    mutating func put(_ col: Int, _ row: Int, _ ch: Unicode.Scalar, _ color: UInt32) {
        guard col >= 0, row >= 0, col < cols, row < rows else { return }
        text[row * cols + col] = ch.value
        textColor[row * cols + col] = color
    }

    /// The right half of a wide character in the cell before: drawn by that character.
    static let covered: UInt32 = 0xFFFF_FFFF

    /// Text from `col` on, a wide character (Hangul, CJK) taking two cells; clipped at the edge.
    mutating func write(_ s: String, _ col: Int, _ row: Int, _ color: UInt32) {
        var at = col
        for ch in s {
            let w = TextWidth.of(ch)
            guard w > 0, let scalar = ch.unicodeScalars.first else { continue }
            if at + w > cols { return }
            put(at, row, scalar, color)
            if w == 2, at + 1 >= 0, row >= 0, row < rows { text[row * cols + at + 1] = Canvas.covered }
            at += w
        }
    }

    func isFree(_ col: Int, _ row: Int) -> Bool {
        col >= 0 && row >= 0 && col < cols && row < rows && text[row * cols + col] == 0
    }
}
