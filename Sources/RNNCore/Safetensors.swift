import Foundation  // JSONSerialization only: the core does no I/O, callers read and write the bytes.

/// Parameters in the safetensors format, with PyTorch's state_dict names and shapes, so a model trained
/// here loads into the equivalent torch.nn model with `load_state_dict`.
///
/// Layout: an 8-byte little-endian header length, a JSON header (padded with spaces so the data starts on
/// an 8-byte boundary), then the tensors' bytes, float32 little endian, in parameter-layout order. The
/// header's `__metadata__` is a map of strings; rnnd writes `rnnd.config` (the run configuration as a JSON
/// object) and, for token models, `rnnd.vocab` (a JSON array of the vocabulary, index = token id).
public enum Safetensors {
    /// A decoded file: tensors by name, and the metadata strings.
    public struct File: Sendable {
        public var tensors: [String: (shape: [Int], values: [Float])]
        public var metadata: [String: String]
    }

    public static let configKey = "rnnd.config"
    public static let vocabularyKey = "rnnd.vocab"
    /// Text models: the unknown character's id (one past `rnnd.vocab`), as decimal text.
    public static let unknownIDKey = "rnnd.unknown_id"

    /// Encodes `parameters` (laid out as `network.layout`) with `metadata`.
    public static func encode<Scalar: RNNScalar>(
        network: Network, parameters: UnsafeBufferPointer<Scalar>, metadata: [String: String] = [:]
    ) -> [UInt8] {
        precondition(parameters.count == network.layout.count, "parameter buffer has the wrong size")
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        for tensor in network.layout.tensors {
            header[tensor.name] = [
                "dtype": "F32", "shape": tensor.shape,
                "data_offsets": [tensor.offset * 4, (tensor.offset + tensor.count) * 4],
            ] as [String: Any]
        }
        var json = Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + parameters.count * 4)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for value in parameters {
            withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// JSON text for the `rnnd.vocab` entry.
    public static func vocabularyJSON(_ vocabulary: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: vocabulary, options: [.withoutEscapingSlashes]), as: UTF8.self)
    }

    /// Decodes and validates a file: header length within the file, valid JSON, every tensor F32 with a
    /// shape whose size matches its byte range, ranges inside the data and not overlapping.
    public static func decode(_ bytes: [UInt8]) throws -> File {
        func malformed(_ why: String) -> RNNCoreError { RNNCoreError(.malformedFile, "not a valid safetensors file: \(why)") }
        guard bytes.count >= 8 else { throw malformed("shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw malformed("header length \(headerLength) exceeds the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = Data(bytes[8..<dataStart])
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw malformed("the header is not a JSON object")
        }
        let dataLength = bytes.count - dataStart
        var file = File(tensors: [:], metadata: [:])
        var ranges: [(Int, Int, String)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let metadata = entry as? [String: String] else { throw malformed("__metadata__ must map strings to strings") }
                file.metadata = metadata
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw malformed("tensor \(name) lacks dtype, shape or data_offsets") }
            guard dtype == "F32" else { throw RNNCoreError(.unsupported, "tensor \(name) has dtype \(dtype); rnnd reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw malformed("tensor \(name) has a negative dimension") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw malformed("tensor \(name) spans bytes \(begin)..<\(end) outside the \(dataLength)-byte data")
            }
            let count = shape.reduce(1, *)
            guard end - begin == count * 4 else {
                throw malformed("tensor \(name) has shape \(shape) but \(end - begin) bytes")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let p = dataStart + begin + 4 * i
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            file.tensors[name] = (shape, values)
            ranges.append((begin, end, name))
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.1 > b.0 {
            throw malformed("tensors \(a.2) and \(b.2) overlap")
        }
        return file
    }

    /// Copies the tensors of `file` into `parameters`, checking that the names and shapes are exactly
    /// those of `network`.
    public static func load<Scalar: RNNScalar>(
        _ file: File, into parameters: UnsafeMutableBufferPointer<Scalar>, network: Network
    ) throws {
        precondition(parameters.count == network.layout.count, "parameter buffer has the wrong size")
        let expected = Set(network.layout.tensors.map(\.name))
        if let extra = file.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw RNNCoreError(.modelMismatch, "the file has a tensor \(extra) that this model does not")
        }
        for tensor in network.layout.tensors {
            guard let stored = file.tensors[tensor.name] else {
                throw RNNCoreError(.modelMismatch, "the file lacks tensor \(tensor.name)")
            }
            guard stored.shape == tensor.shape else {
                throw RNNCoreError(.modelMismatch, "tensor \(tensor.name) has shape \(stored.shape) in the file, \(tensor.shape) in the model")
            }
            for i in 0..<tensor.count { parameters[tensor.offset + i] = Scalar(stored.values[i]) }
        }
    }
}
