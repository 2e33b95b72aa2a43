import Foundation

/// What the language gives the kernel. The executable implements it over an interpreter whose
/// globals live as long as the kernel, as the REPL's do; every call comes on the shell thread,
/// one at a time.
public protocol KernelEngine: AnyObject {
    /// `language_info` of kernel_info_reply: name, version, mimetype, file_extension.
    var languageInfo: JSON { get }
    var banner: String { get }
    /// Runs one cell; `show` sends what it prints and draws as it happens.
    func execute(_ code: String, show: @escaping (Shown) -> Void) -> CellOutcome
    /// The REPL's completions for the word before `cursor` (a UTF-8 offset): each candidate is
    /// the whole replacement and starts with the text it replaces.
    func completions(_ code: String, cursor: Int) -> [String]
    /// Help for the name at `cursor` (the built-ins' help table, or a variable's type).
    func inspect(_ code: String, cursor: Int) -> String?
    /// The REPL's continuation rule.
    func isComplete(_ code: String) -> CodeState
}

/// Output of a running cell.
public enum Shown: Equatable, Sendable {
    case stream(name: String, text: String)
    /// A plot: SVG, and the terminal picture as its plain-text form.
    case figure(svg: String, text: String)
}

/// How a cell ended.
public enum CellOutcome: Equatable, Sendable {
    /// `echo` is the value of a final expression, as the REPL would echo it.
    case ok(echo: String?)
    /// `traceback` is the psearch diagnostic, one line per entry.
    case error(name: String, value: String, traceback: [String])
}

public enum CodeState: String, Sendable { case complete, incomplete, invalid }

/// The channel a message came in on.
public enum Channel: String, Sendable { case shell, control }

/// The protocol's state and replies, free of sockets: `handle` takes a request and returns the
/// reply, publishing status and outputs through `publish` (the socket loop sends them on
/// iopub). Tests drive it directly.
public final class KernelSession {
    public static let protocolVersion = "5.3"
    public let engine: KernelEngine
    /// The kernel's session id: every message it sends names it.
    public let id: String
    private let publish: (Message) -> Void
    private let log: (String) -> Void
    /// Called for `interrupt_request`: sets the flag the interpreter polls.
    public var onInterrupt: () -> Void = {}
    /// Called after the reply to `shutdown_request` is sent (with `restart`).
    public var onShutdown: (Bool) -> Void = { _ in }
    public private(set) var executionCount = 0
    /// Inputs of non-silent executes, for history_request: execution count, code, echo.
    public private(set) var history: [(count: Int, code: String, echo: String?)] = []
    private let lock = NSLock()

    public init(engine: KernelEngine, id: String = UUID().uuidString.lowercased(),
                publish: @escaping (Message) -> Void, log: @escaping (String) -> Void) {
        self.engine = engine
        self.id = id
        self.publish = publish
        self.log = log
    }

