import ArgumentParser
import Glibc
import PsearchCore
import PsearchLang

/// Exit codes, as in jlox and sysexits.h.
enum Exit {
    static let ok: Int32 = 0
    static let usage: Int32 = 64
    static let syntax: Int32 = 65
    static let noInput: Int32 = 66
    static let runtime: Int32 = 70
    static let ioError: Int32 = 74
    static let interrupted: Int32 = 130
}

struct PsearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch",
        abstract: "A small language and REPL for learning parameter search.",
        // One paragraph without hard line breaks: the help formatter wraps it to the terminal.
        discussion: "With no arguments, starts the interactive prompt (or, when standard input is not a "
            + "terminal, runs it as a script). Exit codes: 0 ok, 64 usage, 65 syntax error, "
            + "66 missing input, 70 runtime error, 74 output error, 130 interrupted. "
            + "Subcommands: 'psearch check [--update] FILE...' compares what scripts print with their '#>' "
            + "lines; 'psearch export FILE -o PAGE.html|PAGE.md|NOTEBOOK.ipynb' writes a script as a page or notebook; 'psearch study FILE [--csv|--json]' shows a study file; "
            + "'psearch kernel install' registers the Jupyter kernel (each has --help). "
            + "A script named 'check' or 'export' runs as 'psearch ./check'.",
        version: psearchVersion)

    @ArgumentParser.Argument(help: "A script to run ('-' reads standard input).")
    var file: String?

    @Option(name: .customShort("e"), help: ArgumentHelp("Run this text as a script.", valueName: "code"))
    var code: String?

    @Flag(name: .customLong("dump-ast"), help: "Print the parse of FILE as S-expressions instead of running it.")
    var dumpAST = false

    @Flag(name: .shortAndLong, help: "Start the prompt without the banner.")
    var quiet = false

    @Option(name: .customLong("max-elements"), help: "Refuse tensors with more elements than this.")
    var maxElements: Int = Limits().maxElements

    func validate() throws {
        if code != nil && file != nil { throw ValidationError("give either a FILE or -e CODE, not both") }
        if dumpAST && file == nil && code == nil { throw ValidationError("--dump-ast needs a FILE or -e CODE") }
        if maxElements < 1 { throw ValidationError("--max-elements must be at least 1") }
    }

    func run() throws {
        let options = Options(file: file, code: code, dumpAST: dumpAST, quiet: quiet, maxElements: maxElements)
        throw ExitCode(options.run())
    }
}

/// What the driver needs from the command line, however it was parsed.
struct Options {
    var file: String?
    var code: String?
    var dumpAST = false
    var quiet = false
    var maxElements = Limits().maxElements

    /// Subcommands, recognised only as the first argument and never taken for a script's name
    /// (a script called `check` runs as `psearch ./check`). They are dispatched here rather
    /// than declared as ArgumentParser subcommands: those cannot sit beside the root
    /// command's optional FILE argument, which would swallow the verb.
    static let verbs: [String: ParsableCommand.Type] = ["check": CheckCommand.self, "export": ExportCommand.self, "study": StudyCommand.self,
                                                           "kernel": KernelCommand.self, "worker": WorkerCommand.self]

    /// The everyday invocations, `psearch`, `psearch FILE`, `psearch -` and `psearch -e CODE`,
    /// read without swift-argument-parser: its reflection costs ~3 ms, a third of the start-up
    /// budget. Anything else (flags, --help, mistakes) goes through it.
    static func simple(_ args: [String]) -> Options? {
        switch args.count {
        case 0: return Options()
        case 1 where args[0] == "-" || (!args[0].hasPrefix("-") && verbs[args[0]] == nil): return Options(file: args[0])
        case 2 where args[0] == "-e": return Options(code: args[1])
        default: return nil
        }
    }

    func run() -> Int32 {
        var limits = Limits()
        limits.maxElements = maxElements
        return onLargeStack { Driver(limits: limits).main(self) }
    }
}

