import Foundation
import RNNAPI
import Testing
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// The real rnnctl against the real rnnd: a user's whole session, from the first submit to a sample.
extension EndToEnd {
@Suite struct RNNCtlEndToEndTests {
    func rnnctl(_ harness: DaemonHarness, _ arguments: [String]) throws -> RNNCtlResult { try harness.rnnctl(arguments) }

    /// Runs rnnctl to its exit (output discarded) and returns its exit status and peak resident memory in
    /// KiB (wait4's rusage of exactly that child).
    func peakMemory(_ harness: DaemonHarness, _ arguments: [String]) throws -> (status: Int32, kib: Int) {
        let path = Binaries.path("rnnctl")
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let environment = ["RNND_SOCKET=" + harness.socketPath, "PATH=/usr/bin:/bin"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { throw HarnessError("cannot start \(path)") }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid else { throw HarnessError("wait4 failed") }
        return ((status >> 8) & 0xFF, usage.ru_maxrss)
    }

    @Test func uploadStreamsFromDiskInFlatMemory() async throws {
        let harness = try DaemonHarness()
        try harness.start()
        let small = try harness.file("small.txt", String(repeating: "a line of text for the upload test\n", count: 1000))
        let large = harness.directory.appendingPathComponent("large.txt")
        FileManager.default.createFile(atPath: large.path, contents: nil)
        let handle = try FileHandle(forWritingTo: large)
        let block = Data(String(repeating: "another line, of a file of some hundreds of MB\n", count: 1 << 14).utf8)
        var written = 0
        while written < 300 << 20 { try handle.write(contentsOf: block); written += block.count }
        try handle.close()
        let baseline = try peakMemory(harness, ["upload", small, "-q"])
        let streamed = try peakMemory(harness, ["upload", large.path, "-q"])
        #expect(baseline.status == 0 && streamed.status == 0)
        #expect(streamed.kib - baseline.kib < 64 << 10,
                "uploading \(written >> 20) MiB raised rnnctl's peak memory from \(baseline.kib >> 10) to \(streamed.kib >> 10) MiB")
        let sha = try rnnctl(harness, ["upload", large.path, "-q"])
        let expected = try SHA256Hex.hex(ofFile: large.path)
        #expect(sha.status == 0 && sha.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected,
                "the same bytes again: the stored dataset's SHA-256")
    }

