import Foundation
import RNNAPI
import RNNSupport

/// rnnd's settings, resolved from four layers, each overriding the one before:
/// 1. embedded defaults (systemd's directories when it provides them, else the XDG ones);
/// 2. the config file: `--config FILE` (which must exist), else `/etc/rnnd/rnnd.toml` when present;
/// 3. `RNND_*` environment variables;
/// 4. command-line flags.
/// Every value is checked; a bad one is an error naming where it came from.
public struct DaemonSettings: Equatable, Sendable {
    public enum LogLevel: String, Sendable, CaseIterable { case trace, debug, info, notice, warning, error, critical }

    public var stateDirectory: String
    public var socketPath: String
    public var logLevel: LogLevel
    /// Runs trained at the same time.
    public var concurrentRuns: Int
    /// Default workers per run (a run may ask for fewer; more is clamped).
    public var workers: Int
    public var maxUploadBytes: Int
    /// Restarts after an unclean stop before a run is marked failed.
    public var maxRestarts: Int
    /// The memory a run's model may need (parameters, optimizer state, activations of every worker).
    public var memoryBudgetMB: Int
    /// Optional loopback TCP listener, "127.0.0.1:PORT" or "[::1]:PORT": the web view, and the API for
    /// scripts with the bearer token of `tokenFile` (when set).
    public var tcpListen: String?
    public var tokenFile: String?
    /// How multi-host runs (run key `hosts`) are launched.
    public var mpi = MPISettings()
    /// For fault-injection harnesses only (`rnn-bench chaos`): a pause, in seconds, inside the windows where a
    /// kill is most harmful (between a checkpoint's temporary file and its rename, before a metric flush,
    /// before a checkpoint row). From RNND_FAULT_WINDOW_MS; 0 in service.
    public var faultWindowSeconds: Double = 0
    /// Where each value came from ("default", "/etc/rnnd/rnnd.toml", "RNND_WORKERS", "--workers").
    public var sources: [String: String] = [:]

    /// One setting: its names in the file, the environment and the flags, and its help (rnnd --help).
    struct Key {
        let name: String        // file key, e.g. "scheduler.workers"
        let environment: String // RNND_WORKERS
        let flag: String        // --workers
        let help: String
    }

    static let keys: [Key] = [
        Key(name: "state_dir", environment: "RNND_STATE_DIR", flag: "--state-dir",
            help: "The state directory (database, datasets, checkpoints)."),
        Key(name: "socket", environment: "RNND_SOCKET", flag: "--socket",
            help: "The control socket's path."),
        Key(name: "log_level", environment: "RNND_LOG_LEVEL", flag: "--log-level",
            help: "The log level: trace, debug, info, notice, warning, error or critical."),
        Key(name: "scheduler.concurrent_runs", environment: "RNND_CONCURRENT_RUNS", flag: "--concurrent-runs",
            help: "Runs trained at the same time."),
        Key(name: "scheduler.workers", environment: "RNND_WORKERS", flag: "--workers",
            help: "Default workers per run."),
        Key(name: "scheduler.max_restarts", environment: "RNND_MAX_RESTARTS", flag: "--max-restarts",
            help: "Restarts after an unclean stop before a run is marked failed."),
        Key(name: "scheduler.memory_budget_mb", environment: "RNND_MEMORY_BUDGET_MB", flag: "--memory-budget-mb",
            help: "The memory a run may need, in MiB (default: 3/4 of the machine's)."),
        Key(name: "api.max_upload_bytes", environment: "RNND_MAX_UPLOAD_BYTES", flag: "--max-upload-bytes",
            help: "The largest dataset upload, in bytes."),
        Key(name: "api.tcp_listen", environment: "RNND_TCP_LISTEN", flag: "--tcp-listen",
            help: "A loopback address and port for an optional TCP listener."),
        Key(name: "api.token_file", environment: "RNND_TOKEN_FILE", flag: "--token-file",
            help: "The file holding the TCP listener's bearer token."),
        Key(name: "mpi.mpirun", environment: "RNND_MPIRUN", flag: "--mpirun",
            help: "Multi-host runs: the mpirun to start."),
        Key(name: "mpi.worker", environment: "RNND_MPI_WORKER", flag: "--mpi-worker",
            help: "Multi-host runs: rnnd-worker's path on every host."),
        Key(name: "mpi.network", environment: "RNND_MPI_NETWORK", flag: "--mpi-network",
            help: "Multi-host runs: the IPv4 network (CIDR) for MPI traffic."),
        Key(name: "mpi.mca", environment: "RNND_MPI_MCA", flag: "--mpi-mca",
            help: "Multi-host runs: extra MCA parameters, name=value separated by spaces."),
        Key(name: "mpi.max_hosts", environment: "RNND_MPI_MAX_HOSTS", flag: "--mpi-max-hosts",
            help: "Multi-host runs: the most hosts a run may name."),
        Key(name: "mpi.rank_timeout", environment: "RNND_MPI_RANK_TIMEOUT", flag: "--mpi-rank-timeout",
            help: "Multi-host runs: seconds a rank waits in a collective before it exits."),
        Key(name: "mpi.heartbeat_timeout", environment: "RNND_MPI_HEARTBEAT_TIMEOUT", flag: "--mpi-heartbeat-timeout",
            help: "Multi-host runs: seconds without a report from rank 0 before a stop."),
        Key(name: "mpi.launch_timeout", environment: "RNND_MPI_LAUNCH_TIMEOUT", flag: "--mpi-launch-timeout",
            help: "Multi-host runs: seconds allowed for all ranks to start."),
    ]

