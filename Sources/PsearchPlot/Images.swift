import PsearchCore

/// An image as 8-bit RGB pixels, row-major, top row first.
struct Pixels {
    var width: Int
    var height: Int
    var rgb: [RGB]

    /// Reads h x w x 3, h x w x 1 or h x w; values above 1 anywhere mean a 0...255 image.
    init(_ t: Tensor) {
        height = t.shape[0]
        width = t.rank >= 2 ? t.shape[1] : 1
        let channels = t.rank == 3 ? t.shape[2] : 1
        let scale = t.data.contains { $0 > 1 } ? 1.0 : 255.0
        func byte(_ v: Double) -> UInt8 { v.isFinite ? UInt8(min(255, max(0, (v * scale).rounded()))) : 0 }
        rgb = []
        rgb.reserveCapacity(width * height)
        for p in 0..<(width * height) {
            if channels >= 3 {
                rgb.append(RGB(byte(t.data[p * channels]), byte(t.data[p * channels + 1]), byte(t.data[p * channels + 2])))
            } else {
                let g = byte(t.data[p * channels])
                rgb.append(RGB(g, g, g))
            }
        }
    }

    /// Box-filtered down by an integer factor (nothing happens for 1).
    func shrunk(by f: Int) -> Pixels {
        guard f > 1 else { return self }
        var out = self
        out.width = max(1, (width + f - 1) / f)
        out.height = max(1, (height + f - 1) / f)
        out.rgb = []
        out.rgb.reserveCapacity(out.width * out.height)
        for j in 0..<out.height {
            for i in 0..<out.width {
                var r = 0, g = 0, b = 0, n = 0
                for y in (j * f)..<min(height, j * f + f) {
                    for x in (i * f)..<min(width, i * f + f) {
                        let p = rgb[y * width + x]
                        r += Int(p.r); g += Int(p.g); b += Int(p.b); n += 1
                    }
                }
                out.rgb.append(RGB(UInt8(r / n), UInt8(g / n), UInt8(b / n)))
            }
        }
        return out
    }
}

/// Images side by side, two pixel rows per character: "▀" with the upper pixel as
/// foreground and the lower as background; in plain text a luminance ramp.
func renderImages(_ grid: ImageGrid, title: String?, width: Int, height: Int, style: TerminalStyle) -> String {
    var st = StyledText(style: style)
    let width = max(8, width)
    guard !grid.images.isEmpty else {
        if let title { st.add(String(title.prefix(width))); st.newline() }
        return st.out
    }
    var pics = grid.images.map(Pixels.init)
    let hasLabels = grid.labels != nil
    // One shrink factor for all, so a batch keeps its relative sizes; fit the widest image
    // into the width (one per row at worst) and the tallest into the height.
    let maxW = pics.map(\.width).max()!, maxH = pics.map(\.height).max()!
    let rowsAvail = max(1, height - (title == nil ? 0 : 1) - (hasLabels ? 1 : 0))
    var f = 1
    while (maxW + f - 1) / f > width || ((maxH + f - 1) / f + 1) / 2 > rowsAvail { f += 1 }
    pics = pics.map { $0.shrunk(by: f) }
    let cellW = pics.map(\.width).max()!
    let perRow = max(1, min(grid.columns ?? Int.max, (width + 1) / (cellW + 1), pics.count))
    if let title {
        // Centred over the pictures, not the terminal: a small batch sits at the left.
        let used = min(width, perRow * (cellW + 1) - 1)
        let t = String(title.prefix(width))
        st.add(String(repeating: " ", count: max(0, (used - t.count) / 2)) + t)
        st.newline()
    }

    for start in stride(from: 0, to: pics.count, by: perRow) {
        let group = Array(pics[start..<min(pics.count, start + perRow)])
        let textRows = (group.map(\.height).max()! + 1) / 2
        for tr in 0..<textRows {
            for (k, p) in group.enumerated() {
                if k > 0 { st.add(" ") }
                for x in 0..<cellW {
                    let top = 2 * tr, bottom = 2 * tr + 1
                    let hasTop = x < p.width && top < p.height
                    let hasBottom = x < p.width && bottom < p.height
                    if style == .plain {
                        var lum = 0.0, n = 0.0
                        if hasTop { lum += Palette.luminance(p.rgb[top * p.width + x]); n += 1 }
                        if hasBottom { lum += Palette.luminance(p.rgb[bottom * p.width + x]); n += 1 }
                        if n == 0 { st.add(" "); continue }
                        let ramp = Palette.imageRamp
                        st.add(String(ramp[min(ramp.count - 1, Int(lum / n * Double(ramp.count)))]))
                    } else if hasTop {
                        let fg = Canvas.pack(p.rgb[top * p.width + x])
                        let bg = hasBottom ? Canvas.pack(p.rgb[bottom * p.width + x]) : 0
                        st.add("▀", fg: fg, bg: bg)
                    } else {
                        st.add(" ")
                    }
                }
            }
            st.newline()
        }
        if let labels = grid.labels {
            var line = ""
            for k in group.indices {
                let text = start + k < labels.count ? String(labels[start + k].prefix(cellW)) : ""
                line += (k > 0 ? " " : "") + text + String(repeating: " ", count: cellW - text.count)
            }
            st.add(line.trailingSpacesTrimmed)
            st.newline()
        }
    }
    return st.out
}
