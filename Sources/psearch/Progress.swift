#if canImport(Glibc)
import Glibc
#endif
import PsearchLang

/// How the executable shows progress of long built-ins: one status line on stderr, rewritten
/// in place with `\r`, only when stderr is a terminal; notes go to stderr always.
func terminalProgress() -> (ProgressEvent) -> Void {
    let tty = isatty(2) == 1
    var showing = false
    return { event in
        switch event {
        case .update(let line):
            guard tty else { return }
            // Erase to the end of the line: the new text may be shorter than the old.
            writeStderr("\r" + line + "\u{1B}[K")
            showing = true
        case .done:
            if showing { writeStderr("\r\u{1B}[K") }
            showing = false
        case .note(let text):
            if showing { writeStderr("\r\u{1B}[K") }
            showing = false
            writeStderr("note: \(text)\n")
        }
    }
}
