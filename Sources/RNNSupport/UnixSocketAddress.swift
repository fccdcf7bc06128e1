#if canImport(Glibc)
import Glibc
#endif

/// A `sockaddr_un` for a path: the one place the daemon and the client fill one in. A path that starts
/// with `@` names Linux's abstract namespace (systemd's NOTIFY_SOCKET may).
public struct UnixSocketAddress {
    private var address = sockaddr_un()
    /// The length to pass with the address.
    public let length: socklen_t

    /// Nil when the path does not fit `sun_path` (107 bytes and a terminating zero).
    public init?(path: String) {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
