import ArgumentParser
import Foundation
import RNNMPI

/// The multi-host gradient sum (`MPIHostGroup.sumInRankOrder`: MPI_Alltoallv, a sum in rank order,
/// MPI_Allgatherv) against MPI_Allreduce, over loopback TCP, and a check that its result is bitwise the
/// serial sum in rank order. Launches mpirun itself for each rank count; `--rank` is the mode mpirun runs.
struct AllreduceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time rnnd's reproducible multi-host gradient sum against MPI_Allreduce (exit 1 if a sum is not bitwise the serial one).",
        discussion: """
            Runs `mpirun -np R` for each --ranks value (TCP over the loopback interface only, --oversubscribe), \
            each rank summing buffers of each --sizes MB: medians of --rounds calls, and the ratio to \
            MPI_Allreduce (goal ≤ 1.25). Needs Open MPI (openmpi-bin); as root it sets OMPI_ALLOW_RUN_AS_ROOT.

            Example: rnn-bench allreduce --ranks 2 --ranks 3 --sizes 1 --sizes 16 --json
            """
    )
    @Option(help: "Rank counts (repeatable).") var ranks: [Int] = [2, 3]
    @Option(help: "Buffer sizes in MB (repeatable).") var sizes: [Int] = [1, 4, 16, 64]
    @Option(help: "Timed calls per size and method.") var rounds = 9
    @Option(help: "The mpirun to use.") var mpirun = "mpirun"
    @Flag(help: "Print one JSON object per line.") var json = false
    @Flag(help: .hidden) var rank = false

    struct Row: Codable {
        var ranks, megabytes: Int
        var oursMs, allreduceMs, ratio: Double
        var bitwiseSerial: Bool
    }

    func run() async throws {
        if rank { return try runAsRank() }
        var failed = false
        if !json { print("ranks  MB   ours ms   MPI_Allreduce ms   ours/allreduce   bitwise = serial sum") }
        for r in ranks {
            let output = try LoopbackMPI.run(mpirun: mpirun, ranks: r, [CommandLine.arguments[0], "allreduce", "--rank", "--rounds", "\(rounds)"]
                                             + sizes.flatMap { ["--sizes", "\($0)"] })
            for line in output.split(separator: "\n") {
                guard let row = try? JSONDecoder().decode(Row.self, from: Data(line.utf8)) else { continue }
                failed = failed || !row.bitwiseSerial
                if json {
                    print(String(decoding: try JSONEncoder().encode(row), as: UTF8.self))
                } else {
                    print(String(format: "%5d %3d %9.2f %18.2f %16.2f   %@", row.ranks, row.megabytes, row.oursMs, row.allreduceMs,
                                 row.ratio, row.bitwiseSerial ? "yes" : "NO"))
                }
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// One rank: for each size, check the sum against the serial sum, then time both methods.
    func runAsRank() throws {
        let hosts = try MPIHostGroup(timeout: 600)
        defer { hosts.finish() }
        for megabytes in sizes {
            let count = megabytes << 18  // floats
            // Every rank can compute every rank's input, so each checks the whole result itself.
            func input(_ r: Int) -> [Float] {
                var state = UInt64(r + 1) &* 0x9E37_79B9_7F4A_7C15
                return (0..<count).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max) * 3
                }
            }
            var serial = input(0)
            for r in 1..<hosts.count {
                let x = input(r)
                for i in 0..<count { serial[i] += x[i] }
            }
            let mine = input(hosts.rank)
            var buffer = mine
            try buffer.withUnsafeMutableBufferPointer { try hosts.sumInRankOrder($0.baseAddress!, count: count) }
            let equal = buffer.withUnsafeBytes { a in serial.withUnsafeBytes { b in a.elementsEqual(b) } }
            let equalEverywhere = try hosts.gather([equal ? 1.0 : 0.0]).allSatisfy { $0 == [1] }
            func median(_ body: (UnsafeMutablePointer<Float>) throws -> Void) throws -> Double {
                var times: [Double] = []
                for _ in 0..<rounds {
                    buffer = mine
                    try hosts.barrier()
                    let start = DispatchTime.now().uptimeNanoseconds
                    try buffer.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                // Rank 0's figure is the slowest rank's: a collective ends when its last rank does.
                let all = try hosts.gather(times)
                return (0..<rounds).map { i in all.map { $0[i] }.max()! }.sorted()[rounds / 2]
            }
            let ours = try median { try hosts.sumInRankOrder($0, count: count) }
            let reference = try median { try hosts.mpiAllreduce($0, count: count) }
            if hosts.rank == 0 {
                let row = Row(ranks: hosts.count, megabytes: megabytes, oursMs: ours, allreduceMs: reference, ratio: ours / reference,
                              bitwiseSerial: equalEverywhere)
                FileHandle.standardOutput.write(try JSONEncoder().encode(row) + Data("\n".utf8))
            }
        }
    }
}
