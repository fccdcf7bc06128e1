/// The hosts one run trains on (multi-host data parallelism): each host is one rank running the run's
/// `workers` replicas, and every rank holds the whole minibatch and trains its share of the rows. Every
/// method is a collective: each rank calls the same methods in the same order, from one thread.
///
/// The contract that keeps a run bitwise reproducible: `sumInRankOrder` adds the ranks' buffers in rank
/// order, never in an order the transport picks (MPI_Allreduce's algorithms sum in different orders, so
/// they give different bits). With one replica per host, H ranks give bitwise the run the in-process
/// trainer gives with H workers, whose reduce-scatter sums replicas in the same order.
public protocol HostGroup: AnyObject {
    /// This host's rank (0 writes checkpoints and reports), and the number of hosts.
    var rank: Int { get }
    var count: Int { get }
    /// Replaces `buffer` on every rank with the sum of all ranks' buffers, added in rank order.
    func sumInRankOrder(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Every rank's `values`, in rank order.
    func gather(_ values: [Double]) throws -> [[Double]]
    func gather(_ values: [Float]) throws -> [[Float]]
    /// Rank 0's `values` on every rank (what other ranks pass is ignored).
    func broadcast(_ values: [Double]) throws -> [Double]
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
    /// Seconds spent in collectives so far (the communication share of a step).
    var communicationSeconds: Double { get }
}
