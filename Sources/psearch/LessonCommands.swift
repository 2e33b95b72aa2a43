import ArgumentParser
import Glibc
import PsearchCore
import PsearchLang

/// `psearch check FILE...`: lessons are tests.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch check",
        abstract: "Run scripts and compare what each statement prints with its '#>' lines.",
        discussion: "A block of '#> TEXT' comment lines right after a top-level statement states the lines it "
            + "prints; a statement with no block must print nothing. Numbers match within a relative "
            + "tolerance of 1e-9, '#>= TEXT' demands the exact text. Differences are shown as a unified diff "
            + "whose hunks name file:line. Exit codes: 0 every file matches, 1 a difference or an error, "
            + "66 a file cannot be read. A script named 'check' runs as 'psearch ./check'.")

    @Flag(name: .long, help: "Rewrite the '#>' lines from a fresh run (atomically) instead of comparing.")
    var update = false

    @ArgumentParser.Argument(help: "Scripts to check.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one FILE to check") }
    }

    func run() throws {
        let files = self.files, update = self.update
        throw ExitCode(onLargeStack { LessonDriver().check(files, update: update) })
    }
}

/// `psearch export FILE -o PAGE`: lessons as pages.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch export",
        abstract: "Run a script and write it as one self-contained page (HTML or Markdown) or a Jupyter notebook.",
        discussion: "Comment blocks become prose (Markdown), code is highlighted, each statement's output follows "
            + "it and every plot is an inline SVG. The format follows the extension of the output: .html, .md, or .ipynb "
            + "(nbformat 4 for the psearch kernel: prose as Markdown cells, code cells with their outputs). "
            + "Exit codes: 0 written, 64 usage, 65 syntax error, 66 missing input, 70 runtime error, 74 cannot write.")

    @ArgumentParser.Argument(help: "The script to export.")
    var file: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The page to write: a .html, .md or .ipynb file.", valueName: "page"))
    var output: String

    func validate() throws {
        if LessonDriver.format(of: output) == nil {
            throw ValidationError("cannot tell the format of '\(output)': name it .html, .md or .ipynb")
        }
    }

    func run() throws {
        let file = self.file, output = self.output
        throw ExitCode(onLargeStack { LessonDriver().export(file, to: output) })
    }
}

/// Reads, runs, prints and writes for `check` and `export`; the comparing and rendering live
/// in PsearchLang's `Lesson`.
struct LessonDriver {
    let color = isatty(1) == 1 && getenv("NO_COLOR") == nil
    let errorColor = isatty(2) == 1 && getenv("NO_COLOR") == nil

    enum Format { case html, markdown, notebook }

    static func format(of path: String) -> Format? {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { return .html }
        if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") { return .markdown }
        if lower.hasSuffix(".ipynb") { return .notebook }
        return nil
    }

    /// The script's text, or nil after saying why it cannot be read.
    func read(_ path: String) -> String? {
        switch readFile(path) {
        case .success(let bytes):
            return String(decoding: bytes, as: UTF8.self)
        case .failure(let e):
            writeStderr("error: cannot read '\(path)': \(e.reason)\n")
            return nil
        }
    }

    func check(_ files: [String], update: Bool) -> Int32 {
        installInterruptHandler()
        var out = ""
        var failed: [String] = []
        var unreadable = false
        var groups = 0, lines = 0
        var changedFiles = 0
        for path in files {
            guard let text = read(path) else {
                unreadable = true
                failed.append(path)
                continue
            }
            if update {
                let result = Lesson.update(text, name: path)
                guard let fresh = result.text else {
                    writeStderr(result.error ?? "")
                    writeStderr("check: '\(path)' not updated: it does not run\n")
                    failed.append(path)
                    continue
                }
                if fresh != text {
                    do {
                        try AtomicFile.write(fresh, to: path)
                    } catch {
                        writeStderr("error: \(error.description)\n")
                        failed.append(path)
                        continue
                    }
                    changedFiles += 1
                }
                var note = "\(path): " + (result.changed == 0 ? "up to date" : "\(result.changed) statement\(result.changed == 1 ? "" : "s") updated")
                if result.dropped > 0 { note += ", \(result.dropped) misplaced '#>' line\(result.dropped == 1 ? "" : "s") removed" }
                out += note + "\n"
                continue
            }
            let result = Lesson.check(text, name: path, color: errorColor)
            groups += result.groupsChecked
            lines += result.linesChecked
            if let error = result.error {
                flush(&out)
                writeStderr(error)
                out += "\(path): FAIL: the script stops with an error\n"
                failed.append(path)
                continue
            }
            for m in result.misplaced { out += m + "\n" }
            out += result.diff
            if !result.passed { failed.append(path) }
        }
        let count = "\(files.count) file\(files.count == 1 ? "" : "s")"
        if update {
            out += "check --update: \(count), \(changedFiles) rewritten" + (failed.isEmpty ? "\n" : ", \(failed.count) failed\n")
        } else if failed.isEmpty {
            out += "check: \(count), \(groups) statements, \(lines) output lines: all match\n"
        } else {
            out += "check: \(failed.count) of \(count) failed: \(failed.joined(separator: ", "))\n"
        }
        flush(&out)
        if failed.isEmpty { return Exit.ok }
        return unreadable && failed.count == files.count ? Exit.noInput : 1
    }

    func export(_ path: String, to output: String) -> Int32 {
        installInterruptHandler()
        guard let text = read(path), let format = Self.format(of: output) else { return Exit.noInput }
        let run = Lesson.run(text, name: path, figures: true)
        if let error = run.failureText(color: errorColor) {
            writeStderr(error)
            writeStderr("export: '\(output)' not written: '\(path)' does not run\n")
            return run.failure?.exitCode ?? Exit.runtime
        }
        let page: String
        switch format {
        case .html: page = Lesson.html(run)
        case .markdown: page = Lesson.markdown(run)
        case .notebook: page = Lesson.notebook(run)
        }
        do {
            try AtomicFile.write(page, to: output)
        } catch {
            writeStderr("error: \(error.description)\n")
            return Exit.ioError
        }
        return Exit.ok
    }

    private func flush(_ text: inout String) {
        guard !text.isEmpty else { return }
        let sink = StdoutSink()
        try? sink.write(text)
        try? sink.flush()
        text = ""
    }
}
