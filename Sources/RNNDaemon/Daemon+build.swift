import Foundation
import Hummingbird
import Logging
import NIOCore
import RNNStore
#if canImport(Glibc)
import Glibc
#endif

/// rnnd's composition: lock the state directory, open (and migrate) the store, serve the control API on
/// the Unix socket, speak the notify protocol, shut down gracefully on SIGTERM/SIGINT.
///
/// So far the API answers `/healthz` and lists runs; submitting, scheduling and training are the next steps
/// of issue 5.
public enum Daemon {
    public static func run(settings: DaemonSettings, logger: Logger) async throws {
        let notifier = SystemdNotifier()
        // The lock comes before the socket: a second server would otherwise take the socket over silently.
        let lock = try StateDirectoryLock(stateDirectory: settings.stateDirectory)
        let store = try Store(path: settings.stateDirectory + "/rnnd.sqlite")
        try prepareSocketDirectory(settings.socketPath)
        let app = buildApplication(settings: settings, store: store, logger: logger) { _ in
            // The socket's mode comes from the umask; access is granted by file permissions and group.
            chmod(settings.socketPath, 0o660)
            notifier.ready()
            notifier.status("ready")
            logger.info("rnnd is ready", metadata: ["socket": "\(settings.socketPath)", "state": "\(settings.stateDirectory)"])
        }
        let watchdog = notifier.watchdogInterval.map { interval in
            Task {
                while !Task.isCancelled {
                    notifier.watchdog()
                    try? await Task.sleep(for: interval)
                }
            }
        }
        defer { watchdog?.cancel() }
        try await app.runService()
        notifier.stopping()
        logger.info("rnnd stopped")
        withExtendedLifetime(lock) {}
    }

    /// The socket's directory exists (created 0750 when rnnd makes it); a stale socket file from a crashed
    /// rnnd is replaced — safe, because this process holds the state directory's lock.
    static func prepareSocketDirectory(_ socketPath: String) throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw DaemonError(.io, "cannot create the socket directory \(directory): \(error.localizedDescription)")
        }
    }

    static func buildApplication(settings: DaemonSettings, store: Store, logger: Logger,
                                 onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in ["status": "ok"] }
        router.get("/v1/runs") { request, _ -> [RunSummary] in
            let filter = request.uri.queryParameters.get("filter")
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 50
            do {
                return try store.listRuns(filter: filter, limit: limit).map(RunSummary.init)
            } catch let error as StoreError where error.code == .badFilter {
                throw HTTPError(.badRequest, message: error.message)
            }
        }
        return Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: settings.socketPath), serverName: "rnnd"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}

/// A run as the listing returns it.
struct RunSummary: ResponseCodable {
    var id: Int64
    var name: String
    var state: String
    var bestValLoss: Double?

    init(_ listing: RunListing) {
        id = listing.run.id
        name = listing.run.name
        state = listing.run.state.rawValue
        bestValLoss = listing.bestValLoss
    }
}
