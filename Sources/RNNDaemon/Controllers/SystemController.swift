import Foundation
import Hummingbird
import Logging
import NIOCore
import RNNAPI
import RNNStore

/// Liveness, the API document, Prometheus metrics and the database backup.
struct SystemController {
    let store: Store, hub: EventHub, directory: StateDirectory, logger: Logger

    @Sendable func health(_ request: Request, context: DaemonContext) async throws -> Response {
        let counts = try store.runCounts()
        return JSONResponse.make(HealthInfo(status: "ok", version: APIVersion.current, queued: counts[.queued] ?? 0, running: counts[.running] ?? 0))
    }

    @Sendable func document(_ request: Request, context: DaemonContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.yaml)))
    }

    @Sendable func metrics(_ request: Request, context: DaemonContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: try PrometheusText.render(store: store, hub: hub))))
    }

    /// An online, consistent copy of the database (VACUUM INTO a file in the state directory, sent, then
    /// removed): safe while runs train, unlike a copy of the live file.
    @Sendable func backup(_ request: Request, context: DaemonContext) async throws -> Response {
        let file = directory.newBackup()
        defer { directory.removeLeftover(file, what: "the backup's temporary copy", logger: logger) }
        try await offload { [store] in try store.backup(to: file.path) }
        let bytes = try Data(contentsOf: file)
        return Response(status: .ok, headers: [.contentType: "application/vnd.sqlite3", .contentDisposition: "attachment; filename=\"rnnd-backup.sqlite\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
