import Foundation
import PsearchCore
import PsearchLang
import PsearchPlot
import Testing

/// A model as the train helper would make one: a callable object with a history field.
private final class FakeModel: NativeObject {
    override var typeName: String { "model" }
    override var fieldNames: [String] { ["history"] }
    override func field(_ name: String) -> Value? {
        guard name == "history" else { return nil }
        return .record(Record([("train_loss", .tensor(Tensor([1, 0.5, 0.3]))), ("val_loss", .tensor(Tensor([1.1, 0.6, 0.4]))),
                               ("val_acc", .tensor(Tensor([0.5, 0.8, 0.9])))]))
    }
    /// Two classes split by the line x + y = 0, as probabilities.
    override func call(_ args: [Value], _ interp: Interpreter) throws -> Value? {
        guard case .tensor(let t)? = args.first else { return nil }
        let p = 1 / (1 + exp(-(t.data[0] + t.data[1])))
        return .tensor(Tensor([1 - p, p]))
    }
}

/// A dataset held natively, read through `field`.
private final class FakeDataset: NativeObject {
    override var typeName: String { "dataset" }
    override var fieldNames: [String] { ["X", "y", "classes"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "X": return .tensor(Tensor(shape: [6, 3], data: [-2, -1, 0, -1, -2, 0, -1, -1, 5, 2, 1, 0, 1, 2, 0, 1, 1, 5]))
        case "y": return .tensor(Tensor([0, 0, 0, 1, 1, 1]))
        case "classes": return .list([.string("cat"), .string("dog")])
        default: return nil
        }
    }
}

@Suite struct PlotBuiltinTests {
    /// Runs psearch code in process; plots are plain unless a style is given.
    func run(_ code: String, style: TerminalStyle = .plain, size: (Int, Int)? = nil,
             setup: (Interpreter) -> Void = { _ in }) throws -> String {
        let sink = BufferSink()
        let interp = Interpreter(output: sink)
        interp.plotStyle = style
        if let size { interp.terminalSize = { size } }
        setup(interp)
        try interp.run(code, name: "test.ps")
        return sink.text
    }

    /// The message of the runtime error the code stops with.
    func error(_ code: String, setup: (Interpreter) -> Void = { _ in }) -> String? {
        do {
            _ = try run(code, setup: setup)
            return nil
        } catch {
            if let d = (error as? RunFailure)?.runtime { return d.message }
            return "\(error)"
        }
    }

    static let prelude = """
        fn rosen(p) = (1 - p[0])^2 + 100 * (p[1] - p[0]^2)^2
        fn bowl(x, y) = x^2 + 2 * y^2
        let path = [[-1.5, 2], [-1, 1], [-0.5, 0.3], [0, 0.1], [0.5, 0.2]]
        let desc = {x: [0.5, 0.2], loss: 0.3, steps: 4, path: path, losses: [100, 10, 3, 1, 0.3], f: rosen}
        let multi = {runs: [desc, {path: [[1, 1], [0.9, 0.8]]}], minima: [{x: [1, 1], loss: 0, count: 2}], best: desc, f: rosen}
        let bs = {found: true, index: 4, steps: 4, bound: 4, trace: [[1, 2, 4, 5, 7, 8, 10, 13], [7, 8, 10, 13], [7, 8], [7]]}
        let ls = {x: 0.7, loss: 0, steps: 3, evaluations: 5, bound: 40, trace: [[-2, 3], [-2, 1.09], [-0.82, 1.09]]}
        let t2 = {best: {lr: 0.1, h: 4}, best_loss: 0.2, method: "grid", trials: [{params: {lr: 0.001, h: 4}, loss: 0.9, seconds: 0.1}, {params: {lr: 0.1, h: 4}, loss: 0.2, seconds: 0.1}, {params: {lr: 1, h: 8}, loss: 0.5, seconds: 0.1}]}
        let t1 = {best: {lr: 0.1}, best_loss: 0.2, method: "random", trials: [{params: {lr: 0.001, act: "relu"}, loss: 0.9, seconds: 0.1}, {params: {lr: 0.1, act: "tanh"}, loss: 0.2, seconds: 0.1}]}
        let hist = {train_loss: [1, 0.5, 0.3], val_loss: [1.1, 0.6, 0.4], val_acc: [0.5, 0.8, 0.9]}
        let data = {X: [[-2, -1], [-1, -2], [-1, -1], [2, 1], [1, 2], [1, 1]], y: [0, 0, 0, 1, 1, 1], classes: ["cat", "dog"]}
        fn side(p) = p[0] + p[1] > 0
        let img = reshape(linspace(0, 1, 48), 4, 4, 3)

        """

