import CLibEdit
import PsearchCore
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one read from the user produced.
enum LineInput: Equatable {
    /// A line without its newline.
    case line(String)
    /// Ctrl-C at the prompt.
    case interrupted
    /// Ctrl-D on an empty line, or the end of piped input.
    case end
}

/// Where the REPL's lines come from: libedit on a terminal, a plain reader otherwise.
protocol LineReader: AnyObject {
    /// Reads one line. A Ctrl-C from before the call (pressed while nothing ran) is forgotten;
    /// one during the read ends it as `.interrupted`, acknowledged. The flag is not cleared
    /// when the line's run begins, so a Ctrl-C pressed right after Enter (a loaded machine can
    /// take a while to start the run) still stops that run instead of being lost.
    func readLine(prompt: String) -> LineInput
    /// Makes `line` reachable with Up-arrow and Ctrl-R in this session.
    func addHistory(_ line: String)
}

/// Output to the terminal; the REPL writes only through here so ordering with libedit's own
/// output (which goes through the same `FILE *`) is kept.
enum Terminal {
    static func write(_ text: String) { ps_write_stdout(text) }

    static func writeError(_ text: String) { ps_write_stderr(text.hasSuffix("\n") ? text : text + "\n") }

    static var stdinIsTerminal: Bool { isatty(0) == 1 }
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Columns of the terminal on stdout, 80 when unknown.
    static var width: Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// SIGINT handling shared by the line readers and the running interpreter.
enum Signals {
    private static let received = Atomic<Int>(0)
    /// The thread that reads lines (pthread_t is an integer on Linux); 0 before `install`.
    private static let readerThread = Atomic<UInt>(0)

    /// SIGINTs received so far; lets the REPL tell that Ctrl-C was pressed during a run.
    static var interruptCount: Int { received.load(ordering: .relaxed) }

    /// Installs the SIGINT handler and unblocks the signals libedit handles, on the calling
    /// thread, which must be the one that reads lines.
    ///
    /// No SA_RESTART: a read blocked at the prompt must return (EINTR) so the REPL sees the
    /// flag. A test harness or a parent may hand us a blocked mask, so unblock explicitly.
    static func install() {
        readerThread.store(UInt(pthread_self()), ordering: .relaxed)
        _ = ps_wake_init()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            // Only async-signal-safe calls here: atomic stores, write(2), pthread_self,
            // pthread_kill.
            Interrupt.request()
            Signals.received.add(1, ordering: .relaxed)
            // Wakes a read waiting at the prompt, even one that had not begun when the signal came.
            ps_wake_notify()
            // The kernel hands a process-wide signal to any thread that does not block it,
            // usually the main thread; when that thread only waits for the reader (the REPL
            // running on a large-stack thread), pass the signal on so the blocked read returns.
            let reader = Signals.readerThread.load(ordering: .relaxed)
            if reader != 0 && UInt(pthread_self()) != reader { pthread_kill(pthread_t(reader), SIGINT) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)

        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGINT, SIGWINCH, SIGTSTP, SIGCONT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Stops forwarding to the reader thread, which is about to end.
    static func readerFinished() { readerThread.store(0, ordering: .relaxed) }
}

/// Line editing, history and completion through libedit.
final class LibEditLineReader: LineReader {
    private let editor: OpaquePointer
    private let history: OpaquePointer
    private let complete: (String, Int) -> [String]
    private let hasTerminal: Bool

    /// Nil when libedit cannot start (no usable terminal); the caller falls back to plain input.
    init?(historySize: Int, editrc: String?, complete: @escaping (String, Int) -> [String]) {
        _ = ps_locale_init()
        guard let editor = ps_el_init("psearch") else { return nil }
        guard let history = ps_history_init(Int32(historySize)) else {
            ps_el_end(editor)
            return nil
        }
        self.editor = editor
        self.history = history
        self.complete = complete
        hasTerminal = ps_tty_save(0) == 0
        if hasTerminal { ps_tty_restore_on_termination() }
        // libedit draws the prompt before it switches to raw mode; a key typed in between
        // must not meet a line-buffering terminal (a Ctrl-D there would be lost).
        quietTerminal()

        // Before libedit's own signal handlers, which chain to it: a resize redraws the line.
        _ = ps_watch_resize()
        ps_el_set_editor(editor, "emacs")
        // libedit's handlers restore the terminal before our SIGINT handler runs.
        ps_el_set_signal(editor, 1)
        // Characters are read by a function that also returns on Ctrl-C's wake-up byte.
        ps_el_wait_on_wake(editor)
        ps_el_set_history(editor, history)
        ps_el_set_prompt(editor, "ps> ")
        ps_el_set_clientdata(editor, Unmanaged.passUnretained(self).toOpaque())
        ps_el_add_function(editor, "ps-complete", "complete the word before the cursor") { el, _ in
            guard let el, let data = ps_el_get_clientdata(el) else { return UInt8(CC_ERROR) }
            let reader = Unmanaged<LibEditLineReader>.fromOpaque(data).takeUnretainedValue()
            return reader.completeWord()
        }
        ps_el_bind(editor, "^I", "ps-complete")
        // libedit leaves Ctrl-R unbound in emacs mode; readline users expect reverse search.
        ps_el_bind(editor, "^R", "em-inc-search-prev")
        // libedit binds Home/End only from the terminfo entry of $TERM, which often differs
        // from what the terminal sends (inside tmux or screen Home is ESC[1~ whatever TERM says).
        for (keys, command) in Self.extraBindings { ps_el_bind(editor, keys, command) }
        // Sourced last so the user's vi mode or bindings win over ours.
        if let editrc { ps_el_source(editor, editrc) }
    }

