import CMPI
import Dispatch
import Foundation
import RNNTraining
import Synchronization

/// The hosts of a multi-host run over Open MPI: one rank per host, MPI called from one thread only
/// (MPI_THREAD_FUNNELED), every collective watched by `CollectiveWatchdog`.
///
/// The gradient sum is not MPI_Allreduce: its summation order depends on the algorithm Open MPI picks (and
/// so do its bits). Instead each rank sends chunk j of its buffer to rank j (MPI_Alltoallv), rank j adds the
/// chunks it received in rank order, and MPI_Allgatherv hands every rank every summed chunk: the bytes on the
/// wire of a ring all-reduce, and a sum whose order is fixed.
public final class MPIHostGroup: HostGroup {
    public let rank: Int
    public let count: Int
    public private(set) var communicationSeconds = 0.0
    let watchdog: CollectiveWatchdog
    private var scratch: [Float] = []

    /// Initialises MPI (once per process) and starts the watchdog: a collective that does not complete
    /// within `timeout` seconds ends the process with `CollectiveWatchdog.exitCode`.
    public init(timeout: Double) throws {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, rn_thread_funneled(), &provided) == MPI_SUCCESS else {
            throw MPIError("MPI_Init_thread failed")
        }
        guard provided >= rn_thread_funneled() else { throw MPIError("Open MPI does not provide MPI_THREAD_FUNNELED") }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(rn_comm_world(), &rank)
        MPI_Comm_size(rn_comm_world(), &size)
        self.rank = Int(rank)
        self.count = Int(size)
        watchdog = CollectiveWatchdog(timeout: timeout, rank: Int(rank))
    }

    /// Ends MPI (after the last collective).
    public func finish() {
        watchdog.stop()
        MPI_Finalize()
    }

    /// The chunks of a `count`-float buffer, one per rank (aligned like the in-process replicas' chunks).
    public static func chunks(count: Int, ranks: Int) -> [Range<Int>] {
        let units = (count + 15) / 16
        return (0..<ranks).map { p in min(count, units * p / ranks * 16)..<min(count, units * (p + 1) / ranks * 16) }
    }

    public func sumInRankOrder(_ buffer: UnsafeMutablePointer<Float>, count n: Int) throws {
        guard count > 1 else { return }
        let chunks = Self.chunks(count: n, ranks: count), mine = chunks[rank]
        // Send chunk j to rank j; receive my chunk of every rank, rank after rank.
        let sendCounts = chunks.map { Int32($0.count) }, sendOffsets = chunks.map { Int32($0.lowerBound) }
        let receiveCounts = [Int32](repeating: Int32(mine.count), count: count)
        let receiveOffsets = (0..<count).map { Int32($0 * mine.count) }
        if scratch.count < count * mine.count { scratch = [Float](repeating: 0, count: count * mine.count) }
        try collective("MPI_Alltoallv") {
            scratch.withUnsafeMutableBufferPointer { received in
                MPI_Alltoallv(buffer, sendCounts, sendOffsets, rn_float(), received.baseAddress, receiveCounts, receiveOffsets,
                              rn_float(), rn_comm_world())
            }
        }
        // The sum in rank order, as the in-process reduce-scatter adds replicas: s = x₀; s += x₁; …
        scratch.withUnsafeBufferPointer { received in
            let dst = buffer + mine.lowerBound
            dst.update(from: received.baseAddress!, count: mine.count)
            for r in 1..<count {
                let src = received.baseAddress! + r * mine.count
                for i in 0..<mine.count { dst[i] += src[i] }
            }
        }
        try collective("MPI_Allgatherv") {
            MPI_Allgatherv(rn_in_place(), 0, rn_float(), buffer, sendCounts, sendOffsets, rn_float(), rn_comm_world())
        }
    }

    public func gather(_ values: [Double]) throws -> [[Double]] { try gatherBytes(values) }
    public func gather(_ values: [Float]) throws -> [[Float]] { try gatherBytes(values) }

    /// Every rank's array (of any length), in rank order.
    private func gatherBytes<T: BitwiseCopyable>(_ values: [T]) throws -> [[T]] {
        var counts = [Int64](repeating: 0, count: count)
        var mine = Int64(values.count * MemoryLayout<T>.stride)
        try collective("MPI_Allgather") { MPI_Allgather(&mine, 1, rn_int64(), &counts, 1, rn_int64(), rn_comm_world()) }
        let byteCounts = counts.map { Int32($0) }
        var offsets: [Int32] = [], total: Int32 = 0
        for c in byteCounts { offsets.append(total); total += c }
        var out = [UInt8](repeating: 0, count: Int(total))
        try collective("MPI_Allgatherv") {
            values.withUnsafeBytes { send in
                out.withUnsafeMutableBytes { receive in
                    MPI_Allgatherv(send.baseAddress, Int32(send.count), rn_byte(), receive.baseAddress, byteCounts, offsets,
                                   rn_byte(), rn_comm_world())
                }
            }
        }
        return (0..<count).map { r in
            out.withUnsafeBytes { raw in
                let start = Int(offsets[r]), length = Int(byteCounts[r]) / MemoryLayout<T>.stride
                return (0..<length).map { raw.loadUnaligned(fromByteOffset: start + $0 * MemoryLayout<T>.stride, as: T.self) }
            }
        }
    }

    public func broadcast(_ values: [Double]) throws -> [Double] {
        var out = values
        var n = Int64(values.count)
        try collective("MPI_Bcast") { MPI_Bcast(&n, 1, rn_int64(), 0, rn_comm_world()) }
        if rank != 0 { out = [Double](repeating: 0, count: Int(n)) }
        try collective("MPI_Bcast") { out.withUnsafeMutableBufferPointer { MPI_Bcast($0.baseAddress, Int32(n), rn_double(), 0, rn_comm_world()) } }
        return out
    }

    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        var out = bytes
        var n = Int64(bytes.count)
        try collective("MPI_Bcast") { MPI_Bcast(&n, 1, rn_int64(), 0, rn_comm_world()) }
        if rank != 0 { out = [UInt8](repeating: 0, count: Int(n)) }
        // MPI counts are 32-bit: large datasets go in pieces.
        let piece = 1 << 30
        try out.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let length = min(piece, raw.count - offset)
                try collective("MPI_Bcast") { MPI_Bcast(raw.baseAddress! + offset, Int32(length), rn_byte(), 0, rn_comm_world()) }
                offset += length
            }
        }
        return out
    }

    /// Runs one MPI call under the watchdog and counts its time.
    fileprivate func collective(_ name: String, _ call: () -> Int32) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        watchdog.enter(name)
        let status = call()
        watchdog.leave()
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == MPI_SUCCESS else { throw MPIError("\(name) failed with MPI error \(status)") }
    }
}

