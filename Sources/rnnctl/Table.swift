import ArgumentParser
import Foundation
import RNNAPI

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
