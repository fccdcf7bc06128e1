import Foundation
import RNNCore
import Testing

@Suite struct SafetensorsTests {
    static let spec = NetworkSpec(input: .tokens(vocabularySize: 4, embeddingSize: 3), cell: .gru, hiddenSize: 5, layers: 2,
                                  outputSize: 4, loss: .crossEntropy, targets: .everyStep)

    func encoded() -> (Network, Buffer<Float>, [UInt8]) {
        let network = Network(spec: Self.spec)
        let parameters = Buffer<Float>(count: network.parameterCount)
        network.initializeParameters(parameters.buffer, seed: 9)
        let metadata = [Safetensors.configKey: #"{"cell":"gru","hidden_size":5}"#,
                        Safetensors.vocabularyKey: Safetensors.vocabularyJSON(["a", "\"", "é", "\n"])]
        return (network, parameters, Safetensors.encode(network: network, parameters: UnsafeBufferPointer(parameters.buffer), metadata: metadata))
    }

    @Test func exportImportRoundTripIsExact() throws {
        let (network, parameters, bytes) = encoded()
        let file = try Safetensors.decode(bytes)
        let restored = Buffer<Float>(count: network.parameterCount)
        try Safetensors.load(file, into: restored.buffer, network: network)
        #expect(restored.array.map(\.bitPattern) == parameters.array.map(\.bitPattern))
        let vocabulary = try JSONSerialization.jsonObject(with: Data(file.metadata[Safetensors.vocabularyKey]!.utf8)) as? [String]
        #expect(vocabulary == ["a", "\"", "é", "\n"])
        let config = try JSONSerialization.jsonObject(with: Data(file.metadata[Safetensors.configKey]!.utf8)) as? [String: Any]
        #expect(config?["hidden_size"] as? Int == 5)
    }

    @Test func fileIsWellFormed() throws {
        let (network, _, bytes) = encoded()
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0, "data starts on an 8-byte boundary")
        #expect(bytes.count == 8 + headerLength + 4 * network.parameterCount)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        #expect(Set(header.keys) == Set(network.layout.tensors.map(\.name) + ["__metadata__"]))
        #expect(header["gru.weight_ih_l1"] != nil && header["gru.bias_hh_l0"] != nil && header["embedding.weight"] != nil)
        var end = 0
        for tensor in network.layout.tensors {
            let entry = try #require(header[tensor.name] as? [String: Any])
            #expect(entry["dtype"] as? String == "F32")
            #expect(entry["shape"] as? [Int] == tensor.shape)
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets == [end, end + 4 * tensor.count], "\(tensor.name) follows the previous tensor")
            end = offsets[1]
        }
        #expect(network.layout["gru.weight_ih_l0"].shape == [15, 3] && network.layout["gru.weight_hh_l1"].shape == [15, 5])
    }

    @Test func malformedFilesAreRefusedWithTheReason() throws {
        let (network, _, bytes) = encoded()
        func error(_ bytes: [UInt8]) -> RNNCoreError? {
            do { _ = try Safetensors.decode(bytes); return nil } catch { return error as? RNNCoreError }
        }
        #expect(error(Array(bytes[0..<5]))?.code == .malformedFile)
        #expect(error(Array(bytes.dropLast(4)))?.message.contains("outside") == true, "truncated data")
        var hugeHeader = bytes
        hugeHeader[6] = 0xFF
        #expect(error(hugeHeader)?.message.contains("header length") == true)
        var notJSON = bytes
        notJSON[8] = UInt8(ascii: "x")
        #expect(error(notJSON)?.message.contains("JSON") == true)
        // A file for another model: refused by load, naming the tensor.
        let other = Network(spec: NetworkSpec(input: .tokens(vocabularySize: 4, embeddingSize: 3), cell: .gru, hiddenSize: 6,
                                              layers: 2, outputSize: 4, loss: .crossEntropy, targets: .everyStep))
        let target = Buffer<Float>(count: other.parameterCount)
        #expect(throws: RNNCoreError.self) { try Safetensors.load(try Safetensors.decode(bytes), into: target.buffer, network: other) }
        do {
            try Safetensors.load(try Safetensors.decode(bytes), into: target.buffer, network: other)
        } catch let e as RNNCoreError {
            #expect(e.code == .modelMismatch && e.message.contains("embedding.weight") == false && e.message.contains("shape"))
        }
        _ = network
    }
}
