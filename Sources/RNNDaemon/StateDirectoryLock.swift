import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per state directory: an exclusive `flock` on `rnnd.lock`, held for the process's life and
/// released by the kernel when it exits (also after kill -9). Taken before the socket is bound, because a
/// second server would otherwise silently take the socket over. The lock file holds the holder's pid, so
/// the refusal can name it.
public final class StateDirectoryLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public init(stateDirectory: String) throws {
        path = stateDirectory + "/rnnd.lock"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            throw DaemonError(.io, "cannot create the state directory \(stateDirectory): \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DaemonError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw DaemonError(.locked, "another rnnd (pid \(holder.isEmpty ? "unknown" : holder)) already uses the state directory \(stateDirectory); stop it first, or give this one another --state-dir")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
