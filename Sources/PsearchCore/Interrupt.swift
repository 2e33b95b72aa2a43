import Synchronization

/// The one flag that Ctrl-C sets and every long-running loop polls (interpreter loops and
/// calls, descent steps, training batches, trials).
///
/// A relaxed atomic store is all a signal handler does, so it stays async-signal-safe; loops
/// poll with a relaxed load, which costs about as much as reading a plain variable.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Called from the SIGINT handler.
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// True once Ctrl-C was pressed and nobody has acknowledged it yet.
    @inline(__always)
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Acknowledge: returns whether an interrupt was pending and clears it.
    public static func take() -> Bool { flag.exchange(false, ordering: .relaxed) }

    public static func clear() { flag.store(false, ordering: .relaxed) }
}
