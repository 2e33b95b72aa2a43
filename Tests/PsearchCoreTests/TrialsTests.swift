import Testing
import Foundation
import Synchronization
@testable import PsearchCore

@Suite struct TrialsTests {
    let space = SearchSpace([
        .init("lr", .logRange(1e-3, 1)),
        .init("hidden", .choices([.number(4), .number(8), .number(16)])),
        .init("act", .choices([.string("tanh"), .string("relu")])),
    ])

    /// A noisy bowl: minimum near lr = 0.1, hidden = 8, act = tanh; the noise comes from the trial's stream.
    static let objective: Trials.Objective = { input in
        var rng = input.random
        let lr = input.params["lr"]!.double!, h = input.params["hidden"]!.double!
        let bonus = input.params["act"]!.string! == "tanh" ? 0.0 : 0.5
        let fidelity = 1.0 / Double(input.budget ?? 9)
        let a: Double = log10(lr) + 1
        let b: Double = log2(h) - 3
        return a * a + b * b + bonus + fidelity * rng.uniform()
    }

    func same(_ a: SearchResult, _ b: SearchResult) {
        #expect(a.best == b.best)
        #expect(a.bestLoss == b.bestLoss)
        #expect(a.trials.map(\.loss) == b.trials.map(\.loss))
        #expect(a.trials.map(\.params) == b.trials.map(\.params))
        #expect(a.trials.map(\.index) == Array(0..<a.trials.count))
    }

    @Test(arguments: SearchMethod.allCases)
    func resultsDoNotDependOnWorkers(method: SearchMethod) throws {
        var o1 = SearchOptions(method: method, trials: 30, seed: 11, workers: 1)
        o1.maxBudget = 27
        var o2 = o1
        o2.workers = 2
        let a = try Trials.search(space: space, options: o1, shouldStop: { false }, objective: TrialsTests.objective)
        let b = try Trials.search(space: space, options: o2, shouldStop: { false }, objective: TrialsTests.objective)
        same(a, b)
        #expect(a.method == method)
        #expect(a.best["hidden"] == .number(8))
        #expect(a.best["act"] == .string("tanh"))
    }

    @Test func gridCoversEveryCombinationInOrder() throws {
        let r = try Trials.search(space: space, options: SearchOptions(method: .grid, workers: 2), shouldStop: { false }, objective: TrialsTests.objective)
        #expect(r.trials.count == 5 * 3 * 2)
        #expect(r.trials[0].params == ["lr": .number(1e-3), "hidden": .number(4), "act": .string("tanh")])
        #expect(r.trials[1].params["act"] == .string("relu"))
        #expect(r.trials.last!.params["lr"] == .number(1))
        #expect(r.best["lr"]!.double! == 0.1778279410038923 || abs(r.best["lr"]!.double! - 0.1) < 0.1)
    }

    @Test func halvingFollowsScikitLearnSchedule() throws {
        // 30 candidates, factor 3: rounds of 30, 10, 4, 2 with budgets 1, 3, 9, 27.
        #expect(Trials.halvingSchedule(candidates: 30, factor: 3, minBudget: nil, maxBudget: 27) == [1, 3, 9, 27])
        #expect(Trials.halvingSchedule(candidates: 30, factor: 3, minBudget: nil, maxBudget: 100) == [3, 9, 27, 81])
        #expect(Trials.halvingSchedule(candidates: 30, factor: 3, minBudget: 5, maxBudget: 50) == [5, 15, 45])
        #expect(Trials.halvingSchedule(candidates: 1, factor: 3, minBudget: nil, maxBudget: 10) == [10])
        var o = SearchOptions(method: .halving, trials: 30, seed: 3, workers: 2)
        o.maxBudget = 27
        let r = try Trials.search(space: space, options: o, shouldStop: { false }, objective: TrialsTests.objective)
        let perRound = Dictionary(grouping: r.trials, by: \.round).mapValues(\.count)
        #expect(perRound == [0: 30, 1: 10, 2: 4, 3: 2])
        #expect(r.trials.filter { $0.round == 3 }.allSatisfy { $0.budget == 27 })
        // The best comes from the last round.
        #expect(r.trials.filter { $0.round == 3 }.map(\.loss).min() == r.bestLoss)
    }

