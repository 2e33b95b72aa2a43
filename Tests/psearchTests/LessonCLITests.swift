import Foundation
import Testing

/// `psearch check` and `psearch export` as a user runs them.
@Suite(.timeLimit(.minutes(2))) struct LessonCLITests {
    let passing = "# prose\nprint(1 + 2)\n#> 3\nlet x = 0.1\nprint(x * 3)\n#> 0.30000000000000004\n"

    /// Runs `body` in a fresh folder holding `files`.
    func inFolder<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-lesson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return try body(dir)
    }

    @Test func checkPasses() throws {
        try inFolder(["a.ps": passing, "b.ps": "print(\"안녕\")\n#>= 안녕\n"]) { dir in
            let r = try Binary.run(["check", dir.appendingPathComponent("a.ps").path, dir.appendingPathComponent("b.ps").path])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout == "check: 2 files, 4 statements, 3 output lines: all match\n")
        }
    }

    @Test func mismatchPrintsADiffAndExits1() throws {
        try inFolder(["a.ps": passing.replacingOccurrences(of: "#> 3", with: "#> 4")]) { dir in
            let path = dir.appendingPathComponent("a.ps").path
            let r = try Binary.run(["check", path])
            #expect(r.status == 1)
            #expect(r.stdout == """
                --- \(path) (expected)
                +++ \(path) (actual)
                @@ -2,2 +2,2 @@ \(path):3
                 print(1 + 2)
                -#> 4
                +#> 3
                check: 1 of 1 file failed: \(path)

                """)
        }
    }

    @Test func runtimeErrorFailsTheCheck() throws {
        try inFolder(["e.ps": "print(1)\n#> 1\nprint([1][3])\n"]) { dir in
            let r = try Binary.run(["check", dir.appendingPathComponent("e.ps").path])
            #expect(r.status == 1)
            #expect(r.stderr.contains("e.ps:3:"), "\(r.stderr)")
            #expect(r.stdout.contains("FAIL: the script stops with an error"))
        }
    }

    @Test func updateRewritesAtomically() throws {
        let stale = "print(1 + 2)\nprint(\"new\")\n#> old\n"
        try inFolder(["a.ps": stale]) { dir in
            let path = dir.appendingPathComponent("a.ps").path
            let r = try Binary.run(["check", "--update", path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "print(1 + 2)\n#> 3\nprint(\"new\")\n#> new\n")
            // Written through a temporary file and a rename: nothing else is left in the folder.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.ps"])
            #expect(try Binary.run(["check", path]).status == 0)
            // A script that stops with an error is left as it was.
            try Data("print(1)\nprint(nope)\n".utf8).write(to: URL(fileURLWithPath: path))
            let bad = try Binary.run(["check", "--update", path])
            #expect(bad.status == 1)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "print(1)\nprint(nope)\n")
        }
    }

    @Test func verbsAreNotScriptNames() throws {
        try inFolder(["check": "print(\"a script named check\")\n"]) { dir in
            let r = try Binary.run([dir.appendingPathComponent("check").path])
            #expect(r.status == 0 && r.stdout == "a script named check\n")
        }
        #expect(try Binary.run(["check"]).status == 64)
        #expect(try Binary.run(["export", "x.ps"]).status == 64)
        #expect(try Binary.run(["export", "x.ps", "-o", "x.pdf"]).status == 64)
        #expect(try Binary.run(["check", "/nonexistent/x.ps"]).status == 66)
        #expect(try Binary.run(["check", "--help"]).stdout.contains("USAGE: psearch check"))
    }

    @Test func exportWritesHTMLAndMarkdown() throws {
        try inFolder(["l.ps": "## Title\n# Some *prose*.\n" + passing]) { dir in
            let source = dir.appendingPathComponent("l.ps").path
            let html = dir.appendingPathComponent("l.html").path, md = dir.appendingPathComponent("l.md").path
            #expect(try Binary.run(["export", source, "-o", html]).status == 0)
            #expect(try Binary.run(["export", source, "--output", md]).status == 0)
            let page = try String(contentsOfFile: html, encoding: .utf8)
            #expect(page.contains("<title>Title</title>") && page.contains("<em>prose</em>"))
            #expect(page.contains("<samp>0.30000000000000004</samp>"))
            let markdown = try String(contentsOfFile: md, encoding: .utf8)
            #expect(markdown.hasPrefix("# Title\nSome *prose*.\nprose\n\n```psearch\nprint(1 + 2)\n```\n\n```text\n3\n```\n"))
            // A script that fails writes nothing.
            try Data("print(nope)\n".utf8).write(to: URL(fileURLWithPath: source))
            let bad = try Binary.run(["export", source, "-o", dir.appendingPathComponent("bad.html").path])
            #expect(bad.status == 65)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.html").path))
        }
    }

    /// Every example and every recorded lesson passes `psearch check`. Lesson drafts without
    /// any `#>` line wait for the built-ins they use and are skipped until recorded.
    @Test func examplesAndLessonsPass() throws {
        let fm = FileManager.default
        var files: [String] = []
        for folder in ["scripts/examples", "scripts/lessons"] {
            let dir = Binary.packageRoot.appendingPathComponent(folder)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".ps") {
                let path = dir.appendingPathComponent(name).path
                let text = try String(contentsOfFile: path, encoding: .utf8)
                if folder == "scripts/lessons" && !text.split(separator: "\n").contains(where: { $0.hasPrefix("#>") }) { continue }
                files.append(path)
            }
        }
        #expect(!files.isEmpty)
        let r = try Binary.run(["check"] + files.sorted())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}
