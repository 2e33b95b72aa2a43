#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The path and losses of a descent, kept row by row.
///
/// A step writes its row into a small block that reaches the arrays a block at a time, so it
/// does not pay for two array appends (uniqueness and capacity checks) per step. The arrays are
/// reserved for the expected rows up front; on Linux their pages are offered to the kernel as
/// huge pages, since a long run's path is written once from start to end and 4 KiB page faults
/// on it cost more than the descent itself (2,000,000 steps of a 2-d point: 48 MB, 12,000 faults).
final class PathRecorder {
    private(set) var path: [Double] = []
    private(set) var losses: [Double] = []
    private let n: Int
    private let block: UnsafeMutablePointer<Double>
    private var rows = 0
    /// Rows per block: a few KiB, so the block stays in L1 between flushes.
    static let blockRows = 128

    init(dimension n: Int, expectedRows: Int) {
        self.n = n
        path = PathRecorder.reserved(expectedRows * n)
        losses = PathRecorder.reserved(expectedRows)
        block = .allocate(capacity: Self.blockRows * (n + 1))
    }

    /// An empty array with room for `count` elements, its pages advised as huge pages.
    private static func reserved(_ count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            #if os(Linux)
            // Whole 2 MiB pages inside the buffer only: the advice must not reach memory that is
            // not ours. A refusal (no transparent huge pages) leaves ordinary pages.
            let huge = 2 << 20
            if let base = buffer.baseAddress, buffer.count * MemoryLayout<Double>.stride >= 2 * huge {
                let lo = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
                let hi = (Int(bitPattern: base) + buffer.count * MemoryLayout<Double>.stride) & ~(huge - 1)
                if hi > lo { _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, MADV_HUGEPAGE) }
            }
            #endif
        }
    }

    deinit { block.deallocate() }

    /// Adds a row with this loss; the caller writes the point into the returned row.
    @inline(__always)
    func row(loss: Double) -> UnsafeMutablePointer<Double> {
        if rows == Self.blockRows { flush() }
        block[Self.blockRows * n + rows] = loss
        rows += 1
        return block + (rows - 1) * n
    }

    /// Moves the block's rows into the arrays.
    func flush() {
        path.append(contentsOf: UnsafeBufferPointer(start: block, count: rows * n))
        losses.append(contentsOf: UnsafeBufferPointer(start: block + Self.blockRows * n, count: rows))
        rows = 0
    }

    /// The arrays with every row.
    func finish() -> (path: [Double], losses: [Double]) {
        flush()
        defer { path = []; losses = [] }
        return (path, losses)
    }
}
