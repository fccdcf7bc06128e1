import Foundation
import Logging
import RNNAPI
import RNNTraining
#if canImport(Glibc)
import Glibc
#endif

/// What a run job trains with: the in-process `Trainer`, or `MultiHostRun` (rnnd-worker ranks under mpirun).
protocol TrainingProcess: AnyObject {
    /// The last step reached.
    var step: Int { get }
    /// Trains until a limit, a stop request (then a checkpoint to resume from) or an error.
    func run(control: TrainingControl) throws -> TrainingOutcome
}

extension Trainer: TrainingProcess {
    var step: Int { state.step }
}

/// A multi-host run ended without a word from its ranks: a host died, was cut off, or mpirun was stopped by
/// the heartbeat watchdog — or its ranks never all started (`launch`: a host that cannot be reached, named
/// with the launcher's own message). The run is requeued with backoff and resumes from its last checkpoint.
struct HostLost: Error, CustomStringConvertible {
    let description: String
    var launch = false
}

/// One multi-host run: rnnd starts `mpirun` as a child in a process group of its own, with a hostfile it
/// writes (rank 0 on the first host, which is this machine: it reads the dataset and writes the checkpoints in
/// the state directory), reads rank 0's reports (`WorkerMessage` lines) into the same sink a local trainer
/// reports to, asks for a stop with a line on mpirun's stdin, and stops mpirun — SIGTERM, then SIGKILL to
/// its whole process group — when rank 0 falls silent for longer than the heartbeat timeout.
final class MultiHostRun: TrainingProcess, @unchecked Sendable {
    // @unchecked Sendable: `step`, `outcome`, `failure`, `lastReport`, `stepTimes`, `stderrTail` and `connected`
    // are guarded by `lock`.
    let hosts: [String]
    let arguments: [String]
    let settings: MPISettings
    let logger: Logger
    let sink: @Sendable (TrainingEvent) -> Void
    private let lock = NSLock()
    private var lastStep = 0
    private var outcome: TrainingOutcome?
    private var failure: (code: String, message: String)?
    private var lastReport = DispatchTime.now().uptimeNanoseconds
    private var stepTimes: [Double] = []
    private var stderrTail: [String] = []
    /// Rank 0 reported that every rank is up: the launch is over.
    private var connected = false

    var step: Int { lock.withLock { lastStep } }

    /// `jobDirectory` receives the hostfile and the configuration rank 0 reads.
    init(hosts: [String], config: RunConfig, datasetPath: String, kind: DatasetKind, datasetName: String,
         checkpointDirectory: URL, resumeFrom: URL?, resumeStep: Int?, jobDirectory: URL, settings: MPISettings,
         logger: Logger, sink: @escaping @Sendable (TrainingEvent) -> Void) throws {
        (self.hosts, self.settings, self.logger, self.sink) = (hosts, settings, logger, sink)
        lastStep = resumeStep ?? 0
        try FileManager.default.createDirectory(at: jobDirectory, withIntermediateDirectories: true)
        let configFile = jobDirectory.appendingPathComponent("config.json"), hostfile = jobDirectory.appendingPathComponent("hostfile")
        try config.json.write(to: configFile)
        try Self.hostfile(hosts).write(to: hostfile, atomically: true, encoding: .utf8)
        var mpirun = [settings.mpirun, "--hostfile", hostfile.path, "-np", "\(hosts.count)", "--map-by", "slot",
                      "--bind-to", "none", "--tag-output"]
        if getuid() == 0 { mpirun.append("--allow-run-as-root") }
        if let network = settings.network {
            mpirun += ["--mca", "btl_tcp_if_include", network, "--mca", "oob_tcp_if_include", network]
        }
        // TCP keepalives on the launch daemons' links to mpirun: a daemon on a host that was cut off learns that
        // mpirun is gone within about twice the rank timeout and ends (with its ranks) — Open MPI's default
        // waits 5 minutes before the first probe, and without a probe a cut-off daemon waits forever.
        let keepalive = settings.rankTimeout
        mpirun += ["--mca", "oob_tcp_keepalive_time", "\(keepalive)", "--mca", "oob_tcp_keepalive_intvl", "\(max(1, keepalive / 4))",
                   "--mca", "oob_tcp_keepalive_probes", "3"]
        for (name, value) in settings.mca { mpirun += ["--mca", name, value] }
        var worker = [settings.worker, "--config", configFile.path, "--dataset", datasetPath, "--kind", kind.rawValue,
                      "--name", datasetName, "--checkpoints", checkpointDirectory.path, "--rank-timeout", "\(settings.rankTimeout)",
                      "--stdin-control"]
        if let resumeFrom { worker += ["--resume", resumeFrom.path] }
        arguments = mpirun + worker
    }

