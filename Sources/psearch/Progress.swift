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

/// How the executable draws `live: true` views: each frame over the last one on stdout (the
/// cursor goes back up the previous frame's lines and clears below), only when stdout is a
/// terminal; nil otherwise, so the built-in draws just the final picture.
func terminalLive(_ out: StdoutSink) -> ((LiveFrame) -> Void)? {
    guard isatty(1) == 1 else { return nil }
    var lines = 0
    return { frame in
        switch frame {
        case .draw(let text):
            var chunk = lines > 0 ? "\u{1B}[\(lines)A\r\u{1B}[J" : ""
            chunk += text.hasSuffix("\n") ? text : text + "\n"
            lines = chunk.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            // A frame that cannot be written is only a picture: training goes on.
            try? out.write(chunk)
            try? out.flush()
        case .end:
            lines = 0
        }
    }
}
