import Foundation
import RNNAPI
import RNNClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two hosts that are really separate network stacks: network namespaces joined by a bridge, rnnd in the
/// first, rank 1 launched into the second by an `plm_rsh_agent` script (`ip netns exec`, no sshd), MPI
/// restricted to their network. Root only (CI runs as root).
extension EndToEnd {
@Suite(.enabled(if: getuid() == 0, "network namespaces need root")) struct SeparateHostsTests {
    /// Two namespaces `rnh<n>a` (10.77.n.1, rnnd's host) and `rnh<n>b` (10.77.n.2) on the bridge `rnbr<n>`,
    /// and the agent script that "logs in" to a host by entering its namespace. Removed in `down()`.
    final class TwoHosts {
        let n: Int
        let agent: String
        var first: String { "10.77.\(n).1" }
        var second: String { "10.77.\(n).2" }
        var network: String { "10.77.\(n).0/24" }
        var namespaces: [String] { ["rnh\(n)a", "rnh\(n)b"] }
        /// An address on the bridge's network that no namespace holds: nothing answers there.
        var nobody: String { "10.77.\(n).9" }
        /// An address the agent "logs in" to by waiting forever, as an ssh whose host never answers.
        var silent: String { "10.77.\(n).8" }

        init(directory: URL) throws {
            n = Int(getpid() % 200) + 20
            agent = directory.appendingPathComponent("agent.sh").path
            down()
            var script = "set -e\nip link add rnbr\(n) type bridge\nip link set rnbr\(n) up\n"
            for (i, ns) in namespaces.enumerated() {
                script += """
                    ip netns add \(ns)
                    ip link add rnv\(n)\(i) type veth peer name eth0 netns \(ns)
                    ip link set rnv\(n)\(i) master rnbr\(n) up
                    ip netns exec \(ns) ip addr add 10.77.\(n).\(i + 1)/24 dev eth0
                    ip netns exec \(ns) ip link set eth0 up
                    ip netns exec \(ns) ip link set lo up

                    """
            }
            try Self.shell(script)
            try Data("""
                #!/bin/sh
                # plm_rsh_agent for the tests: run mpirun's command "on" a host by entering its namespace.
                host=$1; shift
                case "$host" in
                  \(first)) ns=\(namespaces[0]) ;;
                  \(second)) ns=\(namespaces[1]) ;;
                  \(silent)) exec sleep 3600 ;;
                  *) echo "agent.sh: unknown host $host" >&2; exit 1 ;;
                esac
                exec ip netns exec "$ns" /bin/sh -c "$*"

                """.utf8).write(to: URL(fileURLWithPath: agent))
            chmod(agent, 0o755)
        }

        func down() {
            for ns in namespaces { try? Self.shell("ip netns pids \(ns) 2>/dev/null | xargs -r kill -9; ip netns del \(ns) 2>/dev/null || true") }
            try? Self.shell("ip link del rnbr\(n) 2>/dev/null; ip link del rnv\(n)0 2>/dev/null; ip link del rnv\(n)1 2>/dev/null; true")
        }

        /// Takes the second host's link down or up.
        func link(up: Bool) throws { try Self.shell("ip netns exec \(namespaces[1]) ip link set eth0 \(up ? "up" : "down")") }

        /// rnnd-worker processes in the second host's namespace.
        func workersOnSecondHost() -> Int {
            processesOnSecondHost().filter { pid in
                (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? "").contains("rnnd-worker")
            }.count
        }

        /// Processes in the second host's namespace.
        func processesOnSecondHost() -> [String] {
            (try? Self.shell("ip netns pids \(namespaces[1])"))?.split(separator: "\n").map(String.init) ?? []
        }

        @discardableResult
        static func shell(_ script: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
            let pipe = Pipe(), errors = Pipe()
            process.standardOutput = pipe
            process.standardError = errors
            try process.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw HarnessError("\(script) failed: \(String(decoding: err, as: UTF8.self))")
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    func startDaemon(_ harness: DaemonHarness, _ hosts: TwoHosts, _ extra: [String] = []) throws {
        try harness.start(["--mpi-network", hosts.network, "--mpi-mca", "plm_rsh_agent=\(hosts.agent)"] + extra,
                          launcher: ["/usr/sbin/ip", "netns", "exec", hosts.namespaces[0]])
    }

    /// Processes whose command line contains `text` (the launcher's, mpirun's, the ranks').
    static func anyProcess(containing text: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard pid_t(entry) != nil, let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let line = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) ? "\(entry): \(line)" : nil
        }
    }

    @Test func aHostNothingAnswersFailsTheLaunchNamingItAndSshsWordsAndLeavesNoSsh() async throws {
        let harness = try DaemonHarness()
        let hosts = try TwoHosts(directory: harness.directory)
        defer { hosts.down() }
        // The real ssh (no agent): the address is on the bridge, but no namespace holds it.
        try harness.start(["--mpi-network", hosts.network, "--mpi-launch-timeout", "20", "--max-restarts", "1"],
                          launcher: ["/usr/sbin/ip", "netns", "exec", hosts.namespaces[0]])
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(
            name: "nobody", dataset: dataset.sha256, config: Self.config.merging(["hosts": .list([hosts.first, hosts.nobody])]) { $1 }))
        let done = try await harness.waitFor(run: run.id, seconds: 150, "failed after its launch attempts") { $0.state.isFinal }
        let events = try await harness.client.run(run.id).events
        #expect(done.state == .failed && done.restarts == 1, "\(done.state) after \(done.restarts) restarts: \(events.map(\.message))")
        let failure = done.failure ?? ""
        #expect(failure.contains(hosts.nobody) && failure.contains("ssh"), "the failure names the host and ssh's own words: \(failure)")
        #expect(events.contains { $0.kind == .interrupted && $0.message.contains(hosts.nobody) && $0.message.contains("before every rank started") },
                "\(events.map(\.message))")
        #expect(Self.anyProcess(containing: hosts.nobody).isEmpty, "left behind: \(Self.anyProcess(containing: hosts.nobody))")
    }

    @Test func aLaunchThatHangsIsCutByTheLaunchTimeoutAndCancelPauseAndShutdownActAtOnce() async throws {
        let harness = try DaemonHarness()
        let hosts = try TwoHosts(directory: harness.directory)
        defer { hosts.down() }
        try startDaemon(harness, hosts, ["--mpi-launch-timeout", "4", "--max-restarts", "1"])
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let values = Self.config.merging(["hosts": .list([hosts.first, hosts.silent])]) { $1 }
        // The launch timeout: a launcher that never answers is cut, named, retried once, then the run fails.
        let timed = try await harness.client.submit(SubmitRequest(name: "hangs", dataset: dataset.sha256, config: values))
        let failed = try await harness.waitFor(run: timed.id, seconds: 60, "failed after two launch timeouts") { $0.state.isFinal }
        #expect(failed.state == .failed && (failed.failure ?? "").contains("did not all start within mpi.launch_timeout 4 s")
                && (failed.failure ?? "").contains(hosts.silent), "\(failed.state): \(failed.failure ?? "")")
        #expect(Self.anyProcess(containing: "sleep 3600").isEmpty, "the launcher is ended with mpirun: \(Self.anyProcess(containing: "sleep 3600"))")

        // Cancel and pause during the launch act at once (no step boundary to wait for).
        #expect(harness.terminate().status == 0, "rnnd stops cleanly")
        try startDaemon(harness, hosts, ["--mpi-launch-timeout", "600"])
        for action in ["cancel", "pause"] {
            let run = try await harness.client.submit(SubmitRequest(name: action, dataset: dataset.sha256, config: values))
            _ = try await harness.waitFor(run: run.id, "launching") { $0.state == .running }
            let asked = Date()
            let answer = action == "cancel" ? try await harness.client.cancel(run.id) : try await harness.client.pause(run.id)
            #expect(answer.state == .running, "\(action) acknowledged as requested")
            let ended = try await harness.waitFor(run: run.id, seconds: 10, action == "cancel" ? "cancelled" : "paused") { $0.state != .running }
            #expect(ended.state == (action == "cancel" ? .cancelled : .paused), "\(action): \(ended.state)")
            #expect(Date().timeIntervalSince(asked) < 5, "\(action) took \(Date().timeIntervalSince(asked)) s")
            #expect(Self.anyProcess(containing: "sleep 3600").isEmpty, "\(action) left \(Self.anyProcess(containing: "sleep 3600"))")
        }
        // SIGTERM during a launch: rnnd exits within a few seconds, and the run resumes at the next start.
        let run = try await harness.client.submit(SubmitRequest(name: "shutdown", dataset: dataset.sha256, config: values))
        _ = try await harness.waitFor(run: run.id, "launching") { $0.state == .running }
        let stopped = harness.terminate()
        #expect(stopped.status == 0 && stopped.seconds < 10, "SIGTERM during the launch: \(stopped)")
        #expect(Self.anyProcess(containing: "sleep 3600").isEmpty && Self.anyProcess(containing: "\(harness.stateDirectory)/mpi/").isEmpty,
                "left behind: \(Self.anyProcess(containing: harness.stateDirectory))")
    }

    static let config = MultiHostTests.config.merging(["workers": .int(1), "max_steps": .int(60), "checkpoint_every": .int(20),
                                                       "eval_every": .int(30)]) { $1 }

    @Test func aRunOnTwoNetworkNamespacesMatchesTheInProcessRun() async throws {
        let harness = try DaemonHarness()
        let hosts = try TwoHosts(directory: harness.directory)
        defer { hosts.down() }
        try startDaemon(harness, hosts)
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let run = try await harness.client.submit(SubmitRequest(
            name: "two-hosts", dataset: dataset.sha256, config: Self.config.merging(["hosts": .list([hosts.first, hosts.second])]) { $1 }))
        let done = try await harness.waitFor(run: run.id, seconds: 180, "completed") { $0.state.isFinal }
        #expect(done.state == .completed, "\(done.failure ?? "")\n\(harness.logText)")
        let reference = try await MultiHostTests.inRNND(harness, dataset: dataset.sha256, Self.config.merging(["workers": .int(2)]) { $1 })
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.value) == reference.losses, "the loss curve, bitwise")
        #expect(try await MultiHostTests.lastParameters(harness, run.id) == reference.parameters, "the final parameters, bitwise")
    }

    @Test func aLinkDownIsClearedByBothWatchdogsAndTheRunCompletesWhenItIsBack() async throws {
        let harness = try DaemonHarness()
        let hosts = try TwoHosts(directory: harness.directory)
        defer { hosts.down() }
        try startDaemon(harness, hosts, ["--mpi-rank-timeout", "4", "--mpi-heartbeat-timeout", "6", "--max-restarts", "20"])
        let dataset = try await harness.client.uploadDataset(file: try harness.file("gpl.txt", try SystemText.license()), name: "gpl.txt", kind: .text)
        let values = Self.config.merging(["max_steps": .int(120)]) { $1 }
        let run = try await harness.client.submit(SubmitRequest(
            name: "link-down", dataset: dataset.sha256, config: values.merging(["hosts": .list([hosts.first, hosts.second])]) { $1 }))
        _ = try await harness.waitFor(run: run.id, seconds: 120, "step 30") { $0.step >= 30 }
        try hosts.link(up: false)
        let cutAt = Date()
        // rnnd's side: the ranks' watchdogs (4 s) or rnnd's heartbeat watchdog (6 s, then 10 s to SIGKILL) end mpirun.
        _ = try await harness.waitFor(run: run.id, seconds: 40, "requeued") { $0.restarts >= 1 }
        let cleared = Date().timeIntervalSince(cutAt)
        #expect(cleared < 30, "cleared in \(cleared) s")
        // The cut-off rank's own watchdog ends it (4 s) while the link is still down.
        let deadline = cutAt.addingTimeInterval(20)
        while hosts.workersOnSecondHost() > 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(hosts.workersOnSecondHost() == 0, "the cut-off rank is still running")
        try hosts.link(up: true)
        let done = try await harness.waitFor(run: run.id, seconds: 240, "completed after the link came back") { $0.state.isFinal }
        #expect(done.state == .completed && done.step == 120, "\(done.state) \(done.failure ?? "")\n\(harness.logText)")
        let events = try await harness.client.run(run.id).events
        #expect(events.contains { $0.kind == .interrupted && $0.message.contains("hosts \(hosts.first), \(hosts.second)") }, "\(events.map(\.message))")
        #expect(try await harness.client.series(run.id, name: "train_loss").points.map(\.step) == Array(1...120), "every step once")
        let reference = try await MultiHostTests.inRNND(harness, dataset: dataset.sha256, values.merging(["workers": .int(2)]) { $1 })
        #expect(try await MultiHostTests.lastParameters(harness, run.id) == reference.parameters, "the final parameters, bitwise")
        #expect(MultiHostTests.processes(matching: "\(harness.stateDirectory)/mpi/").isEmpty, "no rank is left behind")
        // Launch daemons of the cut-off job (and of launches tried while the link was down) end once they learn
        // mpirun is gone: keepalives, or a refused connection now that the link is back.
        let quiet = Date().addingTimeInterval(90)
        while !hosts.processesOnSecondHost().isEmpty && Date() < quiet { try await Task.sleep(for: .milliseconds(500)) }
        #expect(hosts.processesOnSecondHost().isEmpty, "left on the second host: \(hosts.processesOnSecondHost())")
    }
}
}
