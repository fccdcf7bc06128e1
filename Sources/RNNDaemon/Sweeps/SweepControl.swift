import Foundation
import Logging
import RNNAPI
import RNNStore
import RNNSweep
import RNNTraining

/// Hyperparameter sweeps: submission (every trial validated as a run would be), and the loop that starts
/// trials, records their results, promotes (ASHA) and ends the sweep. Everything a decision needs is in the
/// store, so a restarted rnnd takes each sweep up where it was: a trial's run is created in one transaction
/// with the trial's move to `training` — only from the state the decision saw, so two reconciliations that
/// interleave (the actor is reentrant across its awaits) cannot start or promote a trial twice — and a result
/// is recorded once.
actor SweepControl {
    let store: Store
    let datasets: DatasetService
    let runs: RunService
    let forks: ForkService
    let actions: RunActions
    let logger: Logger

    init(store: Store, datasets: DatasetService, runs: RunService, forks: ForkService, actions: RunActions, logger: Logger) {
        (self.store, self.datasets, self.runs, self.forks, self.actions) = (store, datasets, runs, forks, actions)
        self.logger = logger
    }

    // MARK: submission

    func submit(_ request: SweepRequest, uid: Int?) async throws -> SweepInfo {
        let dataset = try datasets.find(sha256: request.dataset, inBody: true)
        if let name = request.name, name.isEmpty || name.count > 200 { throw APIFailure.badRequest("name must have 1 to 200 characters", field: "name") }
        let space: SearchSpace
        do { space = try SearchSpace.parse(request.space) } catch let error as SweepError { throw APIFailure.badRequest(error.description, field: "space") }
        let metric = request.metric ?? MetricName.valLoss
        guard !metric.isEmpty, metric.count <= 100 else { throw APIFailure.badRequest("metric must have 1 to 100 characters", field: "metric") }
        let goal = request.goal ?? (metric.hasSuffix("accuracy") ? .max : .min)
        let maxConcurrent = request.maxConcurrent ?? 2
        guard (1...64).contains(maxConcurrent) else { throw APIFailure.badRequest("max_concurrent must be 1…64, got \(maxConcurrent)", field: "max_concurrent") }
        let seed = request.seed ?? Int.random(in: 0...Int(Int32.max))
        guard seed >= 0 else { throw APIFailure.badRequest("seed must not be negative", field: "seed") }
        if let key = request.config.keys.first(where: { space.domains[$0] != nil }) {
            throw APIFailure.badRequest("\(key) is both in the space and in the base configuration: give it in one place", field: key)
        }

        var asha: ASHA?
        let assignments: [[String: APIValue]]
        switch request.method {
        case .grid:
            guard request.trials == nil else { throw APIFailure.badRequest("a grid's trials are every combination of its lists: leave trials out", field: "trials") }
            guard request.asha == nil else { throw APIFailure.badRequest("asha settings belong to the asha method", field: "asha") }
            assignments = try Self.grid(space)
        case .random, .asha:
            if let trials = request.trials {
                guard (1...SearchSpace.maxTrials).contains(trials) else {
                    throw APIFailure.badRequest("trials must be 1…\(SearchSpace.maxTrials), got \(trials)", field: "trials")
                }
                assignments = space.sample(count: trials, seed: UInt64(seed))
            } else if request.method == .asha, space.keys.allSatisfy({ space.domains[$0]!.isList }) {
                // ASHA over a grid: every combination once, in the grid's order.
                assignments = try Self.grid(space)
            } else {
                throw APIFailure.badRequest("\(request.method.rawValue) needs trials (how many configurations to draw)"
                                            + (request.method == .asha ? "; without it, a space of lists only is taken whole, as a grid" : ""), field: "trials")
            }
            if request.method == .asha {
                guard let settings = request.asha else {
                    throw APIFailure.badRequest("asha needs {\"min_steps\", \"eta\", \"max_steps\"} (rnnctl: --min-steps, --eta, --max-steps)", field: "asha")
                }
                do { asha = try ASHA(minSteps: settings.minSteps, eta: settings.eta, maxSteps: settings.maxSteps) }
                catch let error as SweepError { throw APIFailure.badRequest(error.description, field: "asha") }
            } else if request.asha != nil {
                throw APIFailure.badRequest("asha settings belong to the asha method", field: "asha")
            }
        }

        // Every trial as the run it will be (its last budget for ASHA): a space that can produce an invalid
        // configuration is refused here, naming the trial, the key and the value.
        // The full check (the dataset against the configuration, the memory budget) runs once per distinct
        // configuration apart from the keys that touch neither; the others are checked as a configuration.
        var checked: Set<[String: APIValue]> = []
        for (number, assignment) in assignments.enumerated() {
            var config = request.config.merging(assignment) { $1 }
            if let asha { config["max_steps"] = .int(asha.maxSteps) }
            do {
                _ = try RunConfig(config)
                if checked.insert(config.filter { !RunConfig.trainingOnlyKeys.contains($0.key) }).inserted {
                    _ = try await runs.prepare(SubmitRequest(dataset: request.dataset, config: config, datasetName: request.datasetName), uid: uid)
                }
            } catch {
                let failure = APIFailure.from(error)
                let shown = assignment.keys.sorted().map { "\($0)=\(assignment[$0]!)" }.joined(separator: ", ")
                throw APIFailure.badRequest("trial \(number) (\(shown)): \(failure.body.error)", field: failure.body.field ?? "space")
            }
        }

        let name = request.name ?? "\(request.method.rawValue)-\(dataset.name)"
        let encoder = APIJSON.makeEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let record = try store.createSweep(SweepRecord(
            id: 0, name: name, state: .running, method: request.method, metric: metric, goal: goal, space: try json(space.description),
            baseConfig: try json(request.config), datasetID: dataset.id, seed: seed, maxConcurrent: maxConcurrent, priority: request.priority ?? 0,
            asha: try request.asha.map(json), submittedAt: 0, finishedAt: nil, submittedBy: uid),
            assignments: try assignments.map(json),
            message: "submitted: \(request.method.rawValue), \(assignments.count) trials, \(goal.rawValue) \(metric), seed \(seed)"
                + (asha.map { ", rungs at \($0.budgets.map(String.init).joined(separator: "/")) steps (eta \($0.eta))" } ?? ""))
        try await reconcile(record.id)
        return try info(try sweepRecord(record.id))
    }

    /// Every combination of a space of lists; one of more than `SearchSpace.maxTrials` is refused before it is built.
    static func grid(_ space: SearchSpace) throws -> [[String: APIValue]] {
        do { return try space.grid() } catch let error as SweepError { throw APIFailure.badRequest(error.description, field: "space") }
    }

    // MARK: reading

    nonisolated func sweepRecord(_ id: Int64) throws -> SweepRecord {
        guard let sweep = try store.sweep(id: id) else { throw APIFailure.notFound("no sweep \(id)") }
        return sweep
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        do { return try APIJSON.decoder.decode(T.self, from: Data(text.utf8)) } catch {
            throw DaemonError(.io, "the stored \(what) does not decode: \(error)")
        }
    }

    nonisolated func info(_ sweep: SweepRecord, trials: [TrialRecord]? = nil) throws -> SweepInfo {
        let trials = try trials ?? store.trials(sweepID: sweep.id)
        let steps = try store.trainedSteps(runIDs: trials.compactMap(\.runID)).values.reduce(0, +)
        let dataset = try store.dataset(id: sweep.datasetID)?.sha256 ?? ""
        return SweepInfo(id: sweep.id, name: sweep.name, state: sweep.state, method: sweep.method, metric: sweep.metric, goal: sweep.goal,
                         space: try Self.decode([String].self, sweep.space, what: "space of sweep \(sweep.id)"), dataset: dataset,
                         seed: sweep.seed, maxConcurrent: sweep.maxConcurrent, priority: sweep.priority,
                         asha: try sweep.asha.map { try Self.decode(ASHASettings.self, $0, what: "asha settings of sweep \(sweep.id)") },
                         trials: trials.count, counts: Dictionary(grouping: trials, by: \.state.rawValue).mapValues(\.count), steps: steps,
                         submittedAt: sweep.submittedAt, finishedAt: sweep.finishedAt, submittedBy: sweep.submittedBy)
    }

    nonisolated func detail(_ id: Int64) throws -> SweepDetail {
        let sweep = try sweepRecord(id)
        let records = try store.trials(sweepID: id)
        let results = try store.results(sweepID: id)
        let steps = try store.trainedSteps(runIDs: records.compactMap(\.runID))
        // A trial's value: the result of its latest finished rung.
        var latest: [Int: (rung: Int, value: Double?)] = [:]
        for r in results where (latest[r.number]?.rung ?? -1) <= r.rung { latest[r.number] = (r.rung, r.value) }
        let trials = try records.map { t in
            TrialInfo(number: t.number, assignment: try Self.decode([String: APIValue].self, t.assignment, what: "assignment of trial \(t.number)"),
                      runId: t.runID, rung: t.rung, state: t.state, value: latest[t.number]?.value, steps: t.runID.flatMap { steps[$0] } ?? 0)
        }
        // The best: the trials that got furthest (the highest rung with a result), then the best value there.
        let lower = sweep.goal == .min
        let best = trials.filter { $0.value?.isFinite == true }.max { a, b in
            let (ra, rb) = (latest[a.number]!.rung, latest[b.number]!.rung)
            if ra != rb { return ra < rb }
            return lower ? a.value! > b.value! : a.value! < b.value!
        }
        return SweepDetail(sweep: try info(sweep, trials: records), trials: trials, events: try store.sweepEvents(sweepID: id), best: best)
    }

    // MARK: the loop

    /// Takes every running sweep one step further.
    func reconcileAll() async {
        do {
            for sweep in try store.sweeps(state: .running) {
                do { try await reconcile(sweep.id) } catch {
                    logger.error("sweep \(sweep.id): \(error)")
                }
            }
        } catch {
            logger.error("cannot read the sweeps: \(error)")
        }
    }

    /// Records the results of trials whose runs ended, fills the free slots (ASHA promotions first, then
    /// pending trials in order), and ends the sweep when nothing is left to train.
    func reconcile(_ id: Int64) async throws {
        do {
            let sweep = try sweepRecord(id)
            guard sweep.state == .running else { return }
            let asha = try sweep.asha.map { try Self.decode(ASHASettings.self, $0, what: "asha settings of sweep \(id)") }
                .map { try ASHA(minSteps: $0.minSteps, eta: $0.eta, maxSteps: $0.maxSteps) }
            let topRung = (asha?.budgets.count ?? 1) - 1
            var trials = try store.trials(sweepID: id)

            // Runs that ended: a result, and the trial's next state.
            for t in trials where t.state == .training {
                guard let runID = t.runID, let run = try store.run(id: runID) else {
                    try store.setTrialState(sweepID: id, number: t.number, .failed, kind: .failed, message: "trial \(t.number): its run was deleted")
                    continue
                }
                switch run.state {
                case .completed:
                    let value = try store.summaries(runID: runID).first { $0.name == sweep.metric }?.latestValue
                    let next: TrialState = t.rung < topRung ? .waiting : .completed
                    let shown = value.map { String(format: "%.4f", $0) } ?? "none (no \(sweep.metric) recorded)"
                    try store.recordResult(sweepID: id, number: t.number, rung: t.rung, value: value, next: next,
                                           message: "trial \(t.number) (run \(runID)) \(asha == nil ? "finished" : "finished rung \(t.rung)"): \(sweep.metric) \(shown)")
                case .failed, .cancelled:
                    try store.setTrialState(sweepID: id, number: t.number, .failed, kind: .failed,
                                            message: "trial \(t.number): run \(runID) \(run.state)\(run.failure.map { ": \($0)" } ?? "")")
                case .queued, .running, .paused, .interrupted:
                    break
                }
            }
            trials = try store.trials(sweepID: id)

            var active = trials.filter { $0.state == .training }.count
            while active < sweep.maxConcurrent {
                if let asha, let promotion = try nextPromotion(sweep, asha, trials) {
                    let trial = trials.first { $0.number == promotion.trial }!
                    let budget = asha.budgets[promotion.rung + 1]
                    let link = TrialLink(sweepID: id, number: trial.number, rung: promotion.rung + 1, from: .waiting)
                    let run: RunInfo
                    do {
                        run = try forks.fork(trial.runID!, ForkRequest(checkpoint: .latest, set: ["max_steps": .int(budget)],
                                                                         name: "\(sweep.name)-t\(trial.number)-r\(promotion.rung + 1)"),
                                               uid: sweep.submittedBy, trial: link)
                    } catch let error as StoreError where error.code == .lostRace {
                        break  // another reconciliation promoted it meanwhile
                    }
                    try store.addSweepEvent(sweepID: id, kind: .promoted, message: String(format:
                        "trial %d promoted to rung %d (%d steps) as run %lld: %@ %.4f, rank %d of %d at rung %d, top %d", trial.number,
                        promotion.rung + 1, budget, run.id, sweep.metric, promotion.value, promotion.rank, promotion.of, promotion.rung, promotion.top))
                } else if let pending = trials.first(where: { $0.state == .pending }) {
                    try await start(sweep, pending, budget: asha?.budgets[0])
                } else {
                    break
                }
                active += 1
                trials = try store.trials(sweepID: id)
            }

            if active == 0 && !trials.contains(where: { $0.state == .pending || $0.state == .training }) {
                let results = try store.results(sweepID: id)
                for t in trials where t.state == .waiting {
                    // The numbers the stop rests on: the trial's value, its rank at its rung, how many qualified.
                    let rung = results.filter { $0.rung == t.rung }
                    let own = rung.first { $0.number == t.number }?.value
                    let better = rung.filter { r in
                        guard let v = r.value, let own else { return own == nil && r.value != nil }
                        return sweep.goal == .min ? v < own : v > own
                    }.count
                    let top = rung.count / (asha?.eta ?? 1)
                    try store.setTrialState(sweepID: id, number: t.number, .stopped, kind: .stopped, message: String(
                        format: "trial %d stopped at rung %d: %@ %@, rank %d of %d, top %d promoted", t.number, t.rung, sweep.metric,
                        own.map { String(format: "%.4f", $0) } ?? "none", better + 1, rung.count, top))
                }
                let finished = trials.filter { $0.state == .completed || $0.state == .waiting }.count
                try store.finishSweep(id: id, finished > 0 ? .completed : .failed,
                                      message: finished > 0 ? "completed: \(trials.count) trials" : "failed: no trial finished")
            }
        }
    }

    /// ASHA's next promotion from the results recorded so far (trials promoted from rung k are those whose
    /// rung is above k).
    func nextPromotion(_ sweep: SweepRecord, _ asha: ASHA, _ trials: [TrialRecord]) throws -> ASHA.Promotion? {
        let results = try store.results(sweepID: sweep.id)
        let rungs = asha.budgets.count
        var byRung = [[ASHA.Result]](repeating: [], count: rungs)
        for r in results where r.rung < rungs { byRung[r.rung].append(ASHA.Result(trial: r.number, value: r.value ?? .nan)) }
        let promoted = (0..<rungs).map { k in Set(trials.filter { $0.rung > k }.map(\.number)) }
        guard let promotion = asha.promotion(results: byRung, promoted: promoted, lowerIsBetter: sweep.goal == .min) else { return nil }
        // Only a trial waiting at that rung can go on (a failed one cannot).
        guard let trial = trials.first(where: { $0.number == promotion.trial }), trial.state == .waiting, trial.rung == promotion.rung,
              trial.runID != nil, promotion.value.isFinite else { return nil }
        return promotion
    }

    func start(_ sweep: SweepRecord, _ trial: TrialRecord, budget: Int?) async throws {
        var config = try Self.decode([String: APIValue].self, sweep.baseConfig, what: "base configuration of sweep \(sweep.id)")
        config.merge(try Self.decode([String: APIValue].self, trial.assignment, what: "assignment of trial \(trial.number)")) { $1 }
        if let budget { config["max_steps"] = .int(budget) }
        guard let dataset = try store.dataset(id: sweep.datasetID) else { throw DaemonError(.io, "sweep \(sweep.id): its dataset is gone") }
        let request = SubmitRequest(name: "\(sweep.name)-t\(trial.number)", dataset: dataset.sha256, config: config, priority: sweep.priority,
                                    tags: ["sweep-\(sweep.id)"])
        let link = TrialLink(sweepID: sweep.id, number: trial.number, rung: 0, from: .pending)
        do {
            let run = try await runs.submit(request, uid: sweep.submittedBy, trial: link)
            try store.addSweepEvent(sweepID: sweep.id, kind: .trialStarted, message: "trial \(trial.number) started as run \(run.id)")
        } catch let error as StoreError where error.code == .lostRace {
            return  // another reconciliation started it meanwhile
        } catch {
            try store.setTrialState(sweepID: sweep.id, number: trial.number, .failed, kind: .failed, message: "trial \(trial.number) could not start: \(APIFailure.from(error).body.error)")
        }
    }

    /// Cancels a running sweep: its pending and waiting trials stop, its training runs are cancelled.
    func cancel(_ id: Int64, uid: Int?) throws -> SweepInfo {
        do {
            let sweep = try sweepRecord(id)
            guard try store.finishSweep(id: id, .cancelled, message: "cancelled" + askedBy(uid)) else {
                throw APIFailure.conflict("sweep \(id) is already \(sweep.state)")
            }
            for t in try store.trials(sweepID: id) {
                switch t.state {
                case .pending, .waiting:
                    try store.setTrialState(sweepID: id, number: t.number, .stopped, kind: .stopped, message: "trial \(t.number) stopped: the sweep was cancelled")
                case .training:
                    if let runID = t.runID { _ = try? actions.cancel(runID, uid: uid) }
                    try store.setTrialState(sweepID: id, number: t.number, .stopped, kind: .stopped, message: "trial \(t.number) stopped: the sweep was cancelled")
                default: break
                }
            }
        }
        return try info(try sweepRecord(id))
    }
}
