import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct UI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Open the web view: a one-time login link from rnnd, opened in the browser.",
        discussion: """
            The link works once, for 60 seconds; the browser keeps a session cookie. The view is served on rnnd's \
            loopback TCP listener (api.tcp_listen). From another machine: ssh -L 8470:127.0.0.1:8470 HOST, then \
            open the printed link there (--no-browser).

            Example: rnnctl ui --no-browser
            """)
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Only print the link (for ssh sessions and scripts).") var noBrowser = false

    func run() async throws {
        try await perform {
            let login = try await connection.client().webLogin()
            print(login.url)
            guard !noBrowser else { return }
            let environment = ProcessInfo.processInfo.environment
            guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil,
                  let opener = ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                printError("no graphical session here: open the link in a browser on this machine (it works once, for 60 seconds)")
                return
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opener)
            process.arguments = [login.url]
            try process.run()
        }
    }
}
