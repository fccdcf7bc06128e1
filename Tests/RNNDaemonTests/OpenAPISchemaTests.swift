import Foundation
import RNNAPI
@testable import RNNDaemon
import Testing
import Yams

/// The document's schemas are true of the wire types: every value rnnd encodes validates against its
/// schema (with every optional field present, and with none), and every documented property is one the
/// wire type sends. schemathesis (deploy/fuzz-api.sh) then holds the running daemon to the same document.
@Suite struct OpenAPISchemaTests {
    /// JSON as decoded, with integers told apart from other numbers and booleans from both.
    indirect enum JSON: Decodable, CustomStringConvertible {
        case null, bool(Bool), integer(Int), number(Double), string(String), array([JSON]), object([String: JSON])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Int.self) { self = .integer(v) }
            else if let v = try? c.decode(Double.self) { self = .number(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else if let v = try? c.decode([JSON].self) { self = .array(v) }
            else { self = .object(try c.decode([String: JSON].self)) }
        }

        var description: String {
            switch self {
            case .null: "null"
            case .bool(let v): "\(v)"
            case .integer(let v): "\(v)"
            case .number(let v): "\(v)"
            case .string(let v): "\"\(v)\""
            case .array(let v): "\(v)"
            case .object(let v): "\(v)"
            }
        }
    }

