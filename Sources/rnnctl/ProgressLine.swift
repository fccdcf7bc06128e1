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

    /// The line, fitted to `columns` terminal columns (a line wider than the terminal wraps, and the next
    /// carriage return then leaves the wrapped part behind). What goes first when it does not fit: the
    /// sparkline, the rate, the bar's width, the validation loss, the ETA, the bar; step and loss stay.
    func render(columns: Int) -> String {
        let step = maxSteps > 0 ? "step \(current)/\(maxSteps)" : "step \(current)"
        let loss = "loss \(Format.number(lastLoss, digits: 3))"
        let val = valLoss.map { "val \(Format.number($0, digits: 3))" }
        let rate = tokensPerSecond.map { "\(Format.rate($0)) tok/s" }
        let eta = maxSteps > current ? stepSeconds.map { "ETA \(Format.duration(Double(maxSteps - current) * $0))" } : nil
        let sparkline = recent.isEmpty ? nil : Sparkline.render(recent)
        let fraction = maxSteps > 0 ? Double(current) / Double(maxSteps) : nil
        // From the fullest line to the barest; the first that fits is printed.
        let candidates: [[String?]] = [
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 24) }, loss, val, sparkline, rate, eta],
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 24) }, loss, val, rate, eta],
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 24) }, loss, val, eta],
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 10) }, loss, val, eta],
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 10) }, loss, eta],
            [step, fraction.map { ProgressBar.bar(fraction: $0, width: 10) }, loss],
            [step, loss],
        ]
        for parts in candidates {
            let line = parts.compactMap { $0 }.joined(separator: "  ")
            if Terminal.width(line) <= columns { return line }
        }
        return Terminal.truncate("\(step)  \(loss)", toWidth: columns)
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
