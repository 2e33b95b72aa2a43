import Foundation
import Testing
@testable import psearch
import PsearchLang

@Suite struct REPLTests {
    final class Output {
        var out = ""
        var err = ""
    }

    func session(_ lines: [LineInput], history: History? = nil) -> (REPL, FakeEngine, ScriptedReader, Output) {
        let engine = FakeEngine()
        let reader = ScriptedReader(lines)
        let output = Output()
        let repl = REPL(engine: engine, reader: reader, history: history,
                        write: { output.out += $0 }, writeError: { output.err += $0 })
        return (repl, engine, reader, output)
    }

    @Test func completeInputRunsAndEchoes() {
        let (repl, engine, reader, output) = session([.line("1 + 2"), .line("let x = 1")])
        #expect(repl.run() == 0)
        #expect(engine.runs == ["1 + 2", "let x = 1"])
        #expect(output.out == "1 + 2\n\n")  // echo, then the newline Ctrl-D leaves
        #expect(reader.prompts == ["ps> ", "ps> ", "ps> "])
    }

    @Test func incompleteInputContinuesOnTheContinuationPrompt() {
        let (repl, engine, reader, _) = session([.line("fn f(x) {"), .line("  x * 2"), .line("}"), .line("f(2)")])
        #expect(repl.run() == 0)
        #expect(engine.runs == ["fn f(x) {\n  x * 2\n}", "f(2)"])
        #expect(reader.prompts == ["ps> ", "..> ", "..> ", "ps> ", "ps> "])
    }

    @Test func trailingOperatorContinues() {
        let (repl, engine, reader, _) = session([.line("1 +"), .line("2")])
        _ = repl.run()
        #expect(engine.runs == ["1 +\n2"])
        #expect(reader.prompts.prefix(2) == ["ps> ", "..> "])
    }

    @Test func invalidInputRunsAtOnceSoItsErrorShows() {
        let (repl, engine, reader, _) = session([.line("(1 +"), .line("2))"), .line("3")])
        _ = repl.run()
        #expect(engine.runs == ["(1 +\n2))", "3"])
        #expect(reader.prompts == ["ps> ", "..> ", "ps> ", "ps> "])
    }

    @Test func twoBlankLinesEndAnInputThatNeverCompletes() {
        let (repl, engine, reader, _) = session([.line("f(1,"), .line(""), .line(""), .line("2")])
        _ = repl.run()
        #expect(engine.runs == ["f(1,\n\n", "2"])
        #expect(reader.prompts == ["ps> ", "..> ", "..> ", "ps> ", "ps> "])
    }

    @Test func oneBlankLineInsideABlockIsKept() {
        let (repl, engine, _, _) = session([.line("fn f() {"), .line(""), .line("  1"), .line("}")])
        _ = repl.run()
        #expect(engine.runs == ["fn f() {\n\n  1\n}"])
    }

    @Test func blankLineAtThePromptDoesNothing() {
        let (repl, engine, reader, _) = session([.line(""), .line("   "), .line("1")])
        _ = repl.run()
        #expect(engine.runs == ["1"])
        #expect(reader.history == ["1"])
    }

    @Test func interruptDiscardsThePendingInput() {
        let (repl, engine, reader, _) = session([.line("fn f() {"), .interrupted, .line("2")])
        #expect(repl.run() == 0)
        #expect(engine.runs == ["2"])
        #expect(reader.prompts == ["ps> ", "..> ", "ps> ", "ps> "])
    }

    @Test func endInsideAContinuationAbandonsTheInputNotTheSession() {
        let (repl, engine, reader, _) = session([.line("(1 +"), .end, .line("5")])
        #expect(repl.run() == 0)
        #expect(engine.runs == ["5"])
        #expect(reader.prompts == ["ps> ", "..> ", "ps> ", "ps> "])
    }

    @Test func errorsGoToTheErrorStreamAndTheSessionGoesOn() {
        let (repl, engine, _, output) = session([.line("fail now"), .line("ok")])
        #expect(repl.run() == 0)
        #expect(output.err.contains("error: failed"))
        #expect(output.out.hasPrefix("ok\n"))
        #expect(engine.runs == ["fail now", "ok"])
    }