    /// Every kind issue 6 lists, each with something it must show.
    static let kinds: [(code: String, mustShow: [String])] = [
        ("plot([3, 1, 4, 1, 5])", ["index"]),
        ("plot([1, 2, 3], [1, 4, 9])", ["x", "y"]),
        ("plot([0, 1, 2], [[1, 2], [3, 4], [5, 6]])", ["column 0", "column 1"]),
        ("plot(fn(x) = x^2, -2..2)", ["f(x)"]),
        ("plot(bowl, x: [-1, 1], y: [-1, 1])", ["bowl(x, y)", "[ .,:;+*%#@]"]),
        ("plot(rosen, x: [-2, 2], y: [-1, 3])", ["rosen(x, y)", "log scale"]),
        ("plot(desc)", ["descend: loss 0.3 after 4 steps", "○", "●", "path (5 points)", "loss"]),
        ("plot({path: path, loss: 1})", ["(f: adds contours)", "○", "●"]),
        ("plot({path: path, loss: 1}, f: rosen)", ["[ .,:;+*%#@]"]),
        ("plot({path: [[1, 2, 3], [1, 1, 1]], losses: [3, 1]})", ["step", "loss"]),
        ("plot(multi)", ["2 runs, 1 minimum found", "x2", "minima (runs)"]),
        ("plot(bs)", ["found at index 4 in 4 steps (bound 4)", "kept half", "probe"]),
        ("plot(ls)", ["line search: x = 0.7 after 3 steps, 5 evaluations", "bracket"]),
        // A hand-made record has no space: its numbers are linear ranges, never guessed log.
        ("plot(t2, kind: \"scatter\")", ["search (grid): 3 trials", "lr", "best third", "best"]),
        ("plot(t2)", ["search (grid): 3 trials", "trial", "best so far", "loss"]),
        ("plot(t2, kind: \"parallel\")", ["parallel coordinates: 3 completed trials", "lr", "h", "best trial 0.2"]),
        ("plot(t2, kind: \"slice\")", ["loss against lr", "loss against h"]),
        ("plot(t1)", ["search (random): 2 trials", "trial", "best so far"]),
        ("plot(hist)", ["training: 3 epochs, val loss 0.4, val acc 0.9", "epoch", "train loss", "validation loss", "validation accuracy"]),
        ("plot(data)", ["6 points, 2 classes", "cat", "dog", "feature 0"]),
        ("scatter(data)", ["cat", "dog"]),
        ("scatter([1, 2, 3], [3, 1, 2], classes: [0, 1, 1])", ["class 0", "class 1"]),
        ("plot(side, data)", ["decision regions", "cat", "dog"]),
        ("show(img)", ["@"]),
        ("show([img, img], labels: [\"a\", \"b\"])", ["a", "b"]),
        ("show(reshape(linspace(0, 255, 96), 2, 4, 4, 3))", ["@"]),
        ("show(reshape(linspace(0, 1, 32), 2, 4, 4))", ["@"]),
    ]

