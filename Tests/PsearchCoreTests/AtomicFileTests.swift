import Foundation
import Testing
@testable import PsearchCore

@Suite struct AtomicFileTests {
    /// A fresh folder under the system temporary folder.
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    func entries(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    @Test func writesAndReplacesWholeFiles() throws {
        let dir = try scratch()
        let path = dir + "/fig.svg"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second, longer", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second, longer")
        #expect(entries(dir) == ["fig.svg"], "no temporary file left behind")
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o644)
    }

    @Test func missingFolderNamesTheFolder() throws {
        let dir = try scratch()
        let path = dir + "/no/such/fig.svg"
        #expect(throws: FileWriteError.missingFolder(path: path, folder: dir + "/no/such")) { try AtomicFile.write("x", to: path) }
        let e = FileWriteError.missingFolder(path: path, folder: dir + "/no/such")
        #expect(e.description == "cannot write '\(path)': folder '\(dir)/no/such' does not exist")
    }

    @Test func directoryPathIsRefusedAndLeftAlone() throws {
        let dir = try scratch()
        try FileManager.default.createDirectory(atPath: dir + "/out.svg", withIntermediateDirectories: false)
        #expect(throws: FileWriteError.isDirectory(path: dir + "/out.svg")) { try AtomicFile.write("x", to: dir + "/out.svg") }
        #expect(entries(dir) == ["out.svg"])
        #expect(FileWriteError.isDirectory(path: "a").description == "cannot write 'a': it is a directory")
    }

    @Test func deviceIsNotReplaced() throws {
        // Renaming over /dev/null would replace the device node (as root, it would succeed).
        #expect(throws: FileWriteError.notRegularFile(path: "/dev/null")) { try AtomicFile.write("x", to: "/dev/null") }
    }

    @Test func noPermissionIsAClearError() throws {
        if geteuid() != 0 {
            let dir = try scratch()
            chmod(dir, 0o555)
            defer { chmod(dir, 0o755) }
            #expect(throws: FileWriteError.permissionDenied(path: dir + "/fig.svg")) { try AtomicFile.write("x", to: dir + "/fig.svg") }
            #expect(entries(dir).isEmpty)
        } else {
            // Root ignores permission bits; sysfs refuses new files even to root.
            var st = stat()
            try #require(stat("/sys", &st) == 0, "no /sys here to test a folder root cannot write")
            #expect(throws: FileWriteError.permissionDenied(path: "/sys/psearch-fig.svg")) { try AtomicFile.write("x", to: "/sys/psearch-fig.svg") }
        }
        #expect(FileWriteError.permissionDenied(path: "f").description == "cannot write 'f': permission denied")
    }

    @Test func fullDiskIsReportedByTheWriteLoop() throws {
        // /dev/full fails every write with ENOSPC: the same loop the atomic writer runs on its
        // temporary file, so a full disk surfaces as an error and the temporary file goes.
        let fd = open("/dev/full", O_WRONLY)
        try #require(fd >= 0, "no /dev/full on this system")
        defer { close(fd) }
        #expect(throws: FileWriteError.noSpace(path: "fig.svg")) {
            try AtomicFile.writeAll(fd: fd, bytes: Array(repeating: 65, count: 100_000), path: "fig.svg")
        }
        #expect(FileWriteError.noSpace(path: "f").description == "cannot write 'f': no space left on device")
    }

    @Test func bareNameWritesInTheCurrentFolder() {
        #expect(AtomicFile.parentFolder(of: "fig.svg") == ".")
        #expect(AtomicFile.parentFolder(of: "/fig.svg") == "/")
        #expect(AtomicFile.parentFolder(of: "a/b/fig.svg") == "a/b")
    }
}
