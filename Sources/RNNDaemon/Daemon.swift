import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RNNAPI
import RNNStore
import RNNTraining
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// rnnd's composition: lock the state directory, open (and migrate) the store, serve the control API on
/// the Unix socket (and optionally loopback TCP), schedule and train runs, speak the notify protocol.
///
/// Shutdown (SIGTERM, SIGINT): watchers' streams end and the servers stop accepting, then every running
/// run stops at its next step boundary, writes a checkpoint and is marked interrupted (it resumes at the
/// next start), metrics are flushed, the database closes, and rnnd exits 0.
public enum Daemon {
    public static func run(settings: DaemonSettings, logger: Logger) async throws {
        // A write to a child that has exited (mpirun's stdin) is an error to handle, not a signal that kills rnnd.
        signal(SIGPIPE, SIG_IGN)
        let daemon = try build(settings: settings, logger: logger)
        defer { daemon.socket.remove() }
        let group = ServiceGroup(configuration: .init(services: daemon.services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        do {
            try daemon.parts.metrics.flush()
        } catch {
            // The runs' last checkpoints were recorded after their points; what is lost here is replayed on resume.
            logger.error("cannot write the last metric points: \(error)")
        }
        logger.info("rnnd stopped")
        withExtendedLifetime(daemon.lock) {}
    }

    /// rnnd put together, not yet running: the state directory locked, the store open and migrated, the
    /// socket bound, and the services in start order.
    struct Built {
        let parts: DaemonParts
        let services: [any Service]
        let lock: StateDirectoryLock
        let socket: ControlSocket
    }

    /// Builds rnnd from its settings (the examples' `buildApplication`): what `run` runs.
    static func build(settings: DaemonSettings, logger: Logger) throws -> Built {
        let notifier = SystemdNotifier()
        // The lock comes before the socket: a second server would otherwise take the socket over silently.
        let lock = try StateDirectoryLock(stateDirectory: settings.stateDirectory)
        let store: Store
        do {
            store = try Store(path: StateDirectory(path: settings.stateDirectory).database.path)
        } catch let error as StoreError {
            throw DaemonError(.io, error.message, cause: error)
        }
        try prepareSocketDirectory(settings.socketPath)
        let socket = try ControlSocket(path: settings.socketPath)
        let token = try settings.tokenFile.map(readToken)
        let parts = DaemonParts(settings: settings, store: store, notifier: notifier, logger: logger,
                                hooks: .faultWindow(seconds: settings.faultWindowSeconds))

        let unixApp = Application(
            router: makeRouter(parts, loopback: false, token: nil),
            server: .http1(configuration: Self.http1),
            configuration: .init(address: .unixDomainSocket(path: socket.bindPath), serverName: "rnnd"),
            onServerRunning: { _ in
                do {
                    try socket.publish()
                } catch {
                    // Nothing can reach this daemon: stop rather than train unreachable.
                    logger.critical("\(error)")
                    kill(getpid(), SIGTERM)
                    return
                }
                notifier.ready()
                parts.scheduler.reportStatus()
                logger.info("rnnd is ready", metadata: ["socket": "\(settings.socketPath)", "state": "\(settings.stateDirectory)"])
            },
            logger: logger
        )
        // Shut down in reverse order: first the herald (STOPPING=1, watchers' streams end), then the
        // servers, then the scheduler, which stops the runs at a step boundary; the watchdog pings to the end.
        var services: [any Service] = notifier.watchdogInterval.map { [WatchdogService(notifier: notifier, interval: $0)] } ?? []
        services += [parts.scheduler, SweepService(sweeps: parts.sweeps), unixApp] as [any Service]
        if let listen = settings.tcpListen {
            let (host, port) = try hostAndPort(listen)
            services.append(Application(
                router: makeRouter(parts, loopback: true, token: token),
                server: .http1(configuration: Self.http1),
                configuration: .init(address: .hostname(host, port: port), serverName: "rnnd"),
                logger: logger))
        }
        services.append(ShutdownHerald { notifier.stopping(); parts.hub.finishAll() })
        return Built(parts: parts, services: services, lock: lock, socket: socket)
    }

    /// Both listeners' HTTP/1 settings. A connection that sends no complete request part (head, body chunk, end)
    /// for `idleTimeout` is closed — a client that dribbles its headers, a body that stops coming, a connection
    /// opened and left — while a response being written (an SSE stream to a watcher that sends nothing) is never
    /// cut. Headers are bounded by NIO's decoder (80 KiB in all, 1,000 fields): more is refused and closed.
    static let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(Int64(idleTimeoutSeconds)))
    static let idleTimeoutSeconds = 30

    static func readToken(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DaemonError(.invalidConfig, "api.token_file: cannot read \(path)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else { throw DaemonError(.invalidConfig, "api.token_file: the token in \(path) must have at least 16 characters") }
        return token
    }

    static func hostAndPort(_ listen: String) throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw DaemonError(.invalidConfig, "api.tcp_listen: \(listen) has no port")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// The socket's directory exists (created 0750 when rnnd makes it).
    static func prepareSocketDirectory(_ socketPath: String) throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw DaemonError(.io, "cannot create the socket directory \(directory): \(error.localizedDescription)", cause: error)
        }
    }
}
