#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Why a file could not be written, named in words a user can act on.
public enum FileWriteError: Error, Equatable, Sendable {
    case missingFolder(path: String, folder: String)
    case isDirectory(path: String)
    case notRegularFile(path: String)
    case permissionDenied(path: String)
    case noSpace(path: String)
    case system(path: String, step: String, reason: String)
}

extension FileWriteError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingFolder(let path, let folder):
            return "cannot write '\(path)': folder '\(folder)' does not exist"
        case .isDirectory(let path):
            return "cannot write '\(path)': it is a directory"
        case .notRegularFile(let path):
            return "cannot write '\(path)': it is not a regular file"
        case .permissionDenied(let path):
            return "cannot write '\(path)': permission denied"
        case .noSpace(let path):
            return "cannot write '\(path)': no space left on device"
        case .system(let path, let step, let reason):
            return "cannot write '\(path)': \(step) failed: \(reason)"
        }
    }
}

/// Whole-file writes that either replace the file completely or leave it untouched.
///
/// The bytes go to a temporary file in the destination's own folder (rename is only atomic
/// within one file system), which is flushed to disk and then renamed over the destination.
/// Any failure removes the temporary file, so a reader never sees half a figure.
public enum AtomicFile {
    /// Writes `text` as UTF-8 to `path`, atomically.
    public static func write(_ text: String, to path: String) throws(FileWriteError) {
        try write(bytes: Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path`, atomically.
    public static func write(bytes: [UInt8], to path: String) throws(FileWriteError) {
        let folder = parentFolder(of: path)
        var st = stat()
        if stat(folder, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { throw .missingFolder(path: path, folder: folder) }
            throw failure(path, "stat", errno)
        }
        if (st.st_mode & S_IFMT) != S_IFDIR { throw .missingFolder(path: path, folder: folder) }
        if stat(path, &st) == 0 {
            // Renaming over a device node or a directory would replace it, not write into it.
            if (st.st_mode & S_IFMT) == S_IFDIR { throw .isDirectory(path: path) }
            if (st.st_mode & S_IFMT) != S_IFREG { throw .notRegularFile(path: path) }
        }

        let base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? "file"
        #if os(Linux)
        if try writeUnnamed(bytes: bytes, to: path, folder: folder, base: base) { return }
        #endif
        var template = Array((folder == "/" ? "/" : folder + "/").utf8CString.dropLast())
        template += Array(".\(base).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw failure(path, "creating a temporary file", errno) }
        let tempPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)

        do throws(FileWriteError) {
            try fill(fd, bytes, path)
        } catch {
            _ = close(fd)
            _ = unlink(tempPath)
            throw error
        }
        // close can report a deferred write error (NFS, quota), so it is checked too.
        if close(fd) != 0 {
            let e = errno
            _ = unlink(tempPath)
            throw failure(path, "closing", e)
        }
        try moveIntoPlace(tempPath, path)
    }

    /// Writes all of `bytes` and flushes them to disk, the file's mode that of an ordinary file
    /// (mkstemp makes it private, 0600; an unnamed file's mode is masked by the umask).
    private static func fill(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(FileWriteError) {
        _ = fchmod(fd, 0o644)
        try writeAll(fd: fd, bytes: bytes, path: path)
        if fsync(fd) != 0 { throw failure(path, "flushing", errno) }
    }

    /// Renames the finished temporary file over `path`, removing it if that fails.
    private static func moveIntoPlace(_ temp: String, _ path: String) throws(FileWriteError) {
        if rename(temp, path) != 0 {
            let e = errno
            _ = unlink(temp)
            if e == EISDIR { throw .isDirectory(path: path) }
            throw failure(path, "renaming", e)
        }
    }

    #if os(Linux)
    /// O_TMPFILE (`__O_TMPFILE | O_DIRECTORY`; the C macro does not import).
    private static let unnamedFile: Int32 = 0o20_000_000 | O_DIRECTORY

    /// Writes into an unnamed file of the folder (O_TMPFILE), which gets a name only once it
    /// is complete: a process killed while writing leaves nothing behind, not even a
    /// temporary file. False when the file system cannot make unnamed files.
    private static func writeUnnamed(bytes: [UInt8], to path: String, folder: String, base: String) throws(FileWriteError) -> Bool {
        let fd = open(folder, unnamedFile | O_WRONLY | O_CLOEXEC, 0o644)
        if fd < 0 {
            let e = errno
            if e == EOPNOTSUPP || e == EISDIR || e == EINVAL || e == ENOENT { return false }
            throw failure(path, "creating a temporary file", e)
        }
        do throws(FileWriteError) {
            try fill(fd, bytes, path)
        } catch {
            _ = close(fd)
            throw error
        }
        // Link it under a fresh hidden name, then rename over the destination (linkat cannot
        // replace a file). Only these two calls, no writing, happen between.
        var linked: String?
        for attempt in 0..<100 where linked == nil {
            let temp = (folder == "/" ? "/" : folder + "/") + ".\(base).\(getpid()).\(attempt)"
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0 {
                linked = temp
            } else if errno != EEXIST {
                let e = errno
                _ = close(fd)
                // No /proc: fall back to a named temporary file.
                if e == ENOENT { return false }
                throw failure(path, "naming the temporary file", e)
            }
        }
        if close(fd) != 0 {
            let e = errno
            if let t = linked { _ = unlink(t) }
            throw failure(path, "closing", e)
        }
        guard let temp = linked else { throw failure(path, "naming the temporary file", EEXIST) }
        try moveIntoPlace(temp, path)
        return true
    }
    #endif

    /// Writes every byte to `fd`, retrying short writes and interrupted calls.
    static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws(FileWriteError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                #if canImport(Glibc)
                Glibc.write(fd, buf.baseAddress! + offset, bytes.count - offset)
                #elseif canImport(Musl)
                Musl.write(fd, buf.baseAddress! + offset, bytes.count - offset)
                #else
                Darwin.write(fd, buf.baseAddress! + offset, bytes.count - offset)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "writing", errno)
            }
            if n == 0 { throw failure(path, "writing", EIO) }
            offset += n
        }
    }

    /// The folder that holds `path`: "." for a bare name, "/" for a file at the root.
    static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    private static func failure(_ path: String, _ step: String, _ code: Int32) -> FileWriteError {
        switch code {
        case EACCES, EPERM, EROFS: return .permissionDenied(path: path)
        case ENOSPC, EDQUOT: return .noSpace(path: path)
        case EISDIR: return .isDirectory(path: path)
        default: return .system(path: path, step: step, reason: String(cString: strerror(code)))
        }
    }
}
