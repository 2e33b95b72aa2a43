import Foundation
import PsearchCore

/// The driver's side of `search(..., engine: "ray")`: one bridge process (ray_bridge.py, Python
/// over Ray's official API) that runs each trial as a Ray task, speaking JSON lines.
///
/// The search itself stays where it is: `Trials.search` proposes trials by its deterministic
/// rule on `workers` threads, and each thread's objective hands its trial to the bridge and
/// waits for the reply, so the trials and their order are those of a local search.
final class RayEngine: @unchecked Sendable {
    struct Settings {
        /// HOST:PORT, "auto" or ray://HOST:PORT; nil lets Ray choose (a local instance).
        var address: String?
        var python: String
        var numCPUs: Double
        var maxRetries: Int
        /// Seconds to wait for the bridge to import Ray and connect.
        var startTimeout: Double

        /// The cluster and how trials use it are the machine's business, not the script's (they
        /// change no result): PSEARCH_RAY_ADDRESS (or Ray's RAY_ADDRESS), PSEARCH_PYTHON,
        /// PSEARCH_RAY_NUM_CPUS (per trial, 1), PSEARCH_RAY_MAX_RETRIES (3), PSEARCH_RAY_START_TIMEOUT (60 s).
        static func fromEnvironment() throws(RuntimeError) -> Settings {
            let env = ProcessInfo.processInfo.environment.filter { !$0.value.isEmpty }
            func number(_ name: String, _ fallback: Double, _ ok: (Double) -> Bool, _ what: String) throws(RuntimeError) -> Double {
                guard let text = env[name] else { return fallback }
                guard let x = Double(text), ok(x) else { throw RuntimeError("engine \"ray\": \(name) must be \(what), got '\(text)'") }
                return x
            }
            return Settings(
                address: env["PSEARCH_RAY_ADDRESS"] ?? env["RAY_ADDRESS"], python: env["PSEARCH_PYTHON"] ?? "python3",
                numCPUs: try number("PSEARCH_RAY_NUM_CPUS", 1, { $0 > 0 && $0 <= 1024 }, "a number of CPUs in (0, 1024]"),
                maxRetries: Int(try number("PSEARCH_RAY_MAX_RETRIES", 3, { $0 >= 0 && $0 <= 100 && $0 == $0.rounded() }, "a whole number in 0...100")),
                startTimeout: try number("PSEARCH_RAY_START_TIMEOUT", 60, { $0 > 0 && $0 <= 3600 }, "seconds in (0, 3600]"))
        }
    }

    private let process = Process()
    private let toBridge = Pipe()
    private let fromBridge = Pipe()
    private let bridgeErrors = Pipe()
    private let state = NSCondition()
    private var replies: [Int: Result<String, RuntimeError>] = [:]
    /// Why the bridge can no longer run trials (it exited or said so); every waiting trial fails with it.
    private var broken: String?
    private var ready = false
    private var errorTail = ""
    private var errorsClosed = false
    /// Trials the cluster runs at once: its CPUs over each trial's.
    private(set) var cpus = 1

    init(_ s: Settings) throws(RuntimeError) {
        guard let bridge = Self.bridgePath() else {
            throw RuntimeError("engine \"ray\": the bridge ray_bridge.py is missing beside the psearch binary (psearch_PsearchLang.resources)")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [s.python, "-u", bridge]
        process.standardInput = toBridge
        process.standardOutput = fromBridge
        process.standardError = bridgeErrors
        do { try process.run() } catch {
            throw RuntimeError("engine \"ray\": cannot start \(s.python): \(error.localizedDescription)")
        }
        startReaders()
        let hello: [String: Any] = ["op": "hello", "address": s.address as Any? ?? NSNull(), "num_cpus": s.numCPUs,
                                    "max_retries": s.maxRetries, "binary": Self.workerBinary()]
        do { try send(hello) } catch { throw bridgeFailure("the bridge did not take its first message") }
        state.lock()
        let deadline = Date().addingTimeInterval(s.startTimeout)
        while !ready && broken == nil && state.wait(until: deadline) {}
        let (isReady, why) = (ready, broken)
        state.unlock()
        if !isReady {
            close()
            // The bridge's own reason names the address; a timeout says where it waited.
            throw RuntimeError("engine \"ray\": " + (why ?? "Ray did not start or connect within \(Int(s.startTimeout)) s\(Self.hint(s))"))
        }
    }

    deinit { close() }

    private static func hint(_ s: Settings) -> String {
        s.address == nil ? " (no PSEARCH_RAY_ADDRESS or RAY_ADDRESS set: Ray starts a local instance)" : " (address \(s.address!))"
    }

    /// Runs one trial: sends the worker request and waits for the reply text; Ctrl-C cancels it.
    func run(id: Int, request: String) throws -> String {
        try send(["op": "run", "id": id, "request": request])
        state.lock()
        defer { state.unlock() }
        while true {
            if let r = replies.removeValue(forKey: id) { return try r.get() }
            if let why = broken { throw RuntimeError("engine \"ray\": \(why)") }
            if Interrupt.isRequested {
                state.unlock()
                try? send(["op": "cancel", "id": id])
                state.lock()
                throw Interrupted()
            }
            _ = state.wait(until: Date().addingTimeInterval(0.1))
        }
    }

    /// Ends the bridge: closing its input cancels what still runs; it is killed if it lingers.
    func close() {
        try? toBridge.fileHandleForWriting.close()
        guard process.isRunning else { return }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private let sendLock = NSLock()

    private func send(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0x0A)
        sendLock.lock()
        defer { sendLock.unlock() }
        try toBridge.fileHandleForWriting.write(contentsOf: data)
    }

    private func bridgeFailure(_ what: String) -> RuntimeError {
        // A bridge that could not start (no such Python) says why on stderr as it exits: read that first.
        process.waitUntilExit()
        state.lock()
        defer { state.unlock() }
        let deadline = Date().addingTimeInterval(2)
        while !errorsClosed && state.wait(until: deadline) {}
        return RuntimeError("engine \"ray\": \(broken ?? what)\(errorTail.isEmpty ? "" : ": " + Self.lastLine(errorTail).trimmingCharacters(in: .whitespaces))")
    }

    private static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? ""
    }

