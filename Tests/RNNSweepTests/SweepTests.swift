import Foundation
import RNNAPI
@testable import RNNSweep
import Testing

@Suite struct SearchSpaceTests {
    @Test func listsAndDistributionsParse() throws {
        let space = try SearchSpace.parse(["lr=loguniform(1e-4, 1e-2)", "hidden_size=[128, 256]", "cell=choice(lstm, \"gru\")",
                                           "dropout=uniform(0, 0.5)", "layers=int(1, 3)"])
        #expect(space.keys == ["cell", "dropout", "hidden_size", "layers", "lr"])
        #expect(space.domains["lr"] == .logUniform(1e-4, 1e-2))
        #expect(space.domains["hidden_size"] == .values([.int(128), .int(256)]))
        #expect(space.domains["cell"] == .values([.string("lstm"), .string("gru")]))
        #expect(space.domains["layers"] == .integer(1, 3))
    }

    @Test func badSpacesNameTheKeyAndTheProblem() {
        func message(_ items: [String]) -> String? {
            do { _ = try SearchSpace.parse(items); return nil } catch { return (error as? SweepError)?.description }
        }
        #expect(message(["lr=loguniform(0, 1)"]) == "space: lr: loguniform needs positive bounds, got 0")
        #expect(message(["lr=uniform(0.1, 0.01)"]) == "space: lr: uniform(0.1, 0.01) needs a < b")
        #expect(message(["lr=normal(0, 1)"]) == "space: lr: unknown distribution \"normal\" (uniform, loguniform, int, choice)")
        #expect(message(["lr=uniform(1)"]) == "space: lr: uniform(a, b) takes two bounds, got 1")
        #expect(message(["lr=[0.1, ]"]) == "space: lr: the list [0.1, ] has an empty item")
        #expect(message(["lr=0.1"])?.hasPrefix("space: lr: expected a list [a, b, …]") == true)
        #expect(message(["lr=[1]", "lr=[2]"]) == "space: lr is given twice")
        #expect(message(["=1"])?.hasPrefix("space: expected key=values") == true)
        #expect(message(["layers=int(3, 1)"]) == "space: layers: int(3, 1) has its bounds the wrong way round")
        #expect(message(["layers=int(1.5, 3)"]) == "space: layers: int(a, b) takes integers")
        #expect(message([]) == "space: give at least one key, e.g. lr=loguniform(1e-4, 1e-2)")
    }

    @Test func aGridIsEveryCombinationInOrder() throws {
        let space = try SearchSpace.parse(["lr=[0.1, 0.01]", "hidden_size=[64, 128, 256]"])
        let grid = try space.grid()
        #expect(grid.count == 6)
        #expect(grid.map { $0["hidden_size"]! } == [.int(64), .int(64), .int(128), .int(128), .int(256), .int(256)])
        #expect(grid.map { $0["lr"]! } == [.double(0.1), .double(0.01), .double(0.1), .double(0.01), .double(0.1), .double(0.01)])
        #expect(throws: SweepError.self) { try SearchSpace.parse(["lr=loguniform(1e-4, 1e-2)"]).grid() }
        // 10⁹ combinations are counted and refused, never built.
        let huge = try SearchSpace.parse((0..<9).map { "k\($0)=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" })
        #expect(throws: SweepError("space: the grid has 1000000000 combinations; at most 10000")) { try huge.grid() }
    }

    @Test func randomTrialsAreFixedBySeedAndStayInTheirDomains() throws {
        let space = try SearchSpace.parse(["lr=loguniform(1e-4, 1e-2)", "layers=int(1, 3)", "cell=[lstm, gru]", "dropout=uniform(0, 0.5)"])
        let a = space.sample(count: 200, seed: 7), b = space.sample(count: 200, seed: 7), c = space.sample(count: 200, seed: 8)
        #expect(a == b && a != c)
        for trial in a {
            guard case .double(let lr) = trial["lr"]!, case .int(let layers) = trial["layers"]!, case .double(let p) = trial["dropout"]! else {
                Issue.record("types: \(trial)"); continue
            }
            #expect(lr >= 1e-4 && lr < 1e-2 && (1...3).contains(layers) && p >= 0 && p < 0.5)
        }
        // Every value of a small domain turns up, and the log-uniform draws spread over both decades.
        #expect(Set(a.map { $0["layers"]!.description }) == ["1", "2", "3"] && Set(a.map { $0["cell"]!.description }).count == 2)
        let lrs = a.compactMap { if case .double(let v) = $0["lr"]! { v } else { nil } }
        #expect(lrs.filter { $0 < 1e-3 }.count > 60 && lrs.filter { $0 >= 1e-3 }.count > 60)
        // The generator is SplitMix64 as published (reference outputs for seed 0): a change would change every sweep's trials.
        var rng = SplitMix64(seed: 0)
        #expect([rng.next(), rng.next(), rng.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }
}

@Suite struct ASHATests {
    typealias R = ASHA.Result

