import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

func printErrorInline(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

/// rnnctl's exit codes (docs/rnnctl.md, "Exit codes").
enum Exit {
    static let ok: Int32 = 0
    /// rnnd refused the request (its message is printed).
    static let apiError: Int32 = 1
    /// Bad arguments or local files.
    static let usage: Int32 = 2
    /// Nothing answered where rnnd should be.
    static let unreachable: Int32 = 3
    /// A watched run ended failed.
    static let runFailed: Int32 = 4
    /// A watched run ended cancelled, or rnnd stopped while watching.
    static let runStopped: Int32 = 5
}

enum CLIError: Error, Equatable {
    case usage(String)
}

/// Runs a command body, turning errors into one line on stderr and a documented exit code.
func perform(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        switch error {
        case .unreachable(let location, let reason):
            printError("rnnctl: nothing answers at \(location) (\(reason)). Is the service running? Try: systemctl status rnnd — or start rnnd, or pass --socket")
            throw ExitCode(Exit.unreachable)
        case .api(let status, let body):
            printError("rnnctl: " + body.text + " (HTTP \(status))")
            throw ExitCode(Exit.apiError)
        case .badResponse(let why):
            printError("rnnctl: \(why)")
            throw ExitCode(Exit.apiError)
        case .localFile(let why):
            printError("rnnctl: \(why)")
            throw ExitCode(Exit.usage)
        }
    } catch CLIError.usage(let message) {
        printError("rnnctl: \(message)")
        throw ExitCode(Exit.usage)
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `key=value` overrides, typed the way rnnd reads them.
func parseAssignments(_ items: [String]) throws -> [String: APIValue] {
    var out: [String: APIValue] = [:]
    for item in items {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex else { throw CLIError.usage("--set \(item): expected key=value") }
        out[String(item[..<eq])] = APIValue.parse(String(item[item.index(after: eq)...]))
    }
    return out
}

extension CommandConfiguration {
    /// A command's configuration: its abstract (one imperative sentence) and the example every command's
    /// help ends with.
    static func command(_ abstract: String, example: String) -> CommandConfiguration {
        CommandConfiguration(abstract: abstract, discussion: "Example: \(example)")
    }
}
