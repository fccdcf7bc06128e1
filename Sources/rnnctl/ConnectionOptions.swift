import ArgumentParser
import Foundation
import RNNAPI
import RNNClient
import RNNSupport

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
                throw CLIError.usage("the token file: " + FileProblem.cannotRead(tokenFile))
            }
            return RNNClient(endpoint: .tcp(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url,
                                            token: token.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let environment = ProcessInfo.processInfo.environment
        // An empty RNND_SOCKET is unset (`RNND_SOCKET= rnnctl …`), not a socket named "".
        let variable = environment[APIDefaults.socketVariable].flatMap { $0.isEmpty ? nil : $0 }
        let path = socket ?? variable ?? APIDefaults.socketPath(environment: environment, uid: getuid())
        return RNNClient(endpoint: .unixSocket(path: path))
    }
}
