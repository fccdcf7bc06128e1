import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RNNAPI
@testable import RNNDaemon
import RNNStore
import Testing
import RNNSupport

/// Every route through the real router and controllers, in memory: an in-memory store, no socket, no
/// server (`app.test(.router)`). Status codes, bodies and error fields; the end-to-end tests drive the real
/// binaries beside these.
@Suite struct RouteTests {
    /// A daemon's parts on an in-memory store and a temporary state directory (for dataset and checkpoint
    /// files). `concurrentRuns` 0 keeps every submitted run queued, so states are known.
    struct Rig {
        let directory: URL
        let parts: DaemonParts
        let app: Application<RouterResponder<DaemonContext>>

        init(concurrentRuns: Int = 0) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-routes-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var settings = try DaemonSettings.resolve(flags: ["--state-dir": directory.path, "--socket": "/tmp/unused.sock"], configFile: nil,
                                                      environment: ["HOME": directory.path], uid: 1000, cores: 2, readFile: { _ in nil })
            settings.concurrentRuns = concurrentRuns
            var logger = Logger(label: "routes")
            logger.logLevel = .critical
            parts = DaemonParts(settings: settings, store: try Store.inMemory(stateDirectory: directory),
                                notifier: SystemdNotifier(environment: [:]), logger: logger)
            app = Application(router: Daemon.makeRouter(parts, loopback: false, token: nil))
        }

