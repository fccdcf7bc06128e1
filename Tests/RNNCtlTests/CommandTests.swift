import ArgumentParser
import Foundation
import RNNAPI
@testable import rnnctl
import Testing
import RNNSupport

/// Expects parsing `arguments` to be refused with a message that contains `message`: not any error (a renamed
/// flag would fail with "Unknown option" and pass a check for any error).
func expectRefusal<C: ParsableCommand>(_ command: C.Type, _ arguments: [String], _ message: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try command.parse(arguments)
        Issue.record("\(arguments) was accepted; expected \"\(message)\"", sourceLocation: sourceLocation)
    } catch {
        let shown = command.message(for: error)
        #expect(shown.contains(message), "\(arguments): \"\(shown)\", expected \"\(message)\"", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw an error whose description contains `message`.
func expectRefusal(_ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("accepted; expected \"\(message)\"", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(message), "\"\(error)\", expected \"\(message)\"", sourceLocation: sourceLocation)
    }
}

/// rnnctl's parsing and help, without a daemon.
struct CommandTests {
    /// A refusal names its field once: `lr: 11.0 is out of range …`, never `lr: lr: …`.
    @Test func refusalsNameTheirFieldOnce() {
        #expect(APIErrorBody(error: "lr: 11.0 is out of range (0.0, 10.0]", field: "lr").text == "lr: 11.0 is out of range (0.0, 10.0]")
        #expect(APIErrorBody(error: "must be 1 to 200 characters", field: "name").text == "name: must be 1 to 200 characters")
        #expect(APIErrorBody(error: "filter: unexpected end at 5", field: "filter").text == "filter: unexpected end at 5")
        #expect(APIErrorBody(error: "no run 9").text == "no run 9")
    }

    @Test func everyCommandHasHelpWithAnExample() throws {
        for command in RNNCtl.configuration.subcommands {
            let help = RNNCtl.helpMessage(for: command)
            #expect(help.contains("Example: rnnctl \(command._commandName)"), "\(command._commandName) help lacks an example:\n\(help)")
            // A group (sweep) has no options of its own: each of its commands takes the connection options.
            let leaves = command.configuration.subcommands.isEmpty ? [command] : command.configuration.subcommands
            for leaf in leaves {
                let text = RNNCtl.helpMessage(for: leaf)
                #expect(text.contains("--socket"), "\(leaf._commandName) takes --socket")
                #expect(text.contains("Example: rnnctl \(command._commandName)"), "\(leaf._commandName) help lacks an example:\n\(text)")
            }
        }
        #expect(RNNCtl.configuration.subcommands.contains { !$0.configuration.subcommands.isEmpty }, "the sweep group is checked")
        #expect(RNNCtl.helpMessage().contains("3 rnnd not reachable"), "the exit codes are in the main help")
    }

    @Test func submitParsesItsOptionsAndRefusesContradictions() throws {
        let submit = try Submit.parse(["--data", "corpus.txt", "--set", "lr=0.001", "--set", "hidden_size=256", "--tag", "a", "-q", "--watch"])
        #expect(submit.data == "corpus.txt" && submit.quiet && submit.watch && submit.tag == ["a"])
        let values = try parseAssignments(submit.assignments)
        #expect(values == ["lr": .double(0.001), "hidden_size": .int(256)])
        expectRefusal(Submit.self, ["--set", "lr=0.1"], "give --data FILE, --dataset SHA256 or --from RUN")
        expectRefusal(Submit.self, ["--data", "a", "--dataset", "b"], "give --data FILE or --dataset SHA256, not both")
        #expect(try Submit.parse(["--from", "3", "--set", "lr=0.1"]).from == RecordID(3), "--from needs no dataset")
        expectRefusal("--set =3: expected key=value") { _ = try parseAssignments(["=3"]) }
    }

