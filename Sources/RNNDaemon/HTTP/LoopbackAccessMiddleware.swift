import Hummingbird
import RNNAPI

/// The loopback TCP listener's guard. Every request must name a loopback Host (a web page cannot reach the
/// listener through DNS rebinding). Then one of: the login page and static assets (no secrets in them); a
/// script's bearer token (`api.token_file`); a browser session of the web view, whose state-changing
/// requests must also carry the session's CSRF token and come from this origin. Every answer carries the
/// web view's security headers.
struct LoopbackAccessMiddleware: RouterMiddleware {
    typealias Context = DaemonContext
    /// The bearer token for scripts; nil when no token file is set (the listener then serves the web view only).
    let token: String?
    let sessions: WebSessions

    /// A strict Content-Security-Policy: the page's own module and stylesheet, nothing inline, nothing else.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func handle(_ request: Request, context: DaemonContext, next: (Request, DaemonContext) async throws -> Response) async throws -> Response {
        var response = try await authorize(request, context: context, next: next)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        return response
    }

    private func authorize(_ request: Request, context: DaemonContext, next: (Request, DaemonContext) async throws -> Response) async throws -> Response {
        let host = request.head.authority ?? ""
        let hostName = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }.dropFirst()) : String(host.split(separator: ":").first ?? "")
        guard ["127.0.0.1", "localhost", "::1"].contains(hostName) else {
            return JSONResponse.make(APIErrorBody(error: "Host \(host) is not a loopback name"), status: .forbidden)
        }
        let path = request.uri.path
        if WebViewController.isPublic(path) { return try await next(request, context) }
        if let token, request.headers[.authorization] == "Bearer \(token)" { return try await next(request, context) }
        if let id = request.cookies[WebSessions.cookieName]?.value, let session = sessions.session(id) {
            if ![.get, .head].contains(request.method) {
                // Cookies ride along with cross-site requests in old browsers and some navigations; a request
                // that changes something must prove it comes from a page of this origin.
                guard request.headers[.origin] == "http://\(host)" else {
                    return JSONResponse.make(APIErrorBody(error: "a state-changing request from another origin (\(request.headers[.origin] ?? "no Origin header")) is refused"), status: .forbidden)
                }
                guard let csrf = request.headers[.init("X-CSRF-Token")!], csrf == session.csrf else {
                    return JSONResponse.make(APIErrorBody(error: "the CSRF token is missing or wrong (reload the page)"), status: .forbidden)
                }
            }
            var context = context
            context.session = session
            return try await next(request, context)
        }
        if path == "/ui" || path.hasPrefix("/ui/") {
            return WebViewController.message(status: .unauthorized, title: "Log in with rnnctl ui",
                                             text: "This page needs a session: run `rnnctl ui` on the machine rnnd runs on; it prints a one-time login link.")
        }
        return JSONResponse.make(APIErrorBody(error: token == nil
            ? "this listener serves the web view only (log in with rnnctl ui); scripts need api.token_file set and its bearer token"
            : "a valid bearer token is required (Authorization: Bearer …)"), status: .unauthorized)
    }
}
