import RNNAPI

public struct DatasetRecord: Sendable, Equatable {
    public var id: Int64
    public var sha256: String
    public var name: String
    public var kind: DatasetKind
    public var size: Int64
    /// Relative to the state directory.
    public var path: String
    public var createdAt: Double
}

/// A hyperparameter's typed value: numbers compare as numbers, everything else as text.
public enum HyperValue: Sendable, Equatable {
    case number(Double)
    case text(String)
}

/// What a submission stores.
public struct NewRun: Sendable {
    public var name: String
    public var priority = 0
    public var submittedBy: Int?
    public var workers: Int
    public var seed: Int64
    public var datasetID: Int64
    /// The complete configuration as a JSON object.
    public var config: String
    public var hyperparameters: [String: HyperValue]
    public var tags: [String] = []
    public var parentRunID: Int64?
    public var parentCheckpointStep: Int?
    /// The sweep trial this run trains, linked in the creating transaction.
    public var trial: TrialLink?

    public init(name: String, workers: Int, seed: Int64, datasetID: Int64, config: String,
                hyperparameters: [String: HyperValue], tags: [String] = [], priority: Int = 0, submittedBy: Int? = nil,
                parentRunID: Int64? = nil, parentCheckpointStep: Int? = nil, trial: TrialLink? = nil) {
        (self.trial, self.name, self.workers, self.seed, self.datasetID) = (trial, name, workers, seed, datasetID)
        (self.config, self.hyperparameters, self.tags, self.priority) = (config, hyperparameters, tags, priority)
        (self.submittedBy, self.parentRunID) = (submittedBy, parentRunID)
        self.parentCheckpointStep = parentCheckpointStep
    }
}

/// A run as stored: its row of `run` (columns `Store.RunColumn`) with its tags.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64, name: String, state: RunState, priority: Int
    public var submittedAt: Double, startedAt: Double?, finishedAt: Double?, submittedBy: Int?
    public var workers: Int, seed: Int64, datasetID: Int64, restarts: Int, failure: String?
    public var parentRunID: Int64?
    public var parentCheckpointStep: Int?
    public var config: String
    /// The user's note, nil when none.
    public var note: String?
    /// The sweep whose trial this run trains.
    public var sweepID: Int64?
    public var tags: [String]
}

/// A user's change to a run after submitting; nil and empty fields leave that part as it is.
public struct RunEdit: Sendable, Equatable {
    public var name: String?
    /// The new note; "" removes it.
    public var note: String?
    public var addTags: [String]
    public var removeTags: [String]
    public init(name: String? = nil, note: String? = nil, addTags: [String] = [], removeTags: [String] = []) {
        (self.name, self.note, self.addTags, self.removeTags) = (name, note, addTags, removeTags)
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

public struct MetricPoint: Sendable, Equatable {
    public var runID: Int64
    public var name: String
    public var step: Int
    public var value: Double
    public var wallTime: Double
    public init(runID: Int64, name: String, step: Int, value: Double, wallTime: Double) {
        (self.runID, self.name, self.step, self.value, self.wallTime) = (runID, name, step, value, wallTime)
    }
}

public struct CheckpointRow: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var step: Int
    /// Relative to the state directory.
    public var path: String
    public var size: Int64
    public var sha256: String
    public var valLoss: Double?
    public var kind: CheckpointKind
    public var createdAt: Double
}

public struct EventRow: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var at: Double
    public var kind: EventKind
    public var message: String
    public var uid: Int?
    public var step: Int?
}
