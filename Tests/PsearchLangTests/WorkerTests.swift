import Foundation
import PsearchCore
import Testing
@testable import PsearchLang

/// The worker side of engine "ray" without Ray: a request replays a session and evaluates one
/// trial, which must equal that trial of a local search bit for bit (scripts/test-ray.sh runs
/// the whole path on a real Ray head).
@Suite struct WorkerTests {
    /// Two prompt inputs: a first search, then the one the worker is asked about.
    static let inputs = [
        """
        fn loss(p) {
            print("trial", p.x, p.k)
            return (p.x - 0.25) ^ 2 + p.k / 10 + rand() * 1e-3
        }
        let first = search(loss, {x: uniform(0, 1), k: [1]}, method: "random", trials: 3, seed: 1, workers: 1)
        """,
        """
        let r = search(loss, {x: uniform(-1, 1), k: [1, 2]}, method: "random", trials: 6, seed: 5, workers: 2)
        r.trials[3]
        """,
    ]
    static let space = "{x: uniform(-1, 1), k: [1, 2]}"

    static func request(index: Int, x: Double, k: Int, call: Int = 2, space: String = space, seed: String = "5") -> WorkerRequest {
        WorkerRequest(sources: inputs.enumerated().map { .init(name: "<input \($0.offset + 1)>", text: $0.element, repl: true) },
                      cwd: "", maxElements: Limits().maxElements, call: call, space: space, seed: seed, index: index,
                      params: ["x": .init(.number(x)), "k": .init(.number(Double(k)))], budget: nil)
    }

    /// Trial 3 of the local search: its x, the index of its k, its loss.
    static func localTrial() throws -> (x: Double, k: Int, loss: Double, output: String) {
        let out = BufferSink()
        let interp = Interpreter(output: out)
        try interp.run(inputs[0], name: "<input 1>", repl: true)
        let before = out.text
        guard case .record(let t)? = try interp.run(inputs[1], name: "<input 2>", repl: true),
              case .record(let p)? = t["params"], case .number(let x)? = p["x"], case .number(let k)? = p["k"],
              case .number(let loss)? = t["loss"]
        else { throw RuntimeError("trial 3 of the local search is not a record") }
        let lines = out.text.dropFirst(before.count).split(separator: "\n")
        return (x, Int(k) - 1, loss, String(lines[3]) + "\n")
    }

    @Test func aTrialOnAWorkerEqualsTheLocalOne() throws {
        let local = try Self.localTrial()
        let reply = Interpreter.runWorker(Self.request(index: 3, x: local.x, k: local.k), limits: Limits())
        #expect(reply.refused == nil && reply.error == nil)
        #expect(reply.loss.flatMap(Double.init)?.bitPattern == local.loss.bitPattern)
        // Only the trial's own output comes back: not the replay's, not the first search's.
        #expect(reply.output == local.output)
        // The reply survives its trip through JSON exactly.
        let decoded = try JSONDecoder().decode(WorkerReply.self, from: JSONEncoder().encode(reply))
        #expect(decoded.loss == reply.loss && decoded.output == reply.output)
    }

    @Test func aWorkerRefusesWhatIsNotItsSearch() throws {
        func refusal(_ r: WorkerRequest) -> String { Interpreter.runWorker(r, limits: Limits()).refused ?? "" }
        #expect(refusal(Self.request(index: 0, x: 0.5, k: 0, space: "{x: uniform(0, 2)}")).contains("the driver's has space {x: uniform(0, 2)}"))
        #expect(refusal(Self.request(index: 0, x: 0.5, k: 0, seed: "6")).contains("seed 5"))
        #expect(refusal(Self.request(index: 0, x: 0.5, k: 0, call: 3)).contains("did not reach its search call #3"))
        // Values outside the space never reach the objective (a choice index past the list would crash decoding).
        #expect(refusal(Self.request(index: 0, x: 0.5, k: 2)).contains("'k' is missing or outside the space"))
        #expect(refusal(Self.request(index: 0, x: 7, k: 0)).contains("'x' is missing or outside the space"))
        var other = Self.request(index: 0, x: 0.5, k: 0)
        other.protocolVersion = 99
        #expect(refusal(other).contains("protocol 99"))
        other = Self.request(index: 0, x: 0.5, k: 0)
        other.cwd = "/nonexistent/psearch-folder"
        #expect(refusal(other).contains("does not exist on this node"))
    }

    @Test func aTrialsErrorComesBackPlacedInTheSource() throws {
        var r = Self.request(index: 0, x: 0.5, k: 0)
        r.sources[0].text = r.sources[0].text.replacingOccurrences(of: "return (p.x", with: "return p.k + \"a\" + (p.x")
        let reply = Interpreter.runWorker(r, limits: Limits())
        let e = try #require(reply.error)
        #expect(e.message.contains("cannot apply '+'"))
        // Source 0 is the first input, as in the driver's registry; the note names the call site in source 1.
        #expect(e.range?.source == 0)
        #expect(reply.notes?.contains { $0.message.contains("in 'loss'") && $0.range?.source == 1 } == true)
    }
}
