import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Tag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add or remove a run's tags: +TAG adds, -TAG removes (a TAG without a sign adds).",
        discussion: "The run's events record the change and who made it. Example: rnnctl tag 12 +best -baseline")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The run id.") var run: RecordID
    // Unconditional: "-old" is a tag to remove, not an option.
    @Argument(parsing: .allUnrecognized, help: "+TAG to add, -TAG to remove.") var changes: [String] = []

    func validate() throws {
        if changes.isEmpty { throw ValidationError("give at least one +TAG or -TAG") }
        if let bare = changes.first(where: { $0 == "+" || $0 == "-" }) { throw ValidationError("\"\(bare)\" names no tag") }
    }

    func run() async throws {
        try await perform {
            var add: [String] = [], remove: [String] = []
            for change in changes {
                if change.hasPrefix("-") { remove.append(String(change.dropFirst())) }
                else { add.append(change.hasPrefix("+") ? String(change.dropFirst()) : change) }
            }
            let edited = try await connection.client().edit(run.value, EditRequest(addTags: add.isEmpty ? nil : add,
                                                                                            removeTags: remove.isEmpty ? nil : remove))
            if output.json { try Terminal.printJSON(edited) } else {
                print("run \(edited.id): tags " + (edited.tags.isEmpty ? "(none)" : edited.tags.joined(separator: ", ")))
            }
        }
    }
}
