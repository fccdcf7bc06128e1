import Foundation
import Logging
import RNNAPI
import RNNTraining
#if canImport(Glibc)
import Glibc
#endif

/// A child process in a new process group, with pipes for stdin, stdout and stderr (Foundation's
/// `Process` cannot put a child in its own group, which is how everything mpirun started is stopped).
final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: the descriptors are fixed after init; `status` is only read and written by the
    // thread that waits.
    let pid: pid_t
    let stdin: Int32, stdout: Int32, stderr: Int32
    private var status: Int32?

    init(arguments: [String]) throws {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else { throw DaemonError(.io, "cannot create pipes: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        for fd in input + output + errors { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(input[0]); close(output[1]); close(errors[1])
        guard result == 0 else {
            close(input[1]); close(output[0]); close(errors[0])
            throw DaemonError(.io, "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        stdin = input[1]
        stdout = output[0]
        stderr = errors[0]
        // rnnd's other children must not inherit these ends (a stdin kept open elsewhere never ends).
        _ = fcntl(stdin, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stdout, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stderr, F_SETFD, FD_CLOEXEC)
    }

    /// The exit status (128 + the signal for a signalled child) once it has exited, else nil.
    func exitStatus() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(stdin, $0.baseAddress, $0.count) }
    }

    /// Waits up to `seconds` for the child to exit; its status, or nil if it did not.
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = exitStatus() { return status }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return exitStatus()
    }

    func closeStdin() { close(stdin) }
    func signal(_ signal: Int32) { kill(pid, signal) }
    /// SIGKILL to the whole process group (mpirun and what it started on this machine).
    func killGroup() { kill(-pid, SIGKILL) }

    /// Calls `body` with each line read from `fd` until its end, then closes it.
    func readLines(_ fd: Int32, _ body: (String) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: 10) {
                body(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { body(String(decoding: pending, as: UTF8.self)) }
        close(fd)
    }

    /// Waits for the reader threads to reach the end of their pipes; a process mpirun left behind outside its
    /// group could hold them open, so after `seconds` rnnd stops waiting.
    func waitForReaders(_ threads: [Thread], seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while threads.contains(where: { !$0.isFinished }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// The processes a child started, followed through /proc while it lives: a process that leaves the child's
/// process group (ssh puts itself in a session of its own) is still found, and is ended with it. Each is
/// remembered with its start time, so that a pid reused by an unrelated process is never signalled.
struct ProcessTree {
    let root: pid_t
    private(set) var known: [pid_t: UInt64] = [:]

    init(root: pid_t) { self.root = root }

    /// Adds the root's current descendants.
    mutating func refresh() {
        var parents: [pid_t: pid_t] = [:], starts: [pid_t: UInt64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), let (parent, start) = Self.stat(pid) else { continue }
            parents[pid] = parent
            starts[pid] = start
        }
        var inTree: Set<pid_t> = [root]
        inTree.formUnion(known.keys)
        var grew = true
        while grew {
            grew = false
            for (pid, parent) in parents where !inTree.contains(pid) && inTree.contains(parent) {
                inTree.insert(pid)
                grew = true
            }
        }
        for pid in inTree where pid != root && known[pid] == nil {
            if let start = starts[pid] { known[pid] = start }
        }
    }

    /// SIGKILL to every remembered process that is still the one remembered.
    func killAll() {
        for (pid, start) in known where Self.stat(pid)?.start == start { kill(pid, SIGKILL) }
    }

    /// The parent and the start time (in clock ticks after boot) from /proc/PID/stat.
    static func stat(_ pid: pid_t) -> (parent: pid_t, start: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name may hold spaces and parentheses: the fields follow its last ")".
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // Fields after the name: state(0) ppid(1) … starttime(19).
        guard fields.count > 19, let parent = pid_t(fields[1]), let start = UInt64(fields[19]) else { return nil }
        return (parent, start)
    }
}
