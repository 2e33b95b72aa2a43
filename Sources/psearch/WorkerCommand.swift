import ArgumentParser
import Foundation
import PsearchLang

/// `psearch worker`: evaluates one trial of a search for `engine: "ray"` (each Ray task runs it).
///
/// Reads a worker request (JSON) on standard input, replays the session it carries up to its
/// search call, evaluates the trial there and writes the reply (JSON) on standard output.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psearch worker",
        abstract: "Evaluate one search trial sent by search(..., engine: \"ray\"): a request on standard input, the reply on standard output.",
        discussion: "Run by the Ray bridge, not by hand. Exit codes: 0 a reply was written (the trial may have failed: the reply says so), "
            + "64 the request is not a worker request, 74 cannot write.")

    func run() throws {
        guard let bytes = readAll(fd: 0), let request = try? JSONDecoder().decode(WorkerRequest.self, from: Data(bytes)) else {
            writeStderr("error: standard input is not a psearch worker request\n")
            throw ExitCode(Exit.usage)
        }
        let reply = onLargeStack { Interpreter.runWorker(request, limits: Limits()) }
        let out = StdoutSink()
        do {
            try out.write(String(decoding: try JSONEncoder().encode(reply), as: UTF8.self) + "\n")
            try out.flush()
        } catch {
            writeStderr("error: cannot write the reply: \(error)\n")
            throw ExitCode(Exit.ioError)
        }
        throw ExitCode(Exit.ok)
    }
}
