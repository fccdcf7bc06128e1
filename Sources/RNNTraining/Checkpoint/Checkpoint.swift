import Foundation
import RNNCore

/// The trainer's position: everything besides the tensors needed to continue a run exactly.
public struct TrainerState: Codable, Sendable, Equatable {
    /// Steps taken (applied or skipped).
    public var step = 0
    public var epoch = 0
    /// The next minibatch of the epoch.
    public var indexInEpoch = 0
    public var optimizerStep = 0
    public var bestValLoss: Double?
    public var bestStep: Int?
    public var validationsSinceBest = 0
    public var consecutiveSkips = 0
    public var skippedSteps = 0
    public var rollbacks = 0
    /// The latest training losses, for the spike guard.
    public var recentLosses: [Double] = []
    /// Seconds spent training, across resumptions.
    public var elapsed = 0.0
    public init() {}
}

/// Everything needed to continue a run exactly: the configuration, the data facts (vocabulary,
/// normalisation), the trainer's position, the parameters, the optimizer state and the carried recurrent
/// state. Binary, versioned, with a CRC-32 over the whole file; the RNG needs no state (every random
/// choice derives from the seed and the step or epoch).
///
/// Layout (little endian): "RNNDCKPT", format version u32, header length u64, JSON header, then float32
/// arrays each prefixed by its u64 length: parameters, optimizer buffers (count u32 first), carried state;
/// then the CRC-32 (u32) of all preceding bytes.
public struct Checkpoint: Sendable, Equatable {
    public static let formatVersion: UInt32 = 1
    static let magic = Array("RNNDCKPT".utf8)

    public var config: RunConfig
    public var metadata: DataMetadata
    public var state: TrainerState
    public var parameters: [Float]
    public var optimizerBuffers: [[Float]]
    /// Carried recurrent state, [layer][h, then c for LSTM][batch row][unit]; empty when none is carried.
    public var carriedState: [Float]

    private struct Header: Codable {
        var config: [String: ConfigValue]
        var metadata: DataMetadata
        var state: TrainerState
    }

    public func encoded() -> [UInt8] {
        var out = Checkpoint.magic
        append(Checkpoint.formatVersion, to: &out)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Array(try! encoder.encode(Header(config: config.values, metadata: metadata, state: state)))
        append(UInt64(header.count), to: &out)
        out += header
        appendFloats(parameters, to: &out)
        append(UInt32(optimizerBuffers.count), to: &out)
        for buffer in optimizerBuffers { appendFloats(buffer, to: &out) }
        appendFloats(carriedState, to: &out)
        append(CRC32.checksum(out), to: &out)
        return out
    }

    public init(config: RunConfig, metadata: DataMetadata, state: TrainerState, parameters: [Float],
                optimizerBuffers: [[Float]], carriedState: [Float]) {
        (self.config, self.metadata, self.state, self.parameters) = (config, metadata, state, parameters)
        (self.optimizerBuffers, self.carriedState) = (optimizerBuffers, carriedState)
    }

    /// Decodes a checkpoint; a truncated, corrupted or foreign file is refused naming `name` and the problem.
    public init(bytes: [UInt8], name: String) throws {
        func bad(_ why: String) -> TrainingError { TrainingError(.invalidCheckpoint, "\(name): \(why)") }
        guard bytes.count >= 8 + 4 + 8 + 4, Array(bytes[0..<8]) == Checkpoint.magic else { throw bad("not an rnnd checkpoint") }
        let stored = uint32LE(bytes.suffix(4))
        guard CRC32.checksum(bytes.dropLast(4)) == stored else { throw bad("checksum mismatch: the file is truncated or corrupted") }
        var reader = ByteReader(bytes: bytes, position: 8, end: bytes.count - 4)
        let version: UInt32 = try reader.read(orThrow: bad("truncated"))
        guard version == Checkpoint.formatVersion else { throw bad("format version \(version); this rnnd reads version \(Checkpoint.formatVersion)") }
        let headerLength: UInt64 = try reader.read(orThrow: bad("truncated"))
        let headerBytes = try reader.bytes(Int(clamping: headerLength), orThrow: bad("truncated header"))
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(headerBytes)) } catch { throw bad("unreadable header") }
        do { config = try RunConfig(header.config) } catch { throw bad("its configuration is invalid: \(error)") }
        metadata = header.metadata
        state = header.state
        parameters = try reader.floats(orThrow: bad("truncated parameters"))
        let buffers: UInt32 = try reader.read(orThrow: bad("truncated"))
        guard buffers <= 4 else { throw bad("\(buffers) optimizer buffers") }
        optimizerBuffers = try (0..<buffers).map { _ in try reader.floats(orThrow: bad("truncated optimizer state")) }
        carriedState = try reader.floats(orThrow: bad("truncated carried state"))
        guard reader.position == reader.end else { throw bad("trailing bytes after the carried state") }
    }

    /// Writes the file atomically: a temporary file in the same directory, fsync, rename, fsync of the
    /// directory. A crash leaves either the old file or the new one, never a partial one.
    /// `beforeRename` runs between the temporary file and the rename (a fault-injection window).
    /// - Returns: the file's size and the CRC-32 stored at its end.
    @discardableResult
    public func write(to url: URL, beforeRename: () -> Void = {}) throws -> (size: Int, checksum: UInt32) {
        let bytes = encoded()
        try FileIO.writeAtomically(bytes, to: url, beforeRename: beforeRename)
        let checksum = uint32LE(bytes.suffix(4))
        return (bytes.count, checksum)
    }

    /// The size and stored CRC-32 of a checkpoint file already on disk (nil when it is missing or too short).
    static func sizeAndChecksum(of url: URL) -> (size: Int, checksum: UInt32)? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end >= 4 else { return nil }
        try? handle.seek(toOffset: end - 4)
        guard let tail = try? handle.read(upToCount: 4), tail.count == 4 else { return nil }
        let checksum = uint32LE(tail)
        return (Int(end), checksum)
    }

    public static func read(from url: URL) throws -> Checkpoint {
        try Checkpoint(bytes: FileIO.read(url), name: url.lastPathComponent)
    }
}

/// The little-endian UInt32 of four bytes (the trailing CRC-32 of a checkpoint file).
private func uint32LE(_ bytes: some Collection<UInt8>) -> UInt32 {
    bytes.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
}

private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

private func appendFloats(_ values: [Float], to out: inout [UInt8]) {
    append(UInt64(values.count), to: &out)
    out.reserveCapacity(out.count + values.count * 4)
    for v in values { append(v.bitPattern, to: &out) }
}

private struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    mutating func read<T: FixedWidthInteger>(orThrow error: @autoclosure () -> TrainingError) throws -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= end else { throw error() }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[position + i]) << (8 * i) }
        position += size
        return value
    }

    mutating func bytes(_ count: Int, orThrow error: @autoclosure () -> TrainingError) throws -> ArraySlice<UInt8> {
        guard count >= 0, position + count <= end else { throw error() }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func floats(orThrow error: @autoclosure () -> TrainingError) throws -> [Float] {
        let count: UInt64 = try read(orThrow: error())
        guard count <= UInt64((end - position) / 4) else { throw error() }
        let raw = try bytes(Int(count) * 4, orThrow: error())
        return raw.withUnsafeBytes { p in (0..<Int(count)).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }
}
