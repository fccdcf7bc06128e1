import Foundation
import RNNAPI
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// deploy/: the unit passes systemd-analyze's checks, install.sh stages and removes cleanly, and the
/// installed rnnd runs the way the unit runs it — as the unprivileged rnnd user with the unit's environment.
extension EndToEnd {
@Suite struct DeployTests {
    static let isRoot = getuid() == 0

    @discardableResult
    static func sh(_ command: String, allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if !allowFailure && p.terminationStatus != 0 { throw HarnessError("`\(command)` exited \(p.terminationStatus):\n\(output)") }
        return (p.terminationStatus, output)
    }

    /// install.sh --destdir into a fresh staging tree, with systemd's own units beside it so that
    /// `--root` resolves the unit's dependencies and ExecStart.
    static func stage() throws -> URL {
        let stage = URL(fileURLWithPath: "/tmp/rnnd-stage-\(UUID().uuidString.prefix(8))")
        try sh("'\(Binaries.root.path)/deploy/install.sh' --no-build --destdir '\(stage.path)'")
        try sh("mkdir -p '\(stage.path)/usr/lib/systemd' && cp -r /usr/lib/systemd/system '\(stage.path)/usr/lib/systemd/'")
        return stage
    }

    @Test func theUnitPassesSystemdAnalyzeVerifyAndSecurity() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is missing: deploy/run-tests.sh installs the systemd package; install it to run this check")
            return
        }
        let stage = try Self.stage()
        defer { try? FileManager.default.removeItem(at: stage) }
        let verify = try Self.sh("systemd-analyze verify --recursive-errors=yes --root='\(stage.path)' /etc/systemd/system/rnnd.service", allowFailure: true)
        #expect(verify.status == 0 && verify.output.isEmpty, "verify must pass without a warning:\n\(verify.output)")
        let security = try Self.sh("systemd-analyze security --offline=true --threshold=10 --root='\(stage.path)' /etc/systemd/system/rnnd.service", allowFailure: true)
        let score = security.output.split(separator: "\n").first { $0.contains("Overall exposure level") }
        #expect(security.status == 0, "exposure above 1.0:\n\(security.output)")
        #expect(score?.contains("SAFE") == true, "\(score ?? "no score")")

