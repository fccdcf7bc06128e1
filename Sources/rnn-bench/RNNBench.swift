import ArgumentParser

@main
struct RNNBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-bench",
        abstract: "Measure rnnd's training speed on this machine.",
        discussion: """
            Compare with PyTorch side by side in one session (the machine is shared; only ratios measured \
            close together mean much): ../shared/reference/torch_lstm_bench.py times the same configurations.
            """,
        subcommands: [CoreBenchmark.self, StoreBenchmark.self, APIBenchmark.self, ChaosBenchmark.self, RaceBenchmark.self, SoakBenchmark.self, LoadBenchmark.self, AllreduceBenchmark.self, MultiHostBenchmark.self, WebViewBenchmark.self]
    )
}

extension CommandConfiguration {
    /// A benchmark's configuration: its name, abstract and example.
    static func benchmark(_ name: String, _ abstract: String, example: String) -> CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: abstract, discussion: "Example: \(example)")
    }
}
