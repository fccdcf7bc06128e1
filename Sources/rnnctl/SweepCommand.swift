import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hyperparameter sweeps: grid, random and ASHA over a search space; each trial is a run.",
        discussion: """
            Example: rnnctl sweep submit --data corpus.txt --space 'lr=loguniform(1e-4, 1e-2)' --space 'hidden_size=[64, 128]' \
            --method asha --trials 12 --min-steps 100 --max-steps 900 --watch
            """,
        subcommands: [SweepSubmit.self, SweepStatus.self, SweepWatch.self, SweepCancel.self, SweepBest.self])
}