    /// Key sequences of common terminals and what they do; ESC is written `\u{1B}`.
    static let extraBindings: [(String, String)] = [
        ("\u{1B}[H", "ed-move-to-beg"), ("\u{1B}OH", "ed-move-to-beg"), ("\u{1B}[1~", "ed-move-to-beg"),
        ("\u{1B}[7~", "ed-move-to-beg"),
        ("\u{1B}[F", "ed-move-to-end"), ("\u{1B}OF", "ed-move-to-end"), ("\u{1B}[4~", "ed-move-to-end"),
        ("\u{1B}[8~", "ed-move-to-end"),
        ("\u{1B}[3~", "ed-delete-next-char"),
        ("\u{1B}[1;5C", "em-next-word"), ("\u{1B}[1;5D", "ed-prev-word"),
        ("\u{1B}[1;3C", "em-next-word"), ("\u{1B}[1;3D", "ed-prev-word"),
    ]

    deinit {
        if hasTerminal { ps_tty_restore(0) }
        ps_el_end(editor)
        ps_history_end(history)
    }

    /// `$EDITRC`, else `~/.editrc` when it exists.
    ///
    /// Resolved here because el_source(NULL) depends on how libedit was built (without
    /// issetugid it refuses to read anything).
    static func editrcPath() -> String? {
        if let path = Terminal.environment("EDITRC") { return path.isEmpty ? nil : path }
        guard let home = Terminal.environment("HOME"), !home.isEmpty else { return nil }
        let path = home + "/.editrc"
        return access(path, R_OK) == 0 ? path : nil
    }

    func readLine(prompt: String) -> LineInput {
        ps_el_set_prompt(editor, prompt)
        // Wake-ups from Ctrl-C pressed before this prompt are old news; one that comes after
        // the pipe is emptied ends the read even if the flag below was cleared before it.
        _ = ps_wake_drain()
        Interrupt.clear()
        if let delay = Self.testDelay { usleep(delay) }
        var count: Int32 = 0
        // Only while reading: a program's own output and a psearch killed mid-run leave the
        // terminal as it was.
        if hasTerminal { ps_paste_mode(1) }
        let got = ps_el_gets(editor, &count)
        if hasTerminal { ps_paste_mode(0) }
        quietTerminal()
        guard let text = got, count > 0 else {
            // After a signal el_gets looks just like end of input; the wake-up tells them apart.
            if ps_el_take_woken() != 0 || Interrupt.take() {
                Interrupt.clear()
                // Drop what was typed so the next prompt starts empty.
                ps_el_reset(editor)
                return .interrupted
            }
            return .end
        }
        var line = String(cString: text)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    func addHistory(_ line: String) {
        ps_history_enter(history, line)
    }

    /// `PSEARCH_TEST_READ_DELAY_MS`: a pause before each read, for scripts/test-repl.sh to
    /// press Ctrl-C in the moment between a prompt's preparation and its first read(2).
    private static let testDelay: UInt32? = Terminal.environment("PSEARCH_TEST_READ_DELAY_MS")
        .flatMap { UInt32($0) }.map { min($0, 10_000) * 1000 }

    /// Between reads the terminal neither echoes nor edits lines (see `ps_tty_between_reads`).
    ///
    /// Keys typed while code runs would otherwise be echoed wherever the output left the
    /// cursor (libedit draws the next prompt assuming column 0, so the line came out garbled),
    /// and a typed-ahead Ctrl-D would be eaten by the terminal's line editing. The terminal is
    /// not put back to cooked mode before el_gets either: libedit prints the prompt before it
    /// switches to raw mode, and keys arriving in that gap meet whatever mode it finds. libedit
    /// takes only cooked settings as the ones to restore, so it still restores the original
    /// ones after each read.
    private func quietTerminal() {
        if hasTerminal { ps_tty_between_reads(0) }
    }

    /// The Tab handler: completes the common prefix, or lists the candidates when there is none.
    fileprivate func completeWord() -> UInt8 {
        // Tab-indented code pasted at the prompt keeps its tabs.
        if ps_el_pasting() != 0 {
            ps_el_insert(editor, "\t")
            return UInt8(CC_REFRESH)
        }
        var cursor: Int32 = 0
        var length: Int32 = 0
        guard let buffer = ps_el_line(editor, &cursor, &length) else { return UInt8(CC_ERROR) }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(length))
        let line = String(decoding: bytes, as: UTF8.self)
        let candidates = complete(line, Int(cursor))
        let before = String(decoding: bytes.prefix(Int(cursor)), as: UTF8.self)
        switch CompletionEdit.make(before: before, candidates: candidates) {
        case .none:
            return UInt8(CC_ERROR)
        case .insert(let text):
            ps_el_insert(editor, text)
            return UInt8(CC_REFRESH)
        case .list(let words):
            Terminal.write("\n" + CompletionEdit.columns(words, width: Terminal.width))
            return UInt8(CC_REDISPLAY)
        }
    }
}

/// What Tab does with the engine's candidates; pure so it can be tested without a terminal.
enum CompletionEdit: Equatable {
    case none
    case insert(String)
    case list([String])

