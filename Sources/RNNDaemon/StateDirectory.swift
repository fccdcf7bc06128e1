import Foundation
import Logging
import RNNSupport

/// Every path of rnnd's state directory, spelled once:
///
/// ```
/// rnnd.sqlite (+ -wal, -shm)       the database
/// rnnd.lock                        one daemon per state directory
/// datasets/<sha256>                uploaded data, content-addressed, read-only once written
/// datasets/.upload-<uuid>          an upload being received
/// checkpoints/<run>/<step>.ckpt    a run's checkpoints (rows hold these paths, relative to the root)
/// mpi/<run>/                       a multi-host run's hostfile and launcher scratch
/// .backup-<uuid>.sqlite            an online backup being sent
/// ```
struct StateDirectory: Sendable {
    let root: URL

    init(_ root: URL) { self.root = root }
    init(path: String) { root = URL(fileURLWithPath: path) }

    var database: URL { root.appendingPathComponent("rnnd.sqlite") }
    var lockFile: URL { root.appendingPathComponent("rnnd.lock") }
    var datasets: URL { root.appendingPathComponent("datasets") }

    /// A dataset's file, relative to the root (as its row stores it).
    static func datasetPath(sha256: String) -> String { "datasets/\(sha256)" }
    /// A run's checkpoint folder, relative to the root.
    static func checkpointFolder(runID: Int64) -> String { "checkpoints/\(runID)" }
    /// A run's checkpoint file of `step`, relative to the root (as its row stores it).
    static func checkpointPath(runID: Int64, step: Int) -> String { checkpointFolder(runID: runID) + "/\(step).ckpt" }

    /// The absolute location of a path relative to the root (a row's `path`).
    func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
    func checkpointFolder(runID: Int64) -> URL { url(Self.checkpointFolder(runID: runID)) }
    func mpiJob(runID: Int64) -> URL { root.appendingPathComponent("mpi/\(runID)") }
    func newUpload() -> URL { datasets.appendingPathComponent(".upload-\(UUID().uuidString)") }
    func newBackup() -> URL { root.appendingPathComponent(".backup-\(UUID().uuidString).sqlite") }

    /// Removes a file or folder that is only disk space once its rows are gone (a deleted run's checkpoints,
    /// a temporary upload or backup); a failure is logged, never thrown.
    func removeLeftover(_ url: URL, what: String, logger: Logger) {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            logger.warning("cannot remove \(what) \(url.path): \(error)")
        }
    }

    /// A checkpoint file's size and SHA-256, for its row: the file must be on disk with the `size` its writer
    /// reported (a missing or partial file — an interrupted write — is refused), and it is hashed here, once,
    /// so that a row never points to a missing, partial or mismatched file.
    func checkpointFile(_ relative: String, size: Int64) throws -> (size: Int64, sha256: String) {
        let path = url(relative).path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let actual = (attributes?[.size] as? NSNumber)?.int64Value, actual == size else {
            throw DaemonError(.io, "checkpoint file \(path) is missing or not \(size) bytes; not recorded")
        }
        do {
            return (size, try SHA256Hex.hex(ofFile: path))
        } catch {
            throw DaemonError(.io, "checkpoint file \(path) cannot be read: \(error); not recorded", cause: error)
        }
    }

    /// Removes files whose rows are gone (retention, a deleted run); returns those that could not be removed
    /// (only disk space: no row points to them).
    func removeFiles(_ relativePaths: [String]) -> [String] {
        relativePaths.filter { relative in
            let file = url(relative)
            guard FileManager.default.fileExists(atPath: file.path) else { return false }
            return (try? FileManager.default.removeItem(at: file)) == nil
        }
    }
}
