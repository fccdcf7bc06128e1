import Foundation
import RNNAPI
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// The systemd notify protocol without libsystemd: datagrams to $NOTIFY_SOCKET (`READY=1`, `STATUS=…`,
/// `WATCHDOG=1`, `STOPPING=1`). Without the variable every call does nothing, so rnnd behaves the same
/// outside systemd.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// Half of $WATCHDOG_USEC, the interval at which to send WATCHDOG=1; nil when no watchdog is set.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty {
            // "@name" is an abstract socket; everything else a path.
            socketPath = path
        } else {
            socketPath = nil
        }
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    public func ready() { send("READY=1") }
    public func status(_ text: String) { send("STATUS=\(text.replacingOccurrences(of: "\n", with: " "))") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1") }

    /// Sends one datagram; failures are ignored (a missing listener must not stop the daemon). Never waits:
    /// a listener that does not read (its queue holds net.unix.max_dgram_qlen datagrams, 10 by default) would
    /// otherwise block the caller — the scheduler reporting a status line — and with it every run's start.
    public func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard let address = UnixSocketAddress(path: socketPath) else { return }
        _ = message.withCString { text in
            address.withSockaddr { sockaddr, length in sendto(fd, text, strlen(text), Int32(MSG_DONTWAIT), sockaddr, length) }
        }
    }
}
