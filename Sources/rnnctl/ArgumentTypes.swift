import ArgumentParser
import RNNAPI

/// `--kind text|csv|jsonl`: parsed and listed by ArgumentParser.
extension DatasetKind: ExpressibleByArgument {}

/// `--checkpoint best|latest|STEP`.
enum CheckpointChoice: ExpressibleByArgument, Equatable, CustomStringConvertible {
    case best, latest
    case step(Int)

    init?(argument: String) {
        switch argument {
        case "best": self = .best
        case "latest": self = .latest
        default:
            guard let step = Int(argument), step >= 0 else { return nil }
            self = .step(step)
        }
    }

    /// As the API takes it.
    var description: String {
        switch self {
        case .best: "best"
        case .latest: "latest"
        case .step(let step): String(step)
        }
    }

    static var allValueStrings: [String] { ["best", "latest", "STEP"] }
}

/// `metrics --format table|csv|json`.
enum SeriesFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

extension SweepMethod: ExpressibleByArgument {}
extension SweepGoal: ExpressibleByArgument {}
