import PsearchCore
import PsearchPlot

/// Lesson scripts as tests and pages: run a script statement by statement, compare what each
/// top-level statement printed with its `#>` lines (`psearch check`), rewrite them
/// (`psearch check --update`, `:save`), or turn the script into a page (`psearch export`).
public enum Lesson {
    /// Something a statement produced: printed text, or a figure taken by `figureDisplay`
    /// with the terminal text it stands for.
    public enum Item {
        case text(String)
        case figure(Figure, text: String)
    }

    /// One top-level statement of a run and what it produced.
    public struct Statement {
        /// 1-based lines of the statement's first and last character.
        public var firstLine: Int
        public var lastLine: Int
        public var items: [Item] = []

        /// The printed text, figures left out.
        public var text: String {
            items.reduce(into: "") { out, item in if case .text(let t) = item { out += t } }
        }
    }

    /// The result of running a script: its statements in order, and the error that stopped it.
    public struct Run {
        public let source: Source
        public let sources: SourceRegistry
        public let statements: [Statement]
        /// What stopped the run, if anything did.
        public let failure: RunFailure?

        /// The failure as the CLI shows it: a rendered diagnostic, or one line.
        public func failureText(color: Bool = false) -> String? {
            failure?.render(sources, color: color)
        }
    }

    /// Runs `text` as a script in a fresh interpreter, recording each top-level statement's
    /// output. With `figures`, drawn figures are recorded as figures instead of terminal text.
    public static func run(_ text: String, name: String, limits: Limits = Limits(), figures: Bool = false) -> Run {
        let sink = StatementSink()
        let interp = Interpreter(output: sink, limits: limits)
        let source = interp.sources.add(name: name, bytes: Array(text.utf8))
        let parsed = Parser.parse(source)
        var statements = parsed.statements.map { s in
            Statement(firstLine: source.location(of: Int(s.range.start)).line,
                      lastLine: source.location(of: max(Int(s.range.start), Int(s.range.end) - 1)).line)
        }
        interp.statementObserver = { sink.current = $0 }
        if figures {
            interp.figureDisplay = { figure, text in sink.add(.figure(figure, text: text)) }
        }
        var failure: RunFailure?
        do throws(RunFailure) {
            try interp.run(source)
        } catch {
            failure = error
        }
        sink.flush()
        for (i, items) in sink.items where statements.indices.contains(i) { statements[i].items = items }
        return Run(source: source, sources: interp.sources, statements: statements, failure: failure)
    }

    // MARK: - Check

    /// How a checked script compares with its `#>` lines.
    public struct CheckResult {
        public let name: String
        /// Statements (grouped by the line they end on) whose output was compared.
        public var groupsChecked = 0
        /// Output lines compared.
        public var linesChecked = 0
        /// Hunks of a unified diff, one per statement group that printed something else.
        public var hunks: [Hunk] = []
        /// `#>` lines that follow no statement, as `file:line: message`.
        public var misplaced: [String] = []
        /// The rendered error that stopped the run.
        public var error: String?

        public var passed: Bool { hunks.isEmpty && misplaced.isEmpty && error == nil }

        /// The differences as a unified diff whose hunk headers name `file:line`.
        public var diff: String {
            guard !hunks.isEmpty else { return "" }
            var out = "--- \(name) (expected)\n+++ \(name) (actual)\n"
            for h in hunks { out += h.text }
            return out
        }
    }

    /// One statement group's difference.
    public struct Hunk {
        /// The line the difference is reported at: the first `#>` line, else the statement's last.
        public let line: Int
        public let text: String
    }

    /// Where each statement group's `#>` block is, and which blocks follow no statement.
    struct Layout {
        /// Statements grouped by last line, in order: (last line, statement indices).
        var groups: [(line: Int, members: [Int])] = []
        /// The block each group's last line is followed by.
        var blockAfter: [Int: Expectations.Block] = [:]
        /// Blocks outside every statement that follow no statement's last line.
        var misplaced: [Expectations.Block] = []
        /// Lines of claimed and misplaced blocks (an update rewrites them).
        var expectationLines: Set<Int> = []

        init(text: String, statements: [Statement]) {
            for (i, s) in statements.enumerated() {
                if let last = groups.last, last.line == s.lastLine {
                    groups[groups.count - 1].members.append(i)
                } else {
                    groups.append((s.lastLine, [i]))
                }
            }
            let ends = Set(groups.map(\.line))
            // A `#>` line inside a statement (a function body, a string spanning lines) is code.
            var inside = Set<Int>()
            for s in statements where s.lastLine > s.firstLine { inside.formUnion((s.firstLine + 1)...s.lastLine) }
            var blocks: [Expectations.Block] = []
            for block in Expectations.parse(text) {
                var run: [Expectations.Line] = []
                for line in block.lines {
                    if inside.contains(line.lineNumber) {
                        if !run.isEmpty { blocks.append(Expectations.Block(lines: run)) }
                        run = []
                    } else {
                        run.append(line)
                    }
                }
                if !run.isEmpty { blocks.append(Expectations.Block(lines: run)) }
            }
            for block in blocks {
                if ends.contains(block.firstLine - 1) {
                    blockAfter[block.firstLine - 1] = block
                } else {
                    misplaced.append(block)
                }
                for l in block.lines { expectationLines.insert(l.lineNumber) }
            }
        }
    }

