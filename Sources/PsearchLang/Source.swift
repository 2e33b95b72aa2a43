import Foundation

/// A program text with its name ("demo.ps", "<repl>", "-e"), kept as UTF-8 bytes.
///
/// Tokens and nodes carry byte offsets; lines and columns are computed only when a diagnostic
/// is shown, as swift-syntax does.
public final class Source: Sendable {
    public let name: String
    public let bytes: [UInt8]
    /// Offsets at which each line starts; line 1 starts at 0.
    let lineStarts: [Int]
    /// Registry index, so a range can name its source in 4 bytes.
    public let id: Int32

    init(name: String, bytes: [UInt8], id: Int32) {
        self.name = name
        self.bytes = bytes
        self.id = id
        var starts = [0]
        // memchr: a plain loop over a 64 MB source takes seconds in a debug build.
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var p = UnsafeRawPointer(base)
            let end = UnsafeRawPointer(base + buf.count)
            while p < end, let hit = memchr(p, 0x0A, end - p) {
                let next = UnsafeRawPointer(hit) + 1
                starts.append(next - UnsafeRawPointer(base))
                p = next
            }
        }
        lineStarts = starts
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// 1-based line and column (in characters) of a byte offset.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        let prefix = String(decoding: bytes[start..<offset], as: UTF8.self)
        return (lo + 1, prefix.count + 1)
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ n: Int) -> String {
        String(decoding: bytes[lineBounds(n)], as: UTF8.self)
    }

    /// Byte range of a 1-based line without its line ending; empty past the last line.
    private func lineBounds(_ n: Int) -> Range<Int> {
        guard n >= 1 && n <= lineStarts.count else { return 0..<0 }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<max(start, end)
    }

    /// The line holding byte `offset` as a diagnostic shows it: tabs as single spaces (so the
    /// caret lines up with the terminal) and, when longer than `window` characters, the
    /// `window` characters around `offset` with "…" where it was cut. `column` is the 1-based
    /// column of `offset` in `text`; `room` how many characters of `text` follow it.
    ///
    /// Only bytes near the caret are decoded (a character is at least one byte, and letters
    /// take up to four), so a 10 MB line costs what a short one does.
    func excerpt(line n: Int, around offset: Int, window: Int) -> (text: String, column: Int, room: Int) {
        let whole = lineBounds(n)
        let offset = min(max(offset, whole.lowerBound), whole.upperBound)
        func isContinuation(_ p: Int) -> Bool { bytes[p] & 0xC0 == 0x80 }
        var lo = max(whole.lowerBound, offset - 4 * window), hi = min(whole.upperBound, offset + 4 * window)
        while lo < offset && isContinuation(lo) { lo += 1 }
        while hi > offset && hi < whole.upperBound && isContinuation(hi) { hi -= 1 }
        var shown = Array(bytes[lo..<hi])
        for k in shown.indices where shown[k] == UInt8(ascii: "\t") { shown[k] = UInt8(ascii: " ") }
        let line = String(decoding: shown, as: UTF8.self)
        let caret = String(decoding: shown[..<(offset - lo)], as: UTF8.self).count
        let count = line.count
        let start = max(0, min(caret - window / 2, count - window))
        let end = min(count, start + window)
        let cutLeft = start > 0 || lo > whole.lowerBound, cutRight = end < count || hi < whole.upperBound
        var text = line
        if cutLeft || cutRight {
            let from = line.index(line.startIndex, offsetBy: start), to = line.index(from, offsetBy: end - start)
            text = (cutLeft ? "…" : "") + line[from..<to] + (cutRight ? "…" : "")
        }
        return (text, caret - start + 1 + (cutLeft ? 1 : 0), end - caret)
    }
}

/// Half-open byte range `start..<end` in one source.
public struct SourceRange: Sendable, Equatable {
    public var source: Int32
    public var start: Int32
    public var end: Int32

    public init(source: Int32, start: Int, end: Int) {
        self.source = source
        self.start = Int32(clamping: start)
        self.end = Int32(clamping: end)
    }

    /// A range for values made by the system rather than read from a file.
    public static let none = SourceRange(source: -1, start: 0, end: 0)

    public func to(_ other: SourceRange) -> SourceRange {
        guard other.source == source else { return self }
        return SourceRange(source: source, start: Int(min(start, other.start)), end: Int(max(end, other.end)))
    }
}

/// All sources a session has read, so diagnostics of functions defined earlier still show text.
public final class SourceRegistry: @unchecked Sendable {
    private(set) var sources: [Source] = []

    public init() {}

    public func add(name: String, bytes: [UInt8]) -> Source {
        let s = Source(name: name, bytes: bytes, id: Int32(sources.count))
        sources.append(s)
        return s
    }

    public subscript(id: Int32) -> Source? {
        id >= 0 && Int(id) < sources.count ? sources[Int(id)] : nil
    }
}
