import ServiceLifecycle

/// Drives the sweeps: every half second each running sweep records the results of its ended runs, fills its
/// free slots and ends when nothing is left (at start-up too, so a restarted rnnd continues every sweep).
struct SweepService: Service {
    let sweeps: SweepControl

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sweeps.reconcileAll()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
    }
}