    /// Runs `text` and compares every statement's output with its `#>` lines.
    public static func check(_ text: String, name: String, limits: Limits = Limits(), color: Bool = false) -> CheckResult {
        let run = run(text, name: name, limits: limits)
        var result = CheckResult(name: name)
        if let error = run.failureText(color: color) {
            result.error = error
            return result
        }
        let layout = Layout(text: text, statements: run.statements)
        for block in layout.misplaced {
            result.misplaced.append("\(name):\(block.firstLine): '#>' lines must come right after the statement whose output they state")
        }
        let sourceLines = Expectations.lines(of: text)
        var shift = 0
        for group in layout.groups {
            let output = group.members.map { run.statements[$0].text }.joined()
            let actual = Expectations.outputLines(output)
            let expected = layout.blockAfter[group.line]?.lines ?? []
            result.groupsChecked += 1
            result.linesChecked += actual.count
            if Expectations.matches(expected, actual) { continue }
            let lines = Expectations.diff(expected, actual)
            let old = 1 + lines.filter { $0.mark != "+" }.count
            let new = 1 + lines.filter { $0.mark != "-" }.count
            let context = group.line <= sourceLines.count ? String(sourceLines[group.line - 1]) : ""
            // Reported at the first differing line: a wrong `#>` line, or where a missing one goes.
            var at = group.line, seen = 0
            for l in lines {
                if l.mark == "-" { at = expected[seen].lineNumber; break }
                if l.mark == "+" { at = seen == 0 ? group.line : expected[seen - 1].lineNumber + 1; break }
                seen += 1
            }
            var text = "@@ -\(group.line),\(old) +\(group.line + shift),\(new) @@ \(name):\(at)\n"
            text += " " + context + "\n"
            for l in lines { text += String(l.mark) + l.text + "\n" }
            result.hunks.append(Hunk(line: at, text: text))
            shift += new - old
        }
        return result
    }

    /// What an update did.
    public struct Update {
        /// The script with fresh `#>` lines; nil when the run failed.
        public let text: String?
        /// The rendered error that stopped the run.
        public let error: String?
        /// Statement groups whose `#>` lines changed.
        public let changed: Int
        /// Misplaced `#>` lines that were dropped.
        public let dropped: Int
    }

    /// The script with every statement's `#>` lines rewritten from a fresh run. Blocks that
    /// still match keep their text, so an update changes only what changed.
    public static func update(_ text: String, name: String, limits: Limits = Limits()) -> Update {
        let run = run(text, name: name, limits: limits)
        if let error = run.failureText() { return Update(text: nil, error: error, changed: 0, dropped: 0) }
        return rewrite(text, statements: run.statements)
    }

    /// `text` with the `#>` blocks stating `statements`' output (a successful run of `text`).
    static func rewrite(_ text: String, statements: [Statement]) -> Update {
        let layout = Layout(text: text, statements: statements)
        var fresh: [Int: [String]] = [:]
        var changed = 0
        for group in layout.groups {
            let output = group.members.map { statements[$0].text }.joined()
            let previous = layout.blockAfter[group.line]?.lines ?? []
            let lines = Expectations.render(output, previous: previous)
            if lines != previous.map(\.source) { changed += 1 }
            if !lines.isEmpty { fresh[group.line] = lines }
        }
        // Raw lines keep their own endings ("\r" included); new lines end in "\n".
        let raw = text.isEmpty ? [] : Expectations.rawLines(of: text)
        let endsWithNewline = text.unicodeScalars.last == "\n"
        var out: [Substring] = []
        for (i, line) in raw.enumerated() {
            if layout.expectationLines.contains(i + 1) { continue }
            out.append(line)
            if let lines = fresh[i + 1] { out += lines.map { Substring($0) } }
        }
        var result = out.joined(separator: "\n")
        if endsWithNewline || (!out.isEmpty && fresh[raw.count] != nil) { result += "\n" }
        let dropped = layout.misplaced.reduce(0) { $0 + $1.lines.count }
        return Update(text: result, error: nil, changed: changed, dropped: dropped)
    }
}

/// Collects output per top-level statement (the interpreter's `statementObserver` sets
/// `current` as each one starts).
final class StatementSink: OutputSink {
    var current = -1 {
        willSet { flush() }
    }
    private(set) var items: [Int: [Lesson.Item]] = [:]
    /// Text since the last statement change or figure, appended in place (a loop may print
    /// thousands of short pieces).
    private var pending = ""

    func write(_ text: String) {
        pending += text
    }

    func add(_ item: Lesson.Item) {
        flush()
        items[current, default: []].append(item)
    }

    func flush() {
        guard !pending.isEmpty else { return }
        items[current, default: []].append(.text(pending))
        pending = ""
    }
}
