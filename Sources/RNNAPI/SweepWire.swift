import Foundation

/// A sweep's state: running until every trial has ended, then completed; cancelled by a user; failed when no
/// trial could run.
public enum SweepState: String, Sendable, Codable, CaseIterable {
    case running, completed, cancelled, failed

    /// The event that records a sweep entering this state.
    public var event: SweepEventKind {
        switch self {
        case .running: .submitted
        case .completed: .completed
        case .cancelled: .cancelled
        case .failed: .failed
        }
    }
}

/// What a sweep's event records: its submission, a trial started, a result at a rung, a promotion, a trial
/// stopped or failed, and the sweep's end.
public enum SweepEventKind: String, Sendable, Codable, CaseIterable {
    case submitted
    case trialStarted = "trial_started"
    case result, promoted, stopped, failed, completed, cancelled
}

/// Where a trial stands: pending (not started), training (its run is queued or running), waiting (ASHA: at
/// the end of a rung, not promoted yet), stopped (ASHA did not promote it, or the sweep ended first),
/// completed (it trained to the sweep's last budget), failed (its run failed or was cancelled).
public enum TrialState: String, Sendable, Codable, CaseIterable {
    case pending, training, waiting, stopped, completed, failed
}

public enum SweepMethod: String, Sendable, Codable, CaseIterable {
    case grid, random, asha
}

public enum SweepGoal: String, Sendable, Codable, CaseIterable {
    case min, max
}

/// ASHA's budgets: rung k trains to min_steps·eta^k steps, the last rung to max_steps.
public struct ASHASettings: Codable, Sendable, Equatable {
    public var minSteps: Int
    public var eta: Int
    public var maxSteps: Int
    public init(minSteps: Int, eta: Int, maxSteps: Int) {
        self.minSteps = minSteps
        self.eta = eta
        self.maxSteps = maxSteps
    }
}

/// POST /v1/sweeps
public struct SweepRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["name", "dataset", "config", "space", "method", "metric", "goal", "trials", "seed",
                                             "max_concurrent", "priority", "asha", "dataset_name"]
    public var name: String?
    /// The dataset's SHA-256 (uploaded first).
    public var dataset: String
    /// The base configuration: every key the space does not set.
    public var config: [String: APIValue]
    /// `key=values` or `key=distribution(…)` items (see docs/sweeps.md).
    public var space: [String]
    public var method: SweepMethod
    public var metric: String?
    public var goal: SweepGoal?
    /// random and asha: the number of trials (grid: the grid's size).
    public var trials: Int?
    public var seed: Int?
    public var maxConcurrent: Int?
    public var priority: Int?
    public var asha: ASHASettings?
    public var datasetName: String?
    public init(name: String? = nil, dataset: String, config: [String: APIValue] = [:], space: [String], method: SweepMethod,
                metric: String? = nil, goal: SweepGoal? = nil, trials: Int? = nil, seed: Int? = nil, maxConcurrent: Int? = nil,
                priority: Int? = nil, asha: ASHASettings? = nil, datasetName: String? = nil) {
        (self.name, self.dataset, self.config, self.space, self.method) = (name, dataset, config, space, method)
        (self.metric, self.goal, self.trials, self.seed) = (metric, goal, trials, seed)
        (self.maxConcurrent, self.priority, self.asha, self.datasetName) = (maxConcurrent, priority, asha, datasetName)
    }
}

public struct SweepInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var state: SweepState
    public var method: SweepMethod
    public var metric: String
    public var goal: SweepGoal
    public var space: [String]
    public var dataset: String
    public var seed: Int
    public var maxConcurrent: Int
    public var priority: Int
    public var asha: ASHASettings?
    public var trials: Int
    /// Trials by state.
    public var counts: [String: Int]
    /// Training steps spent by all trials so far.
    public var steps: Int
    public var submittedAt: Double
    public var finishedAt: Double?
    public var submittedBy: Int?
    public init(id: Int64, name: String, state: SweepState, method: SweepMethod, metric: String, goal: SweepGoal, space: [String],
                dataset: String, seed: Int, maxConcurrent: Int, priority: Int, asha: ASHASettings?, trials: Int, counts: [String: Int],
                steps: Int, submittedAt: Double, finishedAt: Double?, submittedBy: Int?) {
        (self.id, self.name, self.state, self.method, self.metric, self.goal) = (id, name, state, method, metric, goal)
        (self.space, self.dataset, self.seed, self.maxConcurrent) = (space, dataset, seed, maxConcurrent)
        (self.priority, self.asha, self.trials, self.counts, self.steps) = (priority, asha, trials, counts, steps)
        (self.submittedAt, self.finishedAt, self.submittedBy) = (submittedAt, finishedAt, submittedBy)
    }
}

public struct SweepList: Codable, Sendable, Equatable {
    public var sweeps: [SweepInfo]
    public init(sweeps: [SweepInfo]) { self.sweeps = sweeps }
}

public struct TrialInfo: Codable, Sendable, Equatable {
    public var number: Int
    public var assignment: [String: APIValue]
    public var runId: Int64?
    public var rung: Int
    public var state: TrialState
    /// The metric at the end of the trial's latest finished rung (absent before the first).
    public var value: Double?
    /// Steps the trial has trained.
    public var steps: Int
    public init(number: Int, assignment: [String: APIValue], runId: Int64?, rung: Int, state: TrialState, value: Double?, steps: Int) {
        (self.number, self.assignment, self.runId, self.rung, self.state) = (number, assignment, runId, rung, state)
        (self.value, self.steps) = (value, steps)
    }
}

public struct SweepEventInfo: Codable, Sendable, Equatable {
    public var at: Double
    public var kind: SweepEventKind
    public var message: String
    public init(at: Double, kind: SweepEventKind, message: String) {
        self.at = at
        self.kind = kind
        self.message = message
    }
}

/// GET /v1/sweeps/{id}
public struct SweepDetail: Codable, Sendable, Equatable {
    public var sweep: SweepInfo
    public var trials: [TrialInfo]
    public var events: [SweepEventInfo]
    /// The best trial so far by the sweep's metric and goal (among trials with a value).
    public var best: TrialInfo?
    public init(sweep: SweepInfo, trials: [TrialInfo], events: [SweepEventInfo], best: TrialInfo?) {
        (self.sweep, self.trials, self.events, self.best) = (sweep, trials, events, best)
    }
}
