import PsearchCore
import PsearchLang

/// Runs the interactive session on stdin/stdout and returns the process exit code.
///
/// When stdin is not a terminal there is no prompt, banner or line editing: all of stdin runs
/// as one script through `engine.runScript` and its exit code is returned.
func runREPL(engine: ReplEngine, quiet: Bool) -> Int32 {
    guard Terminal.stdinIsTerminal else {
        return engine.runScript(PlainLineReader.readAllStdin(), name: "<stdin>")
    }
    Signals.install()
    defer { Signals.readerFinished() }
    if !quiet { Terminal.write(REPL.banner) }
    let history = History(
        path: History.defaultPath(environment: Terminal.environment),
        warn: { Terminal.writeError("warning: \($0)") })
    let reader = makeLineReader(engine: engine)
    for entry in history.entries { reader.addHistory(entry) }
    let repl = REPL(engine: engine, reader: reader, history: history, write: Terminal.write, writeError: Terminal.writeError)
    return repl.run()
}

/// libedit when the terminal can be driven, a plain prompting reader otherwise.
private func makeLineReader(engine: ReplEngine) -> LineReader {
    let term = Terminal.environment("TERM") ?? ""
    // Without a known terminal libedit cannot move the cursor and prints termcap complaints;
    // Emacs shell buffers (TERM=dumb) do their own editing anyway.
    guard !term.isEmpty, term != "dumb", Terminal.stdoutIsTerminal else {
        return PlainLineReader(showsPrompt: true)
    }
    let reader = LibEditLineReader(historySize: History.capacity, editrc: LibEditLineReader.editrcPath()) {
        [unowned engine] line, cursor in engine.completions(line: line, cursor: cursor)
    }
    return reader ?? PlainLineReader(showsPrompt: true)
}

/// The read-eval-print loop, independent of the terminal so tests can drive it with scripted
/// lines and a fake engine.
final class REPL {
    static let prompt = "ps> "
    static let continuationPrompt = "..> "
    static var banner: String {
        "psearch \(psearchVersion) · type :help for help, Ctrl-D to quit\n"
    }

    private let engine: ReplEngine
    private let reader: LineReader
    private let history: History?
    private let write: (String) -> Void
    private let writeError: (String) -> Void
    /// Lines of an input that is not complete yet.
    private(set) var pending: [String] = []
    /// SIGINTs counted when the last line was read: a Ctrl-C after that belongs to its run.
    private var signalsAtRead: Int?
    /// Consecutive blank lines at the continuation prompt.
    private var blankLines = 0

    init(engine: ReplEngine, reader: LineReader, history: History?,
         write: @escaping (String) -> Void, writeError: @escaping (String) -> Void) {
        self.engine = engine
        self.reader = reader
        self.history = history
        self.write = write
        self.writeError = writeError
    }

    /// Reads and runs until Ctrl-D on an empty line or `:quit`; returns the exit code.
    func run() -> Int32 {
        while true {
            if let code = step() { return code }
        }
    }

    /// One read; an exit code when the session ends.
    func step() -> Int32? {
        let prompt = pending.isEmpty ? Self.prompt : Self.continuationPrompt
        // The reader forgets a Ctrl-C from before this prompt; one pressed after Enter, before
        // the run begins, stays pending and stops that run (see `LineReader.readLine`).
        let result = reader.readLine(prompt: prompt)
        signalsAtRead = Signals.interruptCount
        switch result {
        case .end:
            write("\n")
            if pending.isEmpty { return 0 }
            // Ctrl-D inside an unfinished input abandons it rather than the whole session.
            abandonPending()
            return nil
        case .interrupted:
            write("\n")
            abandonPending()
            return nil
        case .line(let line):
            return handle(line)
        }
    }