    @Test func overridesAreTypedAsTheDaemonReadsThem() {
        #expect(APIValue.parse("3") == .int(3))
        #expect(APIValue.parse("3.5") == .double(3.5))
        #expect(APIValue.parse("1e-3") == .double(0.001))
        #expect(APIValue.parse("true") == .bool(true))
        #expect(APIValue.parse("lstm") == .string("lstm"))
        #expect(APIValue.parse("nan") == .string("nan"), "nan is not a number a user meant")
    }

    @Test func negativeNumbersAreValuesAndUnreadableFilesSayWhy() throws {
        #expect(try Sample.parse(["3", "--temperature", "-1"]).temperature == -1)
        #expect(try Runs.parse(["--offset", "-5"]).offset == -5, "parsed, so that rnnd's refusal names it")
        #expect(FileProblem.cannotRead("/nonexistent/corpus.txt") == "cannot read /nonexistent/corpus.txt: no such file")
        #expect(FileProblem.cannotRead("/tmp") == "cannot read /tmp: is a directory")
        #expect(throws: CLIError.usage("cannot read /tmp: is a directory")) { try Submit.readConfig("/tmp") }
    }

    @Test func usersAreShownByName() throws {
        #expect(Format.user(0) == "root")
        #expect(Format.user(3_999_999) == "3999999", "a uid without an account stays a number")
        #expect(try Delete.parse(["3", "--yes", "--force"]).force)
    }