    /// rnnctl on a pseudo-terminal `columns` wide, as in a user's shell; returns its pid and the terminal's
    /// master side (non-blocking).
    func rnnctlOnTerminal(_ harness: DaemonHarness, _ arguments: [String], columns: Int) throws -> (pid: pid_t, master: Int32) {
        // posix_openpt, unlockpt and ptsname are not in Swift's Glibc module: their ioctls (Linux's
        // TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned int)) do the same.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
            throw HarnessError("no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slave = "/dev/pts/\(number)"
        var size = winsize(ws_row: 24, ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(master, UInt(TIOCSWINSZ), &size) == 0 else { throw HarnessError("cannot size the pseudo-terminal") }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        let path = Binaries.path("rnnctl")
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let environment = ["RNND_SOCKET=" + harness.socketPath, "NO_COLOR=1", "TERM=xterm"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { throw HarnessError("cannot start \(path)") }
        return (pid, master)
    }

    /// What the terminal has shown so far.
    func drain(_ master: Int32, into text: inout String) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(master, &buffer, buffer.count)
            if n <= 0 { return }
            text += String(decoding: buffer[..<n], as: UTF8.self)
        }
    }

    @Test func versionsEditsJSONAndTheProgressLineOnANarrowTerminal() async throws {
        // --version: the release and the commit this tree was built from (what git says HEAD is).
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-c", "safe.directory=*", "-C", Binaries.root.path, "rev-parse", "--short=12", "HEAD"]
        let head = Pipe()
        git.standardOutput = head
        git.standardError = FileHandle.nullDevice
        var commit = "unknown"
        if (try? git.run()) != nil {
            let text = String(decoding: head.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            git.waitUntilExit()
            if git.terminationStatus == 0 { commit = text }
        }
        for binary in ["rnnctl", "rnnd"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path(binary))
            p.arguments = ["--version"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 && text.hasPrefix("\(binary) \(APIVersion.current) (commit \(commit)"), "\(text)")
        }

        let harness = try DaemonHarness()
        try harness.start()
        let corpus = try harness.file("licence.txt", try SystemText.license())
        let submit = try rnnctl(harness, ["submit", "--data", corpus, "--name", "long", "--tag", "old", "--json", "--set", "hidden_size=32",
                                          "--set", "layers=1", "--set", "max_steps=1000000", "--set", "val_fraction=0.02", "--set", "eval_every=20"])
        let submitted = try APIJSON.decoder.decode(RunInfo.self, from: Data(submit.stdout.utf8))
        let id = String(submitted.id)
        #expect(submitted.name == "long" && submitted.tags == ["old"])
        _ = try await harness.waitFor(run: submitted.id, "running") { $0.state == .running && $0.step > 0 }

        // watch on a 70-column terminal: every redraw fits; Ctrl-C ends the line before the prompt returns.
        let (pid, master) = try rnnctlOnTerminal(harness, ["watch", id], columns: 70)
        defer { close(master) }
        var shown = ""
        let deadline = Date().addingTimeInterval(60)
        while shown.components(separatedBy: "\r").count < 4 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            drain(master, into: &shown)
        }
        kill(pid, SIGINT)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // What the program wrote before it exited may still be on its way through the terminal: read until
        // the closed slave side reports EIO.
        let closing = Date().addingTimeInterval(5)
        repeat {
            drain(master, into: &shown)
            if errno == EIO { break }
            try await Task.sleep(for: .milliseconds(20))
        } while Date() < closing
        #expect((status >> 8) & 0xFF == 130, "Ctrl-C exits 130: \(status)")
        #expect(shown.utf8.last == UInt8(ascii: "\n"), "the line is ended: \(shown.debugDescription)")
        let redraws = shown.components(separatedBy: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "").trimmingCharacters(in: .newlines) }
        #expect(redraws.filter { $0.hasPrefix("step ") }.count >= 3, "\(shown.debugDescription)")
        for line in redraws { #expect(line.count < 70, "a redraw wider than the terminal wraps: \(line.debugDescription)") }

        // Edits after submit, recorded with who made them; notes are shown and searchable.
        let tag = try rnnctl(harness, ["tag", id, "+best", "-old", "+试验"])
        #expect(tag.status == 0 && tag.stdout == "run \(id): tags best, 试验\n", "\(tag.stdout)\(tag.stderr)")
        let rename = try rnnctl(harness, ["rename", id, "lstm-baseline", "--json"])
        #expect(try APIJSON.decoder.decode(RunInfo.self, from: Data(rename.stdout.utf8)).name == "lstm-baseline", "\(rename.stderr)")
        let note = try rnnctl(harness, ["note", id, "lr too high after step 3000"])
        #expect(note.status == 0 && note.stdout.contains("note saved"), "\(note.stderr)")
        let show = try rnnctl(harness, ["show", id])
        #expect(show.stdout.contains("note: lr too high after step 3000") && show.stdout.contains("tags best,试验"), "\(show.stdout)")
        #expect(show.stdout.contains("renamed from \"long\" to \"lstm-baseline\" by uid \(getuid())"), "\(show.stdout)")
        let found = try rnnctl(harness, ["runs", "--filter", "note ~ 'TOO HIGH' and tag = best", "--format", "id,name", "--no-header"])
        #expect(found.stdout.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [id, "lstm-baseline\n"], "\(found.stdout)\(found.stderr)")
        let both = try rnnctl(harness, ["tag", id, "+x", "-x"])
        #expect(both.status == 1 && both.stderr.contains("both added and removed"), "\(both.stderr)")
        let badName = try rnnctl(harness, ["rename", id, ""])
        #expect(badName.status == 1 && badName.stderr.contains("name must have 1 to 200 characters"), "\(badName.stderr)")
        let edits = try await harness.client.run(submitted.id).events.filter { $0.kind == .edited }
        #expect(edits.count == 3 && edits.allSatisfy { $0.uid == Int(getuid()) }, "\(edits)")

        // --json on the actions: the run as the API returns it, one line per run.
        let cancel = try rnnctl(harness, ["cancel", id, "--json"])
        let cancelled = try APIJSON.decoder.decode(RunInfo.self, from: Data(cancel.stdout.utf8))
        #expect(cancel.status == 0 && cancelled.id == submitted.id && cancel.stdout.split(separator: "\n").count == 1, "\(cancel.stdout)")
        _ = try await harness.waitFor(run: submitted.id, "cancelled") { $0.state == .cancelled }
        let resume = try rnnctl(harness, ["resume", id, "--json"])
        #expect(resume.status == 1 && resume.stdout.isEmpty, "a refusal prints no JSON: \(resume.stdout)")
    }

