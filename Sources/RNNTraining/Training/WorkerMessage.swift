import Foundation

/// What rank 0 of a multi-host run (rnnd-worker) tells rnnd, one JSON object per line on its stdout; rnnd
/// records it as it records a local trainer's reports, so rnnd stays the only writer of its store.
public enum WorkerMessage: Codable, Sendable, Equatable {
    /// Every rank is up (MPI is initialised on all `ranks`): the launch is over; loading the run follows.
    case connected(ranks: Int)
    /// The ranks are up and the run's state is loaded on all `ranks` (`step` is where it starts).
    case started(step: Int, ranks: Int)
    /// A report of the trainer; `.step` reports double as the heartbeat.
    case event(TrainingEvent)
    /// How `Trainer.run` ended.
    case outcome(TrainingOutcome)
    /// Training stopped with an error (the rank exits non-zero after this line).
    case failed(code: String, message: String)

    /// The line prefix that tells rnnd's reader a line is a message (anything else on stdout is passed to the log).
    public static let prefix = "rnnd-worker: "

    public var line: String {
        get throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.outputFormatting = .sortedKeys
        return Self.prefix + String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }

    /// The message on `line`, or nil when the line is not one (log output of a rank).
    public init?(line: some StringProtocol) {
        guard line.hasPrefix(Self.prefix) else { return nil }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let message = try? decoder.decode(Self.self, from: Data(line.dropFirst(Self.prefix.count).utf8)) else { return nil }
        self = message
    }
}
