import RNNAPI
import RNNStore

/// What a user asks of a run's state: cancel, pause, resume. The uid that asks is recorded.
struct RunActions: Sendable {
    let store: Store
    let catalog: RunCatalog
    let scheduler: Scheduler
    let hub: EventHub

    /// Cancels a queued, paused or interrupted run at once; a running one at its next step boundary, after a
    /// checkpoint. The request is recorded only while the run is running, and once recorded it decides the
    /// run's end (`Store.leaveRunning`) — also if rnnd stops first. A run that had already ended is a 409 that
    /// says so.
    func cancel(_ id: Int64, uid: Int?) throws -> RunInfo {
        try stop(id, .cancel(uid: uid), uid: uid, action: .cancel)
    }

    /// Pauses a queued or interrupted run at once; a running one at its next step boundary, with a checkpoint
    /// (recorded as a cancel is, with the same promise).
    func pause(_ id: Int64, uid: Int?) throws -> RunInfo {
        try stop(id, .pause(uid: uid), uid: uid, action: .pause)
    }

    /// A running run stops at its next step boundary; from the action's other sources the run moves at once.
    private func stop(_ id: Int64, _ request: StopRequest, uid: Int?, action: RunAction) throws -> RunInfo {
        let (target, verb) = (action.target, action.rawValue)
        let intent: StopIntent = action == .cancel ? .cancel(uid: uid) : .pause(uid: uid)
        let sources = action.sources.subtracting([.running])
        // The run may move between the two writes (a running run that pauses, a queued one that starts):
        // then the other write applies on the next round.
        for _ in 0..<8 {
            switch try store.transition(runID: id, to: target, from: sources, cause: "\(target)" + askedBy(uid), uid: uid) {
            case .moved:
                hub.publish(runID: id, ProgressEvent(kind: .state, state: target, message: "\(target)"))
                return try catalog.info(id)
            case .refused(.running):
                let job = scheduler.job(id)
                let record = { try store.requestStop(runID: id, request, message: "\(verb) requested" + askedBy(uid)) }
                // Recorded in the order of the job's reports, so that no checkpoint written before the request
                // appears after it.
                guard try (job.map { try $0.inRecordOrder(record) } ?? record()) == .running else { continue }
                job?.requestStop(intent)
                return try catalog.info(id)
            case .refused(let state) where state.isFinal:
                throw APIFailure.conflict("run \(id) had already \(state == .cancelled ? "been cancelled" : state.rawValue); nothing to \(verb)")
            case .refused(let state):
                throw APIFailure.conflict("run \(id) is \(state); only \(sources.sorted { $0.rawValue < $1.rawValue }.map(\.rawValue).joined(separator: ", ")) or running runs can be \(target == .cancelled ? "cancelled" : "paused")")
            }
        }
        throw APIFailure.conflict("run \(id) kept changing state; ask again")
    }

    /// Requeues a paused run; it continues from its last checkpoint.
    func resume(_ id: Int64, uid: Int?) throws -> RunInfo {
        let cause = "resume asked" + askedBy(uid) + "; continues from its last checkpoint"
        guard case .moved = try store.transition(runID: id, to: RunAction.resume.target, from: RunAction.resume.sources, cause: cause, uid: uid) else {
            throw APIFailure.conflict("run \(id) is \(try catalog.record(id).state), not paused")
        }
        hub.publish(runID: id, ProgressEvent(kind: .state, state: .queued, message: "queued"))
        scheduler.schedule()
        return try catalog.info(id)
    }
}

/// " by uid N" for an event's cause when a user asked, nothing otherwise.
func askedBy(_ uid: Int?) -> String { uid.map { " by uid \($0)" } ?? "" }