        func removeDirectory() { try? FileManager.default.removeItem(at: directory) }
    }

    static let corpus = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40)
    static let tinyRun: [String: APIValue] = [
        "hidden_size": .int(4), "embedding_size": .int(4), "seq_len": .int(4), "batch_size": .int(2), "workers": .int(1),
        "max_steps": .int(4), "checkpoint_every": .int(2), "eval_every": .int(2), "val_fraction": .double(0.1),
    ]

    static func json<T: Encodable>(_ value: T) throws -> ByteBuffer { ByteBuffer(data: try APIJSON.encoder.encode(value)) }
    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try APIJSON.decoder.decode(T.self, from: Data(buffer: response.body))
    }
    /// The error body of a refusal, checked for its status and the field it names.
    static func expectRefusal(_ response: TestResponse, _ status: HTTPResponse.Status, field: String?, containing text: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "status", sourceLocation: sourceLocation)
        let body = try decode(APIErrorBody.self, response)
        #expect(body.field == field, "field of \(body)", sourceLocation: sourceLocation)
        #expect(body.error.contains(text), "\"\(body.error)\" says \"\(text)\"", sourceLocation: sourceLocation)
    }

    static func upload(_ client: some TestClientProtocol, _ text: String, name: String = "fox.txt") async throws -> DatasetInfo {
        try await client.execute(uri: "/v1/datasets?name=\(name)&kind=text", method: .post, body: ByteBuffer(string: text)) { response in
            #expect(response.status == .created || response.status == .ok)
            return try decode(DatasetInfo.self, response)
        }
    }

    static func submit(_ client: some TestClientProtocol, dataset: String, config: [String: APIValue] = tinyRun) async throws -> RunInfo {
        try await client.execute(uri: "/v1/runs", method: .post, body: try json(SubmitRequest(dataset: dataset, config: config))) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try decode(RunInfo.self, response)
        }
    }

    @Test func systemRoutesAnswer() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let health = try Self.decode(HealthInfo.self, response)
                #expect(health.status == "ok" && health.queued == 0 && health.running == 0)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("rnnd_queue_length 0"))
            }
            try await client.execute(uri: "/v1/backup", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("SQLite format 3"))
            }
            // Web view tokens are handed out on the Unix socket only (this test channel is not one).
            try await client.execute(uri: "/v1/ui/tokens", method: .post) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/healthz", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
        }
        // Nothing of the backup is left in the state directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: rig.directory.path).filter { $0.hasPrefix(".backup") }.isEmpty)
    }

    @Test func datasetsAreUploadedOnceListedAndDeletedWhenUnused() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            let first = try await Self.upload(client, Self.corpus)
            #expect(first.sha256 == SHA256Hex.hex(Array(Self.corpus.utf8)) && first.size == Self.corpus.utf8.count)
            // The same bytes again: 200, the same record.
            try await client.execute(uri: "/v1/datasets?name=again.txt&kind=text", method: .post, body: ByteBuffer(string: Self.corpus)) { response in
                #expect(response.status == .ok)
                let answer = try Self.decode(DatasetInfo.self, response)
                #expect(answer.sha256 == first.sha256)
            }
            try await client.execute(uri: "/v1/datasets?name=x.txt&kind=parquet", method: .post, body: ByteBuffer(string: "x")) { response in
                try Self.expectRefusal(response, .badRequest, field: "kind", containing: "kind must be one of text, csv, jsonl")
            }
            try await client.execute(uri: "/v1/datasets?name=x.txt&kind=text", method: .post, body: ByteBuffer()) { response in
                try Self.expectRefusal(response, .badRequest, field: "body", containing: "the upload is empty")
            }
            try await client.execute(uri: "/v1/datasets?name=x.txt&kind=text", method: .post, body: ByteBuffer(bytes: [0x61, 0xff, 0x62])) { response in
                try Self.expectRefusal(response, .badRequest, field: "body", containing: "not UTF-8 text: invalid byte sequence at offset 1")
            }
            try await client.execute(uri: "/v1/datasets", method: .get) { response in
                #expect(response.status == .ok)
                let answer = try Self.decode(DatasetList.self, response)
                #expect(answer.datasets.map(\.sha256) == [first.sha256])
            }
            try await client.execute(uri: "/v1/datasets/\(first.sha256)", method: .get) { response in
                let answer = try Self.decode(DatasetInfo.self, response)
                #expect(answer.name == "fox.txt")
            }
            try await client.execute(uri: "/v1/datasets/abc", method: .get) { response in
                try Self.expectRefusal(response, .badRequest, field: "dataset", containing: "is not a SHA-256")
            }
            try await client.execute(uri: "/v1/datasets/\(String(repeating: "0", count: 64))", method: .get) { response in
                try Self.expectRefusal(response, .notFound, field: nil, containing: "upload it first")
            }
            let run = try await Self.submit(client, dataset: first.sha256)
            try await client.execute(uri: "/v1/datasets/\(first.sha256)", method: .delete) { response in
                try Self.expectRefusal(response, .conflict, field: nil, containing: "is used by 1 run (\(run.id)); delete those first")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)", method: .delete) { response in #expect(response.status == .noContent) }
            try await client.execute(uri: "/v1/datasets/\(first.sha256)", method: .delete) { response in #expect(response.status == .noContent) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: rig.directory.appendingPathComponent("datasets").path).isEmpty,
                "the deleted dataset's file and the refused uploads left nothing")
    }

    @Test func submissionsAreCheckedCompletelyAndRunsEditedListedComparedDeleted() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            let dataset = try await Self.upload(client, Self.corpus)
            var config = Self.tinyRun
            config["hidden_size"] = .int(0)
            try await client.execute(uri: "/v1/runs", method: .post, body: try Self.json(SubmitRequest(dataset: dataset.sha256, config: config))) { response in
                try Self.expectRefusal(response, .badRequest, field: "hidden_size", containing: "0 is out of range 1…8192")
            }
            try await client.execute(uri: "/v1/runs", method: .post,
                                     body: try Self.json(SubmitRequest(dataset: String(repeating: "a", count: 64), config: Self.tinyRun))) { response in
                try Self.expectRefusal(response, .unprocessableContent, field: "dataset", containing: "upload it first")
            }
            try await client.execute(uri: "/v1/runs", method: .post, body: ByteBuffer(string: #"{"dataset": "\#(dataset.sha256)", "config": {}, "colour": 1}"#)) { response in
                try Self.expectRefusal(response, .badRequest, field: "colour", containing: "colour")
            }
            let a = try await Self.submit(client, dataset: dataset.sha256)
            var other = Self.tinyRun
            other["lr"] = .double(0.01)
            let b = try await Self.submit(client, dataset: dataset.sha256, config: other)
            #expect(a.state == .queued && b.state == .queued && b.id > a.id)

            try await client.execute(uri: "/v1/runs?limit=1", method: .get) { response in
                let answer = try Self.decode(RunList.self, response)
                #expect(answer.runs.map(\.id) == [b.id], "newest first, one page")
            }
            try await client.execute(uri: "/v1/runs?filter=lr%20%3E%200.005", method: .get) { response in
                let answer = try Self.decode(RunList.self, response)
                #expect(answer.runs.map(\.id) == [b.id])
            }
            try await client.execute(uri: "/v1/runs?filter=lr%20%3E", method: .get) { response in
                try Self.expectRefusal(response, .badRequest, field: "filter", containing: "filter")
            }
            try await client.execute(uri: "/v1/runs/\(a.id)", method: .get) { response in
                let detail = try Self.decode(RunDetail.self, response)
                #expect(detail.run.id == a.id && detail.config["hidden_size"] == .int(4))
                #expect(detail.events.map(\.kind) == [.submitted])
            }
            try await client.execute(uri: "/v1/runs/999", method: .get) { response in
                try Self.expectRefusal(response, .notFound, field: nil, containing: "no run 999")
            }
            try await client.execute(uri: "/v1/runs/\(a.id)", method: .patch, body: try Self.json(EditRequest(name: "renamed", addTags: ["x"]))) { response in
                let run = try Self.decode(RunInfo.self, response)
                #expect(run.name == "renamed" && run.tags == ["x"])
            }
            try await client.execute(uri: "/v1/runs/\(a.id)", method: .patch, body: try Self.json(EditRequest(addTags: ["y"], removeTags: ["y"]))) { response in
                try Self.expectRefusal(response, .badRequest, field: "remove_tags", containing: "both added and removed")
            }
            try await client.execute(uri: "/v1/compare?runs=\(a.id),\(b.id)", method: .get) { response in
                let comparison = try Self.decode(Comparison.self, response)
                #expect(comparison.runs.map(\.id) == [a.id, b.id])
                #expect(comparison.differences.keys.contains("lr"))
            }
            try await client.execute(uri: "/v1/compare?runs=\(a.id)", method: .get) { response in
                try Self.expectRefusal(response, .badRequest, field: "runs", containing: "at least two runs")
            }
            try await client.execute(uri: "/v1/runs/\(b.id)", method: .delete) { response in #expect(response.status == .noContent) }
            try await client.execute(uri: "/v1/runs/\(b.id)", method: .get) { response in #expect(response.status == .notFound) }
        }
    }

    @Test func queuedRunsArePausedResumedAndCancelledAtOnce() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            let dataset = try await Self.upload(client, Self.corpus)
            let run = try await Self.submit(client, dataset: dataset.sha256)
            try await client.execute(uri: "/v1/runs/\(run.id)/resume", method: .post) { response in
                try Self.expectRefusal(response, .conflict, field: nil, containing: "run \(run.id) is queued, not paused")
            }
            #expect(run.actions == [.cancel, .pause], "what a queued run allows, from the state machine")
            try await client.execute(uri: "/v1/runs/\(run.id)/pause", method: .post) { response in
                let answer = try Self.decode(RunInfo.self, response)
                #expect(answer.state == .paused && answer.actions == [.cancel, .resume])
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/resume", method: .post) { response in
                let answer = try Self.decode(RunInfo.self, response)
                #expect(answer.state == .queued)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/cancel", method: .post) { response in
                let answer = try Self.decode(RunInfo.self, response)
                #expect(answer.state == .cancelled && answer.actions.isEmpty)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/cancel", method: .post) { response in
                try Self.expectRefusal(response, .conflict, field: nil, containing: "had already been cancelled; nothing to cancel")
            }
            // History of a run without checkpoints or metrics.
            try await client.execute(uri: "/v1/runs/\(run.id)/checkpoints", method: .get) { response in
                let answer = try Self.decode([CheckpointInfo].self, response)
                #expect(answer.isEmpty)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/events", method: .get) { response in
                let answer = try Self.decode([EventInfo].self, response)
                #expect(answer.map(\.kind) == [.submitted, .paused, .queued, .cancelled])
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/metrics/loss_of_nothing", method: .get) { response in
                try Self.expectRefusal(response, .notFound, field: nil, containing: "has no metric \"loss_of_nothing\"")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/fork", method: .post, body: try Self.json(ForkRequest())) { response in
                try Self.expectRefusal(response, .conflict, field: nil, containing: "has no checkpoint yet")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/export", method: .get) { response in
                try Self.expectRefusal(response, .conflict, field: nil, containing: "has no checkpoint yet")
            }
            // A checkpoint choice that is none: refused naming the field, in a query and in a body.
            try await client.execute(uri: "/v1/runs/\(run.id)/export?checkpoint=newest", method: .get) { response in
                try Self.expectRefusal(response, .badRequest, field: "checkpoint", containing: "checkpoint must be best, latest or a step number, got \"newest\"")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/sample", method: .post, body: ByteBuffer(string: #"{"prime": "a", "length": 3, "checkpoint": "-1"}"#)) { response in
                try Self.expectRefusal(response, .badRequest, field: "checkpoint", containing: "checkpoint must be best, latest or a step number, got \"-1\"")
            }
            // The stream of an ended run: its state, then the end.
            try await client.execute(uri: "/v1/runs/\(run.id)/stream", method: .get) { response in
                #expect(response.headers[.contentType] == "text/event-stream")
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("event: state\ndata: ") && text.contains("\"state\":\"cancelled\"") && text.hasSuffix("\n\n"), "\(text)")
            }
        }
    }

    /// One run trained for real (tiny), then every model route and fork.
    @Test func aTrainedRunIsSampledEvaluatedExportedAndForked() async throws {
        let rig = try Rig(concurrentRuns: 1)
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            let dataset = try await Self.upload(client, Self.corpus)
            let run = try await Self.submit(client, dataset: dataset.sha256)
            let deadline = Date().addingTimeInterval(120)
            var state = run.state
            while !state.isFinal {
                guard Date() < deadline else { Issue.record("run \(run.id) did not end within 120 s; it is \(state)"); return }
                try await Task.sleep(for: .milliseconds(20))
                state = try rig.parts.store.run(id: run.id)!.state
            }
            #expect(state == .completed)
            try await client.execute(uri: "/v1/runs/\(run.id)/metrics/train_loss?max_points=10", method: .get) { response in
                let series = try Self.decode(Series.self, response)
                #expect(series.points.map(\.step) == [1, 2, 3, 4])
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/checkpoints", method: .get) { response in
                let answer = try Self.decode([CheckpointInfo].self, response)
                #expect(answer.map(\.step).contains(4))
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/sample", method: .post,
                                     body: try Self.json(SampleRequest(prime: "the ", length: 10, seed: 3))) { response in
                let sample = try Self.decode(SampleResponse.self, response)
                #expect(sample.text.hasPrefix("the ") && sample.text.count == 14 && sample.checkpointStep == 4)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/sample", method: .post,
                                     body: try Self.json(SampleRequest(prime: "the ", length: 10, checkpoint: .step(7)))) { response in
                try Self.expectRefusal(response, .notFound, field: nil, containing: "has no checkpoint at step 7")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/evaluate", method: .post,
                                     body: try Self.json(EvaluateRequest(dataset: dataset.sha256))) { response in
                let result = try Self.decode(EvaluateResponse.self, response)
                #expect(result.count == Self.corpus.count - 1 && result.loss > 0 && result.bitsPerChar != nil)
                #expect(result.baselineLoss.map { $0 > 0 } == true && result.unknownCharacters == 0, "the unigram baseline beside the model")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/forecast", method: .post, body: try Self.json(ForecastRequest(steps: 3))) { response in
                #expect(response.status.code / 100 == 4, "a language model has no forecast: \(String(buffer: response.body))")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/export?checkpoint=best", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/octet-stream")
                #expect(response.body.readableBytes > 8)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/fork", method: .post,
                                     body: try Self.json(ForkRequest(set: ["hidden_size": .int(8)]))) { response in
                try Self.expectRefusal(response, .badRequest, field: "hidden_size", containing: "cannot change in a fork")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/fork", method: .post,
                                     body: try Self.json(ForkRequest(set: ["max_steps": .int(6)]))) { response in
                #expect(response.status == .created)
                let fork = try Self.decode(RunInfo.self, response)
                #expect(fork.parentRunId == run.id && fork.parentCheckpointStep == 4)
            }
        }
    }

    /// A JSON Lines file sorted by class, submitted without seq_len: the run takes the examples' length, and its
    /// events say so, how the validation split was drawn and what each class holds in each part.
    @Test func theValidationSplitIsRecordedAsANotice() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        let lines = (0..<40).map { i in #"{"input": [[\#(i)], [\#(i % 3)]], "target": \#(i / 20)}"# }.joined(separator: "\n")
        try await rig.app.test(.router) { client in
            let dataset = try await client.execute(uri: "/v1/datasets?name=sorted.jsonl&kind=jsonl", method: .post, body: ByteBuffer(string: lines)) { response in
                try Self.decode(DatasetInfo.self, response)
            }
            let run = try await Self.submit(client, dataset: dataset.sha256, config: [
                "task": .string("classification"), "batch_size": .int(4), "hidden_size": .int(4), "max_steps": .int(2),
                "workers": .int(1), "val_fraction": .double(0.25)])
            try await client.execute(uri: "/v1/runs/\(run.id)/events", method: .get) { response in
                let notices = try Self.decode([EventInfo].self, response).filter { $0.kind == .notice }.map(\.message)
                #expect(notices == ["seq_len 2: the length of the examples of sorted.jsonl",
                                    "validation split: stratified by class (seed 1), 10 of 40 examples; per class (training/validation): 0: 15/5, 1: 15/5"], "\(notices)")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)", method: .get) { response in
                let detail = try Self.decode(RunDetail.self, response)
                #expect(detail.config["seq_len"] == .int(2), "the run stores the length it trains with")
            }
        }
    }

    /// A sequence classifier trained for real (tiny), then asked for predictions on examples without targets.
    @Test func aClassifierGivesPredictionsForNewExamples() async throws {
        let rig = try Rig(concurrentRuns: 1)
        defer { rig.removeDirectory() }
        let lines = (0..<40).map { i in #"{"input": [[\#(i % 2 == 0 ? 1 : -1)], [0.5]], "target": \#(i % 2)}"# }.joined(separator: "\n")
        try await rig.app.test(.router) { client in
            let dataset = try await client.execute(uri: "/v1/datasets?name=train.jsonl&kind=jsonl", method: .post, body: ByteBuffer(string: lines)) { response in
                try Self.decode(DatasetInfo.self, response)
            }
            let run = try await Self.submit(client, dataset: dataset.sha256, config: [
                "task": .string("classification"), "batch_size": .int(4), "hidden_size": .int(4), "max_steps": .int(4), "workers": .int(1),
                "val_fraction": .double(0.2), "checkpoint_every": .int(4)])
            let deadline = Date().addingTimeInterval(120)
            while try rig.parts.store.run(id: run.id)!.state != .completed {
                guard Date() < deadline else { Issue.record("run \(run.id) did not complete within 120 s"); return }
                try await Task.sleep(for: .milliseconds(20))
            }
            let unlabelled = #"{"input": [[1], [0.5]]}"# + "\n" + #"{"input": [[-1], [0.5]]}"# + "\n" + #"{"input": [[1], [0.5]]}"#
            let new = try await client.execute(uri: "/v1/datasets?name=new.jsonl&kind=jsonl", method: .post, body: ByteBuffer(string: unlabelled)) { response in
                try Self.decode(DatasetInfo.self, response)
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/predict", method: .post, body: try Self.json(PredictRequest(dataset: new.sha256, topK: 2))) { response in
                let answer = try Self.decode(PredictResponse.self, response)
                #expect(answer.predictions.count == 3 && answer.checkpointStep == 4)
                #expect(answer.predictions.allSatisfy { $0.class != nil && $0.top?.count == 2 && ($0.probability ?? 0) >= 0.5 }, "\(answer.predictions)")
            }
            try await client.execute(uri: "/v1/runs/\(run.id)/predict", method: .post, body: try Self.json(PredictRequest(dataset: new.sha256, topK: 0))) { response in
                try Self.expectRefusal(response, .badRequest, field: "top_k", containing: "top_k: must be at least 1")
            }
            let text = try await Self.upload(client, Self.corpus)
            try await client.execute(uri: "/v1/runs/\(run.id)/predict", method: .post, body: try Self.json(PredictRequest(dataset: text.sha256))) { response in
                try Self.expectRefusal(response, .badRequest, field: "dataset", containing: "predict reads JSON Lines examples")
            }
        }
    }

    @Test func sweepsAreSubmittedListedAndCancelled() async throws {
        let rig = try Rig()
        defer { rig.removeDirectory() }
        try await rig.app.test(.router) { client in
            let dataset = try await Self.upload(client, Self.corpus)
            let request = SweepRequest(dataset: dataset.sha256, config: Self.tinyRun, space: ["lr=[0.01, 0.001]"], method: .grid)
            let sweep = try await client.execute(uri: "/v1/sweeps", method: .post, body: try Self.json(request)) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try Self.decode(SweepInfo.self, response)
            }
            try await client.execute(uri: "/v1/sweeps", method: .post,
                                     body: try Self.json(SweepRequest(dataset: dataset.sha256, config: Self.tinyRun, space: ["dropout=[0, 2]"], method: .grid))) { response in
                try Self.expectRefusal(response, .badRequest, field: "dropout", containing: "trial 1 (dropout=2): dropout: 2.0 is out of range")
            }
            try await client.execute(uri: "/v1/sweeps", method: .get) { response in
                let answer = try Self.decode(SweepList.self, response)
                #expect(answer.sweeps.map(\.id) == [sweep.id])
            }
            try await client.execute(uri: "/v1/sweeps/\(sweep.id)", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/sweeps/\(sweep.id)/cancel", method: .post) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/sweeps/\(sweep.id)/cancel", method: .post) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/v1/sweeps/99", method: .get) { response in
                try Self.expectRefusal(response, .notFound, field: nil, containing: "no sweep 99")
            }
        }
    }
}
