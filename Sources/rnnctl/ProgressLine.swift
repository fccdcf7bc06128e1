import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

/// Step/total, a bar, loss, rate, ETA and a sparkline of the last losses.
struct ProgressLine {
    let maxSteps: Int
    var current = 0
    var lastLoss: Double?
    var valLoss: Double?
    var tokensPerSecond: Double?
    var stepSeconds: Double?
    var recent: [Double] = []

    mutating func step(_ e: ProgressEvent) {
        current = e.step ?? current
        lastLoss = e.trainLoss
        tokensPerSecond = e.tokensPerSecond
        if let s = e.metrics?["step_seconds"] { stepSeconds = stepSeconds.map { 0.9 * $0 + 0.1 * s } ?? s }
        if let loss = e.trainLoss, loss.isFinite {
            recent.append(loss)
            if recent.count > 40 { recent.removeFirst() }
        }
    }

    mutating func validation(_ e: ProgressEvent) { valLoss = e.metrics?["val_loss"] ?? valLoss }

    func render() -> String {
        var parts = [maxSteps > 0 ? "step \(current)/\(maxSteps)" : "step \(current)"]
        if maxSteps > 0 { parts.append(ProgressBar.bar(fraction: Double(current) / Double(maxSteps), width: 24)) }
        parts.append("loss \(Format.number(lastLoss, digits: 3))")
        if let valLoss { parts.append("val \(Format.number(valLoss, digits: 3))") }
        parts.append(Sparkline.render(recent))
        if let t = tokensPerSecond { parts.append("\(Format.rate(t)) tok/s") }
        if maxSteps > current, let s = stepSeconds { parts.append("ETA \(Format.duration(Double(maxSteps - current) * s))") }
        return parts.joined(separator: "  ")
    }
}

enum ProgressBar {
    static func bar(fraction: Double, width: Int) -> String {
        let f = min(max(fraction, 0), 1)
        let filled = Int((f * Double(width)).rounded(.down))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] " + String(format: "%3.0f%%", f * 100)
    }
}

enum Sparkline {
    static let ticks = Array("▁▂▃▄▅▆▇█")
    static func render(_ values: [Double]) -> String {
        guard let lo = values.min(), let hi = values.max() else { return "" }
        return String(values.map { v in ticks[hi > lo ? Int(((v - lo) / (hi - lo) * 7).rounded()) : 0] })
    }
}
