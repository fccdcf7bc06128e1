/// Where rnnd listens by default; rnnctl finds it the same way.
public enum APIDefaults {
    /// The control socket: $RUNTIME_DIRECTORY/rnnd.sock (systemd), else $XDG_RUNTIME_DIR/rnnd.sock, else
    /// /tmp/rnnd-UID/rnnd.sock. `RNND_SOCKET` and `--socket` override it (handled by the callers).
    public static func socketPath(environment: [String: String], uid: UInt32) -> String {
        if let dir = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !dir.isEmpty { return "\(dir)/rnnd.sock" }
        if let xdg = environment["XDG_RUNTIME_DIR"], xdg.hasPrefix("/") { return xdg + "/rnnd.sock" }
        return "/tmp/rnnd-\(uid)/rnnd.sock"
    }

    /// The environment variable naming the socket, for rnnd and rnnctl.
    public static let socketVariable = "RNND_SOCKET"
}
