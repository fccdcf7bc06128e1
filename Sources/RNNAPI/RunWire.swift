import Foundation

/// POST /v1/runs
public struct SubmitRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["name", "dataset", "config", "priority", "tags", "derived_from", "dataset_name"]
    public var name: String?
    /// The SHA-256 of an uploaded dataset.
    public var dataset: String
    /// Run configuration keys; the rest take their defaults.
    public var config: [String: APIValue]
    /// Higher runs first; default 0.
    public var priority: Int?
    public var tags: [String]?
    /// The run this one reruns with changes (`rnnctl submit --from RUN`), recorded as an event of the new run.
    public var derivedFrom: Int64?
    /// The file name the submitter knows the dataset by, for its error messages (the same bytes may have been
    /// uploaded before under another name, which the store keeps). Default: the stored name.
    public var datasetName: String?
    public init(name: String? = nil, dataset: String, config: [String: APIValue], priority: Int? = nil, tags: [String]? = nil,
                derivedFrom: Int64? = nil, datasetName: String? = nil) {
        (self.name, self.dataset, self.config, self.priority, self.tags) = (name, dataset, config, priority, tags)
        (self.derivedFrom, self.datasetName) = (derivedFrom, datasetName)
    }
}

/// POST /v1/runs/{id}/fork: a new run that starts from one of this run's checkpoints.
public struct ForkRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["checkpoint", "set", "name", "priority"]
    /// "best", "latest" (default) or a step number.
    public var checkpoint: CheckpointChoice?
    /// Changed configuration keys (training keys only: the model's shape stays).
    public var set: [String: APIValue]?
    public var name: String?
    public var priority: Int?
    public init(checkpoint: CheckpointChoice? = nil, set: [String: APIValue]? = nil, name: String? = nil, priority: Int? = nil) {
        (self.checkpoint, self.set, self.name, self.priority) = (checkpoint, set, name, priority)
    }
}

/// PATCH /v1/runs/{id}: the changes a user makes to a run after submitting it, in any state. Absent fields
/// stay as they are.
public struct EditRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["name", "note", "add_tags", "remove_tags"]
    public var name: String?
    /// The run's new note; "" removes it.
    public var note: String?
    public var addTags: [String]?
    public var removeTags: [String]?
    public init(name: String? = nil, note: String? = nil, addTags: [String]? = nil, removeTags: [String]? = nil) {
        (self.name, self.note, self.addTags, self.removeTags) = (name, note, addTags, removeTags)
    }
}

/// A run as lists and status show it: the stored record plus its live progress.
public struct RunInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var state: RunState
    public var priority: Int
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var submittedBy: Int?
    public var workers: Int
    public var seed: Int64
    /// The dataset's SHA-256.
    public var dataset: String
    public var restarts: Int
    public var failure: String?
    public var parentRunId: Int64?
    public var parentCheckpointStep: Int?
    public var tags: [String]
    /// The user's note (`rnnctl note`), absent when none.
    public var note: String?
    /// The summaries of the metrics a listing asked for (`GET /v1/runs?metrics=`), absent otherwise.
    public var metrics: [MetricSummaryInfo]?
    /// The sweep whose trial this run trains, if any.
    public var sweepId: Int64?
    /// The last step recorded (0 before the first).
    public var step: Int
    /// max_steps of the configuration (0: limited by epochs or time instead).
    public var maxSteps: Int
    public var epoch: Int?
    public var trainLoss: Double?
    public var valLoss: Double?
    public var bestValLoss: Double?
    public var tokensPerSecond: Double?
    /// Seconds to max_steps at the current rate, while running.
    public var etaSeconds: Double?
    /// What a user may ask of the run in its state (`RunState.actions`): the state machine's word, so that no
    /// client retypes it.
    public var actions: [RunAction]

    public init(id: Int64, name: String, state: RunState, priority: Int, submittedAt: Double, startedAt: Double?, finishedAt: Double?,
                submittedBy: Int?, workers: Int, seed: Int64, dataset: String, restarts: Int, failure: String?, parentRunId: Int64?,
                parentCheckpointStep: Int?, tags: [String], step: Int, maxSteps: Int, epoch: Int? = nil, trainLoss: Double? = nil,
                valLoss: Double? = nil, bestValLoss: Double? = nil, tokensPerSecond: Double? = nil, etaSeconds: Double? = nil,
                note: String? = nil, metrics: [MetricSummaryInfo]? = nil, sweepId: Int64? = nil) {
        self.sweepId = sweepId
        actions = state.actions
        (self.note, self.metrics, self.id, self.name, self.state) = (note, metrics, id, name, state)
        (self.priority, self.submittedAt, self.startedAt) = (priority, submittedAt, startedAt)
        (self.finishedAt, self.submittedBy, self.workers, self.seed) = (finishedAt, submittedBy, workers, seed)
        (self.dataset, self.restarts, self.failure, self.parentRunId) = (dataset, restarts, failure, parentRunId)
        (self.parentCheckpointStep, self.tags, self.step, self.maxSteps) = (parentCheckpointStep, tags, step, maxSteps)
        (self.epoch, self.trainLoss, self.valLoss, self.bestValLoss) = (epoch, trainLoss, valLoss, bestValLoss)
        (self.tokensPerSecond, self.etaSeconds) = (tokensPerSecond, etaSeconds)
    }

    /// Whether the run has ended (it can no longer change state).
    public var isFinal: Bool { state.isFinal }
}

public struct RunList: Codable, Sendable, Equatable {
    public var runs: [RunInfo]
    public init(runs: [RunInfo]) { self.runs = runs }
}