    /// One line per distinct host, in first-appearance order, with as many slots as it is named: mpirun's
    /// `--map-by slot` then puts rank 0 on the first host and fills the others in order. (`ppr:1:node` would
    /// allow one rank per host only, and naming a host twice is how several ranks share one machine.)
    static func hostfile(_ hosts: [String]) -> String {
        var order: [String] = [], slots: [String: Int] = [:]
        for host in hosts {
            if slots[host] == nil { order.append(host) }
            slots[host, default: 0] += 1
        }
        return order.map { "\($0) slots=\(slots[$0]!)\n" }.joined()
    }

    func run(control: TrainingControl) throws -> TrainingOutcome {
        let child = try ChildProcess(arguments: arguments)
        logger.info("started mpirun for \(hosts.count) hosts (\(hosts.joined(separator: ", "))), pid \(child.pid)")
        let readers = [
            Thread { [self] in child.readLines(child.stdout) { self.handleOutput($0) } },
            Thread { [self] in child.readLines(child.stderr) { self.handleError($0) } },
        ]
        for reader in readers { reader.start() }
        // What mpirun starts (ssh to each host among it) may leave its process group; the tree is followed
        // while mpirun lives, so that everything it started can be ended with it.
        var tree = ProcessTree(root: child.pid)
        let launchStarted = DispatchTime.now().uptimeNanoseconds
        var stopSent = false, silentSince: Double?
        var status: Int32?
        enum Cut { case stoppedDuringLaunch, launchTimedOut }
        var cut: Cut?
        var polls = 0
        while status == nil {
            Thread.sleep(forTimeInterval: 0.1)
            polls += 1
            if polls % 5 == 1 { tree.refresh() }
            status = child.exitStatus()
            if status != nil { break }
            let connected = lock.withLock { self.connected }
            if !connected {
                // The launch: nothing trains yet, so a stop needs no checkpoint and ends it at once.
                if control.stopRequested { cut = .stoppedDuringLaunch; break }
                if Double(DispatchTime.now().uptimeNanoseconds - launchStarted) / 1e9 > Double(settings.launchTimeout) {
                    logger.error("the ranks did not all start within mpi.launch_timeout \(settings.launchTimeout) s: stopping mpirun")
                    cut = .launchTimedOut
                    break
                }
                continue
            }
            if control.stopRequested && !stopSent {
                child.send(control.stopIsFinal ? "cancel\n" : "stop\n")
                stopSent = true
            }
            let (silent, timeout) = lock.withLock { () -> (Double, Double) in
                let sorted = stepTimes.sorted()
                let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
                return (Double(DispatchTime.now().uptimeNanoseconds - lastReport) / 1e9, max(Double(settings.heartbeatTimeout), 10 * median))
            }
            if silentSince == nil && silent > timeout {
                logger.error("no report from rank 0 for \(Int(silent)) s (mpi.heartbeat_timeout \(Int(timeout)) s): stopping mpirun")
                silentSince = silent
                child.signal(SIGTERM)
            } else if let since = silentSince, silent > since + 10 {
                tree.refresh()
                child.killGroup()
            }
        }
        // Whatever mpirun started goes with it: its process group, and every process of its tree outside it.
        tree.refresh()
        child.killGroup()
        tree.killAll()
        let exited = child.waitForExit(seconds: 10)
        child.closeStdin()
        child.waitForReaders(readers, seconds: 5)
        let (outcome, failure, tail) = lock.withLock { (self.outcome, self.failure, stderrTail) }
        let named = "hosts \(hosts.joined(separator: ", "))"
        switch cut {
        case .stoppedDuringLaunch?:
            logger.info("stopped during the launch (\(named))")
            return .stopped(checkpoint: nil)
        case .launchTimedOut?:
            throw HostLost(description: "the ranks did not all start within mpi.launch_timeout \(settings.launchTimeout) s (\(named))"
                           + Self.launcherMessage(tail), launch: true)
        case nil: break
        }
        if let failure {
            throw TrainingError(Self.code(failure.code), failure.message)
        }
        let exitStatus = status ?? exited ?? -1
        if let outcome, exitStatus == 0 { return outcome }
        if !lock.withLock({ connected }) {
            throw HostLost(description: "mpirun exited with status \(exitStatus) before every rank started (\(named))" + Self.launcherMessage(tail), launch: true)
        }
        let cause: String
        if silentSince != nil {
            cause = "rank 0 sent no report within mpi.heartbeat_timeout; mpirun was stopped"
        } else if exitStatus == 75 {
            cause = "a rank gave up waiting for the others (mpi.rank_timeout \(settings.rankTimeout) s): a host or the network is gone"
        } else {
            cause = "mpirun exited with status \(exitStatus)"
        }
        let detail = tail.last { $0.contains("noticed that process rank") || $0.contains("rnnd-worker rank") } ?? tail.last
        throw HostLost(description: cause + (detail.map { ": \($0)" } ?? "") + " (\(named))")
    }

