import Foundation
@testable import RNNDaemon
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct DaemonSettingsTests {
    func resolve(flags: [String: String] = [:], config: String? = nil, file: String? = nil, env: [String: String] = [:]) throws -> DaemonSettings {
        try DaemonSettings.resolve(flags: flags, configFile: config, environment: env, uid: 1000, cores: 2,
                                   readFile: { path in path == (config ?? DaemonSettings.defaultConfigFile) ? file : nil })
    }

    @Test func embeddedDefaultsFollowSystemdThenXDG() throws {
        let plain = try resolve(env: ["HOME": "/home/ada"])
        #expect(plain.stateDirectory == "/home/ada/.local/state/rnnd" && plain.socketPath == "/tmp/rnnd-1000/rnnd.sock")
        #expect(plain.workers == 2 && plain.concurrentRuns == 1 && plain.logLevel == .info && plain.tcpListen == nil)
        let xdg = try resolve(env: ["HOME": "/home/ada", "XDG_STATE_HOME": "/x/state", "XDG_RUNTIME_DIR": "/run/user/1000"])
        #expect(xdg.stateDirectory == "/x/state/rnnd" && xdg.socketPath == "/run/user/1000/rnnd.sock")
        let systemd = try resolve(env: ["STATE_DIRECTORY": "/var/lib/rnnd", "RUNTIME_DIRECTORY": "/run/rnnd", "XDG_STATE_HOME": "/x"])
        #expect(systemd.stateDirectory == "/var/lib/rnnd" && systemd.socketPath == "/run/rnnd/rnnd.sock")
    }

    @Test func fileThenEnvironmentThenFlagsOverride() throws {
        let file = """
            # rnnd settings
            state_dir = "/srv/rnnd"   # where the database lives
            log_level = 'debug'
            [scheduler]
            workers = 1
            concurrent_runs = 2
            """
        let fromFile = try resolve(file: file, env: ["HOME": "/h"])
        #expect(fromFile.stateDirectory == "/srv/rnnd" && fromFile.logLevel == .debug && fromFile.workers == 1 && fromFile.concurrentRuns == 2)
        #expect(fromFile.sources["scheduler.workers"] == DaemonSettings.defaultConfigFile)
        let fromEnv = try resolve(file: file, env: ["HOME": "/h", "RNND_WORKERS": "2"])
        #expect(fromEnv.workers == 2 && fromEnv.sources["scheduler.workers"] == "RNND_WORKERS")
        let fromFlag = try resolve(flags: ["--workers": "1", "--state-dir": "/tmp/s"], file: file, env: ["HOME": "/h", "RNND_WORKERS": "2"])
        #expect(fromFlag.workers == 1 && fromFlag.stateDirectory == "/tmp/s" && fromFlag.sources["scheduler.workers"] == "--workers")
        let mpi = try resolve(file: "[mpi]\nnetwork = \"10.1.0.0/16\"\nmca = \"plm_rsh_agent=/x btl=self,tcp\"\nrank_timeout = 30",
                              env: ["HOME": "/h"]).mpi
        #expect(mpi.network == "10.1.0.0/16" && mpi.rankTimeout == 30 && mpi.heartbeatTimeout == 120 && mpi.maxHosts == 64)
        #expect(mpi.mca.map { "\($0)=\($1)" } == ["plm_rsh_agent=/x", "btl=self,tcp"])
    }

    /// rnnd's settings flags come from DaemonSettings.keys: both spellings, and every mistake named.
    @Test func settingsFlagsAreReadFromTheKeys() throws {
        #expect(try DaemonSettings.flags(from: ["--workers", "2", "--socket=/tmp/x.sock", "--mpi-mca", "a=b c=d"])
                == ["--workers": "2", "--socket": "/tmp/x.sock", "--mpi-mca": "a=b c=d"])
        func refusal(_ arguments: [String]) -> String? {
            do { _ = try DaemonSettings.flags(from: arguments); return nil } catch let error as DaemonError { return error.message } catch { return "\(error)" }
        }
        #expect(refusal(["--wrokers", "2"])?.hasPrefix("unknown option \"--wrokers\" (did you mean --workers?)") == true, "\(refusal(["--wrokers", "2"]) ?? "accepted")")
        #expect(refusal(["--workers"]) == "--workers needs a value")
        #expect(refusal(["--workers", "1", "--workers=2"]) == "--workers is given twice")
        #expect(refusal(["stray"])?.hasPrefix("unknown option \"stray\"") == true)
        for key in DaemonSettings.keys { #expect(DaemonSettings.flagHelp.contains("  \(key.flag) <value>\n        \(key.help)"), "\(key.flag) in the help") }
    }

    @Test func badValuesNameTheirSource() throws {
        func message(_ flags: [String: String] = [:], config: String? = nil, file: String? = nil, env: [String: String] = ["HOME": "/h"]) -> String? {
            do { _ = try resolve(flags: flags, config: config, file: file, env: env); return nil } catch { return (error as? DaemonError)?.message }
        }
        #expect(message(["--workers": "0"]) == "--workers: scheduler.workers must be an integer in 1…256, got \"0\"")
        #expect(message(env: ["HOME": "/h", "RNND_LOG_LEVEL": "loud"])?.hasPrefix("RNND_LOG_LEVEL: log_level must be one of") == true)
        #expect(message(["--state-dir": "relative/dir"])?.contains("absolute path") == true)
        #expect(message(["--socket": "/" + String(repeating: "s", count: 120)])?.contains("107") == true)
        #expect(message(["--tcp-listen": "0.0.0.0:80", "--token-file": "/t"])?.contains("loopback") == true)
        // A listener without a token file serves the web view only; a token file without a listener is a mistake.
        #expect(message(["--tcp-listen": "127.0.0.1:8470"]) == nil)
        #expect(message(["--token-file": "/t"])?.contains("set api.tcp_listen too") == true)
        #expect(message(["--wrkers": "2"]) == "unknown flag --wrkers")
        #expect(message(["--mpi-network": "10.0.0.0"]) == "--mpi-network: mpi.network must be an IPv4 network such as 10.0.0.0/24, got \"10.0.0.0\"")
        #expect(message(["--mpi-mca": "btl"]) == "--mpi-mca: mpi.mca holds name=value items separated by spaces, got \"btl\"")
        #expect(message(["--mpi-rank-timeout": "0"])?.contains("mpi.rank_timeout must be an integer in 1…86400") == true)
        #expect(message(["--mpi-worker": "rnnd-worker"])?.contains("mpi.worker must be an absolute path") == true)
        #expect(message(config: "/etc/custom.toml") == "--config: cannot read /etc/custom.toml")
        #expect(message(file: "[scheduler]\nworkerz = 2")?.contains("unknown setting scheduler.workerz") == true)
        #expect(message(file: "state_dir = /srv")?.hasPrefix("/etc/rnnd/rnnd.toml:1:") == true, "unquoted strings are refused with the line")
        #expect(message(file: "log_level = \"info\"\nlog_level = \"debug\"")?.contains(":2: log_level is set twice") == true)
    }
}

