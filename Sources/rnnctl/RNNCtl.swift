import ArgumentParser
import Foundation
import RNNBuildInfo

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
        version: BuildInfo.describe("rnnctl"),
        subcommands: [Submit.self, Upload.self, Status.self, Watch.self, Cancel.self, Pause.self, Resume.self, Fork.self,
                      Tag.self, Rename.self, Note.self, Runs.self, Show.self, Compare.self, Metrics.self, Plot.self, Datasets.self, Sweep.self, UI.self,
                      Sample.self, Forecast.self, Eval.self, Predict.self, Export.self, Delete.self, Backup.self]
    )

    /// Parses and runs the command. Two conventions on top of ArgumentParser's: connection options may come
    /// before the subcommand (`rnnctl --socket PATH status`), and a usage error exits 2, as docs/rnnctl.md's exit
    /// codes say (ArgumentParser's own is 64).
    static func main() async {
        do {
            var command = try parseAsRoot(connectionOptionsAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(Exit.usage)
            }
            exit(withError: error)
        }
    }

    /// `--socket PATH`, `--url URL` and `--token-file FILE` given before the subcommand, moved after it.
    static func connectionOptionsAfterSubcommand(_ arguments: [String]) -> [String] {
        var leading: [String] = [], rest = arguments[...]
        while let first = rest.first, ["--socket", "--url", "--token-file"].contains(where: { first == $0 || first.hasPrefix($0 + "=") }) {
            leading.append(rest.removeFirst())
            if !first.contains("="), let value = rest.first {
                leading.append(value)
                rest.removeFirst()
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first else { return arguments }
        return [subcommand] + leading + rest.dropFirst()
    }
}
