import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration.command("Set a run's note (shown by show, searchable with --filter 'note ~ WORD'); an empty TEXT removes it.",
        example: "rnnctl note 12 \"lr too high after step 3000; see run 14\"")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "The run id.") var run: RecordID
    @Argument(help: "The note (replaces the run's note; \"\" removes it), or - to read it from standard input.") var text: String

    func run() async throws {
        try await perform {
            var note = text
            if text == "-" {
                note = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                while note.last?.isNewline == true { note.removeLast() }
            }
            let edited = try await connection.client().edit(run.value, EditRequest(note: note))
            if output.json { try Terminal.printJSON(edited) } else {
                print("run \(edited.id): " + (edited.note == nil ? "note removed" : "note saved"))
            }
        }
    }
}
