import Hummingbird

extension Daemon {
    /// The control API's router: every route in one table (as openapi.yaml lists them), the same controllers
    /// and validation behind every listener. The loopback TCP listener (`loopback: true`) adds its guard (Host,
    /// bearer token or browser session, CSRF) in front, and the web view's pages.
    static func makeRouter(_ parts: DaemonParts, loopback: Bool, token: String?) -> Router<DaemonContext> {
        let router = Router(context: DaemonContext.self)
        if loopback { router.add(middleware: LoopbackAccessMiddleware(token: token, sessions: parts.sessions)) }
        router.add(middleware: ErrorMiddleware())
        let system = SystemController(store: parts.store, hub: parts.hub, directory: parts.directory, logger: parts.logger)
        let datasets = DatasetController(datasets: parts.datasets, maxUploadBytes: parts.settings.maxUploadBytes)
        let runs = RunController(store: parts.store, catalog: parts.catalog, runs: parts.runs)
        let actions = RunActionController(actions: parts.actions, forks: parts.forks)
        let history = RunHistoryController(store: parts.store, catalog: parts.catalog, hub: parts.hub)
        let models = ModelController(models: parts.models, datasets: parts.datasets, catalog: parts.catalog)
        let sweeps = SweepController(sweeps: parts.sweeps)
        let web = WebViewController(sessions: parts.sessions, listen: parts.settings.tcpListen)

        router.get("/healthz", use: system.health)
        router.get("/openapi.yaml", use: system.document)
        router.get("/metrics", use: system.metrics)
        router.get("/v1/backup", use: system.backup)

        router.post("/v1/datasets", use: datasets.upload)
        router.get("/v1/datasets", use: datasets.list)
        router.get("/v1/datasets/:sha256", use: datasets.get)
        router.delete("/v1/datasets/:sha256", use: datasets.delete)

        router.post("/v1/runs", use: runs.submit)
        router.get("/v1/runs", use: runs.list)
        router.get("/v1/runs/:id", use: runs.get)
        router.patch("/v1/runs/:id", use: runs.edit)
        router.delete("/v1/runs/:id", use: runs.delete)
        router.get("/v1/compare", use: runs.compare)

        router.post("/v1/runs/:id/cancel", use: actions.cancel)
        router.post("/v1/runs/:id/pause", use: actions.pause)
        router.post("/v1/runs/:id/resume", use: actions.resume)
        router.post("/v1/runs/:id/fork", use: actions.fork)

        router.get("/v1/runs/:id/metrics/:name", use: history.series)
        router.get("/v1/runs/:id/checkpoints", use: history.checkpoints)
        router.get("/v1/runs/:id/events", use: history.events)
        router.get("/v1/runs/:id/stream", use: history.stream)

        router.get("/v1/runs/:id/export", use: models.export)
        router.post("/v1/runs/:id/sample", use: models.sample)
        router.post("/v1/runs/:id/forecast", use: models.forecast)
        router.post("/v1/runs/:id/evaluate", use: models.evaluate)
        router.post("/v1/runs/:id/predict", use: models.predict)

        router.post("/v1/sweeps", use: sweeps.submit)
        router.get("/v1/sweeps", use: sweeps.list)
        router.get("/v1/sweeps/:id", use: sweeps.get)
        router.post("/v1/sweeps/:id/cancel", use: sweeps.cancel)

        router.post("/v1/ui/tokens", use: web.mintToken)
        if loopback { web.addPages(to: router) }
        // Added after the routes, so it wraps only what no route matched (a route's middleware is fixed
        // when the route is added; the not-found responder takes all of them).
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }
}
