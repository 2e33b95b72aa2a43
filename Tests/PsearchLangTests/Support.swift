#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import PsearchLang


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
