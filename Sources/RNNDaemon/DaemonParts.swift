import Logging
import RNNStore

/// Everything the routes and the services share, wired once: the store, the scheduler, and one small
/// service per intent, each called by its controller. No I/O happens here; `Daemon.build` opens the store
/// and the socket, tests hand in an in-memory store.
struct DaemonParts: Sendable {
    // What everything stands on.
    let settings: DaemonSettings, directory: StateDirectory, store: Store, logger: Logger
    // Training and its reports.
    let hub: EventHub, metrics: MetricWriter, scheduler: Scheduler
    // The services the controllers call.
    let catalog: RunCatalog, datasets: DatasetService, runs: RunService, actions: RunActions, forks: ForkService, models: ModelService
    let sweeps: SweepControl, sessions: WebSessions

    init(settings: DaemonSettings, store: Store, notifier: SystemdNotifier, logger: Logger, hooks: RunJobHooks = .none) {
        self.settings = settings
        self.store = store
        self.logger = logger
        directory = StateDirectory(store.stateDirectory)
        hub = EventHub()
        metrics = MetricWriter(store: store)
        scheduler = Scheduler(store: store, directory: directory, metrics: metrics, hub: hub, settings: settings, notifier: notifier,
                              logger: logger, hooks: hooks)
        catalog = RunCatalog(store: store, hub: hub)
        datasets = DatasetService(store: store, directory: directory, maxUploadBytes: settings.maxUploadBytes, logger: logger)
        runs = RunService(store: store, catalog: catalog, datasets: datasets, scheduler: scheduler, directory: directory,
                          settings: settings, logger: logger)
        actions = RunActions(store: store, catalog: catalog, scheduler: scheduler, hub: hub)
        models = ModelService(store: store, catalog: catalog, directory: directory)
        forks = ForkService(store: store, catalog: catalog, models: models, scheduler: scheduler, directory: directory, logger: logger)
        sweeps = SweepControl(store: store, datasets: datasets, runs: runs, forks: forks, actions: actions, logger: logger)
        sessions = WebSessions()
    }
}