    /// Takes one line typed at either prompt.
    func handle(_ line: String) -> Int32? {
        let trimmed = line.trimmingWhitespace
        if pending.isEmpty {
            if trimmed.isEmpty { return nil }
            if trimmed.hasPrefix(":") {
                remember([line])
                return perform(ReplCommand.parse(trimmed))
            }
        }
        pending.append(line)
        let source = pending.joined(separator: "\n")
        if engine.completeness(of: source) == .incomplete {
            blankLines = trimmed.isEmpty ? blankLines + 1 : 0
            // Two blank lines give up on an input that would otherwise never complete (an
            // unclosed string swallows everything); the engine then reports what is missing.
            if blankLines < 2 { return nil }
        }
        // Invalid input runs at once so its diagnostic shows instead of another `..>`.
        remember(pending)
        pending.removeAll()
        blankLines = 0
        show(execute { engine.run(source) })
        return nil
    }

    /// An input enters history whole, its lines joined by newlines, so that Up brings back a
    /// function of five lines as one entry to edit and run again (as Python's REPL does).
    private func remember(_ lines: [String]) {
        var lines = lines
        // The blank lines that gave up on an unfinished input are not part of it.
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard !lines.isEmpty else { return }
        let entry = lines.joined(separator: "\n")
        reader.addHistory(entry)
        history?.add(entry)
    }

    /// Ctrl-C or Ctrl-D at `..>`: the input is dropped, but what was typed stays in history so
    /// that a mistake in its third line costs one Up-arrow, not the first two lines again.
    private func abandonPending() {
        remember(pending)
        pending.removeAll()
        blankLines = 0
    }

    private func execute(_ body: () -> ReplResult) -> ReplResult {
        let signals = signalsAtRead ?? Signals.interruptCount
        signalsAtRead = nil
        let result = body()
        _ = Interrupt.take()
        // The terminal's echo is off while code runs, so acknowledge Ctrl-C here.
        if Signals.interruptCount != signals { write("^C\n") }
        return result
    }

    private func show(_ result: ReplResult) {
        switch result {
        case .value(let text): write(text.hasSuffix("\n") ? text : text + "\n")
        case .silent: break
        case .error(let diagnostic): writeError(diagnostic)
        }
    }

    private func perform(_ command: ReplCommand) -> Int32? {
        switch command {
        case .help(nil):
            write(ReplCommand.overview)
            let language = engine.help(nil)
            if !language.isEmpty { write("\n" + (language.hasSuffix("\n") ? language : language + "\n")) }
        case .help(let name?):
            let text = ReplCommand.help(for: name) ?? engine.help(name)
            write(text.hasSuffix("\n") ? text : text + "\n")
        case .full:
            show(engine.full())
        case .vars:
            let text = engine.vars()
            if !text.isEmpty { write(text.hasSuffix("\n") ? text : text + "\n") }
        case .reset:
            engine.reset()
            write("all variables cleared\n")
        case .load(let path):
            show(execute { engine.load(path: path) })
        case .save(let path):
            show(engine.save(path: path))
        case .time(let source):
            var result = ReplResult.silent
            let elapsed = ContinuousClock().measure { result = execute { engine.run(source) } }
            show(result)
            write("time: \(formatDuration(elapsed))\n")
        case .ast(let source):
            show(engine.ast(source))
        case .history(let count):
            let entries = history?.entries ?? []
            let shown = count.map { Array(entries.suffix($0)) } ?? entries
            let first = entries.count - shown.count + 1
            var text = ""
            for (i, entry) in shown.enumerated() {
                // The lines of a multi-line entry line up under its first.
                text += "\(pad(first + i, to: 5))  " + History.lines(of: entry).joined(separator: "\n       ") + "\n"
            }
            write(text)
        case .quit:
            return 0
        case .usage(let text):
            writeError("usage: \(text)")
        case .unknown(let name, let suggestion):
            var text = "unknown command ':\(name)'"
            if let suggestion { text += "; did you mean ':\(suggestion)'?" }
            writeError(text + " (:help lists the commands)")
        }
        return nil
    }
}

/// A line typed at `ps> ` that starts with `:`.
enum ReplCommand: Equatable {
    case help(String?), vars, full, reset, load(String), save(String), time(String), ast(String), history(Int?), quit
    case usage(String)
    case unknown(String, suggestion: String?)

