import Foundation

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
        (self.minValue, self.maxValue, self.name, self.latestStep) = (minValue, maxValue, name, latestStep)
        (self.latestValue, self.bestStep, self.bestValue, self.count) = (latestValue, bestStep, bestValue, count)
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
        (self.step, self.size, self.sha256, self.valLoss, self.kind) = (step, size, sha256, valLoss, kind)
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
        (self.id, self.at, self.kind, self.message, self.uid, self.step) = (id, at, kind, message, uid, step)
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
        (self.run, self.config, self.metrics, self.checkpoints) = (run, config, metrics, checkpoints)
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
