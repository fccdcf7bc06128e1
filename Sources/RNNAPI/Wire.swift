import Foundation

// The wire contract between rnnd and its clients. JSON field names are the snake_case forms of these
// property names (`bestValLoss` → `best_val_loss`); openapi.yaml documents them and the daemon serves it at
// GET /openapi.yaml.

/// The JSON coders both ends use: snake_case keys, sorted output.
public enum APIJSON {
    /// Shared by every caller: never change its settings (use `makeEncoder()` for a differently formatted copy).
    public static let encoder: JSONEncoder = makeEncoder()

    /// A new encoder with the wire settings.
    public static func makeEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()
}

/// A request body: the fields it accepts (snake_case), so that unknown ones are refused by name.
public protocol APIRequest: Codable, Sendable {
    static var fields: Set<String> { get }
}

/// The body of every 4xx and 5xx answer: what went wrong and, when one field is to blame, which.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var field: String?
    public init(error: String, field: String? = nil) {
        self.error = error
        self.field = field
    }
}

/// The kinds of dataset rnnd reads.
public enum DatasetKind: String, Sendable, Codable, CaseIterable { case text, csv, jsonl }

public struct DatasetInfo: Codable, Sendable, Equatable {
    public var sha256: String
    public var name: String
    public var kind: DatasetKind
    public var size: Int64
    public var createdAt: Double
    /// How many runs use it (in the list, GET /v1/datasets).
    public var runs: Int?
    public init(sha256: String, name: String, kind: DatasetKind, size: Int64, createdAt: Double, runs: Int? = nil) {
        self.sha256 = sha256
        self.name = name
        self.kind = kind
        self.size = size
        self.createdAt = createdAt
        self.runs = runs
    }
}

/// GET /v1/datasets
public struct DatasetList: Codable, Sendable, Equatable {
    public var datasets: [DatasetInfo]
    public init(datasets: [DatasetInfo]) { self.datasets = datasets }
}

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
        self.name = name
        self.dataset = dataset
        self.config = config
        self.priority = priority
        self.tags = tags
        self.derivedFrom = derivedFrom
        self.datasetName = datasetName
    }
}

/// POST /v1/runs/{id}/fork: a new run that starts from one of this run's checkpoints.
public struct ForkRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["checkpoint", "set", "name", "priority"]
    /// "best", "latest" (default) or a step number.
    public var checkpoint: String?
    /// Changed configuration keys (training keys only: the model's shape stays).
    public var set: [String: APIValue]?
    public var name: String?
    public var priority: Int?
    public init(checkpoint: String? = nil, set: [String: APIValue]? = nil, name: String? = nil, priority: Int? = nil) {
        self.checkpoint = checkpoint
        self.set = set
        self.name = name
        self.priority = priority
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
        self.name = name
        self.note = note
        self.addTags = addTags
        self.removeTags = removeTags
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

    public init(id: Int64, name: String, state: RunState, priority: Int, submittedAt: Double, startedAt: Double?, finishedAt: Double?,
                submittedBy: Int?, workers: Int, seed: Int64, dataset: String, restarts: Int, failure: String?, parentRunId: Int64?,
                parentCheckpointStep: Int?, tags: [String], step: Int, maxSteps: Int, epoch: Int? = nil, trainLoss: Double? = nil,
                valLoss: Double? = nil, bestValLoss: Double? = nil, tokensPerSecond: Double? = nil, etaSeconds: Double? = nil,
                note: String? = nil, metrics: [MetricSummaryInfo]? = nil, sweepId: Int64? = nil) {
        self.sweepId = sweepId
        self.note = note
        self.metrics = metrics
        self.id = id
        self.name = name
        self.state = state
        self.priority = priority
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.submittedBy = submittedBy
        self.workers = workers
        self.seed = seed
        self.dataset = dataset
        self.restarts = restarts
        self.failure = failure
        self.parentRunId = parentRunId
        self.parentCheckpointStep = parentCheckpointStep
        self.tags = tags
        self.step = step
        self.maxSteps = maxSteps
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.valLoss = valLoss
        self.bestValLoss = bestValLoss
        self.tokensPerSecond = tokensPerSecond
        self.etaSeconds = etaSeconds
    }

    /// Whether the run has ended (it can no longer change state).
    public var isFinal: Bool { state.isFinal }
}

