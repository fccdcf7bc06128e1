import Foundation
import RNNAPI
import RNNClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every end-to-end suite nests in this one, so they run one after another: each starts daemons that
/// train on every core, and timing-sensitive checks (a kill mid-run) must not compete with each other.
@Suite(.serialized) struct EndToEnd {}

/// The binaries built next to the tests (deploy/run-tests.sh builds in release before testing).
enum Binaries {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    static func path(_ name: String) -> String {
        for configuration in ["release", "debug"] {
            let path = root.appendingPathComponent(".build/\(configuration)/\(name)").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/release/\(name)").path
    }
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifyListener: @unchecked Sendable {
    let path: String
    let fd: Int32
    init(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        chmod(path, 0o666)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd); unlink(path) }

    /// Waits up to `seconds` for a datagram that starts with `prefix`; returns it.
    func wait(for prefix: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 512)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let message = String(decoding: buffer[0..<n], as: UTF8.self)
                if message.hasPrefix(prefix) { return message }
            }
        }
        return nil
    }
}

/// A temporary directory with a state directory and a socket for one rnnd at a time.
final class DaemonHarness: @unchecked Sendable {
    let directory: URL
    let socketPath: String
    let notify: NotifyListener
    var process: Process?
    var log: URL { directory.appendingPathComponent("rnnd.log") }
    var stateDirectory: String { directory.appendingPathComponent("state").path }
    var client: RNNClient { RNNClient(endpoint: .unixSocket(path: socketPath)) }

    init() throws {
        directory = URL(fileURLWithPath: "/tmp/rnnd-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        socketPath = directory.appendingPathComponent("rnnd.sock").path
        notify = NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts rnnd and waits for READY=1; `launcher` runs it through another command (e.g. `ip netns exec NS`),
    /// which must exec rnnd in its own process.
    func start(_ arguments: [String] = [], environment extra: [String: String] = [:], launcher: [String] = []) throws {
        let daemon = Process()
        let command = launcher + [Binaries.path("rnnd"), "--state-dir", stateDirectory, "--socket", socketPath] + arguments
        daemon.executableURL = URL(fileURLWithPath: command[0])
        daemon.arguments = Array(command.dropFirst())
        daemon.environment = ["NOTIFY_SOCKET": notify.path, "HOME": directory.path, "PATH": "/usr/bin:/bin"].merging(extra) { $1 }
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        daemon.standardError = handle
        try daemon.run()
        process = daemon
        guard notify.wait(for: "READY=1", seconds: 60) != nil else {
            throw HarnessError("rnnd did not report READY=1; log:\n" + logText)
        }
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGKILL: no chance to checkpoint or clean up, like a power loss.
    func crash() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait; returns the exit status and the seconds it took.
    func terminate() -> (status: Int32, reason: Process.TerminationReason, seconds: Double) {
        guard let process else { return (-1, .exit, 0) }
        let start = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, Date().timeIntervalSince(start))
    }

    /// Writes `text` to a file in the test directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Polls until `condition` holds; after `seconds` it throws, naming what it waited for (a wait that times
    /// out is a failure, never a fall-through).
    func waitUntil(_ what: String, seconds: Double = 120, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("timed out after \(Int(seconds)) s waiting for \(what); log:\n" + logText)
    }

    /// Polls until `condition` holds for the run, or fails after `seconds`.
    func waitFor(run id: Int64, seconds: Double = 120, _ what: String, _ condition: (RunInfo) -> Bool) async throws -> RunInfo {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let run = try await client.run(id).run
            if condition(run) { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("run \(id) did not reach \(what) in \(seconds) s; log:\n" + logText)
    }
}

/// What a run of the real rnnctl printed and how it exited.
struct RNNCtlResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

extension DaemonHarness {
    /// Runs the real rnnctl against this daemon to its exit.
    func rnnctl(_ arguments: [String]) throws -> RNNCtlResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.path("rnnctl"))
        p.arguments = arguments
        p.environment = ["RNND_SOCKET": socketPath, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return RNNCtlResult(status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A text every Debian system carries (never copied into the repository).
enum SystemText {
    static func license() throws -> String {
        let text = try String(contentsOfFile: "/usr/share/common-licenses/GPL-3", encoding: .utf8)
        return text
    }
}

/// A small character model that trains in a few seconds in a release build.
let smallModel: [String: APIValue] = [
    "hidden_size": .int(64), "embedding_size": .int(16), "layers": .int(1), "seq_len": .int(32), "batch_size": .int(8),
    "workers": .int(2), "val_fraction": .double(0.02), "eval_every": .int(50), "checkpoint_every": .int(50),
]
