import ArgumentParser
import Foundation
import Glibc
import PsearchCore
import PsearchKernel
import PsearchLang
import PsearchPlot

/// `psearch kernel -f FILE`: the Jupyter kernel; `psearch kernel install`: its kernelspec.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch kernel",
        abstract: "Run psearch as a Jupyter kernel (Jupyter, JupyterLab, VS Code notebooks).",
        discussion: "'psearch kernel install' registers the kernel; Jupyter then starts it as 'psearch kernel -f "
            + "CONNECTION_FILE'. The kernel keeps one session like the REPL: variables live until a restart. "
            + "Exit codes: 0 after a shutdown request, 64 usage, 66 the connection file cannot be read or is not one, "
            + "74 the sockets cannot be bound.",
        subcommands: [KernelInstallCommand.self])

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "file"))
    var connectionFile: String?

    func run() throws {
        guard let path = connectionFile else { throw ValidationError("give the connection file: psearch kernel -f FILE") }
        throw ExitCode(runKernel(connectionFile: path))
    }
}

/// `psearch kernel install [--user | --prefix DIR]`.
struct KernelInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write the kernelspec 'psearch' where 'jupyter kernelspec install' would.",
        discussion: "Without a flag: the system's /usr/local/share/jupyter/kernels/psearch. --user: the user's "
            + "Jupyter data folder ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter). "
            + "--prefix DIR: DIR/share/jupyter/kernels/psearch (a virtual environment, or a test's temporary folder).")

    @Flag(help: "Install for this user only.")
    var user = false

    @Option(help: ArgumentHelp("Install under this prefix.", valueName: "dir"))
    var prefix: String?

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give either --user or --prefix DIR, not both") }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let share: String
        if let prefix {
            share = prefix + "/share/jupyter"
        } else if user {
            share = env["JUPYTER_DATA_DIR"] ?? ((env["XDG_DATA_HOME"].map { $0 + "/jupyter" }) ?? (NSHomeDirectory() + "/.local/share/jupyter"))
        } else {
            share = "/usr/local/share/jupyter"
        }
        let folder = share + "/kernels/psearch"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(kernelSpec(executable: executablePath()), to: folder + "/kernel.json")
            try AtomicFile.write(KernelLogo.svg, to: folder + "/logo-svg.svg")
            try AtomicFile.write(bytes: KernelLogo.png32, to: folder + "/logo-32x32.png")
            try AtomicFile.write(bytes: KernelLogo.png64, to: folder + "/logo-64x64.png")
        } catch let error as FileWriteError {
            writeStderr("error: \(error.description)\n")
            throw ExitCode(Exit.ioError)
        } catch {
            writeStderr("error: cannot make '\(folder)': \(error.localizedDescription)\n")
            throw ExitCode(Exit.ioError)
        }
        print("installed the psearch kernel in \(folder)")
    }
}

/// The kernelspec's kernel.json; Jupyter fills in `{connection_file}`. Interrupts come as
/// `interrupt_request` on the control socket (SIGINT works too).
func kernelSpec(executable: String) -> String {
    let spec: JSON = [
        "argv": [.string(executable), "kernel", "-f", "{connection_file}"],
        "display_name": "psearch", "language": "psearch", "interrupt_mode": "message",
        "metadata": ["debugger": false],
    ]
    return spec.serialized + "\n"
}

/// Reads the connection file and serves until a shutdown request.
func runKernel(connectionFile path: String) -> Int32 {
    let info: ConnectionInfo
    switch readFile(path) {
    case .failure(let e):
        writeStderr("error: cannot read '\(path)': \(e.reason)\n")
        return Exit.noInput
    case .success(let bytes):
        do {
            info = try ConnectionInfo(json: try JSON.parse(bytes))
        } catch let e as JSON.ParseError {
            writeStderr("error: '\(path)' is not JSON: \(e.reason)\n")
            return Exit.noInput
        } catch let e as ConnectionError {
            writeStderr("error: '\(path)' is not a connection file: \(e.reason)\n")
            return Exit.noInput
        } catch {
            return Exit.noInput
        }
    }
    signal(SIGPIPE, SIG_IGN)
    // Ctrl-C in the terminal that started Jupyter, or a client's SIGINT: the same flag as the
    // REPL's, so a running cell stops and the variables stay.
    installInterruptHandler()
    let server: KernelServer
    do {
        server = try KernelServer(info: info, log: { writeStderr("psearch kernel: \($0)\n") })
    } catch {
        writeStderr("error: \(error.reason)\n")
        return Exit.ioError
    }
    _ = onLargeStack { server.serve(engine: NotebookEngine(limits: Limits())) }
    return Exit.ok
}

