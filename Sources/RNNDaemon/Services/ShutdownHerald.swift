import ServiceLifecycle

/// Runs `action` when the graceful shutdown begins (it is the last service, so the first to stop).
struct ShutdownHerald: Service {
    let action: @Sendable () -> Void
    func run() async throws {
        try? await gracefulShutdown()
        action()
    }
}
