import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct StudyCLITests {
    @Test func showsAStudyAsTableCSVAndJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psearch-study-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/g.db"
        let script = "print(search(fn(p) = (p.x - 2) ^ 2, {x: [1, 2, 3], act: [\"a\", \"b\"]}, workers: 1, study: \"\(db)\").best)\n"
        let ran = try Binary.withScript(script) { try Binary.run([$0]) }
        #expect(ran.status == 0 && ran.stdout == "{x: 2, act: \"a\"}\n")
        let table = try Binary.run(["study", db])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("study 1 of 1 in \(db): grid search of fn over {x: [1, 2, 3], act: [\"a\", \"b\"]}"))
        #expect(table.stdout.hasSuffix("6 trials (a grid): 6 complete; best {x: 2, act: \"a\"}, loss 0\n"))
        let csv = try Binary.run(["study", db, "--csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 7 && lines[0] == "trial,state,loss,x,act,round,budget,reports,seconds,worker,started,ended")
        #expect(lines[3].hasPrefix("2,complete,0,2,\"\"\"a\"\"\",0,,0,"))
        let json = try Binary.run(["study", db, "--json"])
        #expect(json.status == 0 && json.stdout.contains("\"method\": \"grid\"") && json.stdout.contains("\"act\": \"\\\"a\\\"\""))
        let missing = try Binary.run(["study", dir + "/none.db"])
        #expect(missing.status == 66 && missing.stderr == "error: no study file '\(dir)/none.db'\n")
    }
}
