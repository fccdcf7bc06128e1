import ArgumentParser
import Foundation

@main
struct RNNCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnnctl",
        abstract: "Submit, watch and compare rnnd training runs, and use their models.",
        discussion: """
            rnnctl talks to rnnd over its control socket (the same default rnnd uses; RNND_SOCKET or --socket \
            override it). Exit codes: 0 success, 1 rnnd refused the request, 2 bad arguments or files, \
            3 rnnd not reachable, 4 a watched run failed, 5 a watched run was cancelled or rnnd stopped.

            Example: rnnctl submit --data corpus.txt --set hidden_size=256 --watch
            """,
        subcommands: [Submit.self, Upload.self, Status.self, Watch.self, Cancel.self, Pause.self, Resume.self, Fork.self,
                      Runs.self, Show.self, Compare.self, Metrics.self, Plot.self,
                      Sample.self, Forecast.self, Eval.self, Export.self, Delete.self, Backup.self]
    )
}
