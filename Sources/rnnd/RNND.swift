import ArgumentParser
import Foundation
import RNNBuildInfo
import Logging
import RNNCore
import RNNDaemon

@main
struct RNND: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnnd",
        abstract: "Run the rnnd training daemon.",
        discussion: """
            With no arguments rnnd runs on its embedded defaults. Settings come from the config file \
            (--config, else /etc/rnnd/rnnd.toml), then RNND_* variables, then these flags \
            (--flag value or --flag=value):

            """ + DaemonSettings.flagHelp + """


            Example: rnnd --state-dir /var/lib/rnnd --socket /run/rnnd/rnnd.sock
            """,
        version: BuildInfo.describe("rnnd")
    )

    @Option(help: "The config file to read (it must exist).") var config: String?
    /// The settings flags (`DaemonSettings.keys`, listed in the discussion above), read by DaemonSettings.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        // OpenBLAS fell back to its generic kernels on a CPU it does not know (BLAS.recommendedCoreType): start again
        // with the right ones named. Never loops: the variable is set from then on.
        if getenv("OPENBLAS_CORETYPE") == nil, let core = BLAS.recommendedCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        BLAS.setThreads(1)
        do {
            let settings = try DaemonSettings.resolve(flags: try DaemonSettings.flags(from: settingFlags), configFile: config, environment: ProcessInfo.processInfo.environment,
                                                      uid: getuid(), cores: ProcessInfo.processInfo.activeProcessorCount)
            var logger = Logger(label: "rnnd")
            logger.logLevel = Logger.Level(rawValue: settings.logLevel.rawValue) ?? .info
            try await Daemon.run(settings: settings, logger: logger)
        } catch let error as DaemonError {
            FileHandle.standardError.write(Data("rnnd: \(error.message)\n".utf8))
            throw ExitCode(error.code == .locked ? 3 : 2)
        }
    }
}