    @Test(arguments: kinds.indices)
    func eachKindDraws(_ k: Int) throws {
        let (code, mustShow) = Self.kinds[k]
        let out = try run(Self.prelude + code)
        #expect(out.split(separator: "\n").count >= 4, "\(code) drew too little:\n\(out)")
        // Parallel coordinates label each parameter's own axis instead of a shared y axis.
        if !code.hasPrefix("show") && !code.contains("parallel") {
            #expect(out.contains("└") && out.contains("┤"), "\(code) has no axes:\n\(out)")
        }
        for s in mustShow { #expect(out.contains(s), "\(code) does not show '\(s)':\n\(out)") }
        #expect(!out.contains("\u{1B}"), "plain output has an escape code: \(code)")
    }

    @Test func modelObjectAndHistory() throws {
        let setup: (Interpreter) -> Void = { i in
            i.setGlobal("m", .object(FakeModel()))
            i.setGlobal("ds", .object(FakeDataset()))
        }
        let regions = try run("plot(m, ds)", setup: setup)
        #expect(regions.contains("decision regions (other features at their means)"))
        #expect(regions.contains("cat") && regions.contains("dog"))
        let twoThree = try run("plot(m, ds, dims: [0, 2])", setup: setup)
        #expect(twoThree.contains("feature 2"))
        let history = try run("plot(m)", setup: setup)
        #expect(history.contains("train loss") && history.contains("epoch"))
        #expect(error("plot(m, ds, dims: [0, 3])", setup: setup)?.contains("feature indices are 0 to 2, got 3") == true)
    }

    @Test func sizeFollowsOptionsThenTerminal() throws {
        let lines = { (s: String) in s.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
        let fixed = try run("plot([1, 2, 3], width: 40, height: 10)")
        #expect(lines(fixed).allSatisfy { $0.count <= 40 })
        #expect(lines(fixed).count <= 10)
        let term = try run("plot([1, 2, 3])", size: (50, 16))
        #expect(lines(term).allSatisfy { $0.count <= 50 })
        #expect(lines(term).count <= 14, "the plot leaves lines for the prompt")
        let dflt = try run("plot([1, 2, 3])")
        #expect(lines(dflt).count <= 20 && lines(dflt).contains { $0.count > 60 })
    }

    @Test func colourOnlyWhenAsked() throws {
        let code = Self.prelude + "plot(data)\nplot(rosen, x: [-2, 2], y: [-1, 3])"
        #expect(!(try run(code)).contains("\u{1B}"))
        #expect(try run(code, style: .truecolor).contains("\u{1B}[38;2;"))
        #expect(try run(code, style: .ansi256).contains("\u{1B}[38;5;"))
    }

    @Test func plotReturnsNilAndWritesInOrder() throws {
        let sink = BufferSink()
        let interp = Interpreter(output: sink)
        let v = try interp.run("print(\"before\")\nplot([1, 2], width: 30, height: 8)", name: "<repl>", repl: true)
        if case .none? = v {} else if v != nil { Issue.record("plot returned \(v!.repr)") }
        #expect(sink.text.hasPrefix("before\n"))
        #expect(try run("print(plot([1, 2], width: 30, height: 8))").hasSuffix("nil\n"))
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-plot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// xmllint's verdict on a file, or nil when xmllint is not installed.
    func xmllint(_ path: String) throws -> Bool? {
        guard let tool = ["/usr/bin/xmllint", "/usr/local/bin/xmllint"].first(where: FileManager.default.isExecutableFile(atPath:)) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--noout", path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test func filesAreWritten() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (k, code) in ["plot(desc", "plot(multi", "plot(bs", "plot(side, data", "show(img", "plot(t2", "plot(hist"].enumerated() {
            let svg = "\(dir)/fig\(k).svg"
            let out = try run(Self.prelude + "\(code), file: \"\(svg)\", title: \"a < b & c\")")
            #expect(out.isEmpty, "a file plot prints nothing")
            let text = try String(contentsOfFile: svg, encoding: .utf8)
            #expect(text.contains("<svg") && text.contains("</svg>"))
            #expect(text.contains("a &lt; b &amp; c"))
            if let ok = try xmllint(svg) { #expect(ok, "xmllint rejects \(code)") }
        }
        let txt = "\(dir)/fig.txt"
        let printed = try run(Self.prelude + "plot(bs, width: 60, height: 14)")
        _ = try run(Self.prelude + "plot(bs, file: \"\(txt)\", width: 60, height: 14)", style: .truecolor)
        #expect(try String(contentsOfFile: txt, encoding: .utf8) == printed, ".txt holds the plain terminal text")
        let upper = "\(dir)/FIG.SVG"
        _ = try run("plot([1, 2], file: \"\(upper)\")")
        #expect(FileManager.default.fileExists(atPath: upper))
    }

    @Test func fileErrorsNameThePathAndReason() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: "\(dir)/d.svg", withIntermediateDirectories: true)
        #expect(error("plot([1, 2], file: \"\(dir)/missing/a.svg\")") == "cannot write '\(dir)/missing/a.svg': folder '\(dir)/missing' does not exist")
        #expect(error("plot([1, 2], file: \"\(dir)/d.svg\")") == "cannot write '\(dir)/d.svg': it is a directory")
        #expect(error("plot([1, 2], file: \"\(dir)/a.png\")") == "bad argument 'file' to 'plot' (cannot write '.png' files: use .svg for a picture or .txt for terminal text)")
        #expect(error("plot([1, 2], file: \"\(dir)/a\")")?.contains("has no extension") == true)
        #expect(error("plot([1, 2], file: 3)") == "bad argument 'file' to 'plot' (string expected, got number)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["d.svg"], "failed writes leave nothing behind")
        if getuid() != 0 {
            try FileManager.default.createDirectory(atPath: "\(dir)/ro", withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: "\(dir)/ro")
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/ro") }
            #expect(error("plot([1, 2], file: \"\(dir)/ro/a.svg\")") == "cannot write '\(dir)/ro/a.svg': permission denied")
        }
    }

    @Test func badArgumentsAreCaughtBeforeDrawing() {
        let cases: [(String, String)] = [
            ("plot([1, 2], [1, 2, 3])", "bad argument #2 to 'plot' (ys has 3 numbers but xs has 2)"),
            ("scatter([1, 2], [1])", "bad argument #2 to 'scatter' (ys has 1 number but xs has 2)"),
            ("scatter([1, 2], [1, 2], classes: [0])", "bad argument 'classes' to 'scatter' (1 class id for 2 points)"),
            ("scatter([1, 2], [1, 2], classes: [0, 0.5])", "bad argument 'classes' to 'scatter' (class ids are whole numbers 0 to 255, got 0.5)"),
            ("plot(sin)", "plot of a function needs a range: plot(sin, -3..3) or x: [lo, hi]; add y: [lo, hi] for a function of two numbers"),
            ("plot(sin, 3..1)", "bad argument #2 to 'plot' (range must be finite with lo < hi, got 3..1)"),
            ("plot([])", "bad argument #1 to 'plot' (nothing to plot: the vector is empty)"),
            ("plot({a: 1})", "bad argument #1 to 'plot' (cannot plot a record with fields a: expected a descend, search or train result, a dataset or a training history)"),
            ("plot({X: [[1, 2], [3, 4]], y: [0]})", "bad argument #1 to 'plot' (y has 1 label but X has 2 rows)"),
            ("plot({path: [[1, 2], [1]]})", "bad argument #1 to 'plot' (path rows differ in length)"),
            ("plot({found: true, trace: []})", "bad argument #1 to 'plot' (nothing to plot: the search kept no halves (a vector of one element needs no step))"),
            ("plot({trace: [[1, 2, 3]]})", "bad argument #1 to 'plot' (trace: [lo, hi] intervals expected)"),
            ("show(zeros(105))", "bad argument #1 to 'show' (an image is h x w x 3 (RGB), h x w x 1 or h x w, got shape [105] (reshape a flat image first, e.g. reshape(x, 7, 5, 3)))"),
            ("show([zeros(2, 2), 1])", "bad argument #1 to 'show' (a list of images expected, found a number)"),
            ("show([zeros(2, 2), zeros(2, 2)], labels: [\"a\"])", "bad argument 'labels' to 'show' (1 label for 2 images)"),
            // Called by name this is caught before the program runs (the spec's arity); through a
            // variable, as the call runs, with the same words.
            ("let p = plot\np([1, 2], [3, 4], [5])", "'plot' takes at most 2 positional arguments, got 3"),
            ("plot([1, 2], width: 3)", "bad argument 'width' to 'plot' (must be at least 24, got 3)"),
            ("plot(fn(p) = [1, 2], x: [0, 1], y: [0, 1])", "'f' returned a vector at (0, 0), a number was expected for plotting"),
            ("fn two(a, b) = a\nplot(two, -1..1)", "bad argument #2 to 'plot' ('two' takes two numbers: give x: [lo, hi] and y: [lo, hi])"),
            ("plot(fn(p) = 0 / 0, x: [0, 1], y: [0, 1])", "'f' has no finite value on [0, 1] x [0, 1]"),
        ]
        for (code, message) in cases { #expect(error(code) == message, "\(code)") }
    }
}