    @Test func connectionOptionsMayComeBeforeTheSubcommand() {
        #expect(RNNCtl.connectionOptionsAfterSubcommand(["--socket", "/s", "status", "3"]) == ["status", "--socket", "/s", "3"])
        #expect(RNNCtl.connectionOptionsAfterSubcommand(["--url=http://127.0.0.1:1", "--token-file", "/t", "runs"])
                == ["runs", "--url=http://127.0.0.1:1", "--token-file", "/t"])
        #expect(RNNCtl.connectionOptionsAfterSubcommand(["status", "--socket", "/s"]) == ["status", "--socket", "/s"])
        #expect(RNNCtl.connectionOptionsAfterSubcommand(["--socket"]) == ["--socket"], "nothing to move: ArgumentParser reports it")
    }

    @Test func configFilesAreJSONOrKeyValueLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnnctl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("c.json"), toml = dir.appendingPathComponent("c.toml"), bad = dir.appendingPathComponent("bad.toml")
        try Data(#"{"hidden_size": 128, "cell": "gru", "dropout": 0.1}"#.utf8).write(to: json)
        try Data("# a run\nhidden_size = 128\ncell = \"gru\"  # quoted\ndropout = 0.1\n".utf8).write(to: toml)
        try Data("hidden_size = 128\ncell = gru\n".utf8).write(to: bad)
        let expected: [String: APIValue] = ["hidden_size": .int(128), "cell": .string("gru"), "dropout": .double(0.1)]
        #expect(try Submit.readConfig(json.path) == expected)
        #expect(try Submit.readConfig(toml.path) == expected)
        #expect(throws: CLIError.usage("\(bad.path):2: \"gru\" is not a string, number, boolean or list (quote strings: cell = \"gru\")")) {
            try Submit.readConfig(bad.path)
        }
        #expect(Submit.kind(of: "x.csv", given: nil) == .csv && Submit.kind(of: "x.jsonl", given: nil) == .jsonl && Submit.kind(of: "x.json", given: nil) == .jsonl && Submit.kind(of: "x.txt", given: nil) == .text)
    }

    @Test func otherCommandsParse() throws {
        let runs = try Runs.parse(["--filter", "cell = lstm", "--sort", "best.val_loss", "--limit", "20", "--json"])
        #expect(runs.filter == "cell = lstm" && runs.limit == 20 && runs.output.json)
        let status = try Status.parse(["--format", "id,state", "--no-header"])
        #expect(status.output.format == "id,state" && status.output.noHeader)
        let fork = try Fork.parse(["7", "--checkpoint", "best", "--set", "lr=0.001"])
        #expect(fork.run == RecordID(7) && fork.checkpoint == .best)
        expectRefusal(Fork.self, ["seven"], "The value 'seven' is invalid for '<run>'")
        expectRefusal(Cancel.self, ["3", "0"], "The value '0' is invalid for '<runs>'")
        #expect(try Export.parse(["7", "--checkpoint", "120", "-o", "m.safetensors"]).checkpoint == .step(120))
        expectRefusal(Export.self, ["7", "--checkpoint", "newest", "-o", "m.safetensors"], "The value 'newest' is invalid for '--checkpoint <checkpoint>'")
        #expect(try Upload.parse(["a.txt", "--kind", "jsonl"]).kind == .jsonl)
        expectRefusal(Upload.self, ["a.txt", "--kind", "pdf"], "The value 'pdf' is invalid for '--kind <kind>'")
        let sample = try Sample.parse(["7", "--prime", "ROMEO:", "--length", "500", "--temperature", "0.8", "--top-k", "5", "--seed", "1"])
        #expect(sample.prime == "ROMEO:" && sample.length == 500 && sample.topK == 5)
        expectRefusal(Compare.self, ["7"], "compare needs at least two runs")
        expectRefusal(Metrics.self, ["7", "--format", "xml"], "The value 'xml' is invalid for '--format <format>'")
        expectRefusal(Plot.self, ["7", "--output", "a.gif"], "--output writes SVG or PNG: name the file *.svg or *.png")
        #expect(try Plot.parse(["7", "--output", "a.PNG"]).output == "a.PNG")
        expectRefusal(Export.self, ["7"], "Missing expected argument '--output <output>'")
        expectRefusal(Watch.self, ["7", "--url", "http://127.0.0.1:1"], "--url needs --token-file")
    }

    @Test func tablesAlignAndColumnsAreChecked() throws {
        let run = RunInfo(id: 3, name: "lstm-a", state: .running, priority: 0, submittedAt: 0, startedAt: nil, finishedAt: nil, submittedBy: 1000,
                          workers: 2, seed: 1, dataset: "ab", restarts: 0, failure: nil, parentRunId: nil, parentCheckpointStep: nil, tags: [],
                          step: 40, maxSteps: 100, trainLoss: 1.5)
        let table = try RunColumns.table([run], format: "id,step,train_loss", defaults: [])
        #expect(table.render(header: true) == "ID  STEP    TRAIN_LOSS\n3   40/100  1.5000")
        #expect(table.render(header: false) == "3  40/100  1.5000")
        expectRefusal("unknown column nope (columns: ") { _ = try RunColumns.table([run], format: "id,nope", defaults: []) }
    }

    @Test func chartsDrawEveryCurve() {
        let chart = Chart(curves: [.init(label: "run 1", points: [(1, 3), (2, 2), (3, 1)]), .init(label: "run 2", points: [(1, 2.5), (3, 0.5)])],
                          metric: "val_loss", logScale: false)
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg") && svg.contains("run 2"))
        // The plotted coordinates: x 1…3 onto 70…780, y 0.5…3 onto 430…40 (an 800×480 canvas, margins 70/20/40/50).
        func polylines(_ svg: String) -> [String] {
            svg.components(separatedBy: "<polyline").dropFirst().map { $0.components(separatedBy: "points=\"")[1].components(separatedBy: "\"")[0] }
        }
        #expect(polylines(svg) == ["70.0,40.0 425.0,196.0 780.0,352.0", "70.0,118.0 780.0,430.0"], "\(polylines(svg))")
        // Log scale: decades are evenly spaced, and a value that has no logarithm is left out.
        let log = Chart(curves: [.init(label: "r", points: [(1, 10), (2, 100), (3, 1000), (4, 0)])], metric: "loss", logScale: true).svg()
        #expect(polylines(log) == ["70.0,430.0 306.7,235.0 543.3,40.0"], "\(polylines(log))")
        let text = chart.braille(width: 30, height: 6)
        #expect(text.contains("run 1") && text.contains("run 2") && text.unicodeScalars.contains { $0.value > 0x2800 && $0.value <= 0x28FF })
        #expect(Sparkline.render([3, 2, 1, 1.5]) == "█▅▁▃")
        #expect(ProgressBar.bar(fraction: 0.5, width: 4) == "[██··]  50%")
    }

    @Test func wideCharactersKeepTablesAligned() {
        #expect(Terminal.width("試験ラン") == 8 && Terminal.width("ab") == 2 && Terminal.width("e\u{301}") == 1)
        #expect(Terminal.width("\u{1B}[32mrunning\u{1B}[0m") == 7)
        let table = Table(columns: ["name", "state"], rows: [["試験ラン", "running"], ["lstm", "done"]])
        #expect(table.render(header: true) == "NAME      STATE\n試験ラン  running\nlstm      done")
        #expect(Terminal.truncate("試験ラン", toWidth: 5) == "試験")
    }

    @Test func theProgressLineFitsTheTerminal() {
        var line = ProgressLine(maxSteps: 20_000)
        line.current = 12_345
        line.lastLoss = 1.234
        line.valLoss = 1.456
        line.tokensPerSecond = 123_456
        line.stepSeconds = 0.05
        line.recent = (0..<40).map { 2 - Double($0) / 40 }
        let full = line.render(columns: 200)
        #expect(full.contains("val 1.456") && full.contains("tok/s") && full.contains("ETA") && full.contains("█"))
        for columns in [10, 20, 40, 60, 69, 79, 100] {
            let text = line.render(columns: columns)
            #expect(Terminal.width(text) <= columns, "\(columns) columns: \(text)")
            #expect(text.hasPrefix("step 12345"), "the step stays: \(text)")
        }
        #expect(line.render(columns: 69).contains("loss 1.234"))
    }

    @Test func tagChangesAreArgumentsNotOptions() throws {
        let tag = try Tag.parse(["12", "+best", "-old", "new", "--json"])
        #expect(tag.run == RecordID(12) && tag.changes == ["+best", "-old", "new"] && tag.output.json)
        expectRefusal(Tag.self, ["12"], "give at least one +TAG or -TAG")
        expectRefusal(Tag.self, ["12", "-"], "\"-\" names no tag")
        let note = try Note.parse(["3", "-"])
        #expect(note.text == "-")
        #expect(try Rename.parse(["3", "new name"]).name == "new name")
        #expect(try Cancel.parse(["3", "4", "--json"]).output.json)
        expectRefusal(Submit.self, ["--data", "x.txt", "--json", "--watch"], "give --json or --watch, not both")
    }

    @Test func tenCurvesTenStylesAndALonePointIsDrawn() {
        let curves = (0..<10).map { i in Chart.Curve(label: "\(i + 1) run-\(i)", points: (0..<20).map { (Double($0), Double(i) + Double($0) / 20) }) }
        let svg = Chart(curves: curves, metric: "val_loss", logScale: false).svg()
        let strokes = svg.components(separatedBy: "<polyline").dropFirst().map { $0.components(separatedBy: "stroke=\"")[1].prefix(7) }
        #expect(Set(strokes).count == 10, "ten colours: \(strokes)")
        let dashes = svg.components(separatedBy: "<polyline").dropFirst().map { $0.components(separatedBy: "points=")[0] }
        #expect(Set(dashes).count == 10, "ten line styles")
        for curve in curves { #expect(svg.contains(">\(curve.label)</text>"), "legend names \(curve.label)") }
        let text = Chart(curves: curves, metric: "val_loss", logScale: false).braille(width: 60, height: 12)
        for marker in Chart.terminalMarkers { #expect(text.filter { $0 == marker }.count >= 2, "marker \(marker) on its curve and in the legend") }
        for curve in curves { #expect(text.contains(curve.label)) }
        // One point: a marker, in both forms.
        let lone = Chart(curves: [.init(label: "5 single", points: [(100, 1.5)])], metric: "mse", logScale: false)
        #expect(lone.svg().components(separatedBy: "class=\"marker\"").count - 1 == 2, "the point and the legend's marker")
        #expect(lone.braille(width: 30, height: 6).filter { $0 == "o" }.count == 2)
        #expect(Chart.escape("a<b & c") == "a&lt;b &amp; c")
    }
}
