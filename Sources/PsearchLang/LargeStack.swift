#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a thread with a 1 GiB stack (address space, touched only as used; callers
/// with a lower call-depth limit may ask for less) and waits for it. Whoever runs psearch code (the CLI, lesson checking, tests) goes through here, so
/// deep recursion is stopped by the interpreter's own call-depth limit, even in a debug build
/// whose frames are several times larger, and never by the thread's stack running out.
public func onLargeStack<T>(stackBytes: Int = 1 << 30, _ body: @escaping () -> T) -> T {
    var result: T?
    let box = ThreadBody()
    box.body = { result = body() }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    pthread_attr_setstacksize(&attr, stackBytes)
    var thread = pthread_t()
    let unmanaged = Unmanaged.passRetained(box)
    let rc = pthread_create(&thread, &attr, { arg in
        let b = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        b.body!()
        return nil
    }, unmanaged.toOpaque())
    pthread_attr_destroy(&attr)
    if rc != 0 {
        // No thread could be made: run here; the depth limit still applies.
        unmanaged.release()
        return body()
    }
    pthread_join(thread, nil)
    return result!
}

/// The closure a new thread runs; handed over once, before the thread starts.
private final class ThreadBody: @unchecked Sendable {
    var body: (() -> Void)?
}
