import RNNAPI
import Foundation
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// Ownership of the control socket's path. Two rnnd with different state directories but one socket path
/// must not take the socket from each other. The server library replaces any socket file at the path it
/// binds and removes that path when it closes, whoever's file it is then; so rnnd
/// - takes a lock beside the socket (`<socket>.lock`) and refuses when any process answers on the path
///   (naming its pid, read with SO_PEERCRED); a socket file nothing answers on (left by a crash) goes;
/// - lets the server bind a private name in the same directory (`bindPath`), then renames it onto the
///   public path once it listens (clients never see a socket that does not answer yet);
/// - on exit removes the public path only if the file there is still the one it renamed into place.
final class ControlSocket: Sendable {
    let path: String
    /// Where the server binds before the socket is published at `path`.
    let bindPath: String
    private let lock: PidFileLock
    private let bound = Locked<(device: UInt64, inode: UInt64)?>(nil)

    /// Claims `path` (its directory must exist), or throws `.locked` naming the pid that holds or answers on it.
    init(path: String) throws {
        self.path = path
        bindPath = (path as NSString).deletingLastPathComponent + "/.rnnd-\(String(getpid(), radix: 36))"
        guard bindPath.utf8.count <= 107 else {
            throw DaemonError(.invalidConfig, "socket: \(bindPath), the name rnnd binds before publishing \(path), is longer than the 107 bytes of a Unix socket path; choose a shorter --socket")
        }
        lock = try PidFileLock(path: path + ".lock") { holder in
            "another rnnd (pid \(holder)) serves the socket \(path); stop it first, or give this one another --socket"
        }
        if let pid = Self.answeringPeer(path) {
            throw DaemonError(.locked, "another process (pid \(pid)) answers on the socket \(path); stop it first, or give this one another --socket")
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw DaemonError(.io, "\(path) exists and is not a socket; remove it or give rnnd another --socket")
            }
            guard unlink(path) == 0 || errno == ENOENT else {
                throw DaemonError(.io, "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Gives the bound socket its mode (0660: access by file permissions and group) and renames it onto
    /// the public path, noting the file's identity.
    func publish() throws {
        var info = stat()
        guard chmod(bindPath, 0o660) == 0, lstat(bindPath, &info) == 0, rename(bindPath, path) == 0 else {
            throw DaemonError(.io, "cannot publish the control socket \(bindPath) as \(path): \(String(cString: strerror(errno)))")
        }
        bound.withLock { $0 = (UInt64(info.st_dev), UInt64(info.st_ino)) }
    }

    /// Removes the socket file if it is still the one this process bound.
    func remove() {
        guard let mine = bound.withLock({ $0 }) else { return }
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == mine.device, UInt64(info.st_ino) == mine.inode else { return }
        unlink(path)
    }

    /// The pid of the process accepting connections on `path`, if one does.
    static func answeringPeer(_ path: String) -> pid_t? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let address = UnixSocketAddress(path: path), address.withSockaddr({ connect(fd, $0, $1) }) == 0 else { return nil }
        // struct ucred of <sys/socket.h>: pid, uid, gid.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return -1 }
        return credentials.pid
    }
}