/// Runs scripts and maps every outcome to an exit code and a message on stderr.
struct Driver {
    let limits: Limits
    let color = isatty(2) == 1 && getenv("NO_COLOR") == nil

    func main(_ cmd: Options) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        if let code = cmd.code {
            return cmd.dumpAST ? dump(Array(code.utf8), name: "-e") : runScript(Array(code.utf8), name: "-e")
        }
        guard let path = cmd.file else {
            if isatty(0) == 1 { return runREPL(engine: LangEngine(limits: limits), quiet: cmd.quiet) }
            return readAll(fd: 0).map { runScript($0, name: "<stdin>") } ?? Exit.noInput
        }
        let text: [UInt8]
        if path == "-" {
            guard let t = readAll(fd: 0) else { return Exit.noInput }
            text = t
        } else {
            switch readFile(path) {
            case .success(let t): text = t
            case .failure(let e):
                writeStderr("error: cannot read '\(path)': \(e.reason)\n")
                return Exit.noInput
            }
        }
        return cmd.dumpAST ? dump(text, name: path) : runScript(text, name: path)
    }

    func dump(_ text: [UInt8], name: String) -> Int32 {
        let r = Interpreter.parseOnly(text, name: name)
        if let d = r.diagnostics {
            writeStderr(d.render(r.sources, color: color))
            return Exit.syntax
        }
        let out = StdoutSink()
        do {
            try out.write(r.ast + (r.ast.isEmpty ? "" : "\n"))
            try out.flush()
        } catch {
            writeStderr(RunFailure.output(error).render(r.sources))
            return Exit.ioError
        }
        return Exit.ok
    }

    func runScript(_ text: [UInt8], name: String) -> Int32 {
        let out = StdoutSink()
        let interp = Interpreter(output: out, limits: limits)
        interp.progress = terminalProgress()
        interp.liveFrame = terminalLive(out)
        configurePlots(interp)
        installInterruptHandler()
        var status = Exit.ok
        do throws(RunFailure) {
            try interp.run(bytes: text, name: name)
        } catch {
            if case .output = error {} else { flushBeforeError(out) }
            writeStderr(error.render(interp.sources, color: color))
            if case .output = error { return Exit.ioError }
            status = error.exitCode
        }
        do { try out.flush() } catch {
            writeStderr(RunFailure.output(error).render(interp.sources))
            return Exit.ioError
        }
        return status
    }

    func flushBeforeError(_ out: StdoutSink) {
        try? out.flush()
    }
}

/// Ctrl-C sets the interrupt flag the interpreter polls; the run unwinds cleanly.
func installInterruptHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in Interrupt.request() }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

enum ReadFailure: Error {
    case failed(String)
    var reason: String { if case .failed(let r) = self { return r }; return "" }
}

/// A whole file as UTF-8 text (invalid bytes are kept for the lexer to report).
func readFile(_ path: String) -> Result<[UInt8], ReadFailure> {
    var st = stat()
    if stat(path, &st) != 0 { return .failure(.failed(String(cString: strerror(errno)))) }
    if (st.st_mode & S_IFMT) == S_IFDIR { return .failure(.failed("it is a directory")) }
    let fd = open(path, O_RDONLY)
    if fd < 0 { return .failure(.failed(String(cString: strerror(errno)))) }
    defer { close(fd) }
    guard let text = readAll(fd: fd) else { return .failure(.failed(String(cString: strerror(errno)))) }
    return .success(text)
}

func readAll(fd: Int32) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    // Raw bytes: the lexer names an invalid UTF-8 byte by value and position.
    return bytes
}

let arguments = Array(CommandLine.arguments.dropFirst())
if let options = Options.simple(arguments) {
    exit(options.run())
}
if let verb = arguments.first, let command = Options.verbs[verb] {
    command.main(Array(arguments.dropFirst()))
    // A verb whose run returns (kernel install) has succeeded; never fall through to the root command.
    exit(Exit.ok)
}
PsearchCommand.main()
