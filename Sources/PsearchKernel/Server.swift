import CZMQ
import Foundation
import PsearchCore
import Synchronization

/// A connection file, as Jupyter writes it for the kernel it starts.
public struct ConnectionInfo: Equatable, Sendable {
    public var transport: String
    public var ip: String
    public var key: String
    public var shellPort: Int, controlPort: Int, iopubPort: Int, stdinPort: Int, hbPort: Int

    public init(json: JSON) throws(ConnectionError) {
        guard json.object != nil else { throw ConnectionError(reason: "it is not a JSON object") }
        func port(_ name: String) throws(ConnectionError) -> Int {
            guard let p = json[name]?.int, (0...65535).contains(p) else { throw ConnectionError(reason: "'\(name)' is missing or not a port") }
            return p
        }
        transport = json["transport"]?.string ?? "tcp"
        guard transport == "tcp" || transport == "ipc" else { throw ConnectionError(reason: "transport '\(transport)' is neither tcp nor ipc") }
        ip = json["ip"]?.string ?? "127.0.0.1"
        key = json["key"]?.string ?? ""
        let scheme = json["signature_scheme"]?.string ?? "hmac-sha256"
        guard scheme == "hmac-sha256" || key.isEmpty else { throw ConnectionError(reason: "signature scheme '\(scheme)' is not hmac-sha256") }
        shellPort = try port("shell_port")
        controlPort = try port("control_port")
        iopubPort = try port("iopub_port")
        stdinPort = try port("stdin_port")
        hbPort = try port("hb_port")
    }

    /// `tcp://IP:PORT`, or for ipc `ipc://IP-PORT` (the path prefix and port, as jupyter_client names it).
    public func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}

public struct ConnectionError: Error, Sendable {
    public let reason: String
}

/// One ZeroMQ socket; used by one thread at a time (iopub's senders share a lock).
final class Socket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let name: String

    init(context: UnsafeMutableRawPointer, type: Int32, name: String, endpoint: String) throws(ConnectionError) {
        // A frame beyond twice the message limit is refused by libzmq itself, before memory is taken.
        guard let h = ps_zmq_socket(context, type, Int64(Wire.maxMessageBytes) * 2) else {
            throw ConnectionError(reason: "cannot make the \(name) socket: \(String(cString: ps_zmq_error(errno)))")
        }
        handle = h
        self.name = name
        let rc = ps_zmq_bind(h, endpoint)
        if rc != 0 { throw ConnectionError(reason: "cannot bind the \(name) socket to \(endpoint): \(String(cString: ps_zmq_error(rc)))") }
    }

    /// Waits up to `timeout` ms for a message; its frames, or nil.
    func receive(timeout: Int) -> [[UInt8]]? {
        guard ps_zmq_wait(handle, timeout) == 1 else { return nil }
        var frames: [[UInt8]] = []
        var more: Int32 = 1
        while more != 0 {
            var data: UnsafeMutablePointer<UInt8>?
            var size = 0
            guard ps_zmq_recv_frame(handle, &data, &size, &more) == 0, let data else { return frames.isEmpty ? nil : frames }
            frames.append(Array(UnsafeBufferPointer(start: data, count: size)))
            free(data)
        }
        return frames
    }

    func send(_ frames: [[UInt8]]) {
        for (i, frame) in frames.enumerated() {
            let more: Int32 = i + 1 < frames.count ? 1 : 0
            _ = frame.withUnsafeBytes { ps_zmq_send_frame(handle, $0.baseAddress, $0.count, more) }
        }
    }
}

/// The kernel's sockets and threads: heartbeat echoes on a C thread, control on its own thread
/// (so `interrupt_request` and `shutdown_request` are answered while a cell runs), shell on the
/// caller's thread (which must have the interpreter's large stack).
public final class KernelServer: @unchecked Sendable {
    let info: ConnectionInfo
    let signer: Signer
    let log: @Sendable (String) -> Void
    private let context: UnsafeMutableRawPointer
    private let shell: Socket, control: Socket, iopub: Socket, stdin: Socket, heartbeat: Socket
    /// Signalled when the control loop has ended, so its socket can be closed.
    private let controlDone = DispatchSemaphore(value: 0)
    private let iopubLock = NSLock()
    private let stopping = Atomic<Bool>(false)
    /// Set by a shutdown_request: the process exits when `serve` returns.
    public private(set) var restartRequested = false
    private var session: KernelSession!

