import Foundation
import Logging
import RNNAPI
@testable import RNNDaemon
import RNNStore
import Testing

/// The OpenAPI document and the daemon's routes agree, both ways.
@Suite struct OpenAPITests {
    /// "METHOD /path/{param}" for every operation in openapi.yaml.
    static func documentedOperations() -> Set<String> {
        let text = String(decoding: OpenAPIDocument.yaml, as: UTF8.self)
        var operations = Set<String>(), path: String?, inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths && !line.hasPrefix(" ") && !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    ") && !line.hasPrefix("     "), let path {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(String(key)) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func documentAndRoutesAgree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try DaemonSettings.resolve(flags: ["--state-dir": directory.path], configFile: nil, environment: ["HOME": directory.path],
                                                  uid: 1000, cores: 2, readFile: { _ in nil })
        let store = try Store(path: directory.appendingPathComponent("rnnd.sqlite").path)
        let parts = DaemonParts(settings: settings, store: store, notifier: SystemdNotifier(environment: [:]), logger: Logger(label: "test"))
        let router = Daemon.makeRouter(parts, loopback: false, token: nil)
        let served = Set(router.routes.map { route in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) " + (path.hasPrefix("/") ? path : "/" + path)
        })
        let documented = Self.documentedOperations()
        #expect(documented.count >= 20, "the parser found the document's operations: \(documented.sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    @Test func wireNamesAreSnakeCase() throws {
        let run = RunInfo(id: 1, name: "a", state: .running, priority: 0, submittedAt: 0, startedAt: nil, finishedAt: nil, submittedBy: nil,
                          workers: 1, seed: 1, dataset: "x", restarts: 0, failure: nil, parentRunId: 3, parentCheckpointStep: nil, tags: [],
                          step: 5, maxSteps: 10, bestValLoss: 1.5)
        let json = try JSONSerialization.jsonObject(with: APIJSON.encoder.encode(run)) as! [String: Any]
        #expect(json["id"] as? Int == 1 && json["state"] as? String == "running" && json["step"] as? Int == 5)
        #expect(json["best_val_loss"] as? Double == 1.5 && json["parent_run_id"] as? Int == 3 && json["max_steps"] as? Int == 10)
        let evaluation = try JSONSerialization.jsonObject(with: APIJSON.encoder.encode(EvaluateResponse(loss: 1, bitsPerChar: 1.44, accuracy: nil, count: 3, checkpointStep: 9))) as! [String: Any]
        #expect(evaluation["loss"] as? Double == 1 && evaluation["bits_per_char"] as? Double == 1.44)
        // Configuration keys inside dictionaries keep their names.
        let submit = try APIJSON.decoder.decode(SubmitRequest.self, from: Data(#"{"dataset":"d","config":{"hidden_size":3}}"#.utf8))
        #expect(submit.config == ["hidden_size": .int(3)])
    }
}
