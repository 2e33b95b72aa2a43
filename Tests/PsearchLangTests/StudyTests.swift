import Foundation
import Testing
@testable import PsearchLang

@Suite struct StudyTests {
    static func program(_ path: String, seed: Int = 4, extra: String = "") -> String {
        """
        fn loss(p) {
            for step in 1..4 { if report((p.x - 0.2) ^ 2 + 1 / step + rand() * 0.01, step) { return 9 } }
            return (p.x - 0.2) ^ 2 + len(p.act) / 10
        }
        let r = search(loss, {x: uniform(-1, 1), act: ["tanh", "relu"]}, trials: 25, prune: "asha", seed: \(seed), workers: 2, study: "\(path)"\(extra))
        print(r.best, r.best_loss, len(r.trials))
        let s = study("\(path)")
        print(s == r, s.best, len(s.trials))
        """
    }

    @Test func resumeAndReadBack() throws {
        let dir = NSTemporaryDirectory() + "psearch-study-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/s.db"
        let first = runProgram(Self.program(path))
        #expect(first.runtime == nil)
        #expect(first.lines.count == 2 && first.lines[1].hasPrefix("true {x: "))
        // All 25 trials are read back: the same lines again.
        let again = runProgram(Self.program(path))
        #expect(again.output == first.output)
        let other = runProgram(Self.program(path, seed: 5))
        #expect(other.runtime?.message.contains("was made with seed 4, this search has seed 5") == true)
        let fresh = runProgram(Self.program(path, seed: 5, extra: ", resume: false"))
        #expect(fresh.runtime == nil)
        #expect(fresh.output != first.output)
    }
}