    private func startReaders() {
        let out = fromBridge.fileHandleForReading
        let err = bridgeErrors.fileHandleForReading
        Thread.detachNewThread { [weak self] in
            var buffer = Data()
            while true {
                let chunk = out.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer = Data(buffer[(nl + 1)...])
                    self?.received(Data(line))
                }
            }
            self?.ended()
        }
        Thread.detachNewThread { [weak self] in
            while true {
                let chunk = err.availableData
                if chunk.isEmpty { break }
                guard let self else { break }
                self.state.lock()
                // Ray's warnings and the bridge's traceback: kept short, shown only on failure.
                self.errorTail = String((self.errorTail + String(decoding: chunk, as: UTF8.self)).suffix(4000))
                self.state.unlock()
            }
            guard let self else { return }
            self.state.lock()
            self.errorsClosed = true
            self.state.broadcast()
            self.state.unlock()
        }
    }

    private func received(_ line: Data) {
        guard let obj = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any], let op = obj["op"] as? String else {
            fail("the bridge wrote something that is not a message: \(String(decoding: line.prefix(80), as: UTF8.self))")
            return
        }
        state.lock()
        defer {
            state.broadcast()
            state.unlock()
        }
        switch op {
        case "ready":
            cpus = max(1, (obj["cpus"] as? Int) ?? 1)
            ready = true
        case "done":
            guard let id = obj["id"] as? Int else { return }
            let code = obj["code"] as? Int ?? -1
            let stdout = obj["stdout"] as? String ?? ""
            if code == 0 || !stdout.isEmpty {
                replies[id] = .success(stdout)
            } else {
                let stderr = (obj["stderr"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                replies[id] = .failure(RuntimeError("engine \"ray\": the psearch worker for trial \(id) exited with status \(code)"
                                                        + (stderr.isEmpty ? "" : ": " + Self.lastLine(stderr))))
            }
        case "failed":
            guard let id = obj["id"] as? Int else { return }
            replies[id] = .failure(RuntimeError("engine \"ray\": trial \(id) failed on the cluster: \(obj["message"] as? String ?? "no reason given")"))
        case "error":
            broken = obj["message"] as? String ?? "the bridge stopped"
        default:
            break
        }
    }

    private func fail(_ why: String) {
        state.lock()
        if broken == nil { broken = why }
        state.broadcast()
        state.unlock()
    }

    private func ended() {
        process.waitUntilExit()
        state.lock()
        if broken == nil {
            let tail = errorTail.isEmpty ? "" : ": " + Self.lastLine(errorTail)
            broken = "the bridge (\(process.arguments?.first ?? "python")) exited with status \(process.terminationStatus)\(tail)"
        }
        state.broadcast()
        state.unlock()
    }

    /// What each Ray task runs as `psearch worker` (or `psearch` on the node's PATH): this binary.
    static func workerBinary() -> String {
        if let override = ProcessInfo.processInfo.environment["PSEARCH_WORKER_BINARY"], !override.isEmpty { return override }
        return executablePath()
    }

    /// ray_bridge.py: in the resource bundle beside the binary, else in the source tree (a test
    /// build run from elsewhere). `Bundle.module` is touched only when the bundle exists: it
    /// calls fatalError otherwise.
    static func bridgePath() -> String? {
        let fm = FileManager.default
        let exeDir = URL(fileURLWithPath: executablePath()).deletingLastPathComponent()
        for dir in [exeDir, Bundle.main.bundleURL] {
            let p = dir.appendingPathComponent("psearch_PsearchLang.resources/ray_bridge.py").path
            if fm.fileExists(atPath: p) { return p }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ray_bridge.py").path
        return fm.fileExists(atPath: source) ? source : nil
    }
}
