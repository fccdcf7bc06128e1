import Foundation
import RNNCore

extension Trainer {
    /// Evaluates the whole validation split (on replica 0's queue), reports the metrics, tracks the best
    /// validation loss (writing a `best` checkpoint when it improves) and the patience count.
    func validate() throws {
        let batches = data.validationBatches()
        guard !batches.isEmpty else { return }
        let network = network, parameters = parameters, ws = validationWorkspace, carries = data.carriesState
        let spec = network.spec
        let metrics: [String: Double] = replicas[0].queue.sync {
            // How far back the gradient reaches, on the first validation batch from a fresh state.
            ws.resetState()
            let flow = network.gradientFlow(parameters: parameters.pointer, batch: batches[0], workspace: ws)
            ws.resetState()
            var loss = LossSum(), correct = 0.0, counted = 0.0
            let layers = spec.cell == .lstm ? spec.layers : 0
            var forget = [Double](repeating: 0, count: layers), saturated = [Double](repeating: 0, count: layers), forgetRows = 0.0
            for batch in batches {
                loss = loss + network.forward(parameters: parameters.pointer, batch: batch, workspace: ws)
                if carries { ws.carryState() }
                if case .classes(let targets) = batch.target {
                    correct += Double(ws.correctPredictions(targets))
                    counted += Double(ws.outputRows)
                }
                let rows = Double(batch.batchSize * batch.seqLen)
                for (l, statistics) in ws.forgetGateStatistics().enumerated() {
                    forget[l] += statistics.mean * rows
                    saturated[l] += statistics.saturated * rows
                }
                forgetRows += rows
            }
            var metrics = [MetricName.valLoss: loss.mean]
            if config.task == .lm { metrics[MetricName.valBPC] = loss.mean / log(2) }
            if config.task == .classification && counted > 0 { metrics[MetricName.valAccuracy] = correct / counted }
            for (l, sum) in forget.enumerated() { metrics[MetricName.forgetGate(layer: l)] = sum / forgetRows }
            for (l, sum) in saturated.enumerated() { metrics[MetricName.forgetGateSaturation(layer: l)] = sum / forgetRows }
            var lag = 1
            while lag < flow.count {
                let bucket = flow[lag..<min(2 * lag, flow.count)]
                metrics[MetricName.gradientFlow(lag: lag)] = bucket.reduce(0, +) / Double(bucket.count)
                lag *= 2
            }
            return metrics
        }
        var reported = metrics
        if let baseline = validationBaseline {
            reported[MetricName.valLossBaseline] = baseline.loss
            if config.task == .classification, let accuracy = baseline.accuracy { reported[MetricName.valAccuracyBaseline] = accuracy }
        }
        sink(.validation(step: state.step, metrics: reported))
        let valLoss = metrics[MetricName.valLoss]!
        if valLoss.isFinite && valLoss < (state.bestValLoss ?? .infinity) {
            state.bestValLoss = valLoss
            state.bestStep = state.step
            state.validationsSinceBest = 0
            _ = try writeCheckpoint(kind: .best)
        } else {
            state.validationsSinceBest += 1
        }
    }
}
