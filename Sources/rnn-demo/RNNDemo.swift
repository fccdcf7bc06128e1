import Foundation
import RNNCore

/// A short demo training run through the library: a character-level LSTM on a built-in text, trained with
/// truncated backpropagation through time (state carried across chunks, char-rnn style), then sampled.
@main
struct RNNDemo {
    static func main() throws {
        BLAS.relaunchWithFastKernelsIfNeeded()
        BLAS.setThreads(1)
        let text = Array(demoCorpus.unicodeScalars)
        let vocabulary = Array(Set(text)).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
        let ids = text.map { index[$0]! }

        let spec = NetworkSpec(input: .tokens(vocabularySize: vocabulary.count, embeddingSize: 32), cell: .lstm,
                               hiddenSize: 128, layers: 1, outputSize: vocabulary.count, loss: .crossEntropy, targets: .everyStep)
        let network = Network(spec: spec)
        let (b, t, steps) = (4, 32, 600)
        let parameters = Buffer<Float>(count: network.parameterCount)
        let gradients = Buffer<Float>(count: network.parameterCount)
        network.initializeParameters(parameters.buffer, seed: 1)
        let workspace = Workspace<Float>(spec: spec, batchCapacity: b, seqCapacity: t)
        let optimizer = Optimizer<Float>(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), parameterCount: network.parameterCount)
        let schedule = LearningRateSchedule(base: 3e-3, shape: .cosine(totalSteps: steps, minimum: 3e-4), warmupSteps: 20)
        print("rnn-demo: \(text.count) characters, vocabulary \(vocabulary.count), LSTM 1×128, \(network.parameterCount) parameters, BLAS kernels \(BLAS.coreName)")

        // char-rnn batching: the text cut into b contiguous streams; each step reads the next t+1 characters.
        let streamLength = ids.count / b
        var cursor = 0
        let start = Date()
        for step in 0..<steps {
            if cursor + t + 1 > streamLength {
                cursor = 0
                workspace.resetState()
            }
            var inputs = [Int32](repeating: 0, count: b * t), targets = inputs
            for s in 0..<t {
                for r in 0..<b {
                    inputs[s * b + r] = ids[r * streamLength + cursor + s]
                    targets[s * b + r] = ids[r * streamLength + cursor + s + 1]
                }
            }
            cursor += t
            let batch = Batch<Float>(batchSize: b, seqLen: t, input: .tokens(inputs), target: .classes(targets))
            gradients.zero()
            let loss = network.forward(parameters: parameters.pointer, batch: batch, workspace: workspace, dropout: DropoutSource(seed: 2, step: step))
            network.backward(parameters: parameters.pointer, gradients: gradients.pointer, batch: batch, workspace: workspace, lossScale: Float(1 / loss.count))
            workspace.carryState()
            let clip = GradientClipping.clip(gradients.pointer, count: gradients.count, maxNorm: 5)
            guard case .finite(let norm, _) = clip else {
                print("step \(step): non-finite gradient, step skipped")
                continue
            }
            optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, range: 0..<parameters.count, lr: schedule.rate(atStep: step))
            optimizer.finishStep()
            if step % 100 == 0 || step == steps - 1 {
                print(String(format: "step %4d  loss %.3f  bits/char %.3f  grad_norm %.2f", step, loss.mean, loss.mean / log(2), norm))
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "trained %d steps in %.1f s (%.0f characters/s)", steps, seconds, Double(steps * b * t) / seconds))

        // Sampling: one character at a time from a zero state, temperature 0.7.
        let sampler = Workspace<Float>(spec: spec, batchCapacity: 1, seqCapacity: 1)
        var next = index["T"]!
        var sample = "T"
        var sampleRNG = Xoshiro256(seed: 3)
        for _ in 0..<240 {
            _ = network.forward(parameters: parameters.pointer, batch: Batch(batchSize: 1, seqLen: 1, input: .tokens([next]), target: .none),
                                workspace: sampler)
            sampler.carryState()
            let p = sampler.lastOutputs.map { pow(Double($0), 1 / 0.7) }
            var u = sampleRNG.nextUnit() * p.reduce(0, +)
            next = Int32(p.firstIndex { u -= $0; return u < 0 } ?? p.count - 1)
            sample.unicodeScalars.append(vocabulary[Int(next)])
        }
        print("sample (temperature 0.7):\n\(sample)")
    }
}
