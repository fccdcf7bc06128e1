import Foundation
import RNNCore
import Testing

private let torchPython: String? = {
    let candidates = [ProcessInfo.processInfo.environment["RNND_TORCH_PYTHON"],
                      NSHomeDirectory() + "/.venv-torch/bin/python"].compactMap { $0 }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// A model exported here loads into the equivalent torch.nn model and gives the same outputs.
///
/// Needs a Python with torch: `RNND_TORCH_PYTHON`, else `~/.venv-torch/bin/python` (how to install it:
/// ../shared/reference/README.md). Where neither exists the test is skipped and says so; torch is a large
/// download and stays out of CI.
@Suite(.enabled(if: torchPython != nil, "no Python with torch (set RNND_TORCH_PYTHON or create ~/.venv-torch)"))
struct TorchParityTests {
    static let specs: [NetworkSpec] = CellKind.allCases.flatMap { cell in [
        NetworkSpec(input: .tokens(vocabularySize: 11, embeddingSize: 6), cell: cell, hiddenSize: 20, layers: 2,
                    outputSize: 11, loss: .crossEntropy, targets: .everyStep),
        NetworkSpec(input: .features(featureCount: 3), cell: cell, hiddenSize: 17, layers: 1,
                    outputSize: 2, loss: .meanSquaredError, targets: .lastStep),
    ] }

    @Test(arguments: specs)
    func exportedModelGivesTheSameOutputsInPyTorch(spec: NetworkSpec) throws {
        let b = 3, t = 8
        let harness = Harness<Float>(spec, batch: b, seq: t, seed: 21)
        let optimizer = adam(harness)
        // A few training steps so the weights are not just their initialisation.
        for step in 0..<5 { harness.trainStep(randomBatch(spec, batch: b, seq: t, seed: UInt64(step)), optimizer: optimizer, lr: 0.05) }
        var batch: Batch<Float> = randomBatch(spec, batch: b, seq: t, seed: 99)
        batch.target = .none
        _ = harness.loss(batch)

        var testCase: [String: Any] = ["batch": b, "seq": t, "targets": spec.targets.rawValue, "loss": spec.loss.rawValue,
                                       "expected": harness.workspace.lastOutputs.map(Double.init), "tolerance": 2e-5]
        switch batch.input {
        case .tokens(let tokens): testCase["tokens"] = tokens.map(Int.init)
        case .features(let features): testCase["features"] = features.map(Double.init)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model.safetensors"), json = directory.appendingPathComponent("case.json")
        try Data(Safetensors.encode(network: harness.network, parameters: UnsafeBufferPointer(harness.parameters.buffer),
                                    metadata: [Safetensors.configKey: #"{"cell":"\#(spec.cell.rawValue)"}"#])).write(to: model)
        try JSONSerialization.data(withJSONObject: testCase).write(to: json)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: torchPython!)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/torch_parity.py").standardized
        process.arguments = [script.path, model.path, json.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "torch_parity.py: \(text)")
    }
}
