import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File writes that survive crashes and power loss.
enum FileIO {
    static func read(_ url: URL) throws -> [UInt8] {
        do { return Array(try Data(contentsOf: url)) } catch {
            throw TrainingError(.io, "cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    /// Temporary file in the same directory, write, fsync, rename over `url`, fsync the directory. A write
    /// that fails (a full disk, a read-only or failing file system) removes the temporary file and throws
    /// `.storage`, naming the file and the system's reason.
    static func writeAtomically(_ bytes: [UInt8], to url: URL, beforeRename: () -> Void = {}) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        func fail(_ what: String, _ code: Int32) -> TrainingError {
            TrainingError(.storage, "cannot \(what) \(url.path): \(String(cString: strerror(code)))")
        }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw fail("create a temporary file for", errno) }
        var written = 0
        let failure: Int32? = bytes.withUnsafeBytes { p in
            while written < p.count {
                let n = Glibc.write(fd, p.baseAddress! + written, p.count - written)
                if n < 0 { if errno == EINTR { continue }; return errno }
                written += n
            }
            return fsync(fd) == 0 ? nil : errno
        }
        close(fd)
        if let failure { unlink(temporary.path); throw fail("write", failure) }
        beforeRename()
        guard rename(temporary.path, url.path) == 0 else { let code = errno; unlink(temporary.path); throw fail("rename into", code) }
        let dfd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