    public init(info: ConnectionInfo, log: @escaping @Sendable (String) -> Void) throws(ConnectionError) {
        self.info = info
        signer = Signer(key: info.key)
        self.log = log
        guard let context = ps_zmq_context() else {
            throw ConnectionError(reason: ps_zmq_load_error().map { String(cString: $0) } ?? "cannot make a ZeroMQ context")
        }
        self.context = context
        shell = try Socket(context: context, type: ZMQ_ROUTER, name: "shell", endpoint: info.endpoint(info.shellPort))
        control = try Socket(context: context, type: ZMQ_ROUTER, name: "control", endpoint: info.endpoint(info.controlPort))
        iopub = try Socket(context: context, type: ZMQ_PUB, name: "iopub", endpoint: info.endpoint(info.iopubPort))
        stdin = try Socket(context: context, type: ZMQ_ROUTER, name: "stdin", endpoint: info.endpoint(info.stdinPort))
        heartbeat = try Socket(context: context, type: ZMQ_REP, name: "heartbeat", endpoint: info.endpoint(info.hbPort))
    }

    /// Serves until a shutdown_request; returns whether a restart was asked for.
    public func serve(engine: KernelEngine) -> Bool {
        session = KernelSession(engine: engine, publish: { [self] m in
            let frames = Wire.encode(m, signer: signer)
            iopubLock.withLock { iopub.send(frames) }
        }, log: log)
        session.onInterrupt = { Interrupt.request() }
        if ps_zmq_start_echo(heartbeat.handle) != 0 { log("cannot start the heartbeat thread") }
        let controlThread = Thread { [self] in
            loop(control, .control)
            controlDone.signal()
        }
        controlThread.start()
        // A subscriber that connects after this misses it; clients wait for kernel_info instead.
        session.announce()
        loop(shell, .shell)
        // Each socket is closed on the thread that used it last (this one, once control is
        // done); terminating the context sends what is queued (the shutdown reply, the last
        // idle status) and ends the heartbeat thread.
        controlDone.wait()
        for socket in [shell, control, iopub, stdin] { ps_zmq_close(socket.handle) }
        ps_zmq_term(context)
        return restartRequested
    }

    private func loop(_ socket: Socket, _ channel: Channel) {
        while !stopping.load(ordering: .relaxed) {
            guard let frames = socket.receive(timeout: 100) else { continue }
            let request: Message
            do throws(WireError) {
                request = try Wire.decode(frames, signer: signer)
            } catch {
                log("\(channel.rawValue): dropped a message: \(error.description)")
                // A signed message whose content is bad still gets an error reply when its
                // header says what it was.
                if case .badJSON(_, _, let header?, let ids) = error {
                    let partial = Message(identities: ids, header: header, content: [:])
                    if let reply = session.errorReply(to: partial, "bad message", error.description) { send(reply, on: socket) }
                }
                continue
            }
            if request.type == "shutdown_request" {
                shutDown(request, on: socket, channel)
                return
            }
            if request.type == "execute_request" { _ = Interrupt.take() }
            guard let reply = session.handle(request, on: channel) else { continue }
            if reply.type == "execute_reply" && reply.content["status"] == "error" && request.content["stop_on_error"]?.bool != false {
                // What waits now was sent before the client could see the error: taken off
                // the socket before the reply goes out, so a cell sent after it is never aborted.
                var waiting: [[[UInt8]]] = []
                while let frames = socket.receive(timeout: 0) { waiting.append(frames) }
                send(reply, on: socket)
                abort(waiting, on: socket)
            } else {
                send(reply, on: socket)
            }
        }
    }

    /// After a failed cell, the execute requests that were waiting are answered `aborted`
    /// without running (other requests are handled as usual).
    private func abort(_ waiting: [[[UInt8]]], on socket: Socket) {
        for frames in waiting {
            guard let request = try? Wire.decode(frames, signer: signer) else {
                log("shell: dropped a message while aborting the cells after an error")
                continue
            }
            if request.type == "execute_request" {
                send(session.abortReply(to: request), on: socket)
            } else if request.type == "shutdown_request" {
                shutDown(request, on: socket, .shell)
                return
            } else if let reply = session.handle(request, on: .shell) {
                send(reply, on: socket)
            }
        }
    }

    /// Replies, then stops both loops (and the cell that is running, if any, so the shell loop
    /// gets to see the flag).
    private func shutDown(_ request: Message, on socket: Socket, _ channel: Channel) {
        restartRequested = request.content["restart"]?.bool ?? false
        if let reply = session.handle(request, on: channel) { send(reply, on: socket) }
        stopping.store(true, ordering: .relaxed)
        Interrupt.request()
    }

    private func send(_ message: Message, on socket: Socket) {
        socket.send(Wire.encode(message, signer: signer))
    }
}
