import Hummingbird

extension Daemon {
    /// The control API's router: the same controllers and validation behind every listener; the loopback
    /// TCP listener adds its token and Host check in front.
    static func makeRouter(control: RunControl, settings: DaemonSettings, token: String?) -> Router<DaemonContext> {
        let router = Router(context: DaemonContext.self)
        if let token { router.add(middleware: LoopbackTokenMiddleware(token: token)) }
        router.add(middleware: ErrorMiddleware())
        SystemController(control: control).add(to: router)
        DatasetController(control: control, settings: settings).add(to: router)
        RunController(control: control).add(to: router)
        RunActionController(control: control).add(to: router)
        RunHistoryController(control: control).add(to: router)
        ModelController(control: control).add(to: router)
        // Added after the routes, so it wraps only what no route matched (a route's middleware is fixed
        // when the route is added; the not-found responder takes all of them).
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }
}
