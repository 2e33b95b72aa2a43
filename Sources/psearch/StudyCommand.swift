import ArgumentParser
import PsearchLang

/// `psearch study FILE`: the trials of a study file written by `search(..., study: FILE)`.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch study",
        abstract: "Show a study file written by search(..., study: FILE): its trials, their states and the best.",
        discussion: "Shows the newest study of the file (resume: false adds one) unless --study names another. "
            + "Exit codes: 0 shown, 64 usage, 66 missing or unreadable study file, 74 cannot write.")

    @ArgumentParser.Argument(help: "The study file.")
    var file: String

    @Flag(help: "Write the trials as CSV, one row per trial.")
    var csv = false

    @Flag(help: "Write the study and its trials as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Show this study of the file (1 is the first).", valueName: "n"))
    var study: Int?

    func validate() throws {
        if csv && json { throw ValidationError("give --csv or --json, not both") }
        if let s = study, s < 1 { throw ValidationError("--study must be at least 1") }
    }

    func run() throws {
        switch StudyReport.render(file, study: study, format: csv ? .csv : json ? .json : .table) {
        case .success(let text):
            let out = StdoutSink()
            do {
                try out.write(text)
                try out.flush()
            } catch {
                writeStderr("error: cannot write the study: \(error)\n")
                throw ExitCode(Exit.ioError)
            }
            // Like check and export: main() falls through to the root command unless the verb exits.
            throw ExitCode(Exit.ok)
        case .failure(let e):
            writeStderr("error: \(e.message)\n")
            throw ExitCode(Exit.noInput)
        }
    }
}
