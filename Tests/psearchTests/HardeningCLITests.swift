#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 8's catalogue entries about files, run against the binary: exit codes, messages on
/// stderr, and never a signal.
@Suite(.timeLimit(.minutes(3))) struct HardeningCLITests {
    /// A fresh folder, removed afterwards (its permissions restored first so removal works).
    func inFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-hard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        chmod(dir.path, 0o755)
        defer {
            if let e = FileManager.default.enumerator(atPath: dir.path) {
                while let rel = e.nextObject() as? String { chmod(dir.appendingPathComponent(rel).path, 0o755) }
            }
            try? FileManager.default.removeItem(at: dir)
        }
        return try body(dir)
    }

    /// Root reads and writes through any permission bits, so as root the binary runs as user
    /// `nobody` (setpriv) to meet them; nil when that is impossible.
    static let unprivileged: [String]? = {
        if geteuid() != 0 { return [] }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
        return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    }()

    /// Runs the binary, as `nobody` when the test runs as root.
    func runUnprivileged(_ args: [String]) throws -> Run? {
        guard let prefix = Self.unprivileged else { return nil }
        if prefix.isEmpty { return try Binary.run(args) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prefix[0])
        p.arguments = Array(prefix.dropFirst()) + [Binary.path] + args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, exited: p.terminationReason == .exit,
                   stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func aFileOverTheSizeLimitIsRefused() throws {
        try inFolder { dir in
            let path = dir.appendingPathComponent("big.ps").path
            // 64 MiB + 1 byte of blanks: the limit is the lexer's, stated in the message.
            let limit = 64 << 20
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: UInt8(ascii: " "), count: limit + 1)))
            let r = try Binary.run([path])
            #expect(r.exited && r.status == 65)
            #expect(r.stdout == "")
            #expect(r.stderr.hasPrefix("error: source is too large (\(limit + 1) bytes; the limit is \(limit))\n"))
            #expect(r.stderr.count < 1000, "the caret line is a window, not 64 MB")
        }
    }

    @Test func aScriptWithoutReadPermissionExits66() throws {
        try inFolder { dir in
            let path = dir.appendingPathComponent("secret.ps").path
            #expect(FileManager.default.createFile(atPath: path, contents: Data("print(1)\n".utf8)))
            chmod(path, 0)
            guard let r = try runUnprivileged([path]) else {
                withKnownIssue("running as root without setpriv: permission bits cannot be tested") { Issue.record("skipped") }
                return
            }
            #expect(r.exited && r.status == 66)
            #expect(r.stdout == "")
            #expect(r.stderr == "error: cannot read '\(path)': Permission denied\n")
        }
    }

    @Test func aPlotIntoAReadOnlyFolderIsARuntimeError() throws {
        try inFolder { dir in
            let ro = dir.appendingPathComponent("ro")
            try FileManager.default.createDirectory(at: ro, withIntermediateDirectories: false)
            chmod(ro.path, 0o555)
            let target = ro.appendingPathComponent("a.svg").path
            guard let r = try runUnprivileged(["-e", "print(1)\nplot(vec(1, 2, 3), file: \"\(target)\")\nprint(2)"]) else {
                withKnownIssue("running as root without setpriv: permission bits cannot be tested") { Issue.record("skipped") }
                return
            }
            #expect(r.exited && r.status == 70)
            #expect(r.stdout == "1\n")
            #expect(r.stderr.hasPrefix("error: cannot write '\(target)': permission denied\n"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: ro.path)) == [])
        }
    }

    @Test func aPlotIntoAMissingFolderNamesIt() throws {
        try inFolder { dir in
            let target = dir.appendingPathComponent("nope/a.svg").path
            let r = try Binary.run(["-e", "plot(vec(1, 2, 3), file: \"\(target)\")"])
            #expect(r.exited && r.status == 70)
            #expect(r.stderr.hasPrefix("error: cannot write '\(target)': folder '\(dir.appendingPathComponent("nope").path)' does not exist\n"))
        }
    }

    /// `kill -9` can land at any instant of a stream of plot writes: every file in the folder
    /// must then be a complete figure, and no temporary file may be left behind.
    @Test func killedDuringPlotWritesLeavesOnlyCompleteFiles() throws {
        try inFolder { dir in
            // Ten names written ten times each: a kill may land while one replaces another.
            let script = """
                let xs = linspace(-3, 3, 20000)
                for i in 0..100 {
                  plot(xs, sin(xs * (i + 1)), file: "\(dir.path)/p" + str(i % 10) + ".svg")
                  print(i)
                }
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binary.path)
            p.arguments = ["-e", script]
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Kill once some writes are done, mid-stream.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                if names.filter({ $0.hasSuffix(".svg") }).count >= 3 { break }
                usleep(1000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "psearch finished before it was killed")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            #expect(!files.isEmpty)
            for f in files {
                #expect(f.range(of: #"^p[0-9]\.svg$"#, options: .regularExpression) != nil, "stray file '\(f)'")
                let text = (try? String(contentsOfFile: dir.appendingPathComponent(f).path, encoding: .utf8)) ?? ""
                #expect(text.hasPrefix("<svg") || text.hasPrefix("<?xml"), "\(f) does not start as an SVG")
                #expect(text.hasSuffix("</svg>\n"), "\(f) is cut short")
                if FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") {
                    let lint = Process()
                    lint.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
                    lint.arguments = ["--noout", dir.appendingPathComponent(f).path]
                    lint.standardOutput = FileHandle.nullDevice
                    lint.standardError = FileHandle.nullDevice
                    try lint.run()
                    lint.waitUntilExit()
                    #expect(lint.terminationStatus == 0, "\(f) is not well-formed XML")
                }
            }
        }
    }
}