    /// What the launcher (ssh, or the `plm_rsh_agent`) said on mpirun's stderr about a host it could not
    /// start a rank on — its own words, which name the host — or else mpirun's last lines.
    static func launcherMessage(_ tail: [String]) -> String {
        let lines = tail.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.allSatisfy { $0 == "-" } }
        // ssh's own lines first ("ssh: connect to host H port 22: No route to host"), then any that name a cause.
        let ssh = lines.filter { $0.hasPrefix("ssh:") || $0.contains("Permission denied") || $0.contains("Host key verification failed") }
        let telling = ssh.isEmpty ? lines.filter { line in
            let lower = line.lowercased()
            return ["connect to host", "resolve", "refused", "unreachable", "no route to", "denied", "timed out", "unknown host"]
                .contains { lower.contains($0) }
        } : ssh
        let chosen = telling.isEmpty ? Array(lines.suffix(2)) : Array(telling.prefix(3))
        return chosen.isEmpty ? "; the launcher said nothing" : ": " + chosen.joined(separator: " / ")
    }

    private static func code(_ name: String) -> TrainingError.Code {
        switch name {
        case "invalidConfig": .invalidConfig
        case "invalidData": .invalidData
        case "invalidCheckpoint": .invalidCheckpoint
        case "diverged": .diverged
        case "storage": .storage
        default: .io
        }
    }

    /// A line of mpirun's stdout: `[job,rank]<stdout>:text` with --tag-output.
    private func handleOutput(_ line: String) {
        let text = Self.untagged(line)
        guard let message = WorkerMessage(line: text) else {
            logger.info("\(line)")
            return
        }
        lock.withLock { lastReport = DispatchTime.now().uptimeNanoseconds }
        switch message {
        case .connected(let ranks):
            lock.withLock { connected = true }
            logger.info("\(ranks) ranks up")
        case .started(let step, let ranks):
            lock.withLock { connected = true }
            logger.info("\(ranks) ranks up, training from step \(step)")
        case .event(let event):
            if case .step(let m) = event {
                lock.withLock {
                    lastStep = m.step
                    stepTimes.append(m.stepSeconds)
                    if stepTimes.count > 50 { stepTimes.removeFirst() }
                }
            }
            sink(event)
        case .outcome(let outcome):
            lock.withLock { self.outcome = outcome }
        case .failed(let code, let message):
            lock.withLock { failure = (code, message) }
        }
    }

    private func handleError(_ line: String) {
        logger.warning("mpirun: \(line)")
        lock.withLock {
            stderrTail.append(line)
            // mpirun's own explanation of a failed launch is about 20 lines: the launcher's line before it stays.
            if stderrTail.count > 100 { stderrTail.removeFirst() }
        }
    }

    /// The text of a tagged line. Open MPI tags each chunk it reads from a rank's pipe, so when a read ends
    /// inside a line the tag lands in the middle of it (`[1,0]<stdout>:{"k":"ab[1,0]<stdout>:cd"}`; seen on 10%
    /// of 400-byte lines written back to back): every tag is removed, not only the first.
    static func untagged(_ line: String) -> String {
        line.replacing(#/\[\d+,\d+\]<std(?:out|err)>:/#, with: "")
    }
}
