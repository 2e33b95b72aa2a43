import Foundation
import Testing

/// What one run of the binary did.
struct Run {
    var status: Int32
    /// False when a signal ended the process.
    var exited: Bool
    var stdout: String
    var stderr: String
}

/// Finds and runs the built `psearch` binary.
enum Binary {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary beside the test bundle (SwiftPM builds it first: this target depends on it),
    /// else the package's debug build, else one built now. `PSEARCH_BIN` overrides all.
    static let path: String = {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["PSEARCH_BIN"], fm.isExecutableFile(atPath: p) { return p }
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("psearch"))
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.appendingPathComponent("psearch"))
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("psearch"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/psearch"))
        for c in candidates where fm.isExecutableFile(atPath: c.path) { return c.path }
        // Last resort: build it (a test run from an IDE that built only the test bundle).
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "psearch"]
        build.currentDirectoryURL = packageRoot
        build.standardInput = FileHandle.nullDevice
        build.standardOutput = FileHandle.nullDevice
        build.standardError = FileHandle.nullDevice
        try? build.run()
        build.waitUntilExit()
        return packageRoot.appendingPathComponent(".build/debug/psearch").path
    }()

    /// Runs psearch with `args`; `stdin` nil means /dev/null. Output goes through files so a
    /// chatty child can never block on a full pipe.
    static func run(_ args: [String], stdin: String? = nil, stdout: FileHandle? = nil,
                    environment: [String: String] = [:]) throws -> Run {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = stdout ?? outHandle
        p.standardError = errHandle
        let input = Pipe()
        if stdin != nil { p.standardInput = input } else { p.standardInput = FileHandle.nullDevice }
        try p.run()
        if let s = stdin {
            input.fileHandleForWriting.write(Data(s.utf8))
            try input.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        return Run(status: p.terminationStatus, exited: p.terminationReason == .exit,
                   stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Writes `text` to a temporary .ps file, runs `body` with its path, removes it.
    static func withScript<T>(_ text: String, name: String = "script.ps", _ body: (String) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return try body(file.path)
    }
}

@Suite(.timeLimit(.minutes(2))) struct CLITests {
    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Binary.path), "no psearch binary at \(Binary.path)")
    }

    @Test func runsAFile() throws {
        let r = try Binary.withScript("let v = vec(1, 2, 3)\nprint(v * 2 + 1, v @ v)\n") { try Binary.run([$0]) }
        #expect(r.status == 0 && r.exited)
        #expect(r.stdout == "[3, 5, 7] 14\n")
        #expect(r.stderr == "")
    }

    @Test func runsTheAcceptanceProgram() throws {
        let program = try String(contentsOf: Binary.packageRoot.appendingPathComponent("Tests/PsearchLangTests/cases/acceptance.ps"), encoding: .utf8)
        let expected = program.split(separator: "\n").compactMap { line in
            line.range(of: "#> ").map { String(line[$0.upperBound...]) }
        }
        let r = try Binary.withScript(program) { try Binary.run([$0]) }
        #expect(r.status == 0)
        #expect(r.stdout == expected.joined(separator: "\n") + "\n")
    }

    @Test func runsCodeFromDashE() throws {
        let r = try Binary.run(["-e", "print(1 + 2)"])
        #expect(r.status == 0 && r.stdout == "3\n" && r.stderr == "")
    }

    @Test func readsAScriptFromStdinWithDash() throws {
        let r = try Binary.run(["-"], stdin: "let x = 20\nprint(x + 1)\n")
        #expect(r.status == 0 && r.stdout == "21\n" && r.stderr == "")
    }

    @Test func pipedStdinWithoutArgumentsRunsAsAScript() throws {
        // Not a terminal: no prompt, no banner, just the script's output.
        let r = try Binary.run([], stdin: "print(1)\n")
        #expect(r.status == 0)
        #expect(r.stdout == "1\n")
        #expect(r.stderr == "")
    }

    @Test func emptyInputIsFine() throws {
        #expect(try Binary.run(["-e", ""]).status == 0)
        #expect(try Binary.run([]).status == 0)
        let r = try Binary.run(["-"], stdin: "")
        #expect(r.status == 0 && r.stdout == "")
    }

    @Test func dumpAST() throws {
        let r = try Binary.run(["--dump-ast", "-e", "let a = 1 + 2 * 3\nf(x, b: -2^2)"])
        #expect(r.status == 0)
        #expect(r.stdout == "(let a (+ 1 (* 2 3)))\n(call f x (b: (- (^ 2 2))))\n")
        let f = try Binary.withScript("x = [1, 2][0]\n") { try Binary.run(["--dump-ast", $0]) }
        #expect(f.status == 0 && f.stdout == "(= x (index (array 1 2) 0))\n")
        // Names are not resolved when only parsing.
        #expect(try Binary.run(["--dump-ast", "-e", "undefined_name"]).status == 0)
        let bad = try Binary.run(["--dump-ast", "-e", "let = 1"])
        #expect(bad.status == 65 && bad.stdout == "")
        #expect(bad.stderr.hasPrefix("error: expected a variable name after 'let', found '='"))
    }

    @Test func helpAndVersion() throws {
        let h = try Binary.run(["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE: psearch"))
        #expect(h.stdout.contains("--dump-ast"))
        #expect(h.stdout.contains("--max-elements"))
        let v = try Binary.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
    }

    @Test(arguments: [["--bogus"], ["-e"], ["a.ps", "b.ps"], ["-e", "1", "file.ps"], ["--dump-ast"], ["--max-elements", "0", "-e", "1"], ["--max-elements", "x"]])
    func usageErrorsExit64(_ args: [String]) throws {
        let r = try Binary.run(args)
        #expect(r.status == 64, "\(args) exited \(r.status)")
        #expect(r.exited)
        #expect(!r.stderr.isEmpty)
        #expect(r.stdout == "")
    }

    @Test func syntaxErrorsExit65AndRunNothing() throws {
        let (r, path) = try Binary.withScript("print(\"ran\")\nlet = 1\nprint(1 +)\n", name: "demo.ps") { (try Binary.run([$0]), $0) }
        #expect(r.status == 65)
        #expect(r.stdout == "")
        // Every error of the file, each with file:line:col, the source line and a caret.
        #expect(r.stderr == """
            error: expected a variable name after 'let', found '='
             --> \(path):2:5
            2 | let = 1
              |     ^

            error: expected an expression, found ')'
             --> \(path):3:10
            3 | print(1 +)
              |          ^

            """)
        // Name errors are found before running too.
        #expect(try Binary.run(["-e", "print(1)\nprint(nope)"]).status == 65)
    }

    @Test func errorFormatOnStderr() throws {
        let r = try Binary.run(["-e", "let xs = [1, 2]\nprint(lenn(xs))"])
        #expect(r.status == 65)
        #expect(r.stderr == """
            error: unknown name 'lenn'
             --> -e:2:7
            2 | print(lenn(xs))
              |       ^^^^
            note: did you mean 'len'?

            """)
        // NO_COLOR and a non-terminal stderr: no escape codes.
        #expect(!r.stderr.contains("\u{1B}["))
    }

    @Test func missingInputExits66() throws {
        let missing = try Binary.run(["/nonexistent/dir/none.ps"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "error: cannot read '/nonexistent/dir/none.ps': No such file or directory\n")
        let dir = try Binary.run([FileManager.default.temporaryDirectory.path])
        #expect(dir.status == 66)
        #expect(dir.stderr.contains("it is a directory"))
        #expect(try Binary.run(["--dump-ast", "/nonexistent.ps"]).status == 66)
    }

    @Test func runtimeErrorsExit70KeepingEarlierOutput() throws {
        let r = try Binary.withScript("print(\"before\")\nfor i in 0..3 { print(i) }\nprint(\"a\" - 1)\nprint(\"after\")\n", name: "rt.ps") { try Binary.run([$0]) }
        #expect(r.status == 70 && r.exited)
        #expect(r.stdout == "before\n0\n1\n2\n")
        #expect(r.stderr.hasPrefix("error: cannot apply '-' to string and number\n --> "))
        #expect(r.stderr.hasSuffix("rt.ps:3:7\n3 | print(\"a\" - 1)\n  |       ^^^^^^^\n"))
    }

    @Test func largeOutputBeforeARuntimeErrorIsKept() throws {
        // More than the sink's 64 KB buffer, then an error.
        let r = try Binary.run(["-e", "for i in 0..20000 { print(i) }\nassert(false, \"stop\")"])
        #expect(r.status == 70)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 20000 && lines.last == "19999")
        #expect(r.stderr.hasPrefix("error: assertion failed: stop"))
    }

    @Test func stackOverflowIsACleanError() throws {
        let r = try Binary.run(["-e", "fn f(n) = f(n + 1)\nf(0)"])
        #expect(r.exited)
        #expect(r.status == 70)
        #expect(r.stderr.hasPrefix("error: stack overflow: recursion deeper than 10000 calls\n"))
    }

    @Test func deeplyNestedInputIsACleanError() throws {
        let deep = "print(" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ")"
        let r = try Binary.withScript(deep) { try Binary.run([$0]) }
        #expect(r.exited && r.status == 65)
        #expect(r.stderr.hasPrefix("error: nested too deeply (more than 256 levels)\n"))
        // The long line is shown as a window around the caret, not 20,000 characters.
        #expect(r.stderr.count < 1000)
    }

    @Test func badBytesAreSyntaxErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-e2e-\(UUID().uuidString).ps")
        try Data(Array("print(1)\nprint(\"a".utf8) + [0xFF, 0x00] + Array("\")\n".utf8)).write(to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run([dir.path])
        #expect(r.exited && r.status == 65)
        #expect(r.stdout == "")
        #expect(r.stderr.contains("error: invalid UTF-8 byte 0xFF in string"))
        #expect(r.stderr.contains("error: NUL byte (0x00) in string (write \\0)"))
    }

    @Test func maxElementsFlag() throws {
        let ok = try Binary.run(["--max-elements", "10", "-e", "print(len(zeros(10)))"])
        #expect(ok.status == 0 && ok.stdout == "10\n")
        let r = try Binary.run(["--max-elements", "10", "-e", "zeros(11)"])
        #expect(r.status == 70)
        #expect(r.stderr.hasPrefix("error: a tensor of 11 elements is over the size limit of 10 elements\n"))
    }

    @Test func fullDiskExits74() throws {
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }
        defer { try? full.close() }
        let r = try Binary.run(["-e", "print(1)"], stdout: full)
        #expect(r.exited)
        #expect(r.status == 74)
        #expect(r.stderr == "error: cannot write output: No space left on device\n")
    }

    @Test func closedPipeExits74WithoutASignal() throws {
        // `psearch -e '…' | head -1`: the reader goes away after one line.
        let pipe = Pipe()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = ["-e", "for i in 0..100000 { print(i) }"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        try pipe.fileHandleForWriting.close()
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            guard let chunk = try pipe.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty else { break }
            first.append(chunk)
        }
        try pipe.fileHandleForReading.close()
        p.waitUntilExit()
        #expect(String(decoding: first, as: UTF8.self) == "0\n")
        #expect(p.terminationReason == .exit, "ended by a signal")
        #expect(p.terminationStatus == 74)
    }
}
