import Foundation
import Hummingbird
import NIOCore
import RNNAPI
import RNNStore

/// Uploaded datasets: content-addressed files under datasets/, one row per content.
struct DatasetController {
    let datasets: DatasetService, maxUploadBytes: Int

    @Sendable func list(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(DatasetList(datasets: try datasets.list()))
    }

    /// Removes a dataset no run uses: its row, then its file.
    @Sendable func delete(_ request: Request, context: DaemonContext) async throws -> Response {
        try datasets.delete(sha256: try context.parameters.require("sha256"))
        return Response(status: .noContent)
    }

    @Sendable func get(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(DatasetInfo(try datasets.find(sha256: try context.parameters.require("sha256"))))
    }

    /// Streams the body to datasets/ while hashing it, within the upload limit: 201 for new content, 200 when
    /// the same bytes were already there.
    @Sendable func upload(_ request: Request, context: DaemonContext) async throws -> Response {
        let q = try request.formQuery()
        guard let name = q.get("name"), !name.isEmpty, name.count <= 200, !name.contains("/") else {
            throw APIFailure.badRequest("name must have 1 to 200 characters and no /", field: "name")
        }
        guard let kind = q.get("kind").flatMap(DatasetKind.init(rawValue:)) else {
            throw APIFailure.badRequest("kind must be one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))", field: "kind")
        }
        try request.refuseDeclaredLength(above: maxUploadBytes, "the upload is larger than api.max_upload_bytes (\(maxUploadBytes) bytes)")
        let (record, created) = try await datasets.receive(request.body, name: name, kind: kind)
        return JSONResponse.make(DatasetInfo(record), status: created ? .created : .ok)
    }
}