public struct RunList: Codable, Sendable, Equatable {
    public var runs: [RunInfo]
    public init(runs: [RunInfo]) { self.runs = runs }
}

public struct MetricSummaryInfo: Codable, Sendable, Equatable {
    public var name: String
    public var latestStep: Int
    public var latestValue: Double
    public var bestStep: Int
    public var bestValue: Double
    public var count: Int
    /// The series' smallest and largest value (absent in a summary written before rnnd kept them).
    public var minValue: Double?
    public var maxValue: Double?
    public init(name: String, latestStep: Int, latestValue: Double, bestStep: Int, bestValue: Double, count: Int,
                minValue: Double? = nil, maxValue: Double? = nil) {
        self.minValue = minValue
        self.maxValue = maxValue
        self.name = name
        self.latestStep = latestStep
        self.latestValue = latestValue
        self.bestStep = bestStep
        self.bestValue = bestValue
        self.count = count
    }
}

public struct CheckpointInfo: Codable, Sendable, Equatable {
    public var step: Int
    public var size: Int64
    public var sha256: String
    public var valLoss: Double?
    public var kind: CheckpointKind
    public var createdAt: Double
    public init(step: Int, size: Int64, sha256: String, valLoss: Double?, kind: CheckpointKind, createdAt: Double) {
        self.step = step
        self.size = size
        self.sha256 = sha256
        self.valLoss = valLoss
        self.kind = kind
        self.createdAt = createdAt
    }
}

public struct EventInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Double
    public var kind: EventKind
    public var message: String
    public var uid: Int?
    public var step: Int?
    public init(id: Int64, at: Double, kind: EventKind, message: String, uid: Int?, step: Int?) {
        self.id = id
        self.at = at
        self.kind = kind
        self.message = message
        self.uid = uid
        self.step = step
    }
}

/// GET /v1/runs/{id}: everything about one run.
public struct RunDetail: Codable, Sendable, Equatable {
    public var run: RunInfo
    /// The complete configuration, defaults filled in.
    public var config: [String: APIValue]
    public var metrics: [MetricSummaryInfo]
    public var checkpoints: [CheckpointInfo]
    public var events: [EventInfo]
    public init(run: RunInfo, config: [String: APIValue], metrics: [MetricSummaryInfo], checkpoints: [CheckpointInfo], events: [EventInfo]) {
        self.run = run
        self.config = config
        self.metrics = metrics
        self.checkpoints = checkpoints
        self.events = events
    }
}

public struct SeriesPointInfo: Codable, Sendable, Equatable {
    public var step: Int
    public var value: Double
    public init(step: Int, value: Double) {
        self.step = step
        self.value = value
    }
}

/// GET /v1/runs/{id}/metrics/{name}
public struct Series: Codable, Sendable, Equatable {
    public var run: Int64
    public var name: String
    public var points: [SeriesPointInfo]
    public init(run: Int64, name: String, points: [SeriesPointInfo]) {
        self.run = run
        self.name = name
        self.points = points
    }
}

/// GET /v1/compare?runs=1,2
public struct Comparison: Codable, Sendable, Equatable {
    public var runs: [RunInfo]
    /// Hyperparameters whose values differ, one value per run (null where a run lacks the key).
    public var differences: [String: [APIValue?]]
    /// Metric summaries per run, in the order of `runs`.
    public var metrics: [[MetricSummaryInfo]]
    public init(runs: [RunInfo], differences: [String: [APIValue?]], metrics: [[MetricSummaryInfo]]) {
        self.runs = runs
        self.differences = differences
        self.metrics = metrics
    }
}

/// POST /v1/runs/{id}/sample
public struct SampleRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["prime", "length", "temperature", "top_k", "seed", "checkpoint"]
    public var prime: String
    public var length: Int
    public var temperature: Double?
    public var topK: Int?
    public var seed: Int?
    public var checkpoint: String?
    public init(prime: String, length: Int, temperature: Double? = nil, topK: Int? = nil, seed: Int? = nil, checkpoint: String? = nil) {
        self.prime = prime
        self.length = length
        self.temperature = temperature
        self.topK = topK
        self.seed = seed
        self.checkpoint = checkpoint
    }
}

