import Foundation

/// An axis after fitting to the data: a non-empty range and how to label it.
struct ResolvedAxis {
    var lo: Double
    var hi: Double
    var reversed: Bool
    var fixedTicks: [Tick]?
    var label: String?
    /// lo and hi are then both > 0, and positions go by log10.
    var log = false

    /// Where `v` falls along the axis: 0 at the left (x) or bottom (y), 1 at the other end.
    /// On a log axis a value <= 0 has no place: nan, which every series skips as a gap.
    @inline(__always)
    func fraction(_ v: Double) -> Double {
        let f = log ? (v > 0 ? (Foundation.log10(v) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) : .nan) : (v - lo) / (hi - lo)
        return reversed ? 1 - f : f
    }

    /// The value at fraction `f` of the axis (not reversed): the inverse of `fraction`.
    func value(at f: Double) -> Double {
        log ? pow(10, Foundation.log10(lo) + f * (Foundation.log10(hi) - Foundation.log10(lo))) : lo + f * (hi - lo)
    }

    /// Ticks inside the range: the fixed ones, or about `target` "nice" ones (1, 2, 5 x 10^k).
    func ticks(target: Int) -> [Tick] {
        if let fixed = fixedTicks {
            let inside = fixed.filter { $0.value >= lo - 1e-9 * (hi - lo) && $0.value <= hi + 1e-9 * (hi - lo) }
            // Fixed ticks (step names) are thinned to every k-th so labels never collide.
            let k = max(1, Int((Double(inside.count) / Double(max(1, target))).rounded(.up)))
            return inside.enumerated().filter { $0.offset % k == 0 }.map { $0.element }
        }
        return log ? Ticks.decades(lo: lo, hi: hi, target: target) : Ticks.nice(lo: lo, hi: hi, target: target)
    }
}

/// "Nice numbers" ticks (Heckbert, Graphics Gems 1990) and their labels.
enum Ticks {
    /// The 1, 2 or 5 x 10^k step whose tick count is nearest `target` (ties: more ticks).
    static func step(lo: Double, hi: Double, target: Int) -> Double {
        let raw = (hi - lo) / Double(max(1, target))
        let mag = pow(10, (log10(raw)).rounded(.down))
        var best = mag, bestMiss = Double.infinity
        for m in [0.5, 1, 2, 5, 10, 20] {
            let step = m * mag
            let count = (hi / step + 1e-9).rounded(.down) - (lo / step - 1e-9).rounded(.up) + 1
            let miss = abs(count - Double(target))
            if miss < bestMiss { (best, bestMiss) = (step, miss) }
        }
        return best
    }

    static func nice(lo: Double, hi: Double, target: Int) -> [Tick] {
        let span = hi - lo
        guard span > 0, span.isFinite else { return [Tick(lo, format(lo, step: 1))] }
        let step = step(lo: lo, hi: hi, target: target)
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard last >= first, last - first < 1000 else { return [] }
        var out = [Tick]()
        var k = first
        while k <= last {
            var v = k * step
            if abs(v) < step * 1e-9 { v = 0 }  // no "-0" and no 1e-17 from rounding
            out.append(Tick(v, format(v, step: step)))
            k += 1
        }
        return out
    }