        // A misspelt directive is caught (the check can fail).
        let unit = stage.appendingPathComponent("etc/systemd/system/rnnd.service")
        let text = try String(contentsOf: unit, encoding: .utf8)
        try text.replacingOccurrences(of: "ProtectHome=yes", with: "ProtectHom=yes").write(to: unit, atomically: true, encoding: .utf8)
        let misspelt = try Self.sh("systemd-analyze verify --recursive-errors=yes --root='\(stage.path)' /etc/systemd/system/rnnd.service", allowFailure: true)
        #expect(misspelt.output.contains("ProtectHom"), "\(misspelt.output)")
    }

    /// The multi-host drop-in: verify passes with it, it opens the network (and only that much: the exposure
    /// stays at most 2.0 of 10), and uninstall removes it.
    @Test func theMultiHostDropInVerifiesAndKeepsTheRestOfTheHardening() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is missing: deploy/run-tests.sh installs the systemd package; install it to run this check")
            return
        }
        let stage = try Self.stage()
        defer { try? FileManager.default.removeItem(at: stage) }
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --no-build --destdir '\(stage.path)' --multi-host")
        let dropIn = stage.appendingPathComponent("etc/systemd/system/rnnd.service.d/multi-host.conf")
        #expect(FileManager.default.fileExists(atPath: dropIn.path))
        #expect(FileManager.default.isExecutableFile(atPath: stage.appendingPathComponent("usr/local/bin/rnnd-worker").path))
        let verify = try Self.sh("systemd-analyze verify --recursive-errors=yes --root='\(stage.path)' /etc/systemd/system/rnnd.service", allowFailure: true)
        #expect(verify.status == 0 && verify.output.isEmpty, "verify must pass without a warning:\n\(verify.output)")
        let security = try Self.sh("systemd-analyze security --offline=true --threshold=20 --root='\(stage.path)' /etc/systemd/system/rnnd.service", allowFailure: true)
        #expect(security.status == 0, "exposure above 2.0 with the drop-in:\n\(security.output)")
        #expect(security.output.split(separator: "\n").contains { $0.contains("✗ PrivateNetwork=") }, "the drop-in is applied")
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --uninstall --destdir '\(stage.path)'")
        #expect(!FileManager.default.fileExists(atPath: dropIn.path), "uninstall removes the drop-in")
    }

    @Test func installIsIdempotentAndUninstallRemovesWhatItInstalled() throws {
        let stage = try Self.stage()
        defer { try? FileManager.default.removeItem(at: stage) }
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --no-build --destdir '\(stage.path)' --prefix /opt/rnnd")
        let unit = try String(contentsOf: stage.appendingPathComponent("etc/systemd/system/rnnd.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/opt/rnnd/bin/rnnd"), "ExecStart follows --prefix")
        for path in ["opt/rnnd/bin/rnnd", "opt/rnnd/bin/rnnctl", "opt/rnnd/bin/rnnd-worker", "usr/lib/sysusers.d/rnnd.conf", "etc/rnnd/rnnd.toml"] {
            #expect(FileManager.default.fileExists(atPath: stage.appendingPathComponent(path).path), "\(path) installed")
        }
        // An edited config survives a reinstall and an uninstall.
        let config = stage.appendingPathComponent("etc/rnnd/rnnd.toml")
        try "log_level = \"debug\"\n".write(to: config, atomically: true, encoding: .utf8)
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --no-build --destdir '\(stage.path)' --prefix /opt/rnnd")
        #expect(try String(contentsOf: config, encoding: .utf8) == "log_level = \"debug\"\n")
        try FileManager.default.createDirectory(at: stage.appendingPathComponent("var/lib/rnnd"), withIntermediateDirectories: true)
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --uninstall --destdir '\(stage.path)' --prefix /opt/rnnd")
        for path in ["opt/rnnd/bin/rnnd", "opt/rnnd/bin/rnnctl", "opt/rnnd/bin/rnnd-worker", "usr/lib/sysusers.d/rnnd.conf", "etc/systemd/system/rnnd.service"] {
            #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent(path).path), "\(path) removed")
        }
        #expect(FileManager.default.fileExists(atPath: config.path), "an edited config is kept")
        #expect(FileManager.default.fileExists(atPath: stage.appendingPathComponent("var/lib/rnnd").path), "the state is kept without --purge")
        try Self.sh("'\(Binaries.root.path)/deploy/install.sh' --uninstall --purge --destdir '\(stage.path)' --prefix /opt/rnnd")
        #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent("var/lib/rnnd").path), "--purge removes the state")
    }

    /// Creates a user when missing; returns whether this test created it (and so removes it).
    static func ensureUser(_ name: String, groups: String?) throws -> Bool {
        if try sh("id -u \(name)", allowFailure: true).status == 0 { return false }
        try sh("useradd --no-create-home --shell /usr/sbin/nologin \(groups.map { "--groups \($0)" } ?? "") \(name)")
        return true
    }

    @Test(.enabled(if: DeployTests.isRoot, "needs root to run rnnd as the rnnd user, as the unit does"))
    func theInstalledDaemonRunsAsTheUnitRunsIt() async throws {
        let stage = try Self.stage()
        defer { try? FileManager.default.removeItem(at: stage) }
        // The unit's user and group (what systemd-sysusers creates from rnnd.conf), a member of the group
        // and an outsider.
        if try Self.sh("getent group rnnd", allowFailure: true).status != 0 { try Self.sh("groupadd --system rnnd") }
        if try Self.sh("id -u rnnd", allowFailure: true).status != 0 {
            try Self.sh("useradd --system --gid rnnd --home-dir /var/lib/rnnd --no-create-home --shell /usr/sbin/nologin rnnd")
        }
        let createdMember = try Self.ensureUser("rnnd-member", groups: "rnnd")
        let createdOutsider = try Self.ensureUser("rnnd-outsider", groups: nil)
        defer {
            if createdMember { _ = try? Self.sh("userdel rnnd-member") }
            if createdOutsider { _ = try? Self.sh("userdel rnnd-outsider") }
        }

        let harness = try DaemonHarness()
        let state = harness.directory.appendingPathComponent("var-lib-rnnd"), runtime = harness.directory.appendingPathComponent("run-rnnd")
        // What StateDirectory= and RuntimeDirectory= create: owned by rnnd, mode 0750.
        try Self.sh("install -d -o rnnd -g rnnd -m 0750 '\(state.path)' '\(runtime.path)'")
        let socket = runtime.appendingPathComponent("rnnd.sock").path
        let rnnd = stage.appendingPathComponent("usr/local/bin/rnnd").path, rnnctl = stage.appendingPathComponent("usr/local/bin/rnnctl").path
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        daemon.arguments = ["--reuid=rnnd", "--regid=rnnd", "--init-groups", "--inh-caps=-all", "--no-new-privs", "/bin/sh", "-c", "umask 0027 && exec \(rnnd)"]
        daemon.environment = ["STATE_DIRECTORY": state.path, "RUNTIME_DIRECTORY": runtime.path, "NOTIFY_SOCKET": harness.notify.path,
                              "WATCHDOG_USEC": "2000000", "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        _ = FileManager.default.createFile(atPath: harness.log.path, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: harness.log)
        try daemon.run()
        harness.process = daemon
        #expect(harness.notify.wait(for: "READY=1", seconds: 60) != nil, "READY=1; log:\n\(harness.logText)")
        #expect(harness.notify.wait(for: "WATCHDOG=1", seconds: 5) != nil, "watchdog pings")
        let owner = try Self.sh("stat -c '%U:%G %a' '\(socket)'").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(owner == "rnnd:rnnd 660", "the socket belongs to rnnd's group: \(owner)")

        let corpus = try harness.file("corpus.txt", try SystemText.license())
        chmod(corpus, 0o644)
        let submit = try Self.sh("runuser -u rnnd-member -- '\(rnnctl)' submit --socket '\(socket)' --data '\(corpus)' -q --set hidden_size=32 --set layers=1 --set max_steps=20 --set val_fraction=0.02", allowFailure: true)
        #expect(submit.status == 0, "a member of the group submits: \(submit.output)")
        let memberUID = try Self.sh("id -u rnnd-member").output.trimmingCharacters(in: .whitespacesAndNewlines)
        if submit.status == 0 {
            let id = submit.output.split(separator: "\n").last.map(String.init) ?? ""
            let show = try Self.sh("runuser -u rnnd-member -- '\(rnnctl)' show --socket '\(socket)' --json \(id)")
            let detail = try APIJSON.decoder.decode(RunDetail.self, from: Data(show.output.utf8))
            #expect(detail.run.submittedBy.map(String.init) == memberUID, "the member's uid is recorded")
        }
        let outsider = try Self.sh("runuser -u rnnd-outsider -- '\(rnnctl)' status --socket '\(socket)'", allowFailure: true)
        #expect(outsider.status == 3, "a user outside the group cannot reach the socket: \(outsider.output)")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(harness.notify.wait(for: "STOPPING=1", seconds: 30) != nil)
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0, "exit 0 on SIGTERM; log:\n\(harness.logText)")
    }
}
}
