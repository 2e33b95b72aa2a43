import Crypto
import Foundation

/// One Jupyter message (messaging protocol 5.3) as the kernel reads and writes it.
public struct Message: Equatable, Sendable {
    /// ROUTER routing frames before the delimiter: a reply goes back with the request's.
    public var identities: [[UInt8]]
    public var header: JSON
    public var parentHeader: JSON
    public var metadata: JSON
    public var content: JSON
    /// Extra binary frames after the content (none of the messages this kernel handles use them).
    public var buffers: [[UInt8]]

    public init(identities: [[UInt8]] = [], header: JSON, parentHeader: JSON = [:], metadata: JSON = [:], content: JSON, buffers: [[UInt8]] = []) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// `header.msg_type`, "" when missing.
    public var type: String { header["msg_type"]?.string ?? "" }
}

/// HMAC-SHA256 over the four JSON frames, as the connection file's `key` asks; an empty key
/// means messages are not signed (the signature frame is empty).
public struct Signer: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable; one is made per use).
    private let keyBytes: [UInt8]

    public init(key: String) {
        keyBytes = Array(key.utf8)
    }

    private var key: SymmetricKey? { keyBytes.isEmpty ? nil : SymmetricKey(data: keyBytes) }

    /// Lower-case hex of the HMAC of the frames in order.
    public func signature(_ frames: [[UInt8]]) -> String {
        guard let key else { return "" }
        var mac = HMAC<SHA256>(key: key)
        for f in frames { mac.update(data: f) }
        return Data(mac.finalize()).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` (hex) is the frames' HMAC, compared in constant time.
    public func verify(_ signature: [UInt8], _ frames: [[UInt8]]) -> Bool {
        guard let key else { return true }
        guard signature.count == 64, let bytes = Self.unhex(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Data(frames.joined()), using: key)
    }

    private static func unhex(_ hex: [UInt8]) -> Data? {
        var out = Data(capacity: hex.count / 2)
        var i = 0
        while i + 1 < hex.count {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Why a list of frames is not a message the kernel accepts.
public enum WireError: Error, Equatable, Sendable {
    /// No `<IDS|MSG>` frame, or fewer than the five frames after it.
    case malformed(String)
    /// The HMAC does not match: the message is dropped unread.
    case badSignature
    /// Signed correctly, but a JSON frame does not parse (the header, when it parsed, is kept
    /// so the kernel can still answer).
    case badJSON(frame: String, reason: String, header: JSON?, identities: [[UInt8]])
    /// Larger than `Wire.maxMessageBytes`.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed message: \(why)"
        case .badSignature: return "bad signature"
        case .badJSON(let frame, let reason, _, _): return "bad JSON in the \(frame): \(reason)"
        case .tooLarge(let n): return "message of \(n) bytes is over the limit of \(Wire.maxMessageBytes)"
        }
    }
}

/// The wire format: `identities… <IDS|MSG> signature header parent_header metadata content buffers…`.
public enum Wire {
    public static let delimiter = Array("<IDS|MSG>".utf8)
    /// A cell of code is kilobytes; 64 MiB leaves room for pasted data while a hostile or broken
    /// client cannot make the kernel hold gigabytes.
    public static let maxMessageBytes = 64 << 20

    /// The frames of `message`, signed.
    public static func encode(_ message: Message, signer: Signer) -> [[UInt8]] {
        let parts = [message.header, message.parentHeader, message.metadata, message.content].map { Array($0.serialized.utf8) }
        return message.identities + [delimiter, Array(signer.signature(parts).utf8)] + parts + message.buffers
    }

    /// The message in `frames`, after checking its size, layout and signature (before any JSON
    /// is parsed, so an unsigned message costs nothing but the HMAC).
    public static func decode(_ frames: [[UInt8]], signer: Signer) throws(WireError) -> Message {
        let size = frames.reduce(0) { $0 + $1.count }
        if size > maxMessageBytes { throw .tooLarge(size) }
        guard let d = frames.firstIndex(of: delimiter) else { throw .malformed("no <IDS|MSG> delimiter") }
        guard frames.count >= d + 6 else { throw .malformed("\(frames.count - d - 1) frames after the delimiter, 5 needed") }
        let identities = Array(frames[..<d])
        let parts = Array(frames[(d + 2)..<(d + 6)])
        guard signer.verify(frames[d + 1], parts) else { throw .badSignature }
        let names = ["header", "parent header", "metadata", "content"]
        var values: [JSON] = []
        for (i, part) in parts.enumerated() {
            do throws(JSON.ParseError) {
                let value = try JSON.parse(part)
                guard case .object = value else { throw JSON.ParseError(reason: "not an object") }
                values.append(value)
            } catch {
                throw .badJSON(frame: names[i], reason: error.reason, header: values.first, identities: identities)
            }
        }
        return Message(identities: identities, header: values[0], parentHeader: values[1], metadata: values[2],
                       content: values[3], buffers: Array(frames[(d + 6)...]))
    }
}
