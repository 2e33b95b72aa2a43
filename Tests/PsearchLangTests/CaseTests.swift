import Foundation
import Testing
@testable import PsearchLang

/// One `.ps` file under `cases/` and what its comments say must happen.
///
/// Expectation comments (each may follow code on its line):
/// - `# expect: TEXT` or `#> TEXT`: the next line of output is TEXT
/// - `# expect error: MESSAGE`: a syntax or name error with that message (nothing runs); all of
///   a file's errors are listed, in order, so "one error per statement" is checked too
/// - `# expect runtime error: MESSAGE`: the program stops with that error after the output
///   expected so far
/// - `error line N:` / `error at L:C:` (in either error form) also checks where it points
/// - `# expect note: TEXT`: some reported error carries that note ("did you mean 'x'?")
/// - `# max-elements: N`: run with that tensor size cap
/// Cases under `cases/known-bugs/` describe bugs not yet fixed: they run as known issues, so
/// they are reported without failing the suite, and flag themselves once the bug is fixed.
struct Case: CustomTestStringConvertible, Sendable {
    let path: String
    let relative: String
    var testDescription: String { relative }

    struct ExpectedError: Sendable {
        var message: String
        var line: Int?
        var column: Int?
    }

    struct Expectations: Sendable {
        var output: [String] = []
        var errors: [ExpectedError] = []
        var runtime: ExpectedError?
        var notes: [String] = []
        var maxElements: Int?
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cases")

    /// Every `.ps` file under `cases/`, sorted so runs list them in a stable order.
    static let all: [Case] = {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return [] }
        var out: [Case] = []
        while let rel = walker.nextObject() as? String {
            if rel.hasSuffix(".ps") { out.append(Case(path: root.appendingPathComponent(rel).path, relative: rel)) }
        }
        return out.sorted { $0.relative < $1.relative }
    }()

    var isKnownBug: Bool { relative.hasPrefix("known-bugs/") }

    /// Cases that recurse until the call limit stops them.
    var recursesToTheCallLimit: Bool {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("stack overflow: recursion deeper than")
    }

    /// The cases this build runs: all but the deepest recursions under ThreadSanitizer (see
    /// `underThreadSanitizer`).
    static let runnable: [Case] = underThreadSanitizer ? all.filter { !$0.recursesToTheCallLimit } : all

    /// Reads the expectation comments of a source text.
    static func expectations(_ text: String) throws -> Expectations {
        var e = Expectations()
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let r = line.range(of: "#> ") {
                e.output.append(String(line[r.upperBound...]))
                continue
            }
            if line.hasSuffix("#>") {
                e.output.append("")
                continue
            }
            guard let r = line.range(of: "# expect") ?? line.range(of: "# max-elements:") else { continue }
            let comment = line[line.index(r.lowerBound, offsetBy: 2)...]
            if comment.hasPrefix("expect:") {
                var t = comment.dropFirst("expect:".count)
                if t.first == " " { t = t.dropFirst() }
                e.output.append(String(t))
            } else if comment.hasPrefix("expect error") {
                e.errors.append(try parseError(comment.dropFirst("expect error".count), line: n + 1))
            } else if comment.hasPrefix("expect runtime error") {
                guard e.runtime == nil else { throw CaseError("line \(n + 1): only one runtime error can stop a program") }
                e.runtime = try parseError(comment.dropFirst("expect runtime error".count), line: n + 1)
            } else if comment.hasPrefix("expect note: ") {
                e.notes.append(String(comment.dropFirst("expect note: ".count)))
            } else if comment.hasPrefix("max-elements: ") {
                e.maxElements = Int(comment.dropFirst("max-elements: ".count))
            } else if comment.hasPrefix("expect") {
                throw CaseError("line \(n + 1): unknown expectation '\(comment)'")
            }
        }
        if !e.errors.isEmpty && (e.runtime != nil || !e.output.isEmpty) {
            throw CaseError("a case with syntax errors runs nothing: it cannot expect output or a runtime error")
        }
        return e
    }

    /// `: MESSAGE`, ` line N: MESSAGE` or ` at L:C: MESSAGE`.
    static func parseError(_ rest: Substring, line: Int) throws -> ExpectedError {
        var rest = rest
        var e = ExpectedError(message: "")
        if rest.hasPrefix(" line ") {
            rest = rest.dropFirst(" line ".count)
            let digits = rest.prefix { $0.isNumber }
            e.line = Int(digits)
            rest = rest.dropFirst(digits.count)
        } else if rest.hasPrefix(" at ") {
            rest = rest.dropFirst(" at ".count)
            let l = rest.prefix { $0.isNumber }
            rest = rest.dropFirst(l.count)
            guard rest.first == ":" else { throw CaseError("line \(line): write 'at LINE:COLUMN:'") }
            rest = rest.dropFirst()
            let c = rest.prefix { $0.isNumber }
            rest = rest.dropFirst(c.count)
            e.line = Int(l)
            e.column = Int(c)
        }
        guard rest.hasPrefix(": ") else { throw CaseError("line \(line): expected ': MESSAGE' in an error expectation") }
        e.message = String(rest.dropFirst(2))
        return e
    }
}

struct CaseError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

@Suite struct CaseTests {
    @Test func casesExist() {
        #expect(Case.all.count > 20, "no .ps cases found under \(Case.root.path)")
    }

    @Test(arguments: Case.runnable)
    func script(_ c: Case) throws {
        if c.isKnownBug {
            withKnownIssue("known bug, see the comment at the top of \(c.relative)") {
                try check(c)
            }
        } else {
            try check(c)
        }
    }

    func check(_ c: Case) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: c.path)))
        let e = try Case.expectations(String(decoding: bytes, as: UTF8.self))
        var limits = Limits()
        if let m = e.maxElements { limits.maxElements = m }
        let out = runProgram(bytes, name: c.relative, limits: limits)
        #expect(out.other == nil, "unexpected error: \(out.other ?? "")")

        let got = out.lines
        #expect(got == e.output, "output differs")
        if got != e.output {
            // One mismatch per differing line is easier to read than two long arrays.
            for i in 0..<max(got.count, e.output.count) {
                let g = i < got.count ? got[i] : "<missing>", x = i < e.output.count ? e.output[i] : "<none>"
                if g != x { Issue.record("output line \(i + 1): expected \(x.debugDescription), got \(g.debugDescription)") }
            }
        }

        let syntax = out.syntax.map { d in (d.message, out.location(d)) }
        #expect(syntax.map(\.0) == e.errors.map(\.message), "syntax errors differ")
        for (x, (_, loc)) in zip(e.errors, syntax) {
            if let l = x.line { #expect(loc?.line == l, "line of '\(x.message)'") }
            if let col = x.column { #expect(loc?.column == col, "column of '\(x.message)'") }
        }

        if let x = e.runtime {
            #expect(out.runtime?.message == x.message, "runtime error")
            if let d = out.runtime {
                #expect(d.kind == .runtime)
                let loc = out.location(d)
                if let l = x.line { #expect(loc?.line == l, "line of the runtime error") }
                if let col = x.column { #expect(loc?.column == col, "column of the runtime error") }
            }
        } else {
            #expect(out.runtime == nil, "unexpected runtime error: \(out.runtime?.message ?? "")")
        }

        let notes = (out.syntax + (out.runtime.map { [$0] } ?? [])).flatMap { $0.notes.map(\.message) }
        for n in e.notes { #expect(notes.contains(n), "note '\(n)' missing; notes: \(notes)") }
    }
}
