import ArgumentParser
import Foundation
import RNNBuildInfo
import Logging
import RNNCore
import RNNDaemon

@main
struct RNND: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnnd",
        abstract: "Run the rnnd training daemon.",
        discussion: """
            With no arguments rnnd runs on its embedded defaults. Settings come from the config file \
            (--config, else /etc/rnnd/rnnd.toml), then RNND_* variables, then these flags.

            Example: rnnd --state-dir /var/lib/rnnd --socket /run/rnnd/rnnd.sock
            """,
        version: BuildInfo.describe("rnnd")
    )

    @Option(help: "The config file to read (it must exist).") var config: String?
    @Option(help: "The state directory (database, datasets, checkpoints).") var stateDir: String?
    @Option(help: "The control socket's path.") var socket: String?
    @Option(help: "The log level: trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(help: "Runs trained at the same time.") var concurrentRuns: String?
    @Option(help: "Default workers per run.") var workers: String?
    @Option(help: "Restarts after an unclean stop before a run is marked failed.") var maxRestarts: String?
    @Option(help: "The memory a run's model may need, in MiB (default: 3/4 of the machine's).") var memoryBudgetMb: String?
    @Option(help: "The largest dataset upload, in bytes.") var maxUploadBytes: String?
    @Option(help: "A loopback address and port for an optional TCP listener.") var tcpListen: String?
    @Option(help: "The file holding the TCP listener's bearer token.") var tokenFile: String?
    @Option(help: "Multi-host runs: the mpirun to start.") var mpirun: String?
    @Option(help: "Multi-host runs: rnnd-worker's path on every host.") var mpiWorker: String?
    @Option(help: "Multi-host runs: the IPv4 network (CIDR) for MPI traffic.") var mpiNetwork: String?
    @Option(help: "Multi-host runs: extra MCA parameters, name=value separated by spaces.") var mpiMca: String?
    @Option(help: "Multi-host runs: the most hosts a run may name.") var mpiMaxHosts: String?
    @Option(help: "Multi-host runs: seconds a rank waits in one collective before it exits.") var mpiRankTimeout: String?
    @Option(help: "Multi-host runs: seconds without a report from rank 0 before rnnd stops mpirun.") var mpiHeartbeatTimeout: String?
    @Option(help: "Multi-host runs: seconds for every rank to start before the launch counts as failed.") var mpiLaunchTimeout: String?

    func run() async throws {
        BLAS.relaunchWithFastKernelsIfNeeded()
        BLAS.setThreads(1)
        var flags: [String: String] = [:]
        for (flag, value) in [("--state-dir", stateDir), ("--socket", socket), ("--log-level", logLevel),
                              ("--concurrent-runs", concurrentRuns), ("--workers", workers), ("--max-restarts", maxRestarts),
                              ("--memory-budget-mb", memoryBudgetMb), ("--max-upload-bytes", maxUploadBytes),
                              ("--tcp-listen", tcpListen), ("--token-file", tokenFile), ("--mpirun", mpirun),
                              ("--mpi-worker", mpiWorker), ("--mpi-network", mpiNetwork), ("--mpi-mca", mpiMca),
                              ("--mpi-max-hosts", mpiMaxHosts), ("--mpi-rank-timeout", mpiRankTimeout),
                              ("--mpi-heartbeat-timeout", mpiHeartbeatTimeout), ("--mpi-launch-timeout", mpiLaunchTimeout)] {
            if let value { flags[flag] = value }
        }
        do {
            let settings = try DaemonSettings.resolve(flags: flags, configFile: config, environment: ProcessInfo.processInfo.environment,
                                                      uid: getuid(), cores: ProcessInfo.processInfo.activeProcessorCount)
            var logger = Logger(label: "rnnd")
            logger.logLevel = Logger.Level(rawValue: settings.logLevel.rawValue) ?? .info
            try await Daemon.run(settings: settings, logger: logger)
        } catch let error as DaemonError {
            FileHandle.standardError.write(Data("rnnd: \(error.message)\n".utf8))
            throw ExitCode(error.code == .locked ? 3 : 2)
        }
    }
}
