import Testing

@testable import PsearchKernel

/// Framing, signing and JSON of the Jupyter wire protocol, without sockets.
@Suite struct WireTests {
    let signer = Signer(key: "secret-key")
    let request = Message(identities: [Array("client-1".utf8)], header: ["msg_type": "kernel_info_request"], content: [:])

    @Test func signatureIsPythonsHMAC() {
        // hmac.new(b"secret-key", digestmod=sha256) over the four frames, from Python's hmac.
        let parts = [#"{"msg_type":"kernel_info_request"}"#, "{}", "{}", "{}"].map { Array($0.utf8) }
        #expect(signer.signature(parts) == "d17a518f90349ab4b45de23230479bdf374054dd63a38de80b2e81572e765d0f")
    }

    @Test func encodeLaysOutFramesAndDecodeReadsThemBack() throws {
        let frames = Wire.encode(request, signer: signer)
        #expect(frames.count == 7)
        #expect(frames[0] == Array("client-1".utf8))
        #expect(frames[1] == Wire.delimiter)
        #expect(String(decoding: frames[2], as: UTF8.self) == "d17a518f90349ab4b45de23230479bdf374054dd63a38de80b2e81572e765d0f")
        let back = try Wire.decode(frames, signer: signer)
        #expect(back == request)
        #expect(back.type == "kernel_info_request")
    }

    @Test func upperCaseHexSignaturesAreAccepted() throws {
        var frames = Wire.encode(request, signer: signer)
        frames[2] = Array(String(decoding: frames[2], as: UTF8.self).uppercased().utf8)
        #expect(try Wire.decode(frames, signer: signer) == request)
    }

    @Test func aTamperedOrUnsignedMessageIsRefused() {
        var frames = Wire.encode(request, signer: signer)
        frames[6] = Array(#"{"code":"1"}"#.utf8)
        #expect(throws: WireError.badSignature) { try Wire.decode(frames, signer: signer) }
        let other = Wire.encode(request, signer: Signer(key: "another key"))
        #expect(throws: WireError.badSignature) { try Wire.decode(other, signer: signer) }
        let unsigned = Wire.encode(request, signer: Signer(key: ""))
        #expect(throws: WireError.badSignature) { try Wire.decode(unsigned, signer: signer) }
    }

    @Test func withoutAKeyNothingIsSigned() throws {
        let open = Signer(key: "")
        let frames = Wire.encode(request, signer: open)
        #expect(frames[2].isEmpty)
        #expect(try Wire.decode(frames, signer: open) == request)
    }

    @Test func malformedFramesAreNamed() {
        #expect(throws: WireError.malformed("no <IDS|MSG> delimiter")) { try Wire.decode([Array("x".utf8)], signer: signer) }
        let short = Array(Wire.encode(request, signer: signer).prefix(5))
        #expect(throws: WireError.malformed("3 frames after the delimiter, 5 needed")) { try Wire.decode(short, signer: signer) }
        #expect(throws: WireError.tooLarge(Wire.maxMessageBytes + 1)) {
            try Wire.decode([[UInt8](repeating: 0, count: Wire.maxMessageBytes + 1)], signer: signer)
        }
    }

    @Test func garbageJSONKeepsTheHeaderWhenItParsed() throws {
        let parts = [#"{"msg_type":"execute_request"}"#, "{}", "{}", "{not json"].map { Array($0.utf8) }
        let frames = [Array("id".utf8), Wire.delimiter, Array(signer.signature(parts).utf8)] + parts
        do {
            _ = try Wire.decode(frames, signer: signer)
            Issue.record("garbage content was accepted")
        } catch {
            guard case .badJSON(let frame, _, let header, let ids) = error else { Issue.record("\(error)"); return }
            #expect(frame == "content")
            #expect(header?["msg_type"] == "execute_request")
            #expect(ids == [Array("id".utf8)])
        }
        let badHeader = ["[1, 2]", "{}", "{}", "{}"].map { Array($0.utf8) }
        let frames2 = [Wire.delimiter, Array(signer.signature(badHeader).utf8)] + badHeader
        #expect(throws: WireError.badJSON(frame: "header", reason: "not an object", header: nil, identities: [])) {
            try Wire.decode(frames2, signer: signer)
        }
    }

    @Test func jsonIsWrittenTheSameWayEveryTime() throws {
        let value: JSON = ["b": [1, .double(0.5), .null, true], "a": .string("tab\t\"q\" \\ \u{1} 한"), "c": .double(3)]
        #expect(value.serialized == #"{"a":"tab\t\"q\" \\ \u0001 한","b":[1,0.5,null,true],"c":3}"#)
        #expect(try JSON.parse(Array(value.serialized.utf8)) == ["b": [1, .double(0.5), .null, true], "a": .string("tab\t\"q\" \\ \u{1} 한"), "c": 3])
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array("{\"a\": ".utf8)) }
    }

    @Test func connectionFilesNameTheEndpoints() throws {
        let json: JSON = ["transport": "tcp", "ip": "127.0.0.1", "key": "k", "signature_scheme": "hmac-sha256",
                          "shell_port": 5001, "control_port": 5002, "iopub_port": 5003, "stdin_port": 5004, "hb_port": 5005]
        let info = try ConnectionInfo(json: json)
        #expect(info.endpoint(info.iopubPort) == "tcp://127.0.0.1:5003")
        var ipc = json.object!
        ipc["transport"] = "ipc"
        ipc["ip"] = "/tmp/kernel"
        let i2 = try ConnectionInfo(json: .object(ipc))
        #expect(i2.endpoint(i2.hbPort) == "ipc:///tmp/kernel-5005")
        var bad = json.object!
        bad["shell_port"] = "x"
        #expect(throws: ConnectionError.self) { try ConnectionInfo(json: .object(bad)) }
        bad = json.object!
        bad["signature_scheme"] = "hmac-md5"
        #expect(throws: ConnectionError.self) { try ConnectionInfo(json: .object(bad)) }
    }
}
