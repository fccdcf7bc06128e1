import Foundation
import RNNAPI
import RNNSupport

/// The web view's one-time login tokens and browser sessions, in memory (a restart of rnnd logs every
/// browser out; `rnnctl ui` logs in again).
///
/// Trust starts at the Unix socket: only a caller the socket's permissions let in can mint a login token
/// (`POST /v1/ui/tokens`). The token is single-use and short-lived; the login page swaps it for a session
/// cookie (HttpOnly, SameSite=Strict) and a CSRF token that every state-changing request must carry.
final class WebSessions: Sendable {
    struct Session: Sendable {
        let csrf: String
        /// The uid that minted the login token: what the session does is recorded as theirs.
        let uid: Int?
        var expires: Date
    }

    static let tokenLifetime: TimeInterval = 60
    static let sessionLifetime: TimeInterval = 12 * 3600
    static let cookieName = "rnnd_session"

    private let state = Locked<(tokens: [String: (uid: Int?, expires: Date)], sessions: [String: Session])>((tokens: [:], sessions: [:]))

    /// A fresh one-time token for `uid`.
    func mintToken(uid: Int?, now: Date = Date()) -> String {
        let token = Self.randomHex(32)
        state.withLock { state in
            state.tokens = state.tokens.filter { $0.value.expires > now }
            state.tokens[token] = (uid, now.addingTimeInterval(Self.tokenLifetime))
        }
        return token
    }

    /// Swaps a token for a session (id, CSRF token); nil when the token is unknown, used or expired.
    func redeem(_ token: String, now: Date = Date()) -> (id: String, session: Session)? {
        state.withLock { state in
            guard let entry = state.tokens.removeValue(forKey: token), entry.expires > now else { return nil }
            let id = Self.randomHex(32)
            let session = Session(csrf: Self.randomHex(32), uid: entry.uid, expires: now.addingTimeInterval(Self.sessionLifetime))
            state.sessions = state.sessions.filter { $0.value.expires > now }
            state.sessions[id] = session
            return (id, session)
        }
    }

    func session(_ id: String, now: Date = Date()) -> Session? {
        state.withLock { state in
            guard let session = state.sessions[id], session.expires > now else { return nil }
            return session
        }
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
