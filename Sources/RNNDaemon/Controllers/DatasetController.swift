import Foundation
import Hummingbird
import NIOCore
import RNNAPI
import RNNStore
#if canImport(Glibc)
import Glibc
#endif

/// Uploaded datasets: content-addressed files under datasets/, one row per content.
struct DatasetController {
    let control: RunControl
    let settings: DaemonSettings
    var store: Store { control.store }

    func add(to router: Router<DaemonContext>) {
        router.post("/v1/datasets", use: upload)
        router.get("/v1/datasets", use: list)
        router.get("/v1/datasets/:sha256", use: get)
        router.delete("/v1/datasets/:sha256", use: delete)
    }

    @Sendable func list(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(DatasetList(datasets: try store.datasets().map { entry in
            var info = DatasetInfo(entry.dataset)
            info.runs = entry.runs
            return info
        }))
    }

    /// Removes a dataset no run uses: its row, then its file.
    @Sendable func delete(_ request: Request, context: DaemonContext) async throws -> Response {
        let path = try store.deleteDataset(sha256: try context.parameters.require("sha256"))
        do {
            try FileManager.default.removeItem(at: store.stateDirectory.appendingPathComponent(path))
        } catch {
            // The row is gone; what is left is only disk space, which the log names.
            control.scheduler.logger.warning("cannot remove the deleted dataset's file \(path): \(error)")
        }
        return Response(status: .noContent)
    }

    @Sendable func get(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(DatasetInfo(try control.dataset(sha256: try context.parameters.require("sha256"))))
    }

    /// Streams the body to datasets/ while hashing it, within the upload limit; content-addressed and
    /// deduplicated: the same bytes uploaded twice are stored once.
    @Sendable func upload(_ request: Request, context: DaemonContext) async throws -> Response {
        let q = try request.formQuery()
        guard let name = q.get("name"), !name.isEmpty, name.count <= 200, !name.contains("/") else {
            throw APIFailure.badRequest("name must have 1 to 200 characters and no /", field: "name")
        }
        guard let kind = q.get("kind").flatMap(DatasetKind.init(rawValue:)) else {
            throw APIFailure.badRequest("kind must be one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))", field: "kind")
        }
        try request.refuseDeclaredLength(above: settings.maxUploadBytes, "the upload is larger than api.max_upload_bytes (\(settings.maxUploadBytes) bytes)")
        let directory = store.stateDirectory.appendingPathComponent("datasets")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let partial = directory.appendingPathComponent(".upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil), let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw APIFailure(.internalServerError, "cannot create a file in \(directory.path)")
        }
        var hasher = SHA256Hex()
        var size = 0
        var utf8 = UTF8Check()
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                size += buffer.readableBytes
                guard size <= settings.maxUploadBytes else {
                    throw APIFailure(.contentTooLarge, "the upload is larger than api.max_upload_bytes (\(settings.maxUploadBytes) bytes)")
                }
                let bytes = buffer.readableBytesView
                hasher.update(bytes)
                if kind == .text { utf8.feed(bytes) }
                try handle.write(contentsOf: Data(bytes))
            }
            try handle.synchronize()
            guard size > 0 else { throw APIFailure.badRequest("the upload is empty", field: "body") }
            if kind == .text, let offset = utf8.finish() {
                throw APIFailure.badRequest("\(name) is not UTF-8 text: invalid byte sequence at offset \(offset)", field: "body")
            }
        } catch {
            control.removeLeftover(partial)
            throw error
        }
        let sha = hasher.finalize()
        let target = directory.appendingPathComponent(sha)
        let existed = FileManager.default.fileExists(atPath: target.path)
        if existed {
            control.removeLeftover(partial)
        } else {
            try FileManager.default.moveItem(at: partial, to: target)
            chmod(target.path, 0o440)
        }
        let before = try store.dataset(sha256: sha)
        let record = try store.addDataset(sha256: sha, name: name, kind: kind, size: Int64(size), path: "datasets/\(sha)")
        return JSONResponse.make(DatasetInfo(record), status: before == nil ? .created : .ok)
    }
}
