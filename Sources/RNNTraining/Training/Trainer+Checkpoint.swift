import Foundation
import RNNCore

extension Trainer {
    /// The run as it stands, in memory (for `TrainedModel`, or to write elsewhere).
    public func makeCheckpoint() throws -> Checkpoint {
        state.optimizerStep = optimizer.step
        return Checkpoint(config: config, metadata: data.checkpointMetadata, state: state, parameters: parameters.array,
                          optimizerBuffers: optimizer.state.map(\.array), carriedState: try carriedState())
    }

    /// Restores parameters, optimizer state, trainer position and carried state from `checkpoint`.
    func restore(_ checkpoint: Checkpoint) throws {
        func bad(_ why: String) -> TrainingError { TrainingError(.invalidCheckpoint, "the checkpoint does not fit this run: \(why)") }
        guard checkpoint.parameters.count == parameters.count else {
            throw bad("it has \(checkpoint.parameters.count) parameters, the model \(parameters.count)")
        }
        guard checkpoint.optimizerBuffers.count == optimizer.state.count,
              checkpoint.optimizerBuffers.allSatisfy({ $0.count == parameters.count }) else {
            throw bad("its optimizer state is for another optimizer")
        }
        guard checkpoint.metadata == data.checkpointMetadata else { throw bad("it was trained on other data (vocabulary or normalisation differ)") }
        checkpoint.parameters.withUnsafeBufferPointer { parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
        for (buffer, saved) in zip(optimizer.state, checkpoint.optimizerBuffers) {
            saved.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        optimizer.step = checkpoint.state.optimizerStep
        state = checkpoint.state
        if checkpoint.carriedState.isEmpty {
            for r in replicas { r.workspace.resetState() }
        } else {
            guard checkpoint.carriedState.count == carriedStateCount else { throw bad("its carried state has another size") }
            restoreCarriedState(checkpoint.carriedState)
        }
    }

    /// Writes a checkpoint file (when the trainer has a directory), keeps the rollback point, applies
    /// retention (the last `keep_checkpoints` periodic files and the best one, unless the caller deletes
    /// old files itself) and reports it.
    ///
    /// A step's file is written once: a second checkpoint of the same step (best, then periodic, then final)
    /// reports the file already there under the new kind, so nobody ever reads a file while it is replaced.
    func writeCheckpoint(kind: CheckpointRecord.Kind) throws -> CheckpointRecord? {
        let checkpoint = try makeCheckpoint()
        rollbackPoint = checkpoint
        guard let directory = checkpointDirectory else { return nil }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("\(state.step).ckpt")
        let written: (size: Int, checksum: UInt32)
        if let last = lastWritten, last.step == state.step {
            written = (last.size, last.checksum)
        } else if state.step == resumedStep, let existing = Checkpoint.sizeAndChecksum(of: url) {
            written = existing  // the file this run resumed from
        } else {
            written = try checkpoint.write(to: url) { faults.at(.beforeCheckpointRename) }
        }
        let record = CheckpointRecord(step: state.step, path: url.path, size: written.size, checksum: written.checksum,
                                      valLoss: kind == .best ? state.bestValLoss : nil, kind: kind)
        lastWritten = record
        sink(.checkpoint(record))
        if kind == .periodic && deletesOldCheckpoints {
            if periodicCheckpointSteps.last != state.step { periodicCheckpointSteps.append(state.step) }
            while periodicCheckpointSteps.count > config.keepCheckpoints {
                let old = periodicCheckpointSteps.removeFirst()
                if old != state.bestStep && old != state.step {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(old).ckpt"))
                }
            }
        }
        return record
    }

    var carriedStateCount: Int {
        data.carriesState ? network.spec.layers * (network.spec.cell == .lstm ? 2 : 1) * data.batchSize * network.spec.hiddenSize : 0
    }

    /// The replicas' carried state in the canonical layout [layer][h, c][row of the minibatch][unit], so
    /// a checkpoint does not depend on the worker or host count. On several hosts each rank's rows are
    /// gathered (a collective: every rank writes the same checkpoints at the same steps).
    func carriedState() throws -> [Float] {
        guard data.carriesState else { return [] }
        let spec = network.spec, h = spec.hiddenSize, parts = spec.cell == .lstm ? 2 : 1
        let exports = replicas.map { $0.workspace.exportState(batchSize: $0.rows.count) }
        // This host's rows, [layer][h, c][its rows][unit].
        var local: [Float] = []
        for l in 0..<spec.layers {
            for part in 0..<parts {
                for (r, export) in zip(replicas, exports) {
                    let block = r.rows.count * h, start = (l * parts + part) * block
                    local.append(contentsOf: export[start..<(start + block)])
                }
            }
        }
        guard let hosts else { return local }
        let ranks = try hosts.gather(local)
        var out: [Float] = []
        out.reserveCapacity(carriedStateCount)
        for l in 0..<spec.layers {
            for part in 0..<parts {
                for rank in ranks {
                    let block = rank.count / (spec.layers * parts), start = (l * parts + part) * block
                    out.append(contentsOf: rank[start..<(start + block)])
                }
            }
        }
        return out
    }

    func restoreCarriedState(_ state: [Float]) {
        let spec = network.spec, h = spec.hiddenSize, parts = spec.cell == .lstm ? 2 : 1, b = data.batchSize
        for r in replicas {
            var mine: [Float] = []
            for l in 0..<spec.layers {
                for part in 0..<parts {
                    let start = ((l * parts + part) * b + r.rows.lowerBound) * h
                    mine.append(contentsOf: state[start..<(start + r.rows.count * h)])
                }
            }
            r.workspace.importState(mine, batchSize: r.rows.count)
        }
    }
}