    @Test func objectiveErrorsPropagateDeterministically() throws {
        struct Boom: Error, Equatable { let index: Int }
        for workers in [1, 2] {
            #expect(throws: Boom(index: 5)) {
                try Trials.search(space: space, options: SearchOptions(method: .random, trials: 20, workers: workers), shouldStop: { false }) { input in
                    if input.index >= 5 && input.index % 5 == 0 { throw Boom(index: input.index) }
                    return 1
                }
            }
        }
    }

    @Test func stoppingKeepsFinishedTrials() throws {
        let r = try Trials.search(space: space, options: SearchOptions(method: .random, trials: 20, workers: 1), shouldStop: { false }) { input in
            Double(input.index)
        }
        #expect(r.trials.count == 20 && !r.interrupted)
        let counter = Counter()
        let s = try Trials.search(space: space, options: SearchOptions(method: .random, trials: 20, workers: 1), shouldStop: { counter.bump() > 7 }) { input in
            Double(-input.index)
        }
        #expect(s.interrupted)
        #expect(s.trials.count == 7)
        #expect(s.bestLoss == -6)
        #expect(s.note?.contains("interrupted after 7 trials") == true)
    }

    @Test func badSpacesAreErrors() {
        #expect(throws: TrialError.self) { try Trials.search(space: SearchSpace([]), options: SearchOptions(), objective: { _ in 0 }) }
        #expect(throws: TrialError.badArgument("logrange of 'lr' needs 0 < lo <= hi, got 0.0...1.0")) {
            try Trials.search(space: SearchSpace([.init("lr", .logRange(0, 1))]), options: SearchOptions(), objective: { _ in 0 })
        }
        #expect(throws: TrialError.self) {
            try Trials.search(space: space, options: SearchOptions(trials: 0), objective: { _ in 0 })
        }
    }

    @Test func nanRanksLast() throws {
        let r = try Trials.search(space: SearchSpace([.init("x", .choices([.number(1), .number(2), .number(3)]))]),
                                  options: SearchOptions(method: .grid, workers: 1), shouldStop: { false }) { input in
            input.params["x"] == .number(1) ? .nan : input.params["x"]!.double!
        }
        #expect(r.best == ["x": .number(2)])
    }
}

/// A thread-safe counter for the stop callback.
final class Counter: Sendable {
    private let n = Synchronization.Mutex(0)
    func bump() -> Int { n.withLock { $0 += 1; return $0 } }
}

@Suite struct GridCountTests {
    /// 20 parameters of 10 choices: 10^20 combinations, past Int.max, so the count in the
    /// message is printed as a Double (Int(total) trapped).
    @Test func aGridPastIntMaxIsRefusedWithItsCount() {
        let ten = (1...10).map { ParamValue.number(Double($0)) }
        let space = SearchSpace((0..<20).map { SearchSpace.Dimension("p\($0)", .choices(ten)) })
        #expect(throws: TrialError.badArgument("grid of 1e+20 combinations is too large (at most 100,000)")) {
            try Trials.search(space: space, options: SearchOptions(method: .grid, trials: 10, seed: 1, workers: 1),
                              shouldStop: { false }) { _ in 0 }
        }
    }
}

@Suite struct AutoMLTests {
    /// A budget of 1e300 seconds overflowed Int(s * 1000); beyond 10^9 s there is no deadline.
    @Test func anEndlessTimeBudgetRunsTheWholeRace() throws {
        let data = try Generators.blobs(n: 60, classes: 2, noise: 0.1, seed: 2)
        for s in [1e300, Double.infinity] {
            var o = AutoMLOptions(budget: .seconds(s), seed: 1, workers: 1)
            o.maxEpochs = 3
            let r = try AutoML.run(data, options: o, shouldStop: { false })
            #expect(r.leaderboard.count == 81)
        }
    }

    @Test func designsAModelForBlobs() throws {
        let data = try Generators.blobs(n: 300, classes: 3, noise: 0.1, seed: 2)
        var o = AutoMLOptions(budget: .trials(9), seed: 1, workers: 2)
        o.maxEpochs = 9
        let a = try AutoML.run(data, options: o, shouldStop: { false })
        o.workers = 1
        let b = try AutoML.run(data, options: o, shouldStop: { false })
        #expect(a.model == b.model)
        #expect(a.leaderboard.map(\.valLoss) == b.leaderboard.map(\.valLoss))
        #expect(a.leaderboard.count == 9)
        #expect(a.trials == 9 + 3 + 1)
        #expect(a.leaderboard[0].epochs == 9)
        #expect(try a.model.accuracy(on: data) >= 0.85)
    }

    @Test func regressionUsesSquaredError() throws {
        let data = try Generators.linear(n: 200, d: 2, noise: 0.05, seed: 3)
        var o = AutoMLOptions(budget: .trials(4), seed: 2, workers: 2)
        o.maxEpochs = 9
        let r = try AutoML.run(data, options: o, shouldStop: { false })
        #expect(r.model.head == .identity)
        #expect(r.leaderboard.allSatisfy { $0.valAccuracy.isNaN })
        let untrained = try Model.linear(d: 2).loss(on: data)
        let loss = try r.model.loss(on: data)
        #expect(loss < 0.5 * untrained, "loss \(loss) vs untrained \(untrained)")
    }
}
