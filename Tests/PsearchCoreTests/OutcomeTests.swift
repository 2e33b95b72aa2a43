import Testing
@testable import PsearchCore

/// Every result kind reports the shared part (point, loss, steps, evaluations, why it stopped,
/// loss trace) from its own fields, with one stop vocabulary.
@Suite struct OutcomeTests {
    static var bowl: Descent.Objective { Descent.objective { p in ((p[0] - 3) * (p[0] - 3), [2 * (p[0] - 3)]) } }

    @Test func descentStopsForEachReason() throws {
        let converged = try Descent.descend(Self.bowl, start: [0], options: DescentOptions(lr: 0.1, steps: 1000))
        #expect(converged.outcome.stop == .converged)
        #expect(converged.outcome.x == converged.x && converged.outcome.loss == converged.loss)
        #expect(converged.outcome.steps == converged.steps && converged.outcome.evaluations == converged.evaluations)
        #expect(converged.outcome.trace == converged.losses && converged.outcome.trace.count == converged.steps + 1)
        #expect(converged.outcome.message == converged.message)

        let limited = try Descent.descend(Self.bowl, start: [0], options: DescentOptions(lr: 0.01, steps: 5))
        #expect(limited.outcome.stop == .limit && !limited.outcome.converged)

        let diverged = try Descent.descend(Self.bowl, start: [0], options: DescentOptions(lr: 1.5, steps: 1000))
        #expect(diverged.outcome.stop == .diverged)

        // At the minimum of a kinked function no step along −g lowers the loss.
        let kink = Descent.objective { p in (Swift.abs(p[0]), [p[0] >= 0 ? 1 : -1]) }
        let stalled = try Descent.descend(kink, start: [0], options: DescentOptions(lr: 0.1, steps: 10, line: true))
        #expect(stalled.stalled && stalled.outcome.stop == .stalled)
    }

    @Test func multiStartReportsItsBestRunWithEveryEvaluation() throws {
        let m = try Descent.multiStart(Self.bowl, box: [(-5, 5)], starts: 4, random: Random(seed: 1),
                                       options: DescentOptions(lr: 0.1, steps: 500))
        let best = try #require(m.best)
        #expect(m.outcome.x == m.runs[best].x && m.outcome.loss == m.runs[best].loss)
        #expect(m.outcome.evaluations == m.runs.map(\.evaluations).reduce(0, +))
        #expect(m.outcome.stop == .converged)
    }

    @Test func intervalSearchesConvergeAndAGridFinishes() throws {
        let f = { (x: Double) in (x - 1) * (x - 1) }
        let golden = try IntervalSearch.golden(f, lo: -2, hi: 3, tol: 1e-6)
        #expect(golden.outcome.stop == .converged && golden.outcome.x == [golden.x] && golden.outcome.loss == golden.loss)
        let grid = try IntervalSearch.grid(f, lo: -2, hi: 3, n: 11)
        #expect(grid.outcome.stop == .finished && grid.outcome.steps == 11)
        let root = try IntervalSearch.bisect({ $0 - 0.25 }, lo: 0, hi: 1, tol: 1e-9)
        #expect(root.outcome.stop == .converged)
    }

    @Test func binarySearchHasNoPoint() throws {
        let hit = try BinarySearch.search([1, 2, 4, 5, 7], 5)
        #expect(hit.outcome.stop == .converged && hit.outcome.x == nil && hit.outcome.loss == nil && hit.outcome.steps == hit.steps)
        let miss = try BinarySearch.search([1, 2, 4, 5, 7], 3)
        #expect(miss.outcome.stop == .finished)
    }

    @Test func trainingReportsItsEpochsAndHeldWeights() throws {
        let data = try Generators.moons(n: 60, seed: 1)
        let r = try Training.train(try Model.logistic(d: 2), on: data, options: TrainOptions(lr: 0.1, epochs: 4, validation: 0, seed: 2))
        #expect(r.outcome.stop == .limit && r.outcome.steps == 4)
        #expect(r.outcome.trace == r.history.trainLoss && r.outcome.loss == r.history.trainLoss.last)
        #expect(r.outcome.x == r.path[4])
    }

    @Test func aSearchTracesItsBestLossSoFar() throws {
        let space = SearchSpace([.init("a", .choices([.number(3), .number(1), .number(2)]))])
        let r = try Trials.search(space: space, options: SearchOptions(method: .grid, workers: 1), shouldStop: { false }) { input in
            input.params["a"]!.double!
        }
        #expect(r.outcome.trace == [3, 1, 1] && r.outcome.loss == 1 && r.outcome.stop == .finished && r.outcome.x == nil)
    }
}
