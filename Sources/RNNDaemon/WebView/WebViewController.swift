import Foundation
import Hummingbird
import NIOCore
import RNNAPI

/// The web view: page shells (the data comes from the JSON API, fetched by the page's own module and
/// inserted as text, never as HTML), its assets, the login that swaps a one-time token for a session, and
/// the token route that `rnnctl ui` calls over the Unix socket.
struct WebViewController {
    let sessions: WebSessions
    /// The loopback listener's address (`api.tcp_listen`), nil when the listener is off.
    let listen: String?

    /// The pages: on the loopback listener only (a browser cannot open the Unix socket).
    func addPages(to router: Router<DaemonContext>) {
        router.get("/ui/login", use: login)
        router.get("/ui/", use: { request, context in page("runs", context: context) })
        router.get("/ui/runs/:id", use: { request, context in page("run", run: try context.runID(), context: context) })
        router.get("/ui/compare", use: { request, context in page("compare", context: context) })
        router.get("/ui/sweeps", use: { request, context in page("sweeps", context: context) })
        router.get("/ui/sweeps/:id", use: { request, context in page("sweep", run: try context.sweepID(), context: context) })
        router.get("/ui/assets/:name", use: { _, context in try Self.asset(try context.parameters.require("name")) })
        router.get("/favicon.ico", use: { _, _ in try Self.asset("favicon.ico") })
    }

    /// What the guard lets through without a session: the login (its token is the credential) and assets.
    static func isPublic(_ path: String) -> Bool {
        path == "/ui/login" || path == "/favicon.ico" || path.hasPrefix("/ui/assets/")
    }

    @Sendable func mintToken(_ request: Request, context: DaemonContext) async throws -> Response {
        guard context.channel.localAddress?.protocol == .unix else {
            throw APIFailure(.forbidden, "login links are given over the Unix socket only (rnnctl ui)")
        }
        guard let listen else {
            throw APIFailure.conflict("the web view is served on rnnd's loopback TCP listener, which is off: start rnnd with --tcp-listen 127.0.0.1:8470 (or api.tcp_listen in its config file)")
        }
        let token = sessions.mintToken(uid: await context.peerUID())
        let host = listen.hasPrefix("localhost:") ? "127.0.0.1" + listen.dropFirst("localhost".count) : listen
        return JSONResponse.make(WebLogin(url: "http://\(host)/ui/login?t=\(token)", expiresAt: Date().timeIntervalSince1970 + WebSessions.tokenLifetime),
                                 status: .created)
    }

    /// Swaps the one-time token for a session cookie, and redirects so the token leaves the address bar.
    @Sendable func login(_ request: Request, context: DaemonContext) async throws -> Response {
        guard let token = try request.formQuery().get("t"), let (id, _) = sessions.redeem(token) else {
            return Self.message(status: .forbidden, title: "This login link is no longer valid",
                                text: "Login links work once and for \(Int(WebSessions.tokenLifetime)) seconds. Run `rnnctl ui` again for a new one.")
        }
        return Response(status: .seeOther, headers: [
            .location: "/ui/",
            .setCookie: "\(WebSessions.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(WebSessions.sessionLifetime))",
            .cacheControl: "no-store",
        ])
    }

    /// A page shell: the module reads the page kind, the run (or sweep) id and the CSRF token from it.
    func page(_ kind: String, run: Int64? = nil, context: DaemonContext) -> Response {
        let csrf = context.session?.csrf ?? ""
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(csrf)">
            <title>rnnd</title>
            <link rel="icon" href="/favicon.ico">
            <link rel="stylesheet" href="/ui/assets/app.css">
            <script type="module" src="/ui/assets/app.js"></script>
            </head>
            <body data-page="\(kind)"\(run.map { " data-run=\"\($0)\"" } ?? "")>
            <header><a class="brand" href="/ui/">rnnd</a><nav><a href="/ui/">Runs</a> <a href="/ui/sweeps">Sweeps</a></nav></header>
            <main id="main"><noscript>The web view needs JavaScript.</noscript></main>
            </body>
            </html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A small page with a message (errors of the login, a missing session). The texts are rnnd's own.
    static func message(status: HTTPResponse.Status, title: String, text: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>rnnd: \(title)</title><link rel="stylesheet" href="/ui/assets/app.css"></head>
            <body><header><span class="brand">rnnd</span></header><main><h1>\(title)</h1><p>\(text)</p></main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Every file the pages load, compiled in (`assets/`), with its content type: one table, one route. The
    /// JavaScript is native ES modules: `app.js` imports the page modules, which import the shared ones.
    static let assets: [String: (bytes: [UInt8], type: String)] = {
        let javaScript = "text/javascript; charset=utf-8"
        return [
            "api.js": (PackageResources.api_js, javaScript),
            "app.js": (PackageResources.app_js, javaScript),
            "chart.js": (PackageResources.chart_js, javaScript),
            "compare.js": (PackageResources.compare_js, javaScript),
            "dom.js": (PackageResources.dom_js, javaScript),
            "parallel.js": (PackageResources.parallel_js, javaScript),
            "run-charts.js": (PackageResources.run_charts_js, javaScript),
            "run-forms.js": (PackageResources.run_forms_js, javaScript),
            "run-header.js": (PackageResources.run_header_js, javaScript),
            "run-tables.js": (PackageResources.run_tables_js, javaScript),
            "run.js": (PackageResources.run_js, javaScript),
            "runs.js": (PackageResources.runs_js, javaScript),
            "sweeps.js": (PackageResources.sweeps_js, javaScript),
            "timeaxis.js": (PackageResources.timeaxis_js, javaScript),
            "app.css": (PackageResources.app_css, "text/css; charset=utf-8"),
            "favicon.ico": (PackageResources.favicon_ico, "image/x-icon"),
        ]
    }()

    static func asset(_ name: String) throws -> Response {
        guard let asset = assets[name] else { throw APIFailure.notFound("no asset \(name)") }
        return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "no-cache"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
