import Foundation
import Logging
import NIOCore
import RNNAPI
import RNNStore
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// Uploaded datasets: content-addressed files under `datasets/`, one row per content. Owns the files: the
/// store holds only rows.
struct DatasetService: Sendable {
    let store: Store
    let directory: StateDirectory
    let maxUploadBytes: Int
    let logger: Logger

    static func isSHA256(_ s: String) -> Bool { s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }

    /// The dataset a path names (`/v1/datasets/{sha256}`: a missing one is a 404), or that a request body's
    /// `dataset` field refers to (`inBody`: a 422 naming the field — the operation's own resource exists).
    func find(sha256: String, inBody: Bool = false) throws -> DatasetRecord {
        guard Self.isSHA256(sha256) else { throw APIFailure.badRequest("\"\(sha256)\" is not a SHA-256 (64 lowercase hex digits)", field: "dataset") }
        guard let record = try store.dataset(sha256: sha256) else {
            let message = "no dataset with SHA-256 \(sha256); upload it first"
            throw inBody ? APIFailure(.unprocessableContent, message, field: "dataset") : APIFailure.notFound(message)
        }
        return record
    }

    /// The dataset a run trains on.
    func of(_ run: RunRecord) throws -> DatasetRecord {
        guard let dataset = try store.dataset(id: run.datasetID) else {
            throw APIFailure(.internalServerError, "run \(run.id) refers to dataset \(run.datasetID), which is not in the database")
        }
        return dataset
    }

    /// The dataset's bytes; a file deleted behind rnnd's back is a 409 that says how to restore it.
    func bytes(_ record: DatasetRecord) throws -> [UInt8] {
        let url = directory.url(record.path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw APIFailure.conflict("the file of dataset \(record.name) (\(record.sha256.prefix(12))) is missing from the state directory "
                                      + "(\(url.path)); upload the same file again to restore it")
        }
        do {
            return try Array(Data(contentsOf: url))
        } catch {
            throw APIFailure(.internalServerError, "dataset \(record.sha256) cannot be read: \(error.localizedDescription)")
        }
    }

    /// Every dataset with the number of runs that use it, newest first.
    func list() throws -> [DatasetInfo] {
        try store.datasets().map { entry in
            var info = DatasetInfo(entry.dataset)
            info.runs = entry.runs
            return info
        }
    }

    /// Removes a dataset no run uses: its row, then its file.
    func delete(sha256: String) throws {
        let path = try store.deleteDataset(sha256: sha256)
        // The row is gone; what is left is only disk space, which the log names.
        directory.removeLeftover(directory.url(path), what: "the deleted dataset's file", logger: logger)
    }

    /// Streams `body` to `datasets/` while hashing it (and checking UTF-8 for text), within the upload limit;
    /// content-addressed and deduplicated: the same bytes uploaded twice are stored once. Returns the record
    /// and whether it is new.
    func receive<Body: AsyncSequence>(_ body: Body, name: String, kind: DatasetKind) async throws -> (DatasetRecord, created: Bool)
    where Body.Element == ByteBuffer {
        try FileManager.default.createDirectory(at: directory.datasets, withIntermediateDirectories: true)
        let partial = directory.newUpload()
        guard FileManager.default.createFile(atPath: partial.path, contents: nil), let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw APIFailure(.internalServerError, "cannot create a file in \(directory.datasets.path)")
        }
        var hasher = SHA256Hex()
        var size = 0
        var utf8 = UTF8Check()
        do {
            defer { try? handle.close() }
            for try await buffer in body {
                size += buffer.readableBytes
                guard size <= maxUploadBytes else {
                    throw APIFailure(.contentTooLarge, "the upload is larger than api.max_upload_bytes (\(maxUploadBytes) bytes)")
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
            directory.removeLeftover(partial, what: "the partial upload", logger: logger)
            throw error
        }
        let sha = hasher.finalize()
        let relative = StateDirectory.datasetPath(sha256: sha)
        let target = directory.url(relative)
        if FileManager.default.fileExists(atPath: target.path) {
            directory.removeLeftover(partial, what: "the duplicate upload", logger: logger)
        } else {
            try FileManager.default.moveItem(at: partial, to: target)
            chmod(target.path, 0o440)
        }
        let before = try store.dataset(sha256: sha)
        let record = try store.addDataset(sha256: sha, name: name, kind: kind, size: Int64(size), path: relative)
        return (record, before == nil)
    }
}
