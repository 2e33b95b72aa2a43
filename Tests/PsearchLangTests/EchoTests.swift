import PsearchCore
import Testing
@testable import PsearchLang

/// The prompt's echo: what print gives when it fits, a shortened form or a summary when not.
struct EchoTests {
    /// The value of the last statement of `source`, echoed at `width` columns.
    func echo(_ source: String, width: Int = 80) -> String {
        let out = runProgram(source + "\nlet _echo = 0")
        guard let v = out.interp.global("v") else { return "no v: \(out.runtime?.message ?? out.other ?? "")" }
        return Echo(width: width).text(v)
    }

    @Test func smallValuesEchoAsPrintShowsThem() {
        #expect(echo("let v = [1, 2, 3]") == "[1, 2, 3]")
        #expect(echo("let v = {a: 1, b: \"x\"}") == "{a: 1, b: \"x\"}")
        #expect(echo("let v = \"text\"") == "\"text\"")
        #expect(echo("let v = [[1, 2], [3, 4]]") == "[[1, 2], [3, 4]]")
    }

    @Test func longVectorsAndListsAreShortenedWithACount() {
        let v = echo("let v = linspace(0, 999, 1000)", width: 40)
        #expect(v == "[0, 1, 2, 3, 4, 5, 6, 7, 8, … 991 more]")
        #expect(TextWidth.of(v) <= 40)
        #expect(echo("let v = []\nfor i in 0..50 { v = push(v, \"item\") }", width: 40) == "[\"item\", \"item\", \"item\", … 47 more]")
    }

    @Test func aLongRecordShowsOneFieldALineWithShapes() {
        let text = echo("let v = {a: linspace(0, 1, 100), m: zeros(30, 2), s: \"x\", r: {p: 1}}", width: 50)
        #expect(text == """
            {
              a: [0, 0.010101010101010102, … 98 more]
              m: 30 x 2 matrix
              s: "x"
              r: {p: 1}
            }
            """)
    }

    @Test func aBigMatrixShowsItsShapeAndFirstAndLastRows() {
        let lines = echo("let v = reshape(linspace(0, 299, 300), 100, 3)").split(separator: "\n")
        #expect(lines.first == "100 x 3 matrix")
        #expect(lines[1] == "  [0, 1, 2]")
        #expect(lines.contains("  … 90 more rows"))
        #expect(lines.last == "  [297, 298, 299]")
        #expect(lines.count == 12)
    }

    @Test func aMultiStartDescentSummarisesItsMinimaInAtMostTwentyLines() {
        let text = echo("""
            fn himmelblau(x) { return (x[0]^2 + x[1] - 11)^2 + (x[0] + x[1]^2 - 7)^2 }
            let v = descend(himmelblau, starts: 20, box: [[-5, 5], [-5, 5]], seed: 1)
            """)
        let lines = text.split(separator: "\n")
        #expect(lines.count <= 20)
        #expect(lines[0] == "descend from 20 starts (gd, lr 0.01): 4 distinct minima")
        #expect(lines.contains { $0.hasPrefix("  [3, 2] ") })
        #expect(lines.allSatisfy { TextWidth.of($0) <= 80 })
    }

    @Test func aDescentNamesHowItStoppedAndItsPathByShape() {
        let lines = echo("let v = descend(fn(p) = (p[0] - 3)^2 + p[1]^2, [0, 1], lr: 0.1)").split(separator: "\n")
        #expect(lines[0].hasPrefix("descend (gd, lr 0.1): converged after "))
        #expect(lines.contains { $0.hasPrefix("  x: [") })
        #expect(lines.contains { $0.hasPrefix("  also: path (") && $0.contains(" x 2 matrix), losses (vector of ") })
    }

    @Test func aSearchNamesItsMethodTrialsAndBest() {
        let lines = echo("let v = search(fn(p) = (p.x - 1)^2, {x: uniform(-2, 2)}, trials: 30, prune: \"median\")").split(separator: "\n")
        #expect(lines[0].hasPrefix("search (tpe): 30 trials, best loss "))
        #expect(lines[1].hasPrefix("  best: {x: "))
    }

    @Test func aTrainedModelShowsItsMapAndFinalLosses() {
        let text = echo("""
            let v = train(mlp([2, 8, 2], act: "tanh", seed: 6), dataset("moons", n: 200, noise: 0.2, seed: 6), lr: 0.5, epochs: 5, seed: 6)
            """)
        let lines = text.split(separator: "\n")
        #expect(lines[0] == "mlp R^2 -> R^8 -> R^2 (42 weights), tanh")
        #expect(lines[1].hasPrefix("  trained 5 epochs: train loss ") && lines[1].contains("val accuracy"))
        // An untrained model echoes its one-line description.
        #expect(echo("let v = mlp([2, 3, 1])") == "mlp R^2 -> R^3 -> R^1 (13 weights)")
    }
}
