import Dispatch
import RNNCore

extension Trainer {
    enum StepResult {
        case applied(loss: Double, norm: Double, lr: Double, reduceAndUpdateSeconds: Double)
        case skipped(reason: String)
    }

    /// Runs `work` for every replica on its own queue and waits for all of them. The first replica's share
    /// runs through `sync`, which GCD executes on the calling thread (its queue is idle between phases): the
    /// trainer thread works instead of sleeping, and a phase costs one thread hand-off fewer — for a 1-ms
    /// step (TS) the hand-offs of three phases were a third of the step at W = 2.
    func onEveryReplica(_ work: @escaping @Sendable (Replica) -> Void) {
        let group = DispatchGroup()
        for replica in replicas.dropFirst() { replica.queue.async(group: group) { work(replica) } }
        replicas[0].queue.sync { work(replicas[0]) }
        group.wait()
    }

    /// One data-parallel step over `batches` (one minibatch, or `accumulate_steps` consecutive ones whose
    /// gradients are summed before one all-reduce and one update):
    /// 1. each replica runs forward and backward on its rows of every minibatch (gradients scaled by the
    ///    target count of all of them, so the shards' gradients sum to the mean's);
    /// 2. reduce-scatter: replica w sums chunk w of every replica's gradient, in replica order (never in
    ///    completion order, so a seed and a worker count give bitwise the same run), and its sum of squares;
    /// 3. the global norm is combined in chunk order; a non-finite loss or norm skips the step here, before
    ///    anything changed;
    /// 4. each replica clips and updates its own chunk of the shared parameters.
    ///
    /// On several hosts, step 2 sums this host's replicas, then `HostGroup.sumInRankOrder` adds the hosts'
    /// sums in rank order; the loss and the norm are then combined over every replica of every host in the
    /// order one machine with as many workers would use, and every rank updates all of the parameters.
    func trainStep(_ batches: [Batch<Float>]) throws -> StepResult {
        let spec = network.spec, network = network, parameters = parameters, reduced = reduced
        let total = batches.reduce(0.0) { $0 + $1.targetCount(spec: spec) }
        let scale = Float(1 / total)
        // Each minibatch of an accumulated step draws its own dropout masks (with one, this is the step's).
        let dropouts = batches.indices.map { DropoutSource(seed: config.seed, step: state.step * batches.count + $0) }
        let carries = data.carriesState
        onEveryReplica { replica in
            replica.gradients.zero()
            var loss = LossSum()
            for (batch, dropout) in zip(batches, dropouts) {
                let shard = batch.rows(replica.rows, spec: spec)
                var source = dropout
                source.rowOffset = replica.rows.lowerBound
                loss = loss + network.forward(parameters: parameters.pointer, batch: shard, workspace: replica.workspace, dropout: source)
                network.backward(parameters: parameters.pointer, gradients: replica.gradients.pointer, batch: shard,
                                 workspace: replica.workspace, lossScale: scale)
                if carries { replica.workspace.carryState() }
            }
            replica.loss = loss
        }
        let replicas = replicas
        let reduceStart = DispatchTime.now().uptimeNanoseconds
        onEveryReplica { replica in
            let chunk = replica.chunk, dst = reduced.pointer + chunk.lowerBound
            dst.update(from: replicas[0].gradients.pointer + chunk.lowerBound, count: chunk.count)
            for other in replicas.dropFirst() {
                let src = other.gradients.pointer + chunk.lowerBound
                for i in 0..<chunk.count { dst[i] += src[i] }
            }
            replica.sumOfSquares = GradientClipping.sumOfSquares(dst, count: chunk.count)
        }
        let loss: Double, norm: Double
        if let hosts {
            try hosts.sumInRankOrder(reduced.pointer, count: reduced.count)
            loss = try hosts.gather(replicas.map(\.loss.sum)).joined().reduce(0.0, +) / total
            norm = globalSumOfSquares(chunks: hosts.count * replicas.count).squareRoot()
        } else {
            loss = replicas.reduce(0.0) { $0 + $1.loss.sum } / total
            norm = replicas.reduce(0.0) { $0 + $1.sumOfSquares }.squareRoot()
        }
        guard loss.isFinite else { return .skipped(reason: "non-finite loss \(loss)") }
        guard norm.isFinite else { return .skipped(reason: "non-finite gradient (norm \(norm))") }
        let lr = schedule.rate(atStep: state.step)
        let optimizer = optimizer, clip = config.clipNorm
        onEveryReplica { replica in
            GradientClipping.scale(reduced.pointer, range: replica.chunk, norm: norm, maxNorm: clip)
            optimizer.update(parameters: parameters.pointer, gradients: reduced.pointer, range: replica.chunk, lr: lr)
        }
        optimizer.finishStep()
        return .applied(loss: loss, norm: norm, lr: lr, reduceAndUpdateSeconds: Double(DispatchTime.now().uptimeNanoseconds - reduceStart) / 1e9)
    }

    /// The reduced gradient's sum of squares over `chunks` aligned chunks, summed in chunk order: the norm one
    /// machine with that many workers computes (its replicas square their own chunks), shared out over the
    /// local replicas.
    private func globalSumOfSquares(chunks count: Int) -> Double {
        let chunks = Replica.split(reduced.count, into: count, alignment: 16), reduced = reduced
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        defer { sums.deallocate() }
        let stride = replicas.count
        nonisolated(unsafe) let out = sums  // each replica writes its own indices
        onEveryReplica { replica in
            for c in Swift.stride(from: replica.index, to: count, by: stride) {
                out[c] = GradientClipping.sumOfSquares(reduced.pointer + chunks[c].lowerBound, count: chunks[c].count)
            }
        }
        return sums.reduce(0.0, +)
    }
}
