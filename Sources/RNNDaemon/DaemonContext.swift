import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The request context: Hummingbird's core storage plus the connection, whose peer credentials tell who
/// is asking on the Unix socket.
struct DaemonContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The web view's browser session, set by the loopback listener's guard.
    var session: WebSessions.Session?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// JSON request bodies; dataset uploads stream with their own limit.
    var maxUploadSize: Int { 1 << 20 }

    /// struct ucred of <sys/socket.h>.
    private struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Who asks: the uid of the process on the other end of the Unix socket (SO_PEERCRED); over TCP, the
    /// uid that logged the browser session in (`rnnctl ui`), else nil (a script with the bearer token).
    func peerUID() async -> Int? {
        if let session { return session.uid }
        guard let provider = channel as? SocketOptionProvider, channel.localAddress?.protocol == .unix else { return nil }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return (try? await future.get()).map { Int($0.uid) }
    }
}
