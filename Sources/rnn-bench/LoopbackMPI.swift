import ArgumentParser
import Foundation

/// Runs `command` as `ranks` MPI ranks on this machine, TCP over the loopback interface only (the transport
/// between hosts, not shared memory), and returns what the ranks printed on stdout.
enum LoopbackMPI {
    static func run(mpirun: String, ranks: Int, _ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [mpirun, "-np", "\(ranks)", "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,tcp",
                             "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"] + command
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("mpirun -np \(ranks) exited with status \(process.terminationStatus)") }
        return String(decoding: output, as: UTF8.self)
    }
}
