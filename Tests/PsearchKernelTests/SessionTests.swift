import Testing

@testable import PsearchKernel

/// An engine that answers from tables, so the protocol's replies are checked on their own.
final class FakeEngine: KernelEngine {
    var languageInfo: JSON { ["name": "fake", "version": "1", "file_extension": ".fk"] }
    var banner: String { "fake" }
    var cursors: [Int] = []

    func execute(_ code: String, show: @escaping (Shown) -> Void) -> CellOutcome {
        switch code {
        case "print": show(.stream(name: "stdout", text: "hi\n")); return .ok(echo: nil)
        case "plot": show(.figure(svg: "<svg/>", text: "⣀")); return .ok(echo: nil)
        case "fail": return .error(name: "error", value: "boom", traceback: ["error: boom", " --> <cell>:1:1"])
        default: return .ok(echo: code)
        }
    }

    func completions(_ code: String, cursor: Int) -> [String] {
        cursors.append(cursor)
        return code.hasSuffix("p.l") ? ["lr", "loss"] : ["print"]
    }

    func inspect(_ code: String, cursor: Int) -> String? { code == "descend" ? "descend(f, start)" : nil }
    func isComplete(_ code: String) -> CodeState { code.hasSuffix("(") ? .incomplete : code == ")" ? .invalid : .complete }
}

@Suite struct SessionTests {
    final class Recorder {
        var published: [Message] = []
        var logged: [String] = []
    }

    func session() -> (KernelSession, Recorder, FakeEngine) {
        let r = Recorder(), engine = FakeEngine()
        let s = KernelSession(engine: engine, id: "s1", publish: { r.published.append($0) }, log: { r.logged.append($0) })
        return (s, r, engine)
    }

    func request(_ type: String, _ content: JSON) -> Message {
        Message(identities: [Array("c".utf8)], header: ["msg_id": "m1", "msg_type": .string(type), "session": "client"], content: content)
    }

    @Test func executePublishesInTheProtocolsOrder() throws {
        let (s, r, _) = session()
        let reply = try #require(s.handle(request("execute_request", ["code": "print"]), on: .shell))
        #expect(reply.type == "execute_reply")
        #expect(reply.identities == [Array("c".utf8)])
        #expect(reply.parentHeader["msg_id"] == "m1")
        #expect(reply.content["status"] == "ok")
        #expect(reply.content["execution_count"] == 1)
        #expect(r.published.map(\.type) == ["status", "execute_input", "stream", "status"])
        #expect(r.published.map { $0.identities } == ["status", "execute_input", "stream", "status"].map { [Array($0.utf8)] })
        #expect(r.published[0].content["execution_state"] == "busy")
        #expect(r.published[2].content == ["name": "stdout", "text": "hi\n"])
        #expect(r.published[3].content["execution_state"] == "idle")
        #expect(r.published.allSatisfy { $0.parentHeader["msg_id"] == "m1" && $0.header["session"] == "s1" })
    }

    @Test func echoesFiguresAndErrors() throws {
        let (s, r, _) = session()
        _ = s.handle(request("execute_request", ["code": "1 + 2"]), on: .shell)
        #expect(r.published[2].type == "execute_result")
        #expect(r.published[2].content["data"] == ["text/plain": "1 + 2"])
        r.published = []
        _ = s.handle(request("execute_request", ["code": "plot"]), on: .shell)
        #expect(r.published[2].type == "display_data")
        #expect(r.published[2].content["data"] == ["image/svg+xml": "<svg/>", "text/plain": "⣀"])
        r.published = []
        let reply = try #require(s.handle(request("execute_request", ["code": "fail"]), on: .shell))
        #expect(reply.content["status"] == "error")
        #expect(reply.content["evalue"] == "boom")
        #expect(reply.content["execution_count"] == 3)
        #expect(r.published.map(\.type) == ["status", "execute_input", "error", "status"])
        #expect(r.published[2].content["traceback"] == ["error: boom", " --> <cell>:1:1"])
    }