public struct MPIError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Ends the process when a collective does not complete in time. A network partition makes MPI wait
/// forever (and a rank cut off from the others spins at 100% even after mpirun is killed); this watchdog is
/// how such a rank goes away on its own.
public final class CollectiveWatchdog: Sendable {
    /// The exit status of a rank whose collective timed out (EX_TEMPFAIL: try again; rnnd requeues the run).
    public static let exitCode: Int32 = 75
    private let since = Atomic<UInt64>(0)
    private let name = Mutex<String>("")
    private let running = Atomic<Bool>(true)

    init(timeout: Double, rank: Int) {
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: min(0.5, timeout / 4))
                let started = since.load(ordering: .relaxed)
                guard started != 0 else { continue }
                let waited = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                if waited > timeout {
                    let call = name.withLock { $0 }
                    let message = "rnnd-worker rank \(rank): \(call) did not complete within \(timeout) s (rank_timeout): a host or the network is gone\n"
                    FileHandle.standardError.write(Data(message.utf8))
                    _exit(Self.exitCode)
                }
            }
        }
        thread.name = "rnnd-worker-watchdog"
        thread.start()
    }

    func enter(_ call: String) {
        name.withLock { $0 = call }
        since.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    func leave() { since.store(0, ordering: .relaxed) }
    func stop() { running.store(false, ordering: .relaxed) }
}

extension MPIHostGroup {
    /// Ends every rank of the job (mpirun exits with `status`): for a failure on one rank while the others
    /// wait in a collective.
    public func abort(status: Int32) -> Never {
        MPI_Abort(rn_comm_world(), status)
        exit(status)
    }
}

extension MPIHostGroup {
    /// MPI_Allreduce (sum) over `buffer`, in place: for comparison only (rnn-bench allreduce). Its summation
    /// order is the algorithm's, so rnnd never trains with it.
    public func mpiAllreduce(_ buffer: UnsafeMutablePointer<Float>, count n: Int) throws {
        try collective("MPI_Allreduce") { MPI_Allreduce(rn_in_place(), buffer, Int32(n), rn_float(), rn_sum(), rn_comm_world()) }
    }

    /// Waits until every rank gets here.
    public func barrier() throws {
        try collective("MPI_Barrier") { MPI_Barrier(rn_comm_world()) }
    }
}