@Suite struct StateDirectoryLockTests {
    @Test func aSecondDaemonIsRefusedNamingTheFirst() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var first: StateDirectoryLock? = try StateDirectoryLock(stateDirectory: directory)
        do {
            _ = try StateDirectoryLock(stateDirectory: directory)
            Issue.record("a second lock on the same directory must be refused")
        } catch let e as DaemonError {
            #expect(e.code == .locked && e.message.contains("pid \(getpid())"))
        }
        #expect(first != nil)
        first = nil  // the holder exits
        #expect(throws: Never.self) { _ = try StateDirectoryLock(stateDirectory: directory) }
    }
}

@Suite struct SystemdNotifierTests {
    @Test func datagramsReachNotifySocketAndNothingHappensWithout() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        defer { unlink(path) }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogInterval == .seconds(1))
        notifier.ready()
        notifier.status("2 queued, 1 running")
        notifier.watchdog()
        notifier.stopping()
        var received: [String] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        for _ in 0..<4 {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { received.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        #expect(received == ["READY=1", "STATUS=2 queued, 1 running", "WATCHDOG=1", "STOPPING=1"])
        let silent = SystemdNotifier(environment: [:])
        #expect(silent.socketPath == nil && silent.watchdogInterval == nil)
        silent.ready()  // no socket: nothing to send, nothing fails
        // A listener that never reads fills its queue (net.unix.max_dgram_qlen, 10 by default): sending more
        // drops them at once instead of blocking the caller (the scheduler, which would stop starting runs).
        let start = Date()
        for i in 0..<200 { notifier.status("line \(i)") }
        #expect(Date().timeIntervalSince(start) < 5, "200 datagrams to a full queue returned at once")
    }
}