    /// Name, argument, summary; the order settles abbreviations (`:h` is `:help`, as in GHCi).
    static let table: [(name: String, argument: String, summary: String)] = [
        ("help", "[NAME]", "this overview, or the signature, summary and example of NAME"),
        ("vars", "", "variables in scope with their types and shapes"),
        ("full", "", "the last value whole, as print shows it (the echo shortens long values)"),
        ("reset", "", "forget every variable"),
        ("load", "FILE", "run a file in this session"),
        ("save", "FILE", "write this session's inputs and their output as a checked script"),
        ("time", "EXPR", "run EXPR and show how long it took"),
        ("ast", "EXPR", "show how EXPR parses"),
        ("history", "[N]", "show the last N entered lines (all by default)"),
        ("quit", "", "leave (Ctrl-D on an empty line does the same)"),
    ]

    static var overview: String {
        var text = "commands:\n"
        for entry in table {
            let head = ":" + entry.name + (entry.argument.isEmpty ? "" : " " + entry.argument)
            text += "  " + head + String(repeating: " ", count: max(1, 16 - head.count)) + entry.summary + "\n"
        }
        text += "keys: Tab completes, Up/Down and Ctrl-R search history, Ctrl-C cancels the line or\n"
        text += "stops a running program, two blank lines end an unfinished input\n"
        return text
    }

    /// Help for a command name (`:load` or `load` after `:help :`), nil for anything else.
    static func help(for name: String) -> String? {
        guard name.hasPrefix(":") else { return nil }
        let bare = String(name.dropFirst())
        guard let entry = table.first(where: { $0.name == bare }) else { return nil }
        return ":" + entry.name + (entry.argument.isEmpty ? "" : " " + entry.argument) + "\n  " + entry.summary
    }

    /// Parses a line that starts with `:` (surrounding whitespace already trimmed).
    static func parse(_ line: String) -> ReplCommand {
        let body = line.dropFirst()
        let name = String(body.prefix { !$0.isWhitespace })
        let argument = String(body.dropFirst(name.count)).trimmingWhitespace
        let matches = table.filter { $0.name.hasPrefix(name) }
        guard !name.isEmpty, let entry = table.first(where: { $0.name == name }) ?? matches.first else {
            return .unknown(name, suggestion: suggestion(for: name))
        }
        switch entry.name {
        case "help": return .help(argument.isEmpty ? nil : argument)
        case "vars": return .vars
        case "full": return .full
        case "reset": return .reset
        case "quit": return .quit
        case "load":
            guard !argument.isEmpty else { return .usage(":load FILE") }
            return .load(expandPath(unquoted(argument)))
        case "save":
            guard !argument.isEmpty else { return .usage(":save FILE") }
            return .save(expandPath(unquoted(argument)))
        case "time":
            guard !argument.isEmpty else { return .usage(":time EXPR") }
            return .time(argument)
        case "ast":
            guard !argument.isEmpty else { return .usage(":ast EXPR") }
            return .ast(argument)
        default:
            if argument.isEmpty { return .history(nil) }
            guard let count = Int(argument), count >= 0 else { return .usage(":history [N]") }
            return .history(count)
        }
    }

    /// The closest command name within two edits, if any.
    static func suggestion(for name: String) -> String? {
        let scored = table.map { (name: $0.name, distance: editDistance(name, $0.name)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= 2,
              best.distance < max(name.count, 1) else { return nil }
        return best.name
    }

    private static func unquoted(_ text: String) -> String {
        for quote in ["\"", "'"] where text.count >= 2 && text.hasPrefix(quote) && text.hasSuffix(quote) {
            return String(text.dropFirst().dropLast())
        }
        return text
    }

    private static func expandPath(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = Terminal.environment("HOME") else { return path }
        return home + path.dropFirst()
    }
}

/// `850 µs`, `12.3 ms`, `2.345 s`.
func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let micro = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    if micro < 1_000 { return "\(Int(micro.rounded())) µs" }
    if micro < 1_000_000 { return "\((micro / 100).rounded() / 10) ms" }
    return "\((micro / 1_000).rounded() / 1_000) s"
}

private func pad(_ number: Int, to width: Int) -> String {
    let text = String(number)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

extension StringProtocol {
    var trimmingWhitespace: String {
        guard let start = firstIndex(where: { !$0.isWhitespace }),
              let end = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[start...end])
    }
}
