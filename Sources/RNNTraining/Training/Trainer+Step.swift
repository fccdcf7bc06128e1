import Dispatch
import RNNCore

extension Trainer {
    enum StepResult {
        case applied(loss: Double, norm: Double, lr: Double, reduceAndUpdateSeconds: Double)
        case skipped(reason: String)
    }

    /// Runs `work` for every replica on its own queue and waits for all of them.
    func onEveryReplica(_ work: @escaping @Sendable (Replica) -> Void) {
        let group = DispatchGroup()
        for replica in replicas { replica.queue.async(group: group) { work(replica) } }
        group.wait()
    }

    /// One data-parallel step:
    /// 1. each replica runs forward and backward on its rows (gradients scaled by the whole minibatch's
    ///    target count, so the shards' gradients sum to the minibatch mean's);
    /// 2. reduce-scatter: replica w sums chunk w of every replica's gradient, in replica order (never in
    ///    completion order, so a seed and a worker count give bitwise the same run), and its sum of squares;
    /// 3. the global norm is combined in chunk order; a non-finite loss or norm skips the step here, before
    ///    anything changed;
    /// 4. each replica clips and updates its own chunk of the shared parameters.
    func trainStep(_ batch: Batch<Float>) -> StepResult {
        let spec = network.spec, network = network, parameters = parameters, reduced = reduced
        let total = batch.targetCount(spec: spec)
        let scale = Float(1 / total)
        let dropout = DropoutSource(seed: config.seed, step: state.step)
        let carries = data.carriesState
        onEveryReplica { replica in
            let shard = batch.rows(replica.rows, spec: spec)
            replica.gradients.zero()
            var source = dropout
            source.rowOffset = replica.rows.lowerBound
            replica.loss = network.forward(parameters: parameters.pointer, batch: shard, workspace: replica.workspace, dropout: source)
            network.backward(parameters: parameters.pointer, gradients: replica.gradients.pointer, batch: shard,
                             workspace: replica.workspace, lossScale: scale)
            if carries { replica.workspace.carryState() }
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
        let loss = replicas.reduce(0.0) { $0 + $1.loss.sum } / total
        let norm = replicas.reduce(0.0) { $0 + $1.sumOfSquares }.squareRoot()
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
}
