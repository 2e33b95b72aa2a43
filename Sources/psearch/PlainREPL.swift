import Glibc
import PsearchCore
import PsearchLang

/// A line-at-a-time prompt without line editing: reads until the input is complete, runs it,
/// echoes the value of a final expression. The libedit prompt replaces the reader.
struct PlainREPL {
    let limits: Limits
    let quiet: Bool

    func run() -> Int32 {
        let out = StdoutSink()
        let interp = Interpreter(output: out, limits: limits)
        let color = isatty(2) == 1 && getenv("NO_COLOR") == nil
        installInterruptHandler()
        if !quiet { writeStderr("psearch \(psearchVersion) — type :help for help, Ctrl-D to quit\n") }
        var pending = ""
        while true {
            writeStderr(pending.isEmpty ? "ps> " : "..> ")
            guard let line = readLine(strippingNewline: true) else { break }
            pending += pending.isEmpty ? line : "\n" + line
            if Interpreter.completeness(of: pending) == .incomplete && !line.isEmpty { continue }
            let input = pending
            pending = ""
            if input.trimmingCharacters(in: " \t").isEmpty { continue }
            if input == ":quit" || input == ":q" { break }
            _ = Interrupt.take()
            do {
                if let v = try interp.run(input, name: "<repl>", repl: true) {
                    interp.setGlobal("_", v)
                    if case .none = v {} else { try out.write(v.repr + "\n") }
                }
                try out.flush()
            } catch let e as DiagnosticList {
                try? out.flush()
                writeStderr(e.render(interp.sources, color: color))
            } catch let e as Diagnostic {
                try? out.flush()
                writeStderr(e.render(interp.sources, color: color))
            } catch is Interrupted {
                try? out.flush()
                writeStderr("interrupted\n")
            } catch {
                writeStderr("error: \(error)\n")
            }
        }
        try? out.flush()
        return Exit.ok
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