    @Test func aUsersSessionFromSubmitToSample() async throws {
        let harness = try DaemonHarness()
        // Nothing answers yet: one line saying where rnnctl looked and what to try, exit 3.
        let started = Date()
        let down = try rnnctl(harness, ["status"])
        #expect(Date().timeIntervalSince(started) < 10, "it says so at once")
        #expect(down.status == 3 && down.stderr.contains(harness.socketPath) && down.stderr.contains("systemctl status rnnd"), "\(down.stderr)")

        try harness.start()
        let corpus = try harness.file("licence.txt", try SystemText.license())
        let submit = try rnnctl(harness, ["submit", "--data", corpus, "--name", "first", "-q", "--set", "hidden_size=48", "--set", "layers=1",
                                          "--set", "embedding_size=16", "--set", "seq_len=32", "--set", "batch_size=8", "--set", "max_steps=150",
                                          "--set", "eval_every=50", "--set", "checkpoint_every=50", "--set", "val_fraction=0.02"])
        #expect(submit.status == 0, "\(submit.stderr)")
        let id = submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(id) != nil, "-q prints only the id: \(submit.stdout)")

        let watch = try rnnctl(harness, ["watch", id])
        #expect(watch.status == 0 && watch.stdout.contains("run \(id) completed at step 150"), "\(watch.stdout)\(watch.stderr)")
        // Watching a run that has ended says why it ended.
        #expect(watch.stdout.contains("— max_steps 150 reached"), "\(watch.stdout)")
        let watchJSON = try rnnctl(harness, ["watch", id, "--json"])
        let events = watchJSON.stdout.split(separator: "\n").compactMap { try? APIJSON.decoder.decode(ProgressEvent.self, from: Data($0.utf8)) }
        #expect(watchJSON.status == 0 && events.count == 1 && events[0].state == .completed && events[0].message == "max_steps 150 reached",
                "\(watchJSON.stdout)")
        let metricsJSON = try rnnctl(harness, ["metrics", id, "--json"])
        #expect(try APIJSON.decoder.decode(Series.self, from: Data(metricsJSON.stdout.utf8)).points.count == 150)
        let misspelt = try rnnctl(harness, ["metrics", id, "--name", "val_los"])
        #expect(misspelt.status == 1 && misspelt.stderr.contains("run \(id) has no metric \"val_los\" (did you mean val_loss"), "\(misspelt.stderr)")
        let sorted = try rnnctl(harness, ["runs", "--sort", "hiden_size"])
        #expect(sorted.status == 1 && sorted.stderr.contains("did you mean hidden_size?"), "\(sorted.stderr)")
        let filtered = try rnnctl(harness, ["runs", "--filter", "hiden_size > 10"])
        #expect(filtered.status == 1 && filtered.stderr.contains("unknown field \"hiden_size\""), "\(filtered.stderr)")
        // The same bytes under another file name: errors name the file this command was given.
        let sameBytes = try harness.file("same-bytes.txt", try SystemText.license())
        let refusedSubmit = try rnnctl(harness, ["submit", "--data", sameBytes, "--set", "max_steps=10", "--set", "seq_len=100000"])
        #expect(refusedSubmit.status == 1 && refusedSubmit.stderr.contains("same-bytes.txt: the training split has"), "\(refusedSubmit.stderr)")
        let datasets = try rnnctl(harness, ["datasets"])
        #expect(datasets.status == 0 && datasets.stdout.contains("licence.txt") && datasets.stdout.contains("text"), "\(datasets.stdout)")
        let firstDataset = try await harness.client.run(try #require(Int64(id))).run.dataset
        let inUse = try rnnctl(harness, ["datasets", "delete", String(firstDataset.prefix(8))])
        #expect(inUse.status == 1 && inUse.stderr.contains("is used by"), "\(inUse.stderr)")

        // Connection options before the subcommand; usage errors exit 2 as documented.
        let leading = try rnnctl(harness, ["--socket", harness.socketPath, "status", id, "--json"])
        #expect(leading.status == 0 && leading.stdout.contains("\"state\""), "\(leading.stderr)")
        let unknownOption = try rnnctl(harness, ["runs", "--bogus"])
        #expect(unknownOption.status == 2 && unknownOption.stderr.contains("--bogus"), "\(unknownOption.status) \(unknownOption.stderr)")
        let reportOptions = try rnnctl(harness, ["status", id, "--format", "id"])
        #expect(reportOptions.status == 2 && reportOptions.stderr.contains("apply to the list of runs"), "\(reportOptions.stderr)")

        let status = try rnnctl(harness, ["status", id, "--json"])
        let detail = try APIJSON.decoder.decode(RunDetail.self, from: Data(status.stdout.utf8))
        #expect(detail.run.state == .completed && detail.run.step == 150 && detail.config["hidden_size"] == .int(48))

        // A second submission reuses the uploaded bytes; a different seed makes it another run.
        let second = try rnnctl(harness, ["submit", "--data", corpus, "--name", "second", "-q", "--set", "hidden_size=32", "--set", "layers=1",
                                          "--set", "max_steps=1000000", "--set", "val_fraction=0.02", "--set", "seed=2", "--set", "eval_every=20"])
        #expect(second.status == 0, "\(second.stderr)")
        let secondID = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await harness.waitFor(run: Int64(secondID)!, "running") { $0.state == .running }
        // Follow it while it trains: one line per validation when not on a terminal; cancelled at the end (below).
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Binaries.path("rnnctl"))
        follower.arguments = ["watch", secondID]
        follower.environment = ["RNND_SOCKET": harness.socketPath, "NO_COLOR": "1"]
        let followed = Pipe()
        follower.standardOutput = followed
        try follower.run()

        let runs = try rnnctl(harness, ["runs", "--filter", "hidden_size >= 48 and best.val_loss < 10", "--sort", "best.val_loss", "--json"])
        let list = try APIJSON.decoder.decode(RunList.self, from: Data(runs.stdout.utf8))
        #expect(list.runs.map { String($0.id) } == [id], "\(runs.stdout)\(runs.stderr)")
        let table = try rnnctl(harness, ["runs", "--format", "id,state", "--no-header"])
        #expect(table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
                == [[secondID, "running"], [id, "completed"]], "\(table.stdout)")
        let badFilter = try rnnctl(harness, ["runs", "--filter", "hidden_size >="])
        #expect(badFilter.status == 1 && badFilter.stderr.contains("filter"), "the daemon's message: \(badFilter.stderr)")

        let compare = try rnnctl(harness, ["compare", id, secondID])
        #expect(compare.status == 0 && compare.stdout.contains("hidden_size") && compare.stdout.contains("48") && compare.stdout.contains("32"), "\(compare.stdout)")

        let svg = harness.directory.appendingPathComponent("curves.svg").path
        let plot = try rnnctl(harness, ["plot", id, secondID, "--metric", "train_loss", "--output", svg])
        #expect(plot.status == 0, "\(plot.stderr)")
        let image = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(image.hasPrefix("<svg") && image.components(separatedBy: "<polyline").count == 3)
        let png = harness.directory.appendingPathComponent("curves.png").path
        let pngPlot = try rnnctl(harness, ["plot", id, "--metric", "train_loss", "-o", png])
        #expect(pngPlot.status == 0, "\(pngPlot.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG file")
        let terminal = try rnnctl(harness, ["plot", id, "--metric", "val_loss"])
        #expect(terminal.stdout.contains("val_loss") && terminal.stdout.contains("\(id) first"), "the legend names the run: \(terminal.stdout)")

        let metrics = try rnnctl(harness, ["metrics", id, "--name", "val_loss", "--format", "csv"])
        #expect(metrics.stdout.split(separator: "\n").first == "step,value" && metrics.stdout.contains("\n150,"), "\(metrics.stdout)")

        let sample = try rnnctl(harness, ["sample", id, "--prime", "The ", "--length", "60", "--temperature", "0.8", "--seed", "1"])
        #expect(sample.status == 0 && sample.stdout.hasPrefix("The ") && sample.stdout.count >= 64, "\(sample.stdout)\(sample.stderr)")

        let eval = try rnnctl(harness, ["eval", id, "--data", corpus, "--json"])
        let evaluation = try APIJSON.decoder.decode(EvaluateResponse.self, from: Data(eval.stdout.utf8))
        #expect(evaluation.loss > 0 && evaluation.bitsPerChar != nil, "\(eval.stdout)\(eval.stderr)")

        let model = harness.directory.appendingPathComponent("model.safetensors").path
        let export = try rnnctl(harness, ["export", id, "--checkpoint", "best", "-o", model])
        #expect(export.status == 0, "\(export.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        let weight = header?["lstm.weight_ih_l0"] as? [String: Any]
        #expect(weight?["dtype"] as? String == "F32" && (weight?["shape"] as? [Int]) == [4 * 48, 16], "valid safetensors: \(String(describing: weight))")

        // Cancel once the watcher has printed a validation line (it flushes each line as it comes).
        let seen = OutputCollector(followed.fileHandleForReading)
        try await harness.waitUntil("the watcher to print a validation line") { seen.text.contains("val_loss") }
        let cancel = try rnnctl(harness, ["cancel", secondID])
        #expect(cancel.status == 0)
        _ = try await harness.waitFor(run: Int64(secondID)!, "cancelled") { $0.state == .cancelled }
        follower.waitUntilExit()
        let watched = seen.finish()
        #expect(follower.terminationStatus == 5 && watched.contains("was cancelled"), "watch's exit status reflects the end: \(watched)")
        #expect(watched.contains("0: train_loss") && watched.contains("val_loss"), "a line per validation: \(watched)")

        // A time series: train a forecaster and ask for the next values, in the data's units.
        let series = try harness.file("sine.csv", "t,y\n" + (0..<400).map { "\($0),\(10 + 3 * sin(Double($0) * 0.2))" }.joined(separator: "\n"))
        let regression = try rnnctl(harness, ["submit", "--data", series, "-q", "--watch", "--set", "input_columns=y",
                                              "--set", "target_columns=y", "--set", "hidden_size=16", "--set", "layers=1", "--set", "seq_len=20",
                                              "--set", "batch_size=16", "--set", "lr=0.01", "--set", "max_steps=300", "--set", "eval_every=0"])
        #expect(regression.status == 0, "\(regression.stdout)\(regression.stderr)")
        let regressionID = regression.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let forecast = try rnnctl(harness, ["forecast", regressionID, "--steps", "5", "--json"])
        let values = try APIJSON.decoder.decode(ForecastResponse.self, from: Data(forecast.stdout.utf8))
        #expect(values.columns == ["y"] && values.values.count == 5, "\(forecast.stdout)\(forecast.stderr)")
        for (i, row) in values.values.enumerated() {
            let truth = 10 + 3 * sin(Double(400 + i) * 0.2)
            #expect(abs(row[0] - truth) < 1.0, "step \(i + 1): \(row[0]) vs \(truth)")
        }

        let backupFile = harness.directory.appendingPathComponent("backup.sqlite").path
        let backup = try rnnctl(harness, ["backup", "-o", backupFile])
        let magic = try Data(contentsOf: URL(fileURLWithPath: backupFile)).prefix(16)
        #expect(backup.status == 0 && magic == Data("SQLite format 3\0".utf8), "an SQLite database: \(backup.stderr)")

        let delete = try rnnctl(harness, ["delete", secondID])
        #expect(delete.status == 0)
        let gone = try rnnctl(harness, ["show", secondID])
        #expect(gone.status == 1 && gone.stderr.contains("no run \(secondID)"), "\(gone.stderr)")

        // Rerun with changes: the whole configuration and dataset of the run, under the changes, recorded.
        let rerun = try rnnctl(harness, ["submit", "--from", id, "--set", "lr=0.01", "--set", "max_steps=20", "-q"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let rerunID = try #require(Int64(rerun.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let derived = try await harness.client.run(rerunID), original = try await harness.client.run(try #require(Int64(id)))
        #expect(derived.config["hidden_size"] == .int(48) && derived.config["lr"] == .double(0.01) && derived.run.dataset == original.run.dataset)
        #expect(derived.events.contains { $0.message.hasPrefix("derived from run \(id)") }, "\(derived.events.map(\.message))")
        _ = try await harness.waitFor(run: rerunID, "ended") { $0.state.isFinal }
    }
}
}

/// Collects what a pipe receives, as it arrives.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let handle: FileHandle

    init(_ handle: FileHandle) {
        self.handle = handle
        handle.readabilityHandler = { [weak self] h in
            let chunk = h.availableData
            self?.lock.withLock { self?.data.append(chunk) }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Everything, once the writer has exited.
    func finish() -> String {
        handle.readabilityHandler = nil
        let rest = handle.readDataToEndOfFile()
        return lock.withLock {
            data.append(rest)
            return String(decoding: data, as: UTF8.self)
        }
    }
}
