import ArgumentParser
import Foundation
import RNNAPI

/// Output conventions shared by the commands: `--json`, `--format` with chosen columns, `--no-header`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, see README).") var json = false
    @Option(help: "Comma-separated columns to print (see each command's help for the names).") var format: String?
    @Flag(help: "Leave out the header line (for shell pipelines).") var noHeader = false
}

enum Terminal {
    static let isTTY = isatty(STDOUT_FILENO) == 1
    /// Colour only on a terminal, and never with NO_COLOR set.
    static let colour = isTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    static func state(_ state: RunState) -> String {
        switch state {
        case .running: paint(state.rawValue, "32")
        case .completed: paint(state.rawValue, "36")
        case .failed: paint(state.rawValue, "31")
        case .cancelled, .interrupted: paint(state.rawValue, "33")
        case .queued, .paused: state.rawValue
        }
    }

    static func printJSON(_ value: some Encodable) throws {
        // A copy: the shared encoder's formatting stays as every other caller expects it.
        let encoder = APIJSON.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// An aligned table; the visible width ignores colour codes.
struct Table {
    var columns: [String]
    var rows: [[String]] = []

    func render(header: Bool) -> String {
        func width(_ s: String) -> Int {
            // Characters, not counting colour escapes (ESC [ … m).
            var count = 0, inEscape = false
            for c in s {
                if c == "\u{1B}" { inEscape = true } else if inEscape { if c == "m" { inEscape = false } } else { count += 1 }
            }
            return count
        }
        var widths = columns.map { header ? $0.count : 0 }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], width(cell)) } }
        var lines: [String] = []
        let all = (header ? [columns.map { $0.uppercased() }] : []) + rows
        for row in all {
            let cells = row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - width(cell)) }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

enum Format {
    static func number(_ v: Double?, digits: Int = 4) -> String {
        guard let v else { return "-" }
        if v.isNaN { return "nan" }
        return String(format: "%.\(digits)f", v)
    }

    static func duration(_ seconds: Double?) -> String {
        guard let s = seconds, s.isFinite, s >= 0 else { return "-" }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    static func time(_ unix: Double?) -> String {
        guard let unix else { return "-" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: unix))
    }

    static func rate(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v >= 10_000 ? String(format: "%.0fk", v / 1000) : String(format: "%.0f", v)
    }

    static func progress(_ run: RunInfo) -> String { run.maxSteps > 0 ? "\(run.step)/\(run.maxSteps)" : "\(run.step)" }
}

/// The columns a run table can show, by name.
enum RunColumns {
    static let all: [String: @Sendable (RunInfo) -> String] = [
        "id": { String($0.id) }, "name": { $0.name }, "state": { Terminal.state($0.state) }, "step": { Format.progress($0) },
        "epoch": { $0.epoch.map(String.init) ?? "-" }, "train_loss": { Format.number($0.trainLoss) },
        "val_loss": { Format.number($0.valLoss) }, "best_val_loss": { Format.number($0.bestValLoss) },
        "tokens_per_s": { Format.rate($0.tokensPerSecond) }, "eta": { Format.duration($0.etaSeconds) },
        "priority": { String($0.priority) }, "workers": { String($0.workers) }, "restarts": { String($0.restarts) },
        "submitted": { Format.time($0.submittedAt) }, "user": { $0.submittedBy.map(String.init) ?? "-" },
        "tags": { $0.tags.joined(separator: ",") }, "dataset": { String($0.dataset.prefix(12)) },
    ]

    static func table(_ runs: [RunInfo], format: String?, defaults: [String]) throws -> Table {
        let columns = format.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? defaults
        if let bad = columns.first(where: { all[$0] == nil }) {
            throw CLIError.usage("unknown column \(bad) (columns: \(all.keys.sorted().joined(separator: ", ")))")
        }
        return Table(columns: columns, rows: runs.map { run in columns.map { all[$0]!(run) } })
    }
}