    /// A header for a message this kernel sends.
    func header(_ type: String) -> JSON {
        ["msg_id": .string(UUID().uuidString.lowercased()), "session": .string(id), "username": "psearch",
         "date": .string(Self.now()), "msg_type": .string(type), "version": .string(Self.protocolVersion)]
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    /// A message in answer to (or caused by) `parent`.
    public func message(_ type: String, _ content: JSON, parent: Message, identities: [[UInt8]]? = nil) -> Message {
        Message(identities: identities ?? parent.identities, header: header(type), parentHeader: parent.header, content: content)
    }

    /// Publishes on iopub; the topic is the message type.
    func broadcast(_ type: String, _ content: JSON, parent: Message) {
        publish(message(type, content, parent: parent, identities: [Array(type.utf8)]))
    }

    /// `status: starting`, once, when the sockets are up.
    public func announce() {
        publish(Message(identities: [Array("status".utf8)], header: header("status"), parentHeader: [:], content: ["execution_state": "starting"]))
    }

    /// Handles one request: `status` busy, the work, `status` idle; returns the reply (nil for
    /// a message that is not a request).
    public func handle(_ request: Message, on channel: Channel) -> Message? {
        broadcast("status", ["execution_state": "busy"], parent: request)
        defer { broadcast("status", ["execution_state": "idle"], parent: request) }
        let type = request.type
        guard type.hasSuffix("_request") else {
            log("ignored a '\(type)' message on \(channel.rawValue): not a request")
            return nil
        }
        let replyType = String(type.dropLast("_request".count)) + "_reply"
        let content: JSON
        switch type {
        case "kernel_info_request": content = kernelInfo()
        case "execute_request" where channel == .shell: content = execute(request)
        case "complete_request" where channel == .shell: content = complete(request.content)
        case "inspect_request" where channel == .shell: content = inspect(request.content)
        case "is_complete_request" where channel == .shell: content = isComplete(request.content)
        case "history_request" where channel == .shell: content = historyReply(request.content)
        case "comm_info_request": content = ["status": "ok", "comms": [:]]
        case "interrupt_request":
            onInterrupt()
            content = ["status": "ok"]
        case "shutdown_request":
            let restart = request.content["restart"]?.bool ?? false
            content = ["status": "ok", "restart": .bool(restart)]
        default:
            log("unknown message type '\(type)' on \(channel.rawValue)")
            content = Self.errorContent("unknown message type", "this kernel does not handle '\(type)' on \(channel.rawValue)")
        }
        return message(replyType, content, parent: request)
    }

    /// A reply to a request whose content could not be read (the header could).
    public func errorReply(to request: Message, _ name: String, _ value: String) -> Message? {
        let type = request.type
        guard type.hasSuffix("_request") else { return nil }
        broadcast("status", ["execution_state": "busy"], parent: request)
        defer { broadcast("status", ["execution_state": "idle"], parent: request) }
        return message(String(type.dropLast("_request".count)) + "_reply", Self.errorContent(name, value), parent: request)
    }

    /// The reply to an execute_request that was waiting when the cell before it failed with
    /// `stop_on_error`: not run, as in ipykernel (a notebook's "Run All" stops at the error).
    public func abortReply(to request: Message) -> Message {
        broadcast("status", ["execution_state": "busy"], parent: request)
        defer { broadcast("status", ["execution_state": "idle"], parent: request) }
        return message("execute_reply", ["status": "aborted", "execution_count": .int(executionCount)], parent: request)
    }

    static func errorContent(_ name: String, _ value: String) -> JSON {
        ["status": "error", "ename": .string(name), "evalue": .string(value), "traceback": [.string("error: \(value)")]]
    }

    func kernelInfo() -> JSON {
        ["status": "ok", "protocol_version": .string(Self.protocolVersion), "implementation": "psearch",
         "implementation_version": .string(engine.languageInfo["version"]?.string ?? ""),
         "language_info": engine.languageInfo, "banner": .string(engine.banner), "debugger": false,
         "help_links": []]
    }

    func execute(_ request: Message) -> JSON {
        guard let code = request.content["code"]?.string else {
            return Self.errorContent("bad request", "execute_request has no 'code' string")
        }
        let silent = request.content["silent"]?.bool ?? false
        let store = !silent && (request.content["store_history"]?.bool ?? true)
        if store {
            lock.withLock { executionCount += 1 }
        }
        let count = executionCount
        if !silent { broadcast("execute_input", ["code": .string(code), "execution_count": .int(count)], parent: request) }
        let outcome = engine.execute(code) { [self] shown in
            guard !silent else { return }
            switch shown {
            case .stream(let name, let text):
                broadcast("stream", ["name": .string(name), "text": .string(text)], parent: request)
            case .figure(let svg, let text):
                broadcast("display_data", ["data": ["image/svg+xml": .string(svg), "text/plain": .string(text)], "metadata": [:], "transient": [:]], parent: request)
            }
        }
        if store {
            var echo: String?
            if case .ok(let e) = outcome { echo = e }
            lock.withLock { history.append((count, code, echo)) }
        }
        switch outcome {
        case .ok(let echo):
            if let echo, !silent {
                broadcast("execute_result", ["execution_count": .int(count), "data": ["text/plain": .string(echo)], "metadata": [:]], parent: request)
            }
            return ["status": "ok", "execution_count": .int(count), "user_expressions": [:], "payload": []]
        case .error(let name, let value, let traceback):
            let error: [String: JSON] = ["ename": .string(name), "evalue": .string(value), "traceback": .array(traceback.map { .string($0) })]
            if !silent { broadcast("error", .object(error), parent: request) }
            return .object(error.merging(["status": "error", "execution_count": .int(count)]) { a, _ in a })
        }
    }

    /// `cursor_pos` counts Unicode code points (protocol 5.2 on); the engine counts UTF-8 bytes.
    static func utf8Offset(_ code: String, codePoints: Int) -> Int {
        let scalars = code.unicodeScalars
        var i = scalars.startIndex, n = 0, bytes = 0
        while i != scalars.endIndex && n < codePoints {
            bytes += UTF8.width(scalars[i])
            i = scalars.index(after: i)
            n += 1
        }
        return bytes
    }

    func complete(_ content: JSON) -> JSON {
        let code = content["code"]?.string ?? ""
        let cursor = min(max(0, content["cursor_pos"]?.int ?? code.unicodeScalars.count), code.unicodeScalars.count)
        let matches = engine.completions(code, cursor: Self.utf8Offset(code, codePoints: cursor))
        // The replaced text is the longest suffix of the text before the cursor that every
        // candidate starts with (what the REPL inserts over).
        let before = Array(code.unicodeScalars.prefix(cursor))
        var replaced = 0
        if !matches.isEmpty {
            for length in stride(from: before.count, through: 0, by: -1) {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: before[(before.count - length)...])
                let suffix = String(s)
                if matches.allSatisfy({ $0.hasPrefix(suffix) }) {
                    replaced = length
                    break
                }
            }
        }
        return ["status": "ok", "matches": .array(matches.map { .string($0) }), "cursor_start": .int(cursor - replaced),
                "cursor_end": .int(cursor), "metadata": [:]]
    }