    @Test func commandsReachTheEngine() {
        let (repl, engine, _, output) = session([
            .line(":vars"), .line(":reset"), .line(":load \"my file.ps\""), .line(":ast 1 + 2"), .line(":help sum"),
        ])
        #expect(repl.run() == 0)
        #expect(engine.calls == ["vars", "reset", "load my file.ps", "ast 1 + 2", "help sum"])
        #expect(output.out.contains("x: number\n"))
        #expect(output.out.contains("(ast 1 + 2)\n"))
        #expect(output.out.contains("help for sum\n"))
        #expect(engine.runs.isEmpty)
    }

    @Test func helpOverviewListsCommandsAndTheLanguage() {
        let (repl, _, _, output) = session([.line(":help")])
        _ = repl.run()
        for name in ReplCommand.table.map(\.name) { #expect(output.out.contains(":" + name)) }
        #expect(output.out.contains("help for everything"))
    }

    @Test func timeRunsTheExpressionAndReportsTheDuration() {
        let (repl, engine, _, output) = session([.line(":time 6 * 7")])
        _ = repl.run()
        #expect(engine.runs == ["6 * 7"])
        #expect(output.out.hasPrefix("6 * 7\ntime: "))
    }

    @Test func quitEndsWithZeroAndReadsNoMore() {
        let (repl, engine, reader, _) = session([.line(":quit"), .line("1")])
        #expect(repl.run() == 0)
        #expect(engine.runs.isEmpty)
        #expect(reader.inputs == [.line("1")])
    }

    @Test func unknownCommandSuggestsTheClosest() {
        let (repl, _, _, output) = session([.line(":hlep")])
        _ = repl.run()
        #expect(output.err.contains("unknown command ':hlep'; did you mean ':help'?"))
    }

    @Test func commandsOnlyCountAtTheMainPrompt() {
        let (repl, engine, _, _) = session([.line("f("), .line(":vars"), .line(")")])
        _ = repl.run()
        #expect(engine.calls.isEmpty)
        #expect(engine.runs == ["f(\n:vars\n)"])
    }

    @Test func anInputGoesToHistoryWholeAndCommandsToo() {
        let (repl, _, reader, _) = session([.line("fn f() {"), .line(""), .line("}"), .line(":vars"), .line("   "), .line("1")])
        _ = repl.run()
        #expect(reader.history == ["fn f() {\n\n}", ":vars", "1"])
    }

    @Test func anAbandonedInputStaysInHistory() {
        let (repl, engine, reader, _) = session([.line("fn f() {"), .line("  1 +"), .interrupted, .line("f(1,"), .end,
                                                 .line("g(2,"), .line(""), .line("")])
        _ = repl.run()
        #expect(engine.runs == ["g(2,\n\n"])
        // The blank lines that gave up on `g(2,` are not part of its entry.
        #expect(reader.history == ["fn f() {\n  1 +", "f(1,", "g(2,"])
    }
}

@Suite struct CommandTests {
    @Test func parsesEveryCommand() {
        #expect(ReplCommand.parse(":help") == .help(nil))
        #expect(ReplCommand.parse(":help descend") == .help("descend"))
        #expect(ReplCommand.parse(":vars") == .vars)
        #expect(ReplCommand.parse(":reset") == .reset)
        #expect(ReplCommand.parse(":load a.ps") == .load("a.ps"))
        #expect(ReplCommand.parse(":load 'two words.ps'") == .load("two words.ps"))
        #expect(ReplCommand.parse(":time fib(20)") == .time("fib(20)"))
        #expect(ReplCommand.parse(":ast -2^2") == .ast("-2^2"))
        #expect(ReplCommand.parse(":history") == .history(nil))
        #expect(ReplCommand.parse(":history 5") == .history(5))
        #expect(ReplCommand.parse(":quit") == .quit)
    }

    @Test func abbreviationsFollowTheTableOrder() {
        #expect(ReplCommand.parse(":q") == .quit)
        #expect(ReplCommand.parse(":h") == .help(nil))
        #expect(ReplCommand.parse(":hi") == .history(nil))
        #expect(ReplCommand.parse(":l x.ps") == .load("x.ps"))
    }

    @Test func missingArgumentsGiveUsage() {
        #expect(ReplCommand.parse(":load") == .usage(":load FILE"))
        #expect(ReplCommand.parse(":time  ") == .usage(":time EXPR"))
        #expect(ReplCommand.parse(":ast") == .usage(":ast EXPR"))
        #expect(ReplCommand.parse(":history many") == .usage(":history [N]"))
    }

