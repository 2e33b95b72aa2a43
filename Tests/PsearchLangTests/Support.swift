#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import PsearchLang

/// True in a ThreadSanitizer build (`swift test --sanitize=thread`), whose runtime exports this
/// symbol. TSan records every active call in a fixed shadow call stack of 65,536 entries and
/// does not check its end in release builds of the runtime: a debug interpreter recursing to
/// `Limits.maxCallDepth` (10,000 psearch calls, several Swift frames each) writes past it and
/// corrupts the runtime's own memory (seen as SEGVs inside TSan at random later points and a
/// test run that hung in TSan's crash handler). Tests that recurse that deep are left out
/// there; they run in every other build, ASan's included.
let underThreadSanitizer = dlsym(nil, "__tsan_init") != nil

/// True in an AddressSanitizer build. Its quarantine keeps freed memory resident (up to 256 MB)
/// while the other tests run beside, so resident-memory bounds do not hold there; LeakSanitizer
/// checks for leaks directly instead.
let underAddressSanitizer = dlsym(nil, "__asan_init") != nil

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
        do throws(RunFailure) {
            try interp.run(bytes: bytes, name: name)
        } catch {
            switch error {
            case .syntax(let list): outcome.syntax = list.diagnostics
            case .runtime(let d): outcome.runtime = d
            case .interrupted, .output: outcome.other = error.render(interp.sources)
            }
        }
        outcome.output = sink.text
        return outcome
    }
}

func runProgram(_ text: String, name: String = "test.ps", limits: Limits = Limits()) -> Outcome {
    runProgram(Array(text.utf8), name: name, limits: limits)
}
