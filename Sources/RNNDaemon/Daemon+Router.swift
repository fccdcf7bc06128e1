import Hummingbird

extension Daemon {
    /// The control API's router: the same controllers and validation behind every listener. The loopback
    /// TCP listener (`loopback: true`) adds its guard (Host, bearer token or browser session, CSRF) in front,
    /// and the web view's pages.
    static func makeRouter(control: RunControl, sweeps: SweepControl, settings: DaemonSettings, sessions: WebSessions, loopback: Bool,
                           token: String?) -> Router<DaemonContext> {
        let router = Router(context: DaemonContext.self)
        if loopback { router.add(middleware: LoopbackAccessMiddleware(token: token, sessions: sessions)) }
        router.add(middleware: ErrorMiddleware())
        let web = WebViewController(sessions: sessions, listen: settings.tcpListen)
        web.addAPI(to: router)
        if loopback { web.addPages(to: router) }
        SystemController(control: control).add(to: router)
        DatasetController(control: control, settings: settings).add(to: router)
        RunController(control: control).add(to: router)
        RunActionController(control: control).add(to: router)
        RunHistoryController(control: control).add(to: router)
        ModelController(control: control).add(to: router)
        SweepController(sweeps: sweeps).add(to: router)
        // Added after the routes, so it wraps only what no route matched (a route's middleware is fixed
        // when the route is added; the not-found responder takes all of them).
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }
}