    @Test func budgetsGrowByEtaUpToMaxSteps() throws {
        #expect(try ASHA(minSteps: 10, eta: 3, maxSteps: 90).budgets == [10, 30, 90])
        #expect(try ASHA(minSteps: 100, eta: 2, maxSteps: 500).budgets == [100, 200, 400, 500])
        #expect(throws: SweepError.self) { try ASHA(minSteps: 10, eta: 1, maxSteps: 90) }
        #expect(throws: SweepError.self) { try ASHA(minSteps: 90, eta: 3, maxSteps: 90) }
    }

    @Test func promotesTheTopThirdAsResultsArrive() throws {
        let asha = try ASHA(minSteps: 10, eta: 3, maxSteps: 90)
        // Two results: fewer than η, nobody qualifies yet.
        #expect(asha.promotion(results: [[R(trial: 0, value: 5), R(trial: 1, value: 3)]], promoted: [[]], lowerIsBetter: true) == nil)
        // Three: the best of them (trial 1) is in the top 1/3.
        var rung0 = [R(trial: 0, value: 5), R(trial: 1, value: 3), R(trial: 2, value: 4)]
        #expect(asha.promotion(results: [rung0], promoted: [[]], lowerIsBetter: true)
                == ASHA.Promotion(trial: 1, rung: 0, value: 3, rank: 1, of: 3, top: 1))
        // Promoted already: no one else qualifies until more results arrive (a new trial starts instead).
        #expect(asha.promotion(results: [rung0], promoted: [[1]], lowerIsBetter: true) == nil)
        // Six results, top two: trial 3 (1.0) first; then trial 5 (2.0); trial 1, now third, is not promoted again.
        rung0 += [R(trial: 3, value: 1), R(trial: 4, value: 6), R(trial: 5, value: 2)]
        #expect(asha.promotion(results: [rung0], promoted: [[1]], lowerIsBetter: true)?.trial == 3)
        #expect(asha.promotion(results: [rung0], promoted: [[1, 3]], lowerIsBetter: true)?.trial == 5)
        #expect(asha.promotion(results: [rung0], promoted: [[1, 3, 5]], lowerIsBetter: true) == nil)
        // Higher rungs first: three results at rung 1 promote their best to rung 2 before rung 0 is looked at.
        let rung1 = [R(trial: 1, value: 2.5), R(trial: 3, value: 0.9), R(trial: 5, value: 1.5)]
        #expect(asha.promotion(results: [rung0, rung1], promoted: [[1, 3, 5], []], lowerIsBetter: true)
                == ASHA.Promotion(trial: 3, rung: 1, value: 0.9, rank: 1, of: 3, top: 1))
        // The top rung never promotes.
        #expect(asha.promotion(results: [[], [], [R(trial: 3, value: 0.5), R(trial: 1, value: 0.6), R(trial: 2, value: 0.7)]],
                               promoted: [[], [], []], lowerIsBetter: true) == nil)
    }

    @Test func goalTiesAndDivergedTrials() throws {
        let asha = try ASHA(minSteps: 1, eta: 2, maxSteps: 4)
        // Higher is better (accuracy): 0.9 wins.
        #expect(asha.promotion(results: [[R(trial: 0, value: 0.5), R(trial: 1, value: 0.9)]], promoted: [[]], lowerIsBetter: false)?.trial == 1)
        // A tie goes to the earlier result.
        #expect(asha.promotion(results: [[R(trial: 4, value: 1), R(trial: 2, value: 1)]], promoted: [[]], lowerIsBetter: true)?.trial == 4)
        // NaN (diverged) ranks last whatever the goal.
        #expect(asha.promotion(results: [[R(trial: 0, value: .nan), R(trial: 1, value: 9)]], promoted: [[]], lowerIsBetter: true)?.trial == 1)
        #expect(asha.promotion(results: [[R(trial: 0, value: .nan), R(trial: 1, value: -9)]], promoted: [[]], lowerIsBetter: false)?.trial == 1)
    }
}
