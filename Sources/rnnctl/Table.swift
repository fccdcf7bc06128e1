import ArgumentParser
import Foundation
import RNNAPI

/// An aligned table; widths are terminal columns (colour codes take none, CJK characters two).
struct Table {
    var columns: [String]
    var rows: [[String]] = []

    func render(header: Bool) -> String {
        let width = Terminal.width
        var widths = columns.map { header ? width($0) : 0 }
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
