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