/// A cell's output on its way to iopub: printed text goes out as `stream` messages, at most
/// one every 50 ms while the cell runs (a loop printing thousands of lines sends tens of
/// messages, not thousands), and all of it before a figure or the reply.
final class CellSink: FlushingSink {
    var show: ((Shown) -> Void)?
    private var pending = ""
    private var lastSent = ContinuousClock.now

    func write(_ text: String) {
        pending += text
        if text.contains("\n") && ContinuousClock.now - lastSent > .milliseconds(50) { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        show?(.stream(name: "stdout", text: pending))
        pending = ""
        lastSent = .now
    }

    func note(_ text: String) {
        flush()
        show?(.stream(name: "stderr", text: text))
    }
}

/// The language as the kernel sees it: the REPL's engine (same state rules, completion,
/// help, continuation) over a sink that sends to the notebook.
final class NotebookEngine: KernelEngine {
    private let sink = CellSink()
    private let lang: LangEngine
    /// Figures shown so far: each SVG's ids get the number, as an exported notebook's do.
    private var figures = 0
    /// Plots in a notebook: SVG at the size lesson pages use, and the plain terminal picture.
    static let figureSize = (width: 640, height: 420)

    init(limits: Limits) {
        lang = LangEngine(limits: limits, output: sink)
        lang.color = false
        lang.echoWidth = { 100 }
        lang.atPrompt = false
        lang.inputName = "<cell>"
        let sink = self.sink
        lang.interpreter.figureDisplay = { [unowned self] figure, text in
            sink.flush()
            figures += 1
            let svg = Lesson.notebookSVG(renderSVG(figure, width: Self.figureSize.width, height: Self.figureSize.height), number: figures)
            sink.show?(.figure(svg: svg, text: text))
        }
        lang.interpreter.progress = { event in
            if case .note(let text) = event { sink.note("note: \(text)\n") }
        }
    }

    var languageInfo: JSON {
        ["name": "psearch", "version": .string(psearchVersion), "mimetype": "text/x-psearch", "file_extension": ".ps",
         "pygments_lexer": "text", "codemirror_mode": "text/plain"]
    }

    var banner: String { "psearch \(psearchVersion): a small language for learning parameter search" }

    func execute(_ code: String, show: @escaping (Shown) -> Void) -> CellOutcome {
        sink.show = show
        defer {
            sink.flush()
            sink.show = nil
        }
        switch lang.run(code) {
        case .value(let text): return .ok(echo: text)
        case .silent: return .ok(echo: nil)
        case .error(let text):
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            while lines.last?.isEmpty == true { lines.removeLast() }
            if text == "interrupted" { return .error(name: "interrupted", value: "interrupted", traceback: ["interrupted"]) }
            let first = lines.first ?? text
            let value = first.hasPrefix("error: ") ? String(first.dropFirst("error: ".count)) : first
            return .error(name: "error", value: value, traceback: lines)
        }
    }

    func completions(_ code: String, cursor: Int) -> [String] {
        lang.completions(line: code, cursor: cursor)
    }

    func inspect(_ code: String, cursor: Int) -> String? {
        let bytes = Array(code.utf8)
        let isWord: (UInt8) -> Bool = { $0 >= 0x80 || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }
        var start = min(cursor, bytes.count), end = start
        while start > 0 && isWord(bytes[start - 1]) { start -= 1 }
        while end < bytes.count && isWord(bytes[end]) { end += 1 }
        // On `f(` or `f(x, ` the cursor is past the name: show the enclosing call's help.
        if start == end, let open = bytes[..<start].lastIndex(of: UInt8(ascii: "(")) {
            end = open
            start = open
            while start > 0 && isWord(bytes[start - 1]) { start -= 1 }
        }
        guard start < end else { return nil }
        let name = String(decoding: bytes[start..<end], as: UTF8.self)
        guard Builtins.named(name) != nil || lang.interpreter.global(name) != nil else { return nil }
        return lang.help(name)
    }

    func isComplete(_ code: String) -> CodeState {
        switch lang.completeness(of: code) {
        case .complete: return .complete
        case .incomplete: return .incomplete
        case .invalid: return .invalid
        }
    }
}
