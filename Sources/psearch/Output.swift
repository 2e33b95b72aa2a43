#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PsearchLang


/// An output sink whose text may wait in a buffer until `flush`.
protocol FlushingSink: OutputSink {
    func flush() throws(OutputError)
}

/// Standard output through a buffer, written with write(2) so every failure is seen.
/// Line-buffered on a terminal (a learner sees each line as it is printed), block-buffered
/// otherwise.
final class StdoutSink: FlushingSink {
    private var buffer: [UInt8] = []
    private let lineBuffered: Bool
    private let fd: Int32

    init(fd: Int32 = 1) {
        self.fd = fd
        lineBuffered = isatty(fd) == 1
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) throws(OutputError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 || (lineBuffered && buffer.last == UInt8(ascii: "\n")) { try flush() }
    }

    func flush() throws(OutputError) {
        var off = 0
        defer { buffer.removeAll(keepingCapacity: true) }
        while off < buffer.count {
            let n = buffer.withUnsafeBytes { p in Glibc.write(fd, p.baseAddress! + off, p.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(reason: String(cString: strerror(errno)))
            }
            off += n
        }
    }
}

/// Writes to standard error, ignoring failures (there is nowhere left to report them).
func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { p in Glibc.write(2, p.baseAddress! + off, p.count - off) }
        if n <= 0 {
            if n < 0 && errno == EINTR { continue }
            return
        }
        off += n
    }
}
