#if canImport(Glibc)
import Glibc
#endif
import PsearchLang

/// Runs `body` where the stack is at least `bytes` deep: on libFuzzer's own thread when its
/// stack limit allows (scripts/fuzz raises it with `ulimit -s`), else on a new thread.
///
/// A thread per input cost about a seventh of each run in thread set-up and in the TLB
/// flushes of unmapping its stack.
public func withDeepStack<T>(bytes: Int, _ body: @escaping () -> T) -> T {
    if mainStackLimit >= bytes { return body() }
    return onLargeStack(stackBytes: bytes, body)
}

/// The calling thread's stack limit (libFuzzer calls each target on the main thread).
private let mainStackLimit: Int = {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_STACK.rawValue), &limit) == 0 else { return 0 }
    return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
}()
