import RNNAPI
import Foundation
import RNNCore
@testable import RNNTraining
import Testing
import RNNSupport

/// Collects the trainer's events (the sink is called from the trainer's thread).
final class EventLog: Sendable {
    private let events = Locked<[TrainingEvent]>([])
    func record(_ e: TrainingEvent) { events.withLock { $0.append(e) } }
    var all: [TrainingEvent] { events.withLock { $0 } }
    var losses: [Double] {
        all.compactMap { if case .step(let m) = $0 { return m.trainLoss } else { return nil } }
    }
    var sink: @Sendable (TrainingEvent) -> Void { { [self] in record($0) } }
}

func config(_ values: [String: ConfigValue]) throws -> RunConfig {
    try RunConfig(values)
}

/// A deterministic pseudo-text with structure a small model can learn.
func sampleText(_ count: Int = 6000, seed: UInt64 = 1) -> [UInt8] {
    let words = ["the ", "cell ", "gate ", "keeps ", "a ", "memory ", "of ", "rain, ", "river. ", "and\n"]
    var rng = Xoshiro256(seed: seed)
    var text = ""
    while text.utf8.count < count { text += words[rng.below(words.count)] }
    return Array(text.utf8.prefix(count))
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