public struct SampleResponse: Codable, Sendable, Equatable {
    /// The prime followed by the generated characters.
    public var text: String
    public var checkpointStep: Int
    public init(text: String, checkpointStep: Int) {
        self.text = text
        self.checkpointStep = checkpointStep
    }
}

/// POST /v1/runs/{id}/forecast: continues the run's own series (or an uploaded CSV with the same columns).
public struct ForecastRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["steps", "dataset", "checkpoint"]
    public var steps: Int
    public var dataset: String?
    public var checkpoint: String?
    public init(steps: Int, dataset: String? = nil, checkpoint: String? = nil) {
        self.steps = steps
        self.dataset = dataset
        self.checkpoint = checkpoint
    }
}

public struct ForecastResponse: Codable, Sendable, Equatable {
    public var columns: [String]
    /// One row per step ahead, one value per target column.
    public var values: [[Double]]
    public var checkpointStep: Int
    public init(columns: [String], values: [[Double]], checkpointStep: Int) {
        self.columns = columns
        self.values = values
        self.checkpointStep = checkpointStep
    }
}

/// POST /v1/runs/{id}/evaluate
public struct EvaluateRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["dataset", "checkpoint"]
    /// The SHA-256 of an uploaded dataset.
    public var dataset: String
    public var checkpoint: String?
    public init(dataset: String, checkpoint: String? = nil) {
        self.dataset = dataset
        self.checkpoint = checkpoint
    }
}

public struct EvaluateResponse: Codable, Sendable, Equatable {
    /// Mean loss: nats for cross-entropy, squared units for regression.
    public var loss: Double
    public var bitsPerChar: Double?
    public var accuracy: Double?
    public var count: Int
    public var checkpointStep: Int
    public init(loss: Double, bitsPerChar: Double?, accuracy: Double?, count: Int, checkpointStep: Int) {
        self.loss = loss
        self.bitsPerChar = bitsPerChar
        self.accuracy = accuracy
        self.count = count
        self.checkpointStep = checkpointStep
    }
}

/// What a progress event reports; the SSE `event:` field.
public enum ProgressKind: String, Sendable, Codable, CaseIterable {
    case step, validation, checkpoint, skipped, rollback
    /// A state change (the stream ends after a final state).
    case state
}

/// One Server-Sent Event of GET /v1/runs/{id}/stream.
public struct ProgressEvent: Codable, Sendable, Equatable {
    public var kind: ProgressKind
    public var step: Int?
    public var epoch: Int?
    public var trainLoss: Double?
    public var lr: Double?
    public var tokensPerSecond: Double?
    public var metrics: [String: Double]?
    public var state: RunState?
    public var message: String?
    public init(kind: ProgressKind, step: Int? = nil, epoch: Int? = nil, trainLoss: Double? = nil, lr: Double? = nil, tokensPerSecond: Double? = nil,
                metrics: [String: Double]? = nil, state: RunState? = nil, message: String? = nil) {
        self.kind = kind
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.lr = lr
        self.tokensPerSecond = tokensPerSecond
        self.metrics = metrics
        self.state = state
        self.message = message
    }
}

public struct HealthInfo: Codable, Sendable, Equatable {
    public var status: String
    public var version: String
    public var queued: Int
    public var running: Int
    public init(status: String, version: String, queued: Int, running: Int) {
        self.status = status
        self.version = version
        self.queued = queued
        self.running = running
    }
}

/// The release of rnnd and its API (`/healthz`, `--version`).
public enum APIVersion {
    public static let current = "0.1.0"
}

/// POST /v1/ui/tokens (Unix socket only): a one-time link that logs a browser into the web view.
public struct WebLogin: Codable, Sendable, Equatable {
    /// `http://127.0.0.1:PORT/ui/login?t=TOKEN`: single use, valid until `expires_at`.
    public var url: String
    public var expiresAt: Double
    public init(url: String, expiresAt: Double) {
        self.url = url
        self.expiresAt = expiresAt
    }
}