    /// Ticks of a log axis: powers of ten (every k-th decade when there are many), or 1, 2 and
    /// 5 times them when the range spans under two decades.
    static func decades(lo: Double, hi: Double, target: Int) -> [Tick] {
        guard lo > 0, hi > lo, lo.isFinite, hi.isFinite else { return [Tick(lo, short(lo))] }
        let k0 = Int((log10(lo) - 1e-9).rounded(.up)), k1 = Int((log10(hi) + 1e-9).rounded(.down))
        let inside = { (v: Double) in v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) }
        if k1 - k0 + 1 >= 2 {
            let step = max(1, Int((Double(k1 - k0 + 1) / Double(max(1, target))).rounded(.up)))
            return stride(from: k0, through: k1, by: step).map { k in Tick(pow(10, Double(k)), power(k)) }
        }
        var out = [Tick]()
        for k in (k0 - 1)...(k1 + 1) {
            for m in [1.0, 2, 5] {
                let v = ValueScale.round(m * pow(10, Double(k)), toPowerOfTen: k)
                if inside(v) { out.append(Tick(v, short(v))) }
            }
        }
        return out
    }

    /// 10^k written short: 0.01, 0.1, 1, 10, 100, and 1e-3 or 1e4 beyond.
    static func power(_ k: Int) -> String {
        if k >= 0 && k <= 3 { return String(Int(pow(10, Double(k)))) }
        if k < 0 && k >= -2 { return String(format: "%.\(-k)f", pow(10, Double(k))) }
        return "1e\(k)"
    }

    /// A tick value with as many decimals as its step needs: 0.25 steps are not nice, so
    /// steps are 1, 2 or 5 x 10^k and `-k` decimals always suffice.
    static func format(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let mag = max(abs(v), step)
        if mag >= 1e6 || mag < 1e-4 {
            // Scientific only with as many mantissa digits as separate neighbouring ticks.
            let e = Int(log10(abs(v)).rounded(.down))
            let digits = max(0, min(6, e - Int(log10(step).rounded(.down))))
            var s = String(format: "%.\(digits)e", v)
            s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-")
                .replacingOccurrences(of: "e+", with: "e")
            return s
        }
        let decimals = max(0, -Int(log10(step).rounded(.down)))
        return String(format: "%.\(decimals)f", v)
    }

    /// A value for a legend or colour bar: about four significant digits.
    static func short(_ v: Double) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 {
            var s = String(format: "%.2e", v)
            s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-")
                .replacingOccurrences(of: "e+", with: "e")
            return s
        }
        var s = String(format: "%.4g", v)
        if s.contains("e") { s = String(format: "%.0f", v) }
        return s
    }
}

/// The axes of a figure fitted to all its series.
struct FigureLayout {
    var x: ResolvedAxis
    var y: ResolvedAxis
    /// The right axis, when the figure has one and lines on it.
    var y2: ResolvedAxis?

    /// The y axis a line is measured against.
    func y(for line: Line) -> ResolvedAxis { line.right ? y2 ?? y : y }

    init(_ figure: Figure) {
        var xb = Bounds(log: figure.x.log), yb = Bounds(log: figure.y.log)
        var y2b = Bounds(log: figure.y2?.log ?? false)
        var intervalRows = 0
        var intervalLabels = [String]()
        for s in figure.series {
            switch s {
            case .line(let l):
                xb.add(l.xs, pad: false)
                if l.right && figure.y2 != nil { y2b.add(l.ys, pad: true) } else { yb.add(l.ys, pad: true) }
            case .scatter(let sc):
                xb.add(sc.xs, pad: true)
                yb.add(sc.ys, pad: true)
            case .path(let p):
                xb.add(p.xs, pad: true)
                yb.add(p.ys, pad: true)
            case .markers(let m):
                xb.add(m.xs, pad: true)
                yb.add(m.ys, pad: true)
            case .heatmap(let h):
                xb.addExact(h.x)
                yb.addExact(h.y)
            case .regions(let r):
                xb.addExact(r.x)
                yb.addExact(r.y)
            case .intervals(let iv):
                for row in iv.rows {
                    xb.add([row.lo, row.hi] + (row.probe.map { [$0] } ?? []), pad: true)
                }
                if iv.rows.count > intervalRows {
                    intervalRows = iv.rows.count
                    intervalLabels = iv.rows.enumerated().map { $0.element.label ?? String($0.offset + 1) }
                }
            case .images:
                break
            }
        }
        var xr = xb.range()
        var yr = yb.range()
        var yReversed = figure.y.reversed
        var yTicks = figure.y.ticks
        var yLabel = figure.y.label
        if intervalRows > 0 {
            // Steps read top-down, one row each, named on the y axis.
            let rowRange = -0.5...(Double(intervalRows) - 0.5)
            yr = yb.isEmpty ? rowRange : min(rowRange.lowerBound, yr.lowerBound)...max(rowRange.upperBound, yr.upperBound)
            if figure.y.range == nil && figure.y.ticks == nil {
                yReversed = true
                if yLabel == nil && !intervalLabels.contains(where: { Double($0) == nil }) { yLabel = "step" }
                yTicks = intervalLabels.enumerated().map { Tick(Double($0.offset), $0.element) }
            }
        }
        if let fixed = figure.x.range { xr = fixed }
        if let fixed = figure.y.range { yr = fixed }
        x = ResolvedAxis(lo: xr.lowerBound, hi: xr.upperBound, reversed: figure.x.reversed, fixedTicks: figure.x.ticks,
                         label: figure.x.label)
        y = ResolvedAxis(lo: yr.lowerBound, hi: yr.upperBound, reversed: yReversed, fixedTicks: yTicks, label: yLabel)
        Self.widen(&x)
        Self.widen(&y)
        Self.makeLog(&x, figure.x.log)
        Self.makeLog(&y, figure.y.log)
        if let axis = figure.y2, !y2b.isEmpty {
            let r = axis.range ?? y2b.range()
            var a = ResolvedAxis(lo: r.lowerBound, hi: r.upperBound, reversed: axis.reversed, fixedTicks: axis.ticks, label: axis.label)
            Self.widen(&a)
            Self.makeLog(&a, axis.log)
            y2 = a
        }
    }

