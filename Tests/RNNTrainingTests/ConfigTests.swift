import Foundation
@testable import RNNTraining
import Testing

@Suite struct ConfigTests {
    func error(_ values: [String: ConfigValue]) -> TrainingError? {
        do { _ = try RunConfig(values); return nil } catch { return error as? TrainingError }
    }

    @Test func keysOfAnotherTaskAreRefusedNamingThem() {
        func refusal(_ values: [String: ConfigValue]) -> (key: String?, message: String)? {
            do { _ = try RunConfig(values.merging(["max_steps": .int(5)]) { $1 }); return nil } catch let e as TrainingError { return (e.key, e.message) } catch { return (nil, "\(error)") }
        }
        #expect(refusal(["num_classes": .int(5)])?.key == "num_classes")
        #expect(refusal(["horizon": .int(3)])?.message == "horizon: horizon applies to task regression (CSV time series), not to task lm")
        #expect(refusal(["input_columns": .list(["x"])])?.key == "input_columns")
        #expect(refusal(["task": .string("classification"), "target_columns": .list(["y"])])?.key == "target_columns")
        #expect(refusal(["task": .string("regression"), "num_classes": .int(4)])?.key == "num_classes")
        #expect(refusal(["task": .string("classification"), "num_classes": .int(4)]) == nil)
        #expect(refusal(["horizon": .int(1)]) == nil, "a key at its default is not a choice, so stored full configurations still load")
    }

    @Test func defaultsFillEveryKey() throws {
        let c = try RunConfig(["max_steps": .int(10)])
        #expect(c.values.count == RunConfig.keys.count)
        #expect(c.cell == .lstm && c.hiddenSize == 256 && c.lr == 2e-3 && c.optimizer == .adam && c.forgetBias == 1)
        #expect(c.workers == ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func everyProblemNamesItsKey() {
        #expect(error(["max_steps": .int(1), "hiden_size": .int(3)])?.key == "hiden_size")
        #expect(error(["max_steps": .int(1), "hiden_size": .int(3)])?.message.contains("hidden_size") == true, "suggests the near key")
        #expect(error(["max_steps": .int(1), "hidden_size": .int(0)])?.key == "hidden_size")
        #expect(error(["max_steps": .int(1), "hidden_size": .int(1_000_000_000)])?.key == "hidden_size")
        #expect(error(["max_steps": .int(1), "hidden_size": .string("big")])?.message == "hidden_size: expected an integer, got big")
        #expect(error(["max_steps": .int(1), "lr": .double(-0.1)])?.key == "lr")
        #expect(error(["max_steps": .int(1), "lr": .int(0)])?.key == "lr", "lr must be above 0")
        #expect(error(["max_steps": .int(1), "cell": .string("transformer")])?.message.contains("lstm, gru, rnn") == true)
        #expect(error(["max_steps": .int(1), "dropout": .double(1)])?.key == "dropout")
        #expect(error([:])?.key == "max_steps", "some limit is required")
        #expect(error(["max_steps": .int(1), "workers": .int(8), "batch_size": .int(4)])?.key == "workers")
        #expect(error(["max_steps": .int(1), "layers": .int(1), "dropout": .double(0.2)])?.key == "dropout")
        #expect(error(["max_epochs": .int(1), "lr_schedule": .string("cosine")])?.key == "lr_schedule")
        #expect(error(["max_steps": .int(1), "nesterov": .int(1)])?.key == "nesterov")
    }

    @Test func jsonParsingReportsTheKey() throws {
        let good = try RunConfig(json: Data(#"{"max_steps": 5, "lr": 1, "task": "regression", "input_columns": "a,b"}"#.utf8))
        #expect(good.lr == 1 && good.inputColumns == ["a", "b"])
        #expect(throws: TrainingError.self) { try RunConfig(json: Data("[1]".utf8)) }
        do {
            _ = try RunConfig(json: Data(#"{"max_steps": 5, "hidden_size": {"a": 1}}"#.utf8))
            Issue.record("a nested object must be refused")
        } catch let e as TrainingError {
            #expect(e.key == "hidden_size", "\(e)")
        }
    }

    @Test func roundTripsThroughJSON() throws {
        let c = try RunConfig(["max_steps": .int(7), "cell": .string("gru"), "lr": .double(0.01)])
        #expect(try RunConfig(json: c.json) == c)
        #expect(try c.with(["lr": .double(0.5)]).lr == 0.5)
    }
}