    @Test func silentRunsShowNothingAndCountNothing() throws {
        let (s, r, _) = session()
        let reply = try #require(s.handle(request("execute_request", ["code": "print", "silent": true]), on: .shell))
        #expect(reply.content["execution_count"] == 0)
        #expect(r.published.map(\.type) == ["status", "status"])
        #expect(s.history.isEmpty)
    }

    @Test func completionCountsCodePointsAndReplacesTheTypedWord() throws {
        let (s, _, engine) = session()
        // "한 = {lr: 1}; 한.l": the engine gets a UTF-8 offset, the reply code points.
        let code = "x = \"한\"; p.l"
        let reply = try #require(s.handle(request("complete_request", ["code": .string(code), "cursor_pos": 12]), on: .shell))
        #expect(engine.cursors == [14])
        #expect(reply.content["matches"] == ["lr", "loss"])
        #expect(reply.content["cursor_start"] == 11)
        #expect(reply.content["cursor_end"] == 12)
    }

    @Test func inspectIsCompleteHistoryAndInfo() throws {
        let (s, _, _) = session()
        let found = try #require(s.handle(request("inspect_request", ["code": "descend", "cursor_pos": 3]), on: .shell))
        #expect(found.content["found"] == true)
        #expect(found.content["data"] == ["text/plain": "descend(f, start)"])
        let missing = try #require(s.handle(request("inspect_request", ["code": "zzz", "cursor_pos": 3]), on: .shell))
        #expect(missing.content["found"] == false)
        #expect(s.handle(request("is_complete_request", ["code": "f("]), on: .shell)?.content == ["status": "incomplete", "indent": ""])
        #expect(s.handle(request("is_complete_request", ["code": ")"]), on: .shell)?.content == ["status": "invalid"])
        for code in ["a = 1", "b", "a = 1"] { _ = s.handle(request("execute_request", ["code": .string(code)]), on: .shell) }
        let tail = s.handle(request("history_request", ["hist_access_type": "tail", "n": 2]), on: .shell)
        #expect(tail?.content["history"] == [[1, 2, "b"], [1, 3, "a = 1"]])
        let unique = s.handle(request("history_request", ["hist_access_type": "search", "pattern": "a*", "unique": true]), on: .shell)
        #expect(unique?.content["history"] == [[1, 3, "a = 1"]])
        let outputs = s.handle(request("history_request", ["hist_access_type": "range", "start": 2, "stop": 3, "output": true]), on: .shell)
        #expect(outputs?.content["history"] == [[1, 2, ["b", "b"]]])
        let info = try #require(s.handle(request("kernel_info_request", [:]), on: .control))
        #expect(info.content["protocol_version"] == "5.3")
        #expect(info.content["language_info"]?["file_extension"] == ".fk")
    }

    @Test func unknownRequestsGetAnErrorReplyAndOthersAreLogged() throws {
        let (s, r, _) = session()
        let reply = try #require(s.handle(request("frobnicate_request", [:]), on: .shell))
        #expect(reply.type == "frobnicate_reply")
        #expect(reply.content["status"] == "error")
        // Code runs on shell only: an execute on control is refused, not run.
        let onControl = try #require(s.handle(request("execute_request", ["code": "print"]), on: .control))
        #expect(onControl.content["status"] == "error")
        #expect(s.handle(request("status", [:]), on: .shell) == nil)
        #expect(r.logged.count == 3)
        var interrupted = false
        s.onInterrupt = { interrupted = true }
        #expect(s.handle(request("interrupt_request", [:]), on: .control)?.content == ["status": "ok"])
        #expect(interrupted)
        #expect(s.handle(request("shutdown_request", ["restart": true]), on: .control)?.content == ["status": "ok", "restart": true])
    }

    @Test func globMatchesLikeFnmatch() {
        #expect(KernelSession.glob("a*", "a = 1"))
        #expect(KernelSession.glob("*1", "a = 1"))
        #expect(KernelSession.glob("?", "b"))
        #expect(!KernelSession.glob("a*", "b"))
        #expect(KernelSession.glob("*x*y*", "0x1y2"))
    }
}
