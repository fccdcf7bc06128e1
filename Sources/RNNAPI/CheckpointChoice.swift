/// Which of a run's checkpoints to use: the latest (the default), the best (lowest validation loss), or the
/// one of a step. On the wire and on rnnctl's command line it is the text `latest`, `best` or the step number.
public enum CheckpointChoice: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    case latest, best
    case step(Int)

    /// `latest`, `best` or a step number (0 or more); nil for anything else.
    public init?(text: String) {
        switch text {
        case "latest": self = .latest
        case "best": self = .best
        default:
            guard let step = Int(text), step >= 0 else { return nil }
            self = .step(step)
        }
    }

    /// What `init(text:)` refuses, as every refusal says it.
    public static func refusal(_ text: String) -> String { "checkpoint must be best, latest or a step number, got \"\(text)\"" }

    public var description: String {
        switch self {
        case .latest: "latest"
        case .best: "best"
        case .step(let step): String(step)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let choice = CheckpointChoice(text: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.refusal(text))
        }
        self = choice
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