    public static let defaultConfigFile = "/etc/rnnd/rnnd.toml"

    /// The default state directory: $STATE_DIRECTORY (systemd; the first of a colon-separated list), else
    /// $XDG_STATE_HOME/rnnd, else ~/.local/state/rnnd.
    public static func defaultStateDirectory(environment: [String: String]) -> String {
        if let dir = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !dir.isEmpty { return String(dir) }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/rnnd" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/rnnd"
    }

    /// The default control socket (`APIDefaults.socketPath`, shared with rnnctl).
    public static func defaultSocketPath(environment: [String: String], uid: UInt32) -> String {
        APIDefaults.socketPath(environment: environment, uid: uid)
    }

    /// Three quarters of the machine's memory.
    public static var defaultMemoryBudgetMB: Int { max(64, Int(ProcessInfo.processInfo.physicalMemory / (1 << 20)) * 3 / 4) }

    /// The settings flags of a command line — `--workers 2` or `--workers=2`, one per setting of `keys` —
    /// keyed by flag. An unknown flag, one without a value or one given twice is an error naming it.
    public static func flags(from arguments: [String]) throws -> [String: String] {
        let known = Set(keys.map(\.flag))
        var flags: [String: String] = [:]
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            let (flag, inline) = argument.firstIndex(of: "=").map { (String(argument[..<$0]), String(argument[argument.index(after: $0)...])) }
                ?? (argument, nil)
            guard known.contains(flag) else {
                throw DaemonError(.invalidConfig, Suggestions.unknown("option", flag, known: known.sorted()))
            }
            guard let value = inline ?? rest.popFirst() else { throw DaemonError(.invalidConfig, "\(flag) needs a value") }
            guard flags.updateValue(value, forKey: flag) == nil else { throw DaemonError(.invalidConfig, "\(flag) is given twice") }
        }
        return flags
    }

    /// Every settings flag, then its help indented on the next line (rnnd --help).
    public static var flagHelp: String {
        keys.map { "  \($0.flag) <value>\n        \($0.help)" }.joined(separator: "\n")
    }

    /// Resolves the settings. `flags` maps flag names (`--workers`) to their values; `configFile` is the
    /// `--config` value, if given; `readFile` returns a file's text, or nil when it does not exist.
    public static func resolve(
        flags: [String: String], configFile: String?, environment: [String: String], uid: UInt32, cores: Int,
        readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) throws -> DaemonSettings {
        var raw: [String: (value: String, source: String)] = [:]
        // Layer 2: the config file.
        let file = configFile ?? defaultConfigFile
        if let text = readFile(file) {
            let values: [String: APIValue]
            do { values = try KeyValueFile.parse(text, file: file) } catch { throw DaemonError(.invalidConfig, error.description, cause: error) }
            for (key, value) in values {
                guard keys.contains(where: { $0.name == key }) else {
                    throw DaemonError(.invalidConfig, "\(file): unknown setting \(key) (known: \(keys.map(\.name).joined(separator: ", ")))")
                }
                if case .list = value { throw DaemonError(.invalidConfig, "\(file): \(key) is a single value, not a list") }
                raw[key] = (value.description, file)
            }
        } else if configFile != nil {
            throw DaemonError(.invalidConfig, "--config: cannot read \(file)")
        }
        // Layers 3 and 4.
        for key in keys {
            if let value = environment[key.environment] { raw[key.name] = (value, key.environment) }
            if let value = flags[key.flag] { raw[key.name] = (value, key.flag) }
        }
        if let unknown = flags.keys.sorted().first(where: { flag in flag != "--config" && !keys.contains { $0.flag == flag } }) {
            throw DaemonError(.invalidConfig, "unknown flag \(unknown)")
        }

        func string(_ name: String, default value: String) -> (String, String) { raw[name] ?? (value, "default") }
        func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> (Int, String) {
            guard let (text, source) = raw[name] else { return (value, "default") }
            guard let i = Int(text), range.contains(i) else {
                throw DaemonError(.invalidConfig, "\(source): \(name) must be an integer in \(range.lowerBound)…\(range.upperBound), got \"\(text)\"")
            }
            return (i, source)
        }
        func path(_ name: String, _ value: (String, String)) throws -> (String, String) {
            guard value.0.hasPrefix("/") else { throw DaemonError(.invalidConfig, "\(value.1): \(name) must be an absolute path, got \"\(value.0)\"") }
            return value
        }

        var s = DaemonSettings(stateDirectory: "", socketPath: "", logLevel: .info, concurrentRuns: 1, workers: cores, maxUploadBytes: 0,
                               maxRestarts: 3, memoryBudgetMB: 0)
        var sources: [String: String] = [:]
        (s.stateDirectory, sources["state_dir"]) = try path("state_dir", string("state_dir", default: defaultStateDirectory(environment: environment)))
        (s.socketPath, sources["socket"]) = try path("socket", string("socket", default: defaultSocketPath(environment: environment, uid: uid)))
        guard s.socketPath.utf8.count <= 107 else {
            throw DaemonError(.invalidConfig, "\(sources["socket"]!): socket path is \(s.socketPath.utf8.count) bytes; Unix sockets allow 107")
        }
        let (level, levelSource) = string("log_level", default: "info")
        guard let parsedLevel = LogLevel(rawValue: level) else {
            throw DaemonError(.invalidConfig, "\(levelSource): log_level must be one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(level)\"")
        }
        (s.logLevel, sources["log_level"]) = (parsedLevel, levelSource)
        (s.concurrentRuns, sources["scheduler.concurrent_runs"]) = try integer("scheduler.concurrent_runs", default: 1, range: 1...64)
        (s.workers, sources["scheduler.workers"]) = try integer("scheduler.workers", default: cores, range: 1...256)
        (s.maxRestarts, sources["scheduler.max_restarts"]) = try integer("scheduler.max_restarts", default: 3, range: 0...1000)
        (s.memoryBudgetMB, sources["scheduler.memory_budget_mb"]) = try integer("scheduler.memory_budget_mb", default: defaultMemoryBudgetMB, range: 16...(1 << 30))
        (s.maxUploadBytes, sources["api.max_upload_bytes"]) = try integer("api.max_upload_bytes", default: 1 << 30, range: 1...(1 << 40))
        if let (listen, source) = raw["api.tcp_listen"] {
            guard listen.hasPrefix("127.") || listen.hasPrefix("[::1]:") || listen.hasPrefix("localhost:"),
                  let port = listen.split(separator: ":").last.flatMap({ Int($0) }), (1...65535).contains(port) else {
                throw DaemonError(.invalidConfig, "\(source): api.tcp_listen must be a loopback address with a port, such as 127.0.0.1:8470, got \"\(listen)\"")
            }
            (s.tcpListen, sources["api.tcp_listen"]) = (listen, source)
            // Without a token file the listener serves the web view only (browser sessions from rnnctl ui).
            if let token = raw["api.token_file"] { (s.tokenFile, sources["api.token_file"]) = try path("api.token_file", token) }
        } else if let (_, source) = raw["api.token_file"] {
            throw DaemonError(.invalidConfig, "\(source): api.token_file is the bearer token of the loopback TCP listener, which is off: set api.tcp_listen too")
        }
        (s.mpi.mpirun, sources["mpi.mpirun"]) = string("mpi.mpirun", default: s.mpi.mpirun)
        if let worker = raw["mpi.worker"] { (s.mpi.worker, sources["mpi.worker"]) = try path("mpi.worker", worker) }
        if let (network, source) = raw["mpi.network"], !network.isEmpty {
            guard MPISettings.isCIDR(network) else {
                throw DaemonError(.invalidConfig, "\(source): mpi.network must be an IPv4 network such as 10.0.0.0/24, got \"\(network)\"")
            }
            (s.mpi.network, sources["mpi.network"]) = (network, source)
        }
        if let (mca, source) = raw["mpi.mca"] {
            s.mpi.mca = try mca.split(whereSeparator: \.isWhitespace).map { item in
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw DaemonError(.invalidConfig, "\(source): mpi.mca holds name=value items separated by spaces, got \"\(item)\"")
                }
                return (String(parts[0]), String(parts[1]))
            }
            sources["mpi.mca"] = source
        }
        (s.mpi.maxHosts, sources["mpi.max_hosts"]) = try integer("mpi.max_hosts", default: 64, range: 1...4096)
        (s.mpi.rankTimeout, sources["mpi.rank_timeout"]) = try integer("mpi.rank_timeout", default: 120, range: 1...86_400)
        (s.mpi.heartbeatTimeout, sources["mpi.heartbeat_timeout"]) = try integer("mpi.heartbeat_timeout", default: 120, range: 1...86_400)
        (s.mpi.launchTimeout, sources["mpi.launch_timeout"]) = try integer("mpi.launch_timeout", default: 30, range: 1...3_600)
        if let text = environment["RNND_FAULT_WINDOW_MS"] {
            guard let ms = Int(text), (0...10_000).contains(ms) else {
                throw DaemonError(.invalidConfig, "RNND_FAULT_WINDOW_MS: must be an integer in 0…10000 (milliseconds), got \"\(text)\"")
            }
            s.faultWindowSeconds = Double(ms) / 1000
        }
        s.sources = sources
        return s
    }
}

