import Foundation
import PsearchCore
import PsearchPlot

/// `descend(..., live: true)`: the path drawn growing on the contours of f, step by step, then
/// the finished picture. A descent is over in milliseconds, so the frames replay its recorded
/// path at a pace a reader can follow: at most `frames` frames in about `seconds`; Ctrl-C
/// skips to the end. Off a terminal only the final picture is drawn, as `plot` would.
enum LiveDescent {
    static let frames = 40
    static let seconds = 2.0

    static func show(_ c: Call, result: Value) throws {
        let call = PlotCall(c)
        let final = try call.figure(of: result)
        let interp = c.interp
        guard let draw = interp.liveFrame else { return try LiveView.finish(final, interp) }
        let steps = final.series.reduce(0) { n, s in
            switch s {
            case .path(let p): return max(n, p.xs.count)
            case .line(let l): return max(n, l.xs.count)
            default: return n
            }
        }
        let count = min(frames, max(1, steps))
        for k in 1..<max(2, count) {
            if Interrupt.isRequested {
                _ = Interrupt.take()  // the descent is done: Ctrl-C only skips the animation
                break
            }
            draw(.draw(LiveView.text(frame(final, upTo: Double(k) / Double(count)), interp)))
            usleep(UInt32(seconds / Double(count) * 1e6))
        }
        try LiveView.finish(final, interp)
    }

    /// The figure with every path (and loss curve) cut to its first `fraction`, its axes held
    /// where the whole path puts them.
    static func frame(_ fig: Figure, upTo fraction: Double) -> Figure {
        var f = fig
        var shownSteps = 0
        // The first `fraction` of a series' points.
        func cut(_ xs: inout [Double], _ ys: inout [Double]) {
            let n = max(1, Int((Double(xs.count) * fraction).rounded(.up)))
            shownSteps = max(shownSteps, n - 1)
            xs = Array(xs.prefix(n))
            ys = Array(ys.prefix(n))
        }
        f.series = fig.series.map { s in
            switch s {
            case .path(var p):
                cut(&p.xs, &p.ys)
                return .path(p)
            case .line(var l):
                cut(&l.xs, &l.ys)
                return .line(l)
            default:
                return s
            }
        }
        // Without contours under it the picture would rescale as the path grows.
        for s in fig.series {
            if case .line(let l) = s {
                let ys = l.ys.filter(\.isFinite)
                if let lo = ys.min(), let hi = ys.max(), let x0 = l.xs.first, let x1 = l.xs.last, hi > lo, x1 > x0 {
                    f.x.range = x0...x1
                    f.y.range = lo...hi
                }
            }
        }
        f.title = "descend: step \(shownSteps)…"
        return f
    }
}
