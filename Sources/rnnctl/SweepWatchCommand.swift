import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct SweepWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a sweep's decisions (trials started, results, promotions, stops) until it ends.",
        discussion: "Exit status: 0 completed, 4 failed, 5 cancelled. Example: rnnctl sweep watch 3")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The sweep id.") var sweep: RecordID
    @Flag(help: "One JSON object per event.") var json = false

    func run() async throws {
        try await perform { try await Self.follow(try connection.client(), sweep.value, json: json) }
    }

    static func follow(_ client: RNNClient, _ id: Int64, json: Bool) async throws {
        var seen = 0
        while true {
            let detail = try await client.sweep(id)
            for event in detail.events.dropFirst(seen) {
                if json { try Terminal.printJSON(event, pretty: false) } else { print("\(Format.time(event.at))  \(event.message)") }
            }
            seen = detail.events.count
            fflush(nil)
            if detail.sweep.state != .running {
                if !json { SweepStatus.report(detail) }
                switch detail.sweep.state {
                case .completed: return
                case .failed: throw ExitCode(Exit.runFailed)
                default: throw ExitCode(Exit.runStopped)
                }
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