/// The `[mpi]` settings: how rnnd launches a multi-host run.
public struct MPISettings: Equatable, Sendable {
    /// The mpirun to start (a name is looked up in PATH).
    public var mpirun = "mpirun"
    /// rnnd-worker's path, the same on every host (default: beside the rnnd executable).
    public var worker = MPISettings.defaultWorker
    /// The IPv4 network (CIDR) MPI's TCP traffic is restricted to (nil: Open MPI's choice). A wrong
    /// interface is the most common cause of MPI hangs.
    public var network: String?
    /// Extra MCA parameters, passed as `--mca name value`.
    public var mca: [(String, String)] = []
    /// Hosts a run may name at most.
    public var maxHosts = 64
    /// Seconds a rank waits in one collective before it gives up (exit 75): a lost host or network.
    public var rankTimeout = 120
    /// Seconds without a report from rank 0 (or 10 × the median step, if longer) before rnnd stops mpirun.
    public var heartbeatTimeout = 120
    /// Seconds from starting mpirun until every rank is up (rank 0's first report) before the launch counts as
    /// failed: a host that cannot be reached, an ssh that waits.
    public var launchTimeout = 30

    public init() {}

    public static var defaultWorker: String {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "rnnd").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("rnnd-worker").path
    }

    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return false }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } == true }
    }

    public static func == (a: MPISettings, b: MPISettings) -> Bool {
        a.mpirun == b.mpirun && a.worker == b.worker && a.network == b.network && a.mca.map { "\($0)=\($1)" } == b.mca.map { "\($0)=\($1)" }
            && a.maxHosts == b.maxHosts && a.rankTimeout == b.rankTimeout && a.heartbeatTimeout == b.heartbeatTimeout
            && a.launchTimeout == b.launchTimeout
    }
}
