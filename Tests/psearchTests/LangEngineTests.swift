import Foundation
import PsearchLang
import Testing
@testable import psearch

@Suite struct LangEngineTests {
    let engine = LangEngine(limits: Limits())

    @Test(arguments: [
        ("1 + 2", Completeness.complete),
        ("fn f(x) {", .incomplete),
        ("fn f(x) {\n  return x\n}", .complete),
        ("(1 +", .incomplete),
        ("1 +", .incomplete),
        ("[1, 2,", .incomplete),
        ("\"abc", .incomplete),
        ("1 + )", .invalid),
    ])
    func completeness(source: String, expected: Completeness) {
        #expect(engine.completeness(of: source) == expected)
    }

    @Test func echoesValuesAndKeepsUnderscore() {
        guard case .value(let text) = engine.run("1 + 2") else { Issue.record("no value"); return }
        #expect(text == "3")
        guard case .value(let again) = engine.run("_ * 10") else { Issue.record("no value"); return }
        #expect(again == "30")
        guard case .value(let quoted) = engine.run("\"안녕\"") else { Issue.record("no value"); return }
        #expect(quoted == "\"안녕\"")
    }

    @Test func statementsAreSilentAndErrorsCarryACaret() {
        guard case .silent = engine.run("let x = 4") else { Issue.record("let should be silent"); return }
        guard case .error(let text) = engine.run("x + nope") else { Issue.record("expected an error"); return }
        #expect(text.contains("^"))
        #expect(text.contains("nope"))
    }

    @Test func completesBuiltinsKeywordsAndVariables() {
        _ = engine.run("let learning_rate = 0.1")
        #expect(engine.completions(line: "sq", cursor: 2) == ["sqrt"])
        #expect(engine.completions(line: "x = lea", cursor: 7) == ["learning_rate"])
        #expect(engine.completions(line: "whi", cursor: 3) == ["while"])
    }

    @Test func completesRecordFields() {
        _ = engine.run("let p = {lr: 0.1, hidden: 8}")
        #expect(engine.completions(line: "p.h", cursor: 3) == ["hidden"])
        #expect(engine.completions(line: "p.", cursor: 2) == ["lr", "hidden"])
    }

    @Test func completesNamedArgumentsInsideACall() {
        let line = "linspace(0, 1, "
        #expect(engine.completions(line: line, cursor: line.utf8.count).contains("n:"))
        _ = engine.run("fn step(x, rate = 0.1) = x * rate")
        let call = "step(2, ra"
        // Named parameters first, then every global and built-in starting with "ra" (families
        // add built-ins, e.g. the test function rastrigin, so only these are pinned).
        let got = engine.completions(line: call, cursor: call.utf8.count)
        #expect(got.first == "rate:")
        #expect(["rand", "randn", "range"].allSatisfy(got.contains))
    }

    @Test func completesPathsInsideAString() throws {
        let folder = NSTemporaryDirectory() + "psearch-complete-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/data/train.csv", contents: Data())
        let line = "load(\"\(folder)/da"
        #expect(engine.completions(line: line, cursor: line.utf8.count) == ["\(folder)/data/"])
        let inner = "load(\"\(folder)/data/t"
        #expect(engine.completions(line: inner, cursor: inner.utf8.count) == ["\(folder)/data/train.csv"])
    }

    @Test func helpVarsResetAst() {
        #expect(engine.help("linspace").contains("example:"))
        _ = engine.run("let v = zeros(2, 3)")
        #expect(engine.vars().contains("v: matrix [2, 3]"))
        engine.reset()
        #expect(engine.vars().isEmpty)
        guard case .value(let tree) = engine.ast("-2^2") else { Issue.record("no ast"); return }
        #expect(tree == "(- (^ 2 2))")
    }
}