    /// Candidates start with the word they replace, which is the longest suffix of `before`
    /// that all of them begin with; Tab inserts their common prefix past that word.
    static func make(before: String, candidates: [String]) -> CompletionEdit {
        let unique = Array(Set(candidates)).sorted()
        guard let first = unique.first else { return .none }
        var common = Array(first.unicodeScalars)
        for candidate in unique.dropFirst() {
            let scalars = Array(candidate.unicodeScalars)
            var n = 0
            while n < common.count && n < scalars.count && common[n] == scalars[n] { n += 1 }
            common.removeSubrange(n...)
        }
        let typed = Array(before.unicodeScalars)
        var word = min(typed.count, common.count)
        while word > 0 && Array(typed.suffix(word)) != Array(common.prefix(word)) { word -= 1 }
        if common.count > word {
            var text = String.UnicodeScalarView()
            text.append(contentsOf: common[word...])
            return .insert(String(text))
        }
        return unique.count > 1 ? .list(unique) : .none
    }

    /// Candidates in columns, like a shell's listing; long lists are cut with a count.
    static func columns(_ words: [String], width: Int, limit: Int = 200) -> String {
        let shown = Array(words.prefix(limit))
        // Cells, not characters: a file name in Korean takes two a letter.
        let cell = (shown.map { TextWidth.of($0) }.max() ?? 0) + 2
        let perRow = max(1, width / max(cell, 1))
        var text = ""
        for (i, word) in shown.enumerated() {
            let last = i % perRow == perRow - 1 || i == shown.count - 1
            text += last ? word + "\n" : word + String(repeating: " ", count: cell - TextWidth.of(word))
        }
        if words.count > shown.count { text += "... and \(words.count - shown.count) more\n" }
        return text
    }
}

/// Reads lines with plain read(2): piped input, or a terminal libedit cannot drive
/// (TERM unset or `dumb`).
final class PlainLineReader: LineReader {
    private let showsPrompt: Bool
    private var pending: [UInt8] = []
    private var atEnd = false

    init(showsPrompt: Bool) { self.showsPrompt = showsPrompt }

    func readLine(prompt: String) -> LineInput {
        if showsPrompt { Terminal.write(prompt) }
        _ = ps_wake_drain()
        Interrupt.clear()
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return .line(line)
            }
            if atEnd {
                guard !pending.isEmpty else { return .end }
                let line = String(decoding: pending, as: UTF8.self)
                pending.removeAll()
                return .line(line)
            }
            // Wait for input or Ctrl-C: a Ctrl-C just before read(2) would not interrupt it.
            let ready = ps_wait_input(0)
            if ready == 2 { continue }  // a resize; nothing here is drawn by the reader
            if ready == 0 {
                Interrupt.clear()
                pending.removeAll()
                return .interrupted
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                atEnd = true
            } else if n == 0 {
                atEnd = true
            } else {
                pending.append(contentsOf: chunk[..<n])
            }
        }
    }

    func addHistory(_ line: String) {}

    /// All of stdin, for running piped input as one script.
    static func readAllStdin() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
