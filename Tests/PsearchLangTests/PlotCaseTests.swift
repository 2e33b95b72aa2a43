import Foundation
import PsearchLang
import Testing

/// Runs cases/plot/*.ps (plain terminal text as `# expect:` lines) in process. The shared case
/// runner walks these files too; this suite also re-records them: `PSEARCH_RECORD=1 swift test
/// --filter PlotCaseTests` rewrites each file's `# expect:` lines from the current output.
@Suite struct PlotCaseTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cases/plot")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".ps") }.sorted()

    @Test func casesExist() { #expect(Self.files.count >= 8) }

    @Test(arguments: files)
    func plotCase(_ name: String) throws {
        let path = Self.folder.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var expected = [String](), runtime: String?
        var program = [String]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# expect:") {
                var t = line.dropFirst("# expect:".count)
                if t.first == " " { t = t.dropFirst() }
                expected.append(String(t))
                continue
            }
            program.append(String(line))
            if let r = line.range(of: "# expect runtime error: ") { runtime = String(line[r.upperBound...]) }
        }
        let sink = BufferSink()
        let interp = Interpreter(output: sink)
        var got: String?
        do { try interp.run(text, name: name) } catch { guard let d = error.runtime else { throw error }; got = d.message }
        #expect(got == runtime)
        let lines = sink.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        if ProcessInfo.processInfo.environment["PSEARCH_RECORD"] == "1" {
            while program.last == "" { program.removeLast() }
            let body = (program + lines.map { $0.isEmpty ? "# expect:" : "# expect: " + $0 }).joined(separator: "\n") + "\n"
            try body.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(lines == expected, "\(name): output differs")
        for (i, (g, x)) in zip(lines, expected).enumerated() where g != x {
            Issue.record("\(name) line \(i + 1): expected \(x.debugDescription), got \(g.debugDescription)")
            break
        }
    }
}