/// docs/configuration.md's settings table names every setting with its variable and its flag.
@Suite struct DaemonSettingsDocTests {
    @Test func docsDocumentEverySetting() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/configuration.md").standardized
        let rows = try String(contentsOf: doc, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("| `") }
        for key in DaemonSettings.keys {
            let short = key.name.split(separator: ".").last.map(String.init) ?? key.name
            #expect(rows.contains { $0.contains("\(short)`") && $0.contains("`\(key.environment)`") && $0.contains("`\(key.flag)`") },
                    "docs/configuration.md lacks a row for \(key.name) (\(key.environment), \(key.flag))")
        }
    }
}

@Suite struct FormQueryTests {
    /// Query strings as browsers, Python's urlencode and curl --data-urlencode send them.
    @Test func plusIsASpaceAndPercentEscapesAreDecoded() throws {
        let query = try FormQuery("filter=name+~+%27a+b%27+and+lr+%3C+0.01&sort=-best.val_loss&empty=&flag")
        #expect(query.get("filter") == "name ~ 'a b' and lr < 0.01")
        #expect(query.get("sort") == "-best.val_loss" && query.get("empty") == "" && query.get("flag") == "")
        #expect(query.get("missing") == nil)
        #expect(try FormQuery("filter=1%2B1").get("filter") == "1+1", "an encoded plus stays a plus")
        #expect(try FormQuery(nil).get("filter") == nil)
        #expect(throws: APIFailure.self) { try FormQuery("filter=%zz") }
    }
}

@Suite struct WebSessionTests {
    @Test func loginTokensWorkOnceAndExpire() throws {
        let sessions = WebSessions()
        let start = Date()
        let token = sessions.mintToken(uid: 1000, now: start)
        let (id, session) = try #require(sessions.redeem(token, now: start.addingTimeInterval(5)))
        #expect(session.uid == 1000 && session.csrf.count == 64 && id.count == 64 && session.csrf != id)
        #expect(sessions.redeem(token, now: start.addingTimeInterval(6)) == nil, "a used token is refused")
        let late = sessions.mintToken(uid: nil, now: start)
        #expect(sessions.redeem(late, now: start.addingTimeInterval(WebSessions.tokenLifetime + 1)) == nil, "an expired token is refused")
        #expect(sessions.redeem("not-a-token") == nil)
        #expect(sessions.session(id, now: start.addingTimeInterval(60))?.csrf == session.csrf)
        #expect(sessions.session(id, now: start.addingTimeInterval(WebSessions.sessionLifetime + 10)) == nil, "sessions end")
        #expect(sessions.mintToken(uid: nil) != sessions.mintToken(uid: nil))
    }

    @Test func onlyTheLoginAndAssetsArePublic() {
        #expect(WebViewController.isPublic("/ui/login") && WebViewController.isPublic("/ui/assets/app.js") && WebViewController.isPublic("/favicon.ico"))
        #expect(!WebViewController.isPublic("/ui/") && !WebViewController.isPublic("/v1/runs") && !WebViewController.isPublic("/ui/runs/1"))
    }
}
