#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The REPL's persistent history: one entry per line in a plain UTF-8 text file, where an
/// entry of several lines (a function typed at `..>`) ends each line but its last with "\r\n"
/// (as CPython's REPL writes its history file; other readers see ordinary lines).
///
/// libedit keeps the in-session list for Up/Down and Ctrl-R; this type owns the file, because
/// libedit's own `H_SAVE` truncates the file in place (a crash mid-write loses everything) and
/// never merges what other sessions wrote meanwhile.
final class History {
    /// Entries kept in memory and on disk (the oldest are dropped first).
    static let capacity = 1_000
    /// A history file past this size is not ours (1,000 entries of ordinary lines fit in a
    /// fraction of it); reading it whole on every entry would make each prompt slow.
    static let maxFileBytes = 4 << 20

    /// Where the file lives, or nil when history stays in memory only.
    private(set) var path: String?
    /// Loaded entries followed by this session's, consecutive duplicates dropped.
    private(set) var entries: [String] = []
    private let warn: (String) -> Void
    private var warned = false

    /// `$PSEARCH_HISTORY`, else `$XDG_STATE_HOME/psearch/history`, else
    /// `~/.local/state/psearch/history`; nil when none of them is set.
    static func defaultPath(environment: (String) -> String?) -> String? {
        func nonEmpty(_ name: String) -> String? {
            guard let value = environment(name), !value.isEmpty else { return nil }
            return value
        }
        if let explicit = nonEmpty("PSEARCH_HISTORY") { return explicit }
        // The XDG spec says a relative value is invalid and must be ignored.
        if let state = nonEmpty("XDG_STATE_HOME"), state.hasPrefix("/") {
            return state + "/psearch/history"
        }
        if let home = nonEmpty("HOME") { return home + "/.local/state/psearch/history" }
        return nil
    }

    /// Loads `path` (nil: in-memory history only, with a warning); `warn` is called at most once.
    init(path: String?, warn: @escaping (String) -> Void) {
        self.warn = warn
        guard let path else {
            disable("HOME is not set; history will not be saved")
            return
        }
        // The usual way to say "no history file", as for shells: stay quiet about it.
        if path == "/dev/null" { return }
        self.path = path
        switch Self.readEntries(path) {
        case .success(let onDisk):
            entries = Self.normalized(onDisk)
            ensureFolder()
        case .failure(let problem):
            disable(problem)
        }
    }

    /// True while entries are written to the file.
    var isPersistent: Bool { path != nil }

    /// Records one entered input (its lines joined by "\n") and saves the file at once, so a
    /// killed session loses nothing.
    func add(_ input: String) {
        guard !input.allSatisfy(\.isWhitespace) else { return }
        // A carriage return that ends a line would read back as a line break of the entry.
        let entry = History.lines(of: input).map { line in
            var line = line
            while line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            return line
        }.joined(separator: "\n")
        if entries.last != entry {
            entries.append(entry)
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
        save(entry)
    }

    // MARK: - File

    /// Re-reads the file, appends `entry`, and replaces the file atomically (temp + rename).
    ///
    /// Re-reading merges entries that other sessions saved meanwhile instead of overwriting them.
    private func save(_ entry: String) {
        guard let path else { return }
        var saved: [String]
        switch Self.readEntries(path) {
        case .success(let onDisk): saved = Self.normalized(onDisk)
        case .failure(let problem):
            disable(problem)
            return
        }
        if saved.last != entry { saved.append(entry) }
        if saved.count > Self.capacity { saved.removeFirst(saved.count - Self.capacity) }
        var text = ""
        for one in saved { text += Self.lines(of: one).joined(separator: "\r\n") + "\n" }
        if let problem = Self.writeAtomically(text, to: path) { disable(problem) }
    }

    private func ensureFolder() {
        guard let path, let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let folder = String(path[..<slash])
        if let problem = Self.makeFolders(folder) { disable(problem) }
    }

    private func disable(_ problem: String) {
        path = nil
        guard !warned else { return }
        warned = true
        warn(problem)
    }

    enum ReadResult { case success([String]), failure(String) }

    /// The file's entries; a missing file is an empty history, anything not plain UTF-8 text is
    /// refused so that saving never overwrites a file that is not ours.
    static func readEntries(_ path: String) -> ReadResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return .success([]) }
            return .failure("cannot read history file \(path): \(describe(code)); history will not be saved")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return .failure("cannot read history file \(path): \(describe(errno)); history will not be saved")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure("history file \(path) is not a regular file; history will not be saved")
        }
        guard Int(info.st_size) <= maxFileBytes else {
            return .failure("history file \(path) is too large (\(info.st_size) bytes); history will not be saved")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure("cannot read history file \(path): \(describe(errno)); history will not be saved")
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            return .failure("history file \(path) is not UTF-8 text; history will not be saved")
        }
        return .success(entries(of: text))
    }

    /// The entries of a history file's text: a line ending in "\r" goes on into the next.
    static func entries(of text: String) -> [String] {
        var result: [String] = []
        var entry: [String] = []
        var pieces = lines(of: text)
        if pieces.last == "" { pieces.removeLast() }  // after the last line's "\n"
        for var line in pieces {
            let continues = line.unicodeScalars.last == "\r"
            if continues { line.unicodeScalars.removeLast() }
            entry.append(line)
            if continues { continue }
            let joined = entry.joined(separator: "\n")
            entry.removeAll()
            if !joined.isEmpty { result.append(joined) }
        }
        if !entry.isEmpty { result.append(entry.joined(separator: "\n")) }
        return result
    }

    /// `text` cut at every "\n"; unlike a split at the Character "\n", this also cuts "\r\n",
    /// which Swift counts as one Character.
    static func lines(of text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// Consecutive duplicates dropped, the newest `capacity` entries kept.
    static func normalized(_ lines: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(min(lines.count, capacity))
        for line in lines where result.last != line { result.append(line) }
        if result.count > capacity { result.removeFirst(result.count - capacity) }
        return result
    }

    /// Writes a temporary file beside `path` and renames it over `path`; nil on success.
    static func writeAtomically(_ text: String, to path: String) -> String? {
        // Resolve a symlinked history file so the rename replaces its target, not the link.
        var target = path
        if let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        let temporary = "\(target).tmp-\(getpid())"
        // 0600: history holds whatever was typed, which may include secrets.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "cannot write history file \(path): \(describe(errno)); history will not be saved" }
        let utf8 = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < utf8.count {
            let n = utf8.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += n
        }
        // No fsync: the guarantee wanted is against a killed process, which rename gives;
        // syncing on every entry would make each prompt wait on the disk.
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, target) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            return "cannot write history file \(path): \(describe(failure)); history will not be saved"
        }
        return nil
    }

    /// mkdir -p with mode 0700; nil on success.
    static func makeFolders(_ folder: String) -> String? {
        var prefix = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                return "cannot create folder \(prefix): \(describe(errno)); history will not be saved"
            }
        }
        var info = stat()
        if stat(folder, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
            return "cannot use folder \(folder) for history; history will not be saved"
        }
        if access(folder, W_OK) != 0 {
            return "folder \(folder) is not writable; history will not be saved"
        }
        return nil
    }

    static func describe(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        return String(cString: message).lowercased()
    }
}