    @Test func unknownCommandsGetASuggestionWhenOneIsClose() {
        #expect(ReplCommand.parse(":hlep") == .unknown("hlep", suggestion: "help"))
        #expect(ReplCommand.parse(":qiut") == .unknown("qiut", suggestion: "quit"))
        #expect(ReplCommand.parse(":vras") == .unknown("vras", suggestion: "vars"))
        #expect(ReplCommand.parse(":exit") == .unknown("exit", suggestion: "quit"))
        #expect(ReplCommand.parse(":xyzzy") == .unknown("xyzzy", suggestion: nil))
        #expect(ReplCommand.parse(":") == .unknown("", suggestion: nil))
    }

    @Test func commandHelp() {
        #expect(ReplCommand.help(for: ":load")?.contains("run a file") == true)
        #expect(ReplCommand.help(for: "load") == nil)
    }

    @Test func editDistance() {
        #expect(PsearchLang.editDistance("", "abc") == 3)
        #expect(PsearchLang.editDistance("kitten", "sitting") == 3)
        #expect(PsearchLang.editDistance("help", "help") == 0)
        #expect(PsearchLang.editDistance("안녕", "안넝") == 1)
        // One metric for every suggestion: a swap of neighbours is one edit (":hepl" -> ":help").
        #expect(PsearchLang.editDistance(":hepl", ":help") == 1)
    }

    @Test func durations() {
        #expect(formatDuration(.microseconds(850)) == "850 µs")
        #expect(formatDuration(.microseconds(12_345)) == "12.3 ms")
        #expect(formatDuration(.milliseconds(2_345)) == "2.345 s")
    }
}

@Suite struct CompletionEditTests {
    @Test func uniqueCandidateInsertsTheRest() {
        #expect(CompletionEdit.make(before: "x = sq", candidates: ["sqrt"]) == .insert("rt"))
        #expect(CompletionEdit.make(before: "descend(f, x, l", candidates: ["lr:"]) == .insert("r:"))
        #expect(CompletionEdit.make(before: "p.", candidates: ["lr"]) == .insert("lr"))
        #expect(CompletionEdit.make(before: "load(\"data/tr", candidates: ["data/train.csv"]) == .insert("ain.csv"))
    }

    @Test func severalCandidatesInsertTheirCommonPrefixThenList() {
        #expect(CompletionEdit.make(before: "s", candidates: ["search", "seed"]) == .insert("e"))
        #expect(CompletionEdit.make(before: "se", candidates: ["seed", "search"]) == .list(["search", "seed"]))
    }

    @Test func nothingToDo() {
        #expect(CompletionEdit.make(before: "zz", candidates: []) == .none)
        #expect(CompletionEdit.make(before: "sum", candidates: ["sum"]) == .none)
    }

    @Test func koreanWordsCompleteByCharacter() {
        #expect(CompletionEdit.make(before: "x = 안", candidates: ["안녕"]) == .insert("녕"))
    }

    @Test func columnsFitTheWidth() {
        let text = CompletionEdit.columns(["a", "bb", "ccc", "dddd"], width: 12)
        #expect(text == "a     bb\nccc   dddd\n")
        #expect(CompletionEdit.columns(["a", "b", "c"], width: 80, limit: 2).hasSuffix("... and 1 more\n"))
    }
}

@Suite struct HistoryCommandTests {
    /// What a session of `lines` with a fresh history file writes.
    func output(of lines: [String]) -> String {
        let folder = NSTemporaryDirectory() + "psearch-repl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let history = History(path: folder + "/history", warn: { _ in })
        var out = ""
        let repl = REPL(engine: FakeEngine(), reader: ScriptedReader(lines.map { .line($0) }), history: history,
                        write: { out += $0 }, writeError: { _ in })
        _ = repl.run()
        return out
    }

    @Test func listsTheLastEntriesNumbered() {
        let out = output(of: ["a", "b", "c", ":history 2"])
        #expect(out.contains("    3  c\n    4  :history 2\n"))
        #expect(!out.contains("    2  b"))
    }

    @Test func aMultiLineEntryListsItsLinesUnderItsFirst() {
        let out = output(of: ["fn f() {", "  return 1", "}", ":history"])
        #expect(out.contains("    1  fn f() {\n         return 1\n       }\n    2  :history\n"))
    }
}
