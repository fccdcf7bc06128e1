import ServiceLifecycle

/// systemd's watchdog: WATCHDOG=1 every `interval` (half of WATCHDOG_USEC) from a task training never
/// blocks. The first service, so the last to stop: it pings while the runs stop at their step boundary.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            notifier.watchdog()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