    /// A log axis keeps a positive range: one with nothing above zero shows 1 to 10.
    private static func makeLog(_ a: inout ResolvedAxis, _ log: Bool) {
        guard log else { return }
        a.log = true
        if a.hi <= 0 { (a.lo, a.hi) = (1, 10) }
        if a.lo <= 0 { a.lo = a.hi / 10 }
        if a.hi <= a.lo * (1 + 1e-12) { (a.lo, a.hi) = (a.lo / 2, a.lo * 2) }
    }

    /// A zero-width or reversed range cannot be drawn; give it a width around its value.
    private static func widen(_ a: inout ResolvedAxis) {
        if !(a.lo.isFinite && a.hi.isFinite) { (a.lo, a.hi) = (0, 1) }
        if a.hi < a.lo { (a.lo, a.hi) = (a.hi, a.lo) }
        if a.hi - a.lo <= max(abs(a.lo), abs(a.hi)) * 1e-12 {
            let d = a.lo == 0 ? 1 : abs(a.lo) * 0.1
            (a.lo, a.hi) = (a.lo - d, a.hi + d)
        }
    }
}

/// Data extents, split into exact ones (grids own their range) and padded ones (points).
struct Bounds {
    var exactLo = Double.infinity, exactHi = -Double.infinity
    var lo = Double.infinity, hi = -Double.infinity
    var padded = false
    /// Extents of a log axis: only values > 0 count, and padding is a share of the decades.
    var log = false

    var isEmpty: Bool { exactLo > exactHi && lo > hi }

    mutating func add(_ vs: [Double], pad: Bool) {
        for v in vs where v.isFinite && (!log || v > 0) {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        if pad && !vs.isEmpty { padded = true }
    }

    mutating func addExact(_ r: ClosedRange<Double>) {
        exactLo = min(exactLo, r.lowerBound)
        exactHi = max(exactHi, r.upperBound)
    }

    func range() -> ClosedRange<Double> {
        var l = lo, h = hi
        if padded && l <= h {
            // 4% each side keeps points off the axis lines without wasting the canvas.
            if log {
                let d = (Foundation.log10(h) - Foundation.log10(l)) * 0.04
                l /= pow(10, d)
                h *= pow(10, d)
            } else {
                let d = (h - l) * 0.04
                l -= d
                h += d
            }
        }
        if exactLo <= exactHi {
            l = min(l, exactLo)
            h = max(h, exactHi)
        }
        if l > h { return 0...1 }
        return l...h
    }
}

/// How a heatmap's values map to 0...1 for colour, linearly or over decades.
struct ValueScale {
    var lo: Double
    var hi: Double
    var isLog: Bool
    /// Offset for the log scale: values are read as log(v - lo + eps), so the minimum (often 0,
    /// as on Rosenbrock) is finite and about four decades are shown.
    var eps: Double
    /// Values spanning most of the doubles (-1e308 to 1e308): hi - lo overflows, so `t` works on
    /// halves and the scale is linear (a log scale's bar ticks would convert inf to Int).
    var wide = false

