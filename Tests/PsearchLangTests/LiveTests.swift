import PsearchCore
import Testing
@testable import PsearchLang

/// `train(..., live: true)`: frames in place on a terminal, only the final picture elsewhere.
struct LiveTests {
    let program = """
        let m = train(mlp([2, 8, 2], act: "tanh", seed: 6), dataset("moons", n: 100, noise: 0.2, seed: 6), lr: 0.5, epochs: 5, seed: 6, live: true)
        print(m.epochs)
        """

    @Test func aTerminalGetsFramesThatChangeAndEndsOnTheFinalOne() throws {
        var frames: [LiveFrame] = []
        let out = onLargeStack { () -> (String, String?) in
            let sink = BufferSink()
            let interp = Interpreter(output: sink, limits: Limits())
            interp.liveFrame = { frames.append($0) }
            interp.terminalSize = { (cols: 60, rows: 24) }
            do throws(RunFailure) { try interp.run(program, name: "live.ps") } catch { return (sink.text, "\(error)") }
            return (sink.text, nil)
        }
        #expect(out.1 == nil)
        #expect(out.0 == "5\n", "frames go to the live view, not the output")
        let drawn = frames.compactMap { if case .draw(let t) = $0 { t } else { nil } }
        guard case .end? = frames.last else { Issue.record("the view does not end"); return }
        // The first epoch is drawn at once, the last always, and the final picture after it.
        #expect(drawn.count >= 3)
        #expect(drawn.first?.contains("epoch 1/5") == true)
        #expect(drawn.last?.contains("epoch 5/5") == true)
        #expect(drawn.first != drawn.last)
        // Decision regions over two features: the boundary and both classes' points.
        #expect(drawn.last?.contains("feature 1") == true && drawn.last?.contains("o 0   x 1") == true)
        for frame in drawn { #expect(frame.split(separator: "\n").allSatisfy { TextWidth.of($0) <= 60 }) }
    }

    @Test func offATerminalOnlyTheFinalPictureIsDrawn() {
        let out = runProgram(program)
        #expect(out.runtime == nil)
        #expect(out.output.components(separatedBy: "epoch 5/5").count == 2)
        #expect(!out.output.contains("epoch 1/5"))
        #expect(out.output.hasSuffix("5\n"))
    }

    @Test func regressionDataShowsTheLossCurves() {
        let out = runProgram("""
            let d = dataset("linear", n: 50, seed: 1)
            let m = train(linear(1), d, epochs: 4, live: true)
            """)
        #expect(out.runtime == nil, "\(out.runtime?.message ?? "")")
        #expect(out.output.contains("epoch 4/4") && out.output.contains("train loss"))
    }

    @Test func aLiveDescentGrowsItsPathThenDrawsTheWholeOne() throws {
        var frames: [LiveFrame] = []
        let source = "let d = descend(fn(p) = (p[0] - 1)^2 + 3 * p[1]^2, [-2, 1.5], lr: 0.05, live: true)\nprint(d.steps)"
        let out = onLargeStack { () -> String in
            let sink = BufferSink()
            let interp = Interpreter(output: sink, limits: Limits())
            interp.liveFrame = { frames.append($0) }
            interp.terminalSize = { (cols: 60, rows: 24) }
            _ = try? interp.run(source, name: "live.ps")
            return sink.text
        }
        let drawn = frames.compactMap { if case .draw(let t) = $0 { t } else { nil } }
        guard case .end? = frames.last else { Issue.record("the view does not end"); return }
        #expect(drawn.count == LiveDescent.frames, "\(drawn.count) frames")
        #expect(drawn.first?.contains("descend: step 4…") == true, "\(drawn.first ?? "")")
        #expect(drawn.last?.contains("after \(out.dropLast()) steps") == true)
        #expect(Set(drawn).count == drawn.count, "every frame shows more of the path")
        // Off a terminal: the finished picture once, as plot(d) draws it.
        let plain = runProgram(source)
        #expect(plain.output.components(separatedBy: "descend: ").count == 2)
        #expect(plain.output.contains("○ start") && !plain.output.contains("step 4…"))
    }
}
