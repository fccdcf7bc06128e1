import Hummingbird

extension Daemon {
    /// The control API's router: the same controllers and validation behind every listener. The loopback
    /// TCP listener (`loopback: true`) adds its guard (Host, bearer token or browser session, CSRF) in front,
    /// and the web view's pages.
    static func makeRouter(_ parts: DaemonParts, loopback: Bool, token: String?) -> Router<DaemonContext> {
        let router = Router(context: DaemonContext.self)
        if loopback { router.add(middleware: LoopbackAccessMiddleware(token: token, sessions: parts.sessions)) }
        router.add(middleware: ErrorMiddleware())
        let web = WebViewController(sessions: parts.sessions, listen: parts.settings.tcpListen)
        web.addAPI(to: router)
        if loopback { web.addPages(to: router) }
        SystemController(store: parts.store, hub: parts.hub, directory: parts.directory, logger: parts.logger).add(to: router)
        DatasetController(datasets: parts.datasets, maxUploadBytes: parts.settings.maxUploadBytes).add(to: router)
        RunController(store: parts.store, catalog: parts.catalog, runs: parts.runs).add(to: router)
        RunActionController(actions: parts.actions, forks: parts.forks).add(to: router)
        RunHistoryController(store: parts.store, catalog: parts.catalog, hub: parts.hub).add(to: router)
        ModelController(models: parts.models, datasets: parts.datasets, catalog: parts.catalog).add(to: router)
        SweepController(sweeps: parts.sweeps).add(to: router)
        // Added after the routes, so it wraps only what no route matched (a route's middleware is fixed
        // when the route is added; the not-found responder takes all of them).
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }
}
