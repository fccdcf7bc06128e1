import RNNTraining

extension MemoryEstimate {
    /// Refuses a run whose estimate exceeds `scheduler.memory_budget_mb`, naming the keys to lower.
    func check(budgetMB: Int) throws {
        guard mebibytes <= budgetMB else {
            throw APIFailure.badRequest(
                "the model needs about \(mebibytes) MiB (\(parameters) parameters with optimizer state, and activations for its workers), more than the memory budget of \(budgetMB) MiB (scheduler.memory_budget_mb); lower hidden_size, layers, seq_len, batch_size or workers",
                field: "hidden_size")
        }
    }
}