    init(values: [Double], scale: ColorScale) {
        // Exact ends; the 10% quantile from an evenly strided sample of at most 4096 values,
        // which is plenty for a heuristic and keeps a 200 x 200 grid from being sorted.
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        if lo > hi { (lo, hi) = (0, 1) }
        if hi <= lo { hi = lo + 1 }
        let stride = max(1, values.count / 4096)
        var sample = [Double]()
        for i in Swift.stride(from: 0, to: values.count, by: stride) where values[i].isFinite { sample.append(values[i]) }
        sample.sort()
        let q10 = sample.isEmpty ? lo : sample[sample.count / 10]
        self.lo = lo
        self.hi = hi
        switch scale {
        case .linear: isLog = false
        case .log: isLog = true
        case .auto: isLog = (hi - lo) >= 100 * (q10 - lo)
        }
        eps = max((q10 - lo) / 10, (hi - lo) * 1e-4)
        if !(hi - lo + eps).isFinite { (wide, isLog) = (true, false) }
    }

    @inline(__always)
    func t(_ v: Double) -> Double {
        if wide { return (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) }
        if isLog {
            return log((v - lo + eps) / eps) / log((hi - lo + eps) / eps)
        }
        return (v - lo) / (hi - lo)
    }

    func value(at t: Double) -> Double {
        if isLog { return lo - eps + eps * exp(t * log((hi - lo + eps) / eps)) }
        return wide ? lo * (1 - t) + hi * t : lo + t * (hi - lo)
    }

    /// Values to label a colour bar with: round numbers (powers of ten on a log scale) that
    /// sit at least `minGap` apart in colour, plus both ends where they do not crowd them.
    func barTicks(target: Int, minGap: Double = 0.07) -> [Double] {
        var candidates = [Double]()
        if isLog {
            let k0 = Int(log10(eps).rounded(.down)), k1 = Int(log10(hi - lo + eps).rounded(.up))
            for mult in [[1.0], [1, 2, 5]] {
                candidates = []
                for k in k0...max(k0, k1) {
                    for m in mult {
                        // The scale is log(v - lo): a tick sits a power of ten above lo. Rounded
                        // to a tenth of that step, it is labelled 1 rather than 1.001 when lo is
                        // 0.0012, and moves by under 5% of the step.
                        let v = Self.round(lo + m * pow(10, Double(k)), toPowerOfTen: k - 1)
                        if v > lo && v < hi { candidates.append(v) }
                    }
                }
                if candidates.count >= 3 { break }
            }
        } else {
            candidates = Ticks.nice(lo: lo, hi: hi, target: target).map(\.value)
        }
        var out = [lo]
        for v in candidates.sorted() where t(v) - t(out.last!) >= minGap && 1 - t(v) >= minGap { out.append(v) }
        out.append(hi)
        return out
    }

    /// `x` rounded to a multiple of 10^p, dividing by an exact power of ten when p < 0 so the
    /// result is the double nearest the decimal (0.011, not 0.011000000000000001); `x` itself
    /// when that overflows.
    static func round(_ x: Double, toPowerOfTen p: Int) -> Double {
        let scale = pow(10, Double(abs(p)))
        let r = p >= 0 ? (x / scale).rounded() * scale : (x * scale).rounded() / scale
        return r.isFinite ? r : x
    }

    /// Contour levels evenly spaced in colour space, so log maps get rings on every decade.
    func levels(_ n: Int) -> [Double] {
        guard n > 0 else { return [] }
        return (1...n).map { value(at: Double($0) / Double(n + 1)) }
    }
}
