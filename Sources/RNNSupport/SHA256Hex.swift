import Crypto
import Foundation

/// SHA-256 as lowercase hex: the content address of a dataset and the checksum of a checkpoint file.
/// swift-crypto does the hashing (BoringSSL's, with the CPU's SHA extensions where it has them).
public struct SHA256Hex: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: some DataProtocol) { hasher.update(data: bytes) }

    /// The digest of everything fed so far.
    public func finalize() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ bytes: some DataProtocol) -> String {
        var hasher = SHA256Hex()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of a whole file, read in 1 MiB pieces.
    public static func hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { try? handle.close() }
        var hasher = SHA256Hex()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalize()
    }
}
