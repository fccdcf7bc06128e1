import ArgumentParser
import RNNAPI

/// `--kind text|csv|jsonl`: parsed and listed by ArgumentParser.
extension DatasetKind: ExpressibleByArgument {}

/// `--checkpoint best|latest|STEP`.
extension CheckpointChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    public static var allValueStrings: [String] { ["best", "latest", "STEP"] }
}

/// `metrics --format table|csv|json`.
enum SeriesFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

extension SweepMethod: ExpressibleByArgument {}
extension SweepGoal: ExpressibleByArgument {}

/// A run's or a sweep's id on the command line: a positive integer. Anything else is a usage error (exit 2)
/// that names the value.
struct RecordID: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    let value: Int64

    init(_ value: Int64) { self.value = value }

    init?(argument: String) {
        guard let id = Int64(argument), id > 0 else { return nil }
        value = id
    }

    var description: String { String(value) }
}