    func inspect(_ content: JSON) -> JSON {
        let code = content["code"]?.string ?? ""
        let cursor = min(max(0, content["cursor_pos"]?.int ?? code.unicodeScalars.count), code.unicodeScalars.count)
        guard let text = engine.inspect(code, cursor: Self.utf8Offset(code, codePoints: cursor)) else {
            return ["status": "ok", "found": false, "data": [:], "metadata": [:]]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": .string(text)], "metadata": [:]]
    }

    func isComplete(_ content: JSON) -> JSON {
        let state = engine.isComplete(content["code"]?.string ?? "")
        if state == .incomplete { return ["status": "incomplete", "indent": ""] }
        return ["status": .string(state.rawValue)]
    }

    func historyReply(_ content: JSON) -> JSON {
        var entries = lock.withLock { history }
        switch content["hist_access_type"]?.string ?? "tail" {
        case "range":
            let start = content["start"]?.int ?? 0, stop = content["stop"]?.int
            entries = entries.filter { $0.count >= start && (stop == nil || $0.count < stop!) }
        case "search":
            let pattern = content["pattern"]?.string ?? "*"
            entries = entries.filter { Self.glob(pattern, $0.code) }
            if content["unique"]?.bool == true {
                var seen = Set<String>()
                entries = entries.reversed().filter { seen.insert($0.code).inserted }.reversed()
            }
            if let n = content["n"]?.int { entries = Array(entries.suffix(n)) }
        default:
            entries = Array(entries.suffix(max(0, content["n"]?.int ?? 10)))
        }
        // With `output`, each entry's third item is [input, output] (output null when nothing was echoed).
        let output = content["output"]?.bool ?? false
        return ["status": "ok", "history": .array(entries.map { entry in
            [1, .int(entry.count), output ? [.string(entry.code), entry.echo.map { .string($0) } ?? .null] : .string(entry.code)]
        })]
    }

    /// fnmatch-style `*` and `?` over Unicode scalars.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
