#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import PsearchLang

/// Runs `body` on a thread with a 512 MB stack, as the CLI does, so the interpreter's own
/// call-depth limit (not the test thread's small stack) stops deep recursion in debug builds.
func onLargeStack<T>(_ body: @escaping () -> T) -> T {
    var result: T?
    let box = ThreadBody()
    box.body = { result = body() }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    pthread_attr_setstacksize(&attr, 512 << 20)
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let unmanaged = Unmanaged.passRetained(box)
    let rc = pthread_create(&thread, &attr, { arg in
        let b = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        b.body!()
        return nil
    }, unmanaged.toOpaque())
    pthread_attr_destroy(&attr)
    precondition(rc == 0, "cannot start a thread with a large stack")
    #if canImport(Glibc)
    pthread_join(thread, nil)
    #else
    pthread_join(thread!, nil)
    #endif
    return result!
}

/// The closure a new thread runs; handed over once, before the thread starts.
private final class ThreadBody: @unchecked Sendable {
    var body: (() -> Void)?
}

/// What running a program in process produced.
struct Outcome {
    var output: String
    /// Syntax and name errors (nothing ran).
    var syntax: [Diagnostic] = []
    /// The runtime error that stopped the program.
    var runtime: Diagnostic?
    /// Any other error (a test bug or an interpreter crash path).
    var other: String?
    var interp: Interpreter

    var lines: [String] {
        var l = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }

    /// Where a diagnostic points: 1-based line and column.
    func location(_ d: Diagnostic) -> (line: Int, column: Int)? {
        interp.sources[d.range.source].map { $0.location(of: Int(d.range.start)) }
    }
}

/// Runs source bytes in a fresh interpreter on a large stack.
func runProgram(_ bytes: [UInt8], name: String = "test.ps", limits: Limits = Limits()) -> Outcome {
    onLargeStack {
        let sink = BufferSink()
        let interp = Interpreter(output: sink, limits: limits)
        var outcome = Outcome(output: "", interp: interp)
        do {
            try interp.run(bytes: bytes, name: name)
        } catch let e as DiagnosticList {
            outcome.syntax = e.diagnostics
        } catch let e as Diagnostic {
            outcome.runtime = e
        } catch {
            outcome.other = "\(error)"
        }
        outcome.output = sink.text
        return outcome
    }
}

func runProgram(_ text: String, name: String = "test.ps", limits: Limits = Limits()) -> Outcome {
    runProgram(Array(text.utf8), name: name, limits: limits)
}
