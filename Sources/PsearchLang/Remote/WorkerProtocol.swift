import Foundation
import PsearchCore

/// What a `psearch worker` process is asked to do: replay the session's sources up to the
/// `call`-th `search` made outside any trial, and there evaluate one trial instead of searching.
///
/// The request carries the sources themselves, so a node needs only the psearch binary, not the
/// script. Numbers travel as Swift's shortest round-trip text, so a parameter and a loss come
/// back bit for bit.
public struct WorkerRequest: Codable, Sendable {
    public struct Script: Codable, Sendable {
        public var name: String
        public var text: String
        /// Run as a prompt input (a REPL or notebook session) rather than as a script.
        public var repl: Bool
    }

    /// A parameter value as it crosses the process boundary (exactly one field set).
    public struct Param: Codable, Sendable, Equatable {
        public var number: String?
        public var string: String?
        public var bool: Bool?

        init(_ v: ParamValue) {
            switch v {
            case .number(let x): number = "\(x)"
            case .string(let s): string = s
            case .bool(let b): bool = b
            }
        }

        var value: ParamValue? {
            if let n = number, let x = Double(n) { return .number(x) }
            if let s = string { return .string(s) }
            if let b = bool { return .bool(b) }
            return nil
        }
    }

    /// A trial's intermediate reports as they cross the process boundary.
    public struct Reports: Codable, Sendable, Equatable {
        public var steps: [Int]
        public var values: [String]
        public var rungs: [String]
        public var pruned: Bool

        init(_ r: TrialReports) {
            steps = r.steps
            values = r.values.map { "\($0)" }
            rungs = r.rungs.map { "\($0)" }
            pruned = r.pruned
        }

        var reports: TrialReports? {
            let v = values.compactMap(Double.init), g = rungs.compactMap(Double.init)
            guard v.count == values.count, g.count == rungs.count, steps.count == v.count else { return nil }
            return TrialReports(steps: steps, values: v, rungs: g, pruned: pruned)
        }
    }

    /// Where the trial's `report` calls go: the prune rule ("none": recorded only) and the
    /// reports of the trials its decisions read (0 ..< index − lag). Nil under halving.
    public struct Pruning: Codable, Sendable {
        public var rule: String
        public var history: [Reports]
    }

    public var protocolVersion = WorkerRequest.version
    public var sources: [Script]
    /// The driver's working folder: relative paths in the script (`load("data.csv")`) resolve there.
    public var cwd: String
    public var maxElements: Int
    /// 1 for the first `search` the session made outside a trial, 2 for the next, ...
    public var call: Int
    /// The search's space and seed as the driver saw them: a worker that replays to another
    /// space or seed says so instead of evaluating the wrong trial.
    public var space: String
    public var seed: String
    public var index: Int
    public var params: [String: Param]
    public var budget: Int?
    public var pruning: Pruning?

    public static let version = 1
}

/// What a worker writes back: the trial's loss and printed output, or the error it stopped with.
public struct WorkerReply: Codable, Sendable {
    public struct Located: Codable, Sendable {
        public var message: String
        /// The range in the driver's sources (the worker adds them in the same order, so ids agree).
        public var source: Int32?
        public var start: Int32?
        public var end: Int32?

        init(_ message: String, _ range: SourceRange?) {
            self.message = message
            source = range?.source
            start = range?.start
            end = range?.end
        }

        var range: SourceRange? {
            guard let source, let start, let end else { return nil }
            return SourceRange(source: source, start: Int(start), end: Int(end))
        }
    }

    public var loss: String?
    public var output: String
    /// What the trial reported (`report`, `train` in a trial), pruned or not.
    public var reports: WorkerRequest.Reports?
    /// The objective's error, with the calls it left as notes; nil when the trial finished.
    public var error: Located?
    public var notes: [Located]?
    /// Set when the worker could not get to the trial at all (another script, a replay that failed).
    public var refused: String?

    public init(loss: String? = nil, output: String = "", reports: WorkerRequest.Reports? = nil, error: Located? = nil,
                notes: [Located]? = nil, refused: String? = nil) {
        self.loss = loss
        self.reports = reports
        self.output = output
        self.error = error
        self.notes = notes
        self.refused = refused
    }
}

/// The trial a worker interpreter is to evaluate; `search` looks for it (Builtins/HyperSearch.swift).
public final class RemoteTrial {
    public let request: WorkerRequest
    /// `search` calls made outside a trial so far.
    var calls = 0
    /// Set once the trial ran (or could not): the worker stops the replay there.
    public internal(set) var reply: WorkerReply?

    public init(_ request: WorkerRequest) { self.request = request }
}

/// Unwinds the replay once the worker's trial has its reply.
struct RemoteTrialDone: Error {}

extension Interpreter {
    /// Runs a worker request on a fresh interpreter and returns the reply to write back.
    public static func runWorker(_ request: WorkerRequest, limits: Limits) -> WorkerReply {
        guard request.protocolVersion == WorkerRequest.version else {
            return WorkerReply(refused: "the driver speaks worker protocol \(request.protocolVersion), this psearch speaks \(WorkerRequest.version): use the same psearch on every node")
        }
        if !request.cwd.isEmpty && !FileManager.default.changeCurrentDirectoryPath(request.cwd) {
            return WorkerReply(refused: "the driver's folder \(request.cwd) does not exist on this node")
        }
        var l = limits
        l.maxElements = request.maxElements
        let interp = Interpreter(output: BufferSink(), limits: l)
        let remote = RemoteTrial(request)
        interp.remoteTrial = remote
        for s in request.sources {
            // A prompt session's inputs ran one after another, errors and all: so does the replay.
            _ = try? interp.run(bytes: Array(s.text.utf8), name: s.name, repl: s.repl)
            if let reply = remote.reply { return reply }
        }
        return WorkerReply(refused: "replaying the session did not reach its search call #\(request.call): the sources do not make the same calls here")
    }
}
