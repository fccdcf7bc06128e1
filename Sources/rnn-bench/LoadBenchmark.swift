import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// The API under load while two runs train on both cores: event-stream watchers and a steady stream of list,
/// series and compare queries against a real rnnd. Reported: the queries' p50 and p99, and the runs' training
/// throughput under that load against the same runs without it (measured before and after, averaged).
struct LoadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration.benchmark("load", "API latency and training throughput of a real rnnd with many watchers and queries while two runs train.", example: "rnn-bench load --watchers 100 --seconds 20")
    @Option(help: "Event-stream watchers (half on each run).") var watchers = 100
    @Option(help: "Concurrent query loops (list, series, compare in turn).") var queriers = 4
    @Option(help: "Queries per second in all (0: as fast as they are answered).") var rate = 50.0
    @Option(help: "Seconds of each phase (quiet, loaded, quiet).") var seconds = 20.0
    @Option(help: "Hidden size of the two training runs.") var hiddenSize = 256

    func run() async throws {
        let root = URL(fileURLWithPath: "/tmp/rnn-bench-load-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let daemon = try ChaosBenchmark.Daemon(directory: root, windowMs: 0, extraArguments: ["--concurrent-runs", "2"])
        defer { daemon.stop() }
        try await daemon.start()
        let client = daemon.client
        let corpus = root.appendingPathComponent("corpus.txt")
        let licences = ["GPL-2", "LGPL-2.1", "GPL-3"].compactMap { try? String(contentsOfFile: "/usr/share/common-licenses/\($0)", encoding: .utf8) }
        try Data(licences.joined().utf8).write(to: corpus)
        let sha = try await client.uploadDataset(file: corpus.path, name: "corpus.txt", kind: .text).sha256
        let config: [String: APIValue] = ["hidden_size": .int(hiddenSize), "layers": .int(2), "seq_len": .int(64), "batch_size": .int(32),
                                          "workers": .int(1), "max_steps": .int(100_000_000), "eval_every": .int(200),
                                          "checkpoint_every": .int(200), "val_fraction": .double(0.05)]
        let runs = [try await client.submit(SubmitRequest(name: "a", dataset: sha, config: config)).id,
                    try await client.submit(SubmitRequest(name: "b", dataset: sha, config: config)).id]
        for id in runs { while try await client.run(id).run.step < 5 { try await Task.sleep(for: .milliseconds(100)) } }

        func stepsPerSecond() async throws -> Double {
            let before = try await runs.asyncMap { try await client.run($0).run.step }
            let start = Date()
            try await Task.sleep(for: .seconds(seconds))
            let after = try await runs.asyncMap { try await client.run($0).run.step }
            return Double(zip(after, before).map { $0 - $1 }.reduce(0, +)) / Date().timeIntervalSince(start)
        }

        let quietBefore = try await stepsPerSecond()
        let stop = Locked(false)
        let latencies = Locked<[Double]>([])
        let events = Locked(0)
        // Watchers on connections of their own (the client's pool is for requests), each a thread reading its stream.
        let watching = try (0..<watchers).map { i in try RawWatcher(socket: daemon.socket, runID: runs[i % 2], events: events) }
        let querying = (0..<queriers).map { q in
            Task {
                var turn = q
                let interval = rate > 0 ? Double(queriers) / rate : 0
                var next = Date()
                while !stop.withLock({ $0 }) {
                    if interval > 0 {
                        next = next.addingTimeInterval(interval)
                        let wait = next.timeIntervalSinceNow
                        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                    }
                    let start = DispatchTime.now().uptimeNanoseconds
                    switch turn % 3 {
                    case 0: _ = try? await client.runs(limit: 20)
                    case 1: _ = try? await client.series(runs[turn % 2], name: "train_loss", maxPoints: 500)
                    default: _ = try? await client.compare(runs)
                    }
                    latencies.withLock { $0.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
                    turn += 1
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        latencies.withLock { $0 = [] }
        // The clients run on the same cores as the training: their own CPU time is part of what the runs lose.
        let clientBefore = Self.cpuSeconds(), serverBefore = Self.cpuSeconds(pid: daemon.process!.processIdentifier)
        let loaded = try await stepsPerSecond()
        let clientCPU = Self.cpuSeconds() - clientBefore
        let serverCPU = Self.cpuSeconds(pid: daemon.process!.processIdentifier) - serverBefore
        stop.withLock { $0 = true }
        for task in querying { await task.value }
        for watcher in watching { watcher.close() }
        let times = latencies.withLock { $0 }.sorted()
        let quietAfter = try await stepsPerSecond()
        for id in runs { _ = try? await client.cancel(id) }

        let quiet = (quietBefore + quietAfter) / 2
        let p50 = times.isEmpty ? 0 : times[times.count / 2], p99 = times.isEmpty ? 0 : times[min(times.count - 1, times.count * 99 / 100)]
        print(String(format: "two runs (2×%d LSTM, batch 32 × 64, 1 worker each) on %d cores", hiddenSize, ProcessInfo.processInfo.activeProcessorCount))
        print(String(format: "quiet: %.2f steps/s (before %.2f, after %.2f)", quiet, quietBefore, quietAfter))
        print(String(format: "with %d watchers (%d events) and %d query loops (%d queries, %.0f/s): %.2f steps/s, %+.1f%%",
                     watchers, events.withLock { $0 }, queriers, times.count, Double(times.count) / seconds, loaded, (loaded / quiet - 1) * 100))
        print(String(format: "query latency p50 %.2f ms, p99 %.2f ms (goal p99 < 50 ms); throughput change goal > -5%%", p50, p99))
        print(String(format: "CPU while loaded: the clients (this process) %.0f%% of one core, rnnd %.0f%% (training included)",
                     clientCPU / seconds * 100, serverCPU / seconds * 100))
    }
}

extension LoadBenchmark {
    /// User + system CPU seconds of this process, or of `pid` (from /proc/PID/stat, in clock ticks).
    static func cpuSeconds(pid: Int32? = nil) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(0) … utime(11) stime(12).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// An event stream read by a thread of its own on a Unix-socket connection of its own, counting events.
final class RawWatcher: @unchecked Sendable {
    // @unchecked Sendable: `fd` is set once; the thread only reads from it until `close` shuts it down.
    let fd: Int32

    init(socket path: String, runID: Int64, events: Locked<Int>) throws {
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw ValidationError("cannot connect a watcher to \(path)") }
        let request = Array("GET /v1/runs/\(runID)/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let socketFD = fd
        Thread {
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(socketFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                let count = buffer[0..<n].split(separator: 10).filter { $0.starts(with: Array("event:".utf8)) }.count
                events.withLock { $0 += count }
            }
        }.start()
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }
}
