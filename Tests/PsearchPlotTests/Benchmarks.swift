import Foundation
import PsearchPlot
import Testing

/// Timings, not assertions: run with
/// `PSEARCH_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter Benchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PSEARCH_BENCH"] == "1", "set PSEARCH_BENCH=1 to time the renderers"))
struct Benchmarks {
    /// Median wall time of `runs` calls, in milliseconds.
    func median(_ runs: Int = 15, _ body: () -> Int) -> (ms: Double, sink: Int) {
        var times = [Double]()
        var sink = 0
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let d = clock.measure { sink &+= body() }
            times.append(Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
        }
        times.sort()
        return (times[runs / 2], sink)
    }

    @Test func renderTimes() {
        let contour = Fixtures.rosenbrock(resolution: 200)
        let b = Fixtures.blobs(100_000, seed: 5)
        let scatter = Figure(series: [.scatter(Scatter(xs: b.xs, ys: b.ys, classes: b.cls))])
        var lines = [String]()
        for (name, fig) in [("200x200 contour grid", contour), ("100,000-point scatter", scatter)] {
            for style in [TerminalStyle.plain, .truecolor] {
                let t = median { render(fig, width: 80, height: 24, style: style).utf8.count }
                lines.append("\(name), terminal 80x24 \(style): \(String(format: "%.2f", t.ms)) ms")
            }
            let t = median(5) { renderSVG(fig, width: 640, height: 420).utf8.count }
            lines.append("\(name), SVG 640x420: \(String(format: "%.2f", t.ms)) ms, \(renderSVG(fig).utf8.count / 1000) kB")
        }
        print(lines.joined(separator: "\n"))
        #expect(lines.count == 6)
    }
}
