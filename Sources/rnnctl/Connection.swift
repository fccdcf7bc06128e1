import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

/// How rnnctl reaches rnnd: the socket rnnd chooses by default (`RNND_SOCKET`, `--socket`), or a loopback
/// URL with a token file.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "rnnd's control socket (default: $RNND_SOCKET, else rnnd's default).") var socket: String?
    @Option(help: "A loopback URL of rnnd's TCP listener, e.g. http://127.0.0.1:8470 (needs --token-file).") var url: String?
    @Option(help: "The file with the TCP listener's bearer token.") var tokenFile: String?

    func validate() throws {
        if url != nil && tokenFile == nil { throw ValidationError("--url needs --token-file") }
        if url != nil && socket != nil { throw ValidationError("give --socket or --url, not both") }
    }

    func client() throws -> RNNClient {
        if let url, let tokenFile {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw CLIError.usage("cannot read the token file \(tokenFile)")
            }
            return RNNClient(endpoint: .tcp(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url,
                                            token: token.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let environment = ProcessInfo.processInfo.environment
        let path = socket ?? environment[APIDefaults.socketVariable] ?? APIDefaults.socketPath(environment: environment, uid: getuid())
        return RNNClient(endpoint: .unixSocket(path: path))
    }
}

/// rnnctl's exit codes (README, "Exit codes").
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

enum CLIError: Error {
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
            printError("rnnctl: " + (body.field.map { "\($0): " } ?? "") + body.error + " (HTTP \(status))")
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

func parseRunID(_ text: String) throws -> Int64 {
    guard let id = Int64(text), id > 0 else { throw CLIError.usage("\"\(text)\" is not a run id") }
    return id
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