    // Read once, never changed.
    nonisolated(unsafe) static let document: [String: Any] = {
        let text = String(decoding: OpenAPIDocument.yaml, as: UTF8.self)
        return (try? Yams.load(yaml: text)) as? [String: Any] ?? [:]
    }()
    static var schemas: [String: Any] { ((document["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:] }

    /// The problems of `value` against `schema`, for the subset of JSON Schema the document uses.
    static func validate(_ value: JSON, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = schemas[String(ref.split(separator: "/").last!)] as? [String: Any] else { return ["\(path): unknown \(ref)"] }
            return validate(value, target, at: path)
        }
        var problems: [String] = []
        if let any = schema["anyOf"] as? [[String: Any]], !any.contains(where: { validate(value, $0, at: path).isEmpty }) {
            problems.append("\(path): \(value) matches none of anyOf")
        }
        for part in schema["allOf"] as? [[String: Any]] ?? [] { problems += validate(value, part, at: path) }
        if let options = schema["enum"] as? [Any] {
            guard case .string(let text) = value, options.contains(where: { "\($0)" == text }) else {
                return problems + ["\(path): \(value) is not one of \(options)"]
            }
        }
        switch (schema["type"] as? String, value) {
        case (nil, _), ("null"?, .null), ("boolean"?, .bool), ("integer"?, .integer), ("number"?, .integer), ("number"?, .number):
            break
        case ("object"?, .object(let object)):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path): required \(key) is missing") }
            for (key, item) in object {
                if let property = properties[key] as? [String: Any] {
                    problems += validate(item, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += validate(item, additional, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): \(key) is not a documented property")
                }
            }
        case ("array"?, .array(let array)):
            if let items = schema["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { problems += validate(item, items, at: "\(path)[\(i)]") }
            }
        case ("string"?, .string(let string)):
            if let pattern = schema["pattern"] as? String, string.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(path): \"\(string)\" does not match \(pattern)")
            }
            if let min = schema["minLength"] as? Int, string.count < min { problems.append("\(path): shorter than \(min)") }
            if let max = schema["maxLength"] as? Int, string.count > max { problems.append("\(path): longer than \(max)") }
        case (let type?, _):
            problems.append("\(path): \(value) is not of type \(type)")
        }
        return problems
    }

    /// The wire value's problems against the named schema, and the documented properties it never sends.
    static func check<T: Encodable>(_ value: T, against name: String, complete: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let schema = try #require(schemas[name] as? [String: Any], "no schema \(name)")
        let json = try JSONDecoder().decode(JSON.self, from: APIJSON.encoder.encode(value))
        let problems = validate(json, schema)
        #expect(problems.isEmpty, "\(name): \(problems)", sourceLocation: sourceLocation)
        if complete, case .object(let object) = json, let properties = schema["properties"] as? [String: Any] {
            let unsent = Set(properties.keys).subtracting(object.keys)
            #expect(unsent.isEmpty, "\(name) documents \(unsent.sorted()), which \(T.self) never sends", sourceLocation: sourceLocation)
        }
    }

    static let sha = String(repeating: "ab", count: 32)
    static let fullRun = RunInfo(id: 3, name: "lstm", state: .running, priority: 1, submittedAt: 1.5, startedAt: 2.5, finishedAt: 3.5,
                                 submittedBy: 1000, workers: 2, seed: 7, dataset: sha, restarts: 1, failure: "why", parentRunId: 1,
                                 parentCheckpointStep: 50, tags: ["a"], step: 10, maxSteps: 100, epoch: 1, trainLoss: .nan,
                                 valLoss: 1.5, bestValLoss: .infinity, tokensPerSecond: 1000, etaSeconds: 9,
                                 note: "lr too high", metrics: [MetricSummaryInfo(name: "val_loss", latestStep: 3, latestValue: 1.5, bestStep: 2,
                                                                                     bestValue: 1.4, count: 3, minValue: 1.4, maxValue: 2)],
                                 sweepId: 4)
    static let minimalRun = RunInfo(id: 3, name: "lstm", state: .queued, priority: 0, submittedAt: 1.5, startedAt: nil, finishedAt: nil,
                                    submittedBy: nil, workers: 1, seed: 1, dataset: sha, restarts: 0, failure: nil, parentRunId: nil,
                                    parentCheckpointStep: nil, tags: [], step: 0, maxSteps: 0)
    static let summary = MetricSummaryInfo(name: "train_loss", latestStep: 10, latestValue: 1.5, bestStep: 9, bestValue: -.infinity, count: 10, minValue: 1.2, maxValue: 3)

    @Test func responsesValidateAgainstTheirSchemas() throws {
        #expect(Self.schemas.count > 20, "the document was read")
        try Self.check(APIErrorBody(error: "bad", field: "lr"), against: "Error", complete: true)
        try Self.check(APIErrorBody(error: "bad"), against: "Error", complete: false)
        try Self.check(HealthInfo(status: "ok", version: "1", queued: 1, running: 0), against: "Health", complete: true)
        try Self.check(WebLogin(url: "http://127.0.0.1:8470/ui/login?t=ab", expiresAt: 1.5), against: "WebLogin", complete: true)
        let sweep = SweepInfo(id: 2, name: "s", state: .running, method: .asha, metric: "val_loss", goal: .min, space: ["lr=[0.1, 0.01]"],
                              dataset: Self.sha, seed: 1, maxConcurrent: 2, priority: 0, asha: ASHASettings(minSteps: 10, eta: 3, maxSteps: 90),
                              trials: 4, counts: ["training": 2, "pending": 2], steps: 40, submittedAt: 1, finishedAt: 2, submittedBy: 0)
        try Self.check(sweep, against: "Sweep", complete: true)
        try Self.check(SweepList(sweeps: [sweep]), against: "SweepList", complete: true)
        let trial = TrialInfo(number: 0, assignment: ["lr": .double(0.1)], runId: 3, rung: 1, state: .waiting, value: 1.5, steps: 30)
        try Self.check(SweepDetail(sweep: sweep, trials: [trial], events: [SweepEventInfo(at: 1, kind: .promoted, message: "m")], best: trial),
                       against: "SweepDetail", complete: true)
        try Self.check(DatasetInfo(sha256: Self.sha, name: "a.txt", kind: .csv, size: 3, createdAt: 1, runs: 2), against: "Dataset", complete: true)
        try Self.check(Self.fullRun, against: "Run", complete: true)
        try Self.check(Self.minimalRun, against: "Run", complete: false)
        try Self.check(RunList(runs: [Self.fullRun, Self.minimalRun]), against: "RunList", complete: true)
        for kind in CheckpointKind.allCases {
            try Self.check(CheckpointInfo(step: 10, size: 9, sha256: Self.sha, valLoss: 1.25, kind: kind, createdAt: 2), against: "Checkpoint", complete: true)
        }
        for kind in EventKind.allCases {
            try Self.check(EventInfo(id: 1, at: 2, kind: kind, message: "m", uid: 1000, step: 5), against: "Event", complete: true)
            try Self.check(EventInfo(id: 1, at: 2, kind: kind, message: "m", uid: nil, step: nil), against: "Event", complete: false)
        }
        let config: [String: APIValue] = ["lr": .double(0.01), "hidden_size": .int(64), "cell": .string("gru"), "nesterov": .bool(true),
                                          "input_columns": .list(["a", "b"])]
        try Self.check(RunDetail(run: Self.fullRun, config: config, metrics: [Self.summary],
                                 checkpoints: [CheckpointInfo(step: 1, size: 2, sha256: Self.sha, valLoss: nil, kind: .final, createdAt: 3)],
                                 events: [EventInfo(id: 1, at: 2, kind: .submitted, message: "m", uid: nil, step: nil)]),
                       against: "RunDetail", complete: true)
        try Self.check(Self.summary, against: "MetricSummary", complete: true)
        try Self.check(Series(run: 1, name: "val_loss", points: [SeriesPointInfo(step: 1, value: .nan), SeriesPointInfo(step: 2, value: 1)]),
                       against: "Series", complete: true)
        try Self.check(Comparison(runs: [Self.fullRun, Self.minimalRun], differences: ["lr": [.double(0.1), nil], "cell": [.string("lstm"), .string("gru")]],
                                  metrics: [[Self.summary], []]), against: "Comparison", complete: true)
        try Self.check(SampleResponse(text: "abc", checkpointStep: 5), against: "SampleResponse", complete: true)
        try Self.check(ForecastResponse(columns: ["t"], values: [[1.5], [.nan]], checkpointStep: 5), against: "ForecastResponse", complete: true)
        try Self.check(EvaluateResponse(loss: 1.2, bitsPerChar: 1.7, accuracy: 0.5, count: 9, unknownCharacters: 1, baselineLoss: 1.9, baselineAccuracy: 0.3, checkpointStep: 5), against: "EvaluateResponse", complete: true)
        try Self.check(PredictResponse(predictions: [PredictionInfo(class: 1, probability: 0.9, top: [ClassProbability(class: 1, probability: 0.9)],
                                                                    classes: [1, 0], probabilities: [0.9, 0.8], values: [1.5], steps: [[1, 2]])], checkpointStep: 4),
                       against: "PredictResponse", complete: true)
        try Self.check(EvaluateResponse(loss: .nan, bitsPerChar: nil, accuracy: nil, count: 9, checkpointStep: 5), against: "EvaluateResponse", complete: false)
        for kind in ProgressKind.allCases {
            try Self.check(ProgressEvent(kind: kind, step: 1, epoch: 0, trainLoss: 2, lr: 0.1, tokensPerSecond: 5, metrics: ["val_loss": .nan],
                                         state: .paused, message: "m"), against: "ProgressEvent", complete: true)
            try Self.check(ProgressEvent(kind: kind), against: "ProgressEvent", complete: false)
        }
    }

    @Test func requestsTheClientsSendValidate() throws {
        try Self.check(SubmitRequest(name: "n", dataset: Self.sha, config: ["lr": .double(0.1), "cell": .string("lstm")], priority: 2, tags: ["x"], derivedFrom: 7, datasetName: "b.txt"),
                       against: "SubmitRequest", complete: true)
        try Self.check(SubmitRequest(dataset: Self.sha, config: [:]), against: "SubmitRequest", complete: false)
        try Self.check(ForkRequest(checkpoint: .best, set: ["lr": .double(0.01)], name: "f", priority: 1), against: "ForkRequest", complete: true)
        try Self.check(EditRequest(name: "n", note: "why", addTags: ["best"], removeTags: ["old"]), against: "EditRequest", complete: true)
        try Self.check(SweepRequest(name: "s", dataset: Self.sha, config: ["max_steps": .int(90)], space: ["lr=[0.1, 0.01]"], method: .asha,
                                    metric: "val_loss", goal: .min, trials: 8, seed: 3, maxConcurrent: 2, priority: 1,
                                    asha: ASHASettings(minSteps: 10, eta: 3, maxSteps: 90), datasetName: "d.txt"), against: "SweepRequest", complete: true)
        try Self.check(SampleRequest(prime: "a", length: 10, temperature: 0.8, topK: 5, seed: 1, checkpoint: .latest), against: "SampleRequest", complete: true)
        try Self.check(ForecastRequest(steps: 3, dataset: Self.sha, checkpoint: .step(10)), against: "ForecastRequest", complete: true)
        try Self.check(EvaluateRequest(dataset: Self.sha, checkpoint: .best), against: "EvaluateRequest", complete: true)
        try Self.check(PredictRequest(dataset: Self.sha, checkpoint: .step(3), topK: 2), against: "PredictRequest", complete: true)
    }

    @Test func theValidatorRefusesWhatTheSchemaRefuses() throws {
        // The checks above mean something only if this validator can fail.
        let run = try #require(Self.schemas["Run"] as? [String: Any])
        guard case .object(var wrong) = try JSONDecoder().decode(JSON.self, from: APIJSON.encoder.encode(Self.minimalRun)) else {
            Issue.record("a run encodes as an object")
            return
        }
        wrong["state"] = .string("exploded")
        wrong["extra"] = .integer(1)
        wrong.removeValue(forKey: "step")
        wrong["seed"] = .string("seven")
        let problems = Self.validate(.object(wrong), run)
        #expect(problems.count == 4, "\(problems)")
    }
}
