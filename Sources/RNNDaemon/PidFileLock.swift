import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file, held for the process's life and released by the kernel when it exits
/// (also after kill -9). The file holds the holder's pid, so a refusal can name it.
final class PidFileLock: Sendable {
    let path: String
    private let descriptor: Int32

    /// Takes the lock, or throws `.locked` with `refusal(pid of the holder)`.
    init(path: String, refusal: (String) -> String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DaemonError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw DaemonError(.locked, refusal(holder.isEmpty ? "unknown" : holder))
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// One daemon per state directory: the lock on `rnnd.lock`, taken before anything else is touched.
public final class StateDirectoryLock: Sendable {
    private let lock: PidFileLock
    public var path: String { lock.path }

    public init(stateDirectory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            throw DaemonError(.io, "cannot create the state directory \(stateDirectory): \(error.localizedDescription)", cause: error)
        }
        lock = try PidFileLock(path: stateDirectory + "/rnnd.lock") { holder in
            "another rnnd (pid \(holder)) already uses the state directory \(stateDirectory); stop it first, or give this one another --state-dir"
        }
    }
}
