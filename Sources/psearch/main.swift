// TEMPORARY entry point for the REPL branch: the lead's swift-argument-parser command replaces
// it and calls runREPL with the real PsearchLang engine. It runs the REPL on a large-stack
// thread while the main thread waits, as the lead's Driver does, so the end-to-end test
// covers signal delivery in that arrangement.
#if canImport(Glibc)
import Glibc
#endif

final class Session: @unchecked Sendable {
    let quiet: Bool
    var code: Int32 = 0
    init(quiet: Bool) { self.quiet = quiet }
    func run() { code = runREPL(engine: DemoEngine(), quiet: quiet) }
}

let session = Session(quiet: CommandLine.arguments.dropFirst().contains("--quiet"))
var attributes = pthread_attr_t()
pthread_attr_init(&attributes)
pthread_attr_setstacksize(&attributes, 1 << 28)
var thread = pthread_t()
/// A plain function, not a closure: closures written in top-level code are main-actor isolated
/// and trap when called on another thread.
func sessionThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<Session>.fromOpaque(context!).takeRetainedValue().run()
    return nil
}
let context = Unmanaged.passRetained(session).toOpaque()
let started = pthread_create(&thread, &attributes, sessionThread, context)
if started == 0 { pthread_join(thread, nil) } else { session.run() }
exit(session.code)
