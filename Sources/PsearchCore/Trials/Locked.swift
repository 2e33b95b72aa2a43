import Foundation

/// A value shared by worker threads, behind a pthread mutex (`NSLock`).
///
/// Not `Synchronization.Mutex`: on Linux it locks with futex calls inside the uninstrumented
/// standard library, so ThreadSanitizer cannot see its ordering and reported the writes it
/// protects (two trials storing their results) as a race, now and then.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
