import Foundation
import GRDB
import RNNAPI

/// A stop a user asked of a running run. It is recorded as an event in the transaction that checks the run
/// is running, and it decides the state the run ends in (`Store.leaveRunning`): once acknowledged, a cancel
/// or a pause holds whatever the trainer reached meanwhile, and across a crash of rnnd.
public enum StopRequest: Sendable, Equatable {
    case cancel(uid: Int?)
    case pause(uid: Int?)

    var eventKind: EventKind {
        switch self {
        case .cancel: .cancelRequested
        case .pause: .pauseRequested
        }
    }
}

/// The state a running run moves to when its job ends, with the event's cause.
public struct RunEnding: Sendable, Equatable {
    public var state: RunState
    public var cause: String
    public var uid: Int?
    public var failure: String?
    public var countsRestart: Bool

    public init(_ state: RunState, _ cause: String, uid: Int? = nil, failure: String? = nil, countsRestart: Bool = false) {
        (self.state, self.cause, self.uid, self.failure) = (state, cause, uid, failure)
        self.countsRestart = countsRestart
    }
}

extension Store {
    /// Records that a user asked a running run to stop, only if it is `running` in this transaction. Returns
    /// the run's state: the request is recorded (and will decide the run's end) exactly when that is `running`.
    public func requestStop(runID: Int64, _ request: StopRequest, message: String) throws -> RunState {
        try wrap("recording a \(request.eventKind) for run \(runID)") {
            try writer.write { db in
                guard let state = try runRecord(db, id: runID)?.state else { throw StoreError(.notFound, "no run \(runID)") }
                if state == .running {
                    let uid: Int? = switch request { case .cancel(let uid), .pause(let uid): uid }
                    try insertEvent(db, runID: runID, kind: request.eventKind, message: message, uid: uid, step: nil)
                }
                return state
            }
        }
    }

    /// The stop asked of a run since it last entered `running`, if any: a cancel outranks a pause.
    public func pendingStop(runID: Int64) throws -> StopRequest? {
        try wrap("reading the stop requests of run \(runID)") {
            try writer.read { db in try pendingStop(db, runID: runID) }
        }
    }

    func pendingStop(_ db: Database, runID: Int64) throws -> StopRequest? {
        let rows = try Row.fetchAll(db, sql: """
            SELECT kind, uid FROM event
            WHERE run_id = ? AND kind IN ('cancel_requested', 'pause_requested')
              AND id > COALESCE((SELECT MAX(id) FROM event WHERE run_id = ? AND kind = 'running'), 0)
            ORDER BY id
            """, arguments: [runID, runID])
        if let cancel = rows.first(where: { ($0["kind"] as String) == EventKind.cancelRequested.rawValue }) {
            return .cancel(uid: cancel["uid"])
        }
        return rows.first.map { .pause(uid: $0["uid"]) }
    }

    /// Moves a running run out of `running` when its job ends. `decide` gets the stop a user asked since the
    /// run last started (nil when none) and returns the ending; both happen in one transaction, so a request
    /// recorded by `requestStop` is either seen here or refused there — never acknowledged and then lost.
    @discardableResult
    public func leaveRunning(runID: Int64, decide: (StopRequest?) -> RunEnding) throws -> (Transition, RunEnding) {
        try wrap("ending run \(runID)") {
            try writer.write { db in
                let ending = decide(try pendingStop(db, runID: runID))
                let moved = try move(db, runID: runID, to: ending.state, from: [.running], cause: ending.cause, uid: ending.uid,
                                     failure: ending.failure, countsRestart: ending.countsRestart)
                return (moved, ending)
            }
        }
    }
}
