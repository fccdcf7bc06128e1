import ArgumentParser
import Foundation
import RNNAPI

/// Curves drawn on shared axes.
struct Chart {
    struct Curve {
        var label: String
        var points: [(x: Double, y: Double)]
    }
    let curves: [Curve]
    let metric: String
    let logScale: Bool

    static let terminalColours = ["34", "31", "32", "35", "33", "36"]
    static let svgColours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]

    func y(_ v: Double) -> Double? { logScale ? (v > 0 ? Foundation.log10(v) : nil) : (v.isFinite ? v : nil) }

    var bounds: (x0: Double, x1: Double, y0: Double, y1: Double) {
        let xs = curves.flatMap { $0.points.map(\.x) }, ys = curves.flatMap { $0.points.compactMap { y($0.y) } }
        var b = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        if b.1 <= b.0 { b.1 = b.0 + 1 }
        if b.3 <= b.2 { b.3 = b.2 + 1 }
        return b
    }

    func label(_ v: Double) -> String { Format.number(logScale ? pow(10, v) : v, digits: 3) }

    /// Braille cells (2×4 dots each), one colour per run, with a value axis and a legend.
    func braille(width: Int, height: Int) -> String {
        let b = bounds, dotsX = width * 2, dotsY = height * 4
        var cells = [[UInt8]](repeating: [UInt8](repeating: 0, count: width), count: height)
        var owner = [[Int]](repeating: [Int](repeating: -1, count: width), count: height)
        let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        func plot(_ dx: Int, _ dy: Int, _ curve: Int) {
            guard dx >= 0, dx < dotsX, dy >= 0, dy < dotsY else { return }
            let row = (dotsY - 1 - dy) / 4, col = dx / 2
            cells[row][col] |= bits[(dotsY - 1 - dy) % 4][dx % 2]
            owner[row][col] = curve
        }
        for (i, curve) in curves.enumerated() {
            var previous: (Int, Int)?
            for p in curve.points {
                guard let yv = y(p.y) else { previous = nil; continue }
                let dx = Int(((p.x - b.x0) / (b.x1 - b.x0) * Double(dotsX - 1)).rounded())
                let dy = Int(((yv - b.y0) / (b.y1 - b.y0) * Double(dotsY - 1)).rounded())
                if let (px, py) = previous {
                    let n = max(abs(dx - px), abs(dy - py), 1)
                    for s in 0...n { plot(px + (dx - px) * s / n, py + (dy - py) * s / n, i) }
                } else {
                    plot(dx, dy, i)
                }
                previous = (dx, dy)
            }
        }
        let axisWidth = max(label(b.y1).count, label(b.y0).count)
        var lines = ["\(metric)\(logScale ? " (log scale)" : "")"]
        for row in 0..<height {
            let axis = row == 0 ? label(b.y1) : row == height - 1 ? label(b.y0) : row == height / 2 ? label((b.y0 + b.y1) / 2) : ""
            let text = (0..<width).map { col -> String in
                let ch = String(UnicodeScalar(0x2800 + UInt32(cells[row][col]))!)
                return owner[row][col] >= 0 ? Terminal.paint(ch, Self.terminalColours[owner[row][col] % Self.terminalColours.count]) : ch
            }.joined()
            lines.append(String(repeating: " ", count: axisWidth - axis.count) + axis + " ┤" + text)
        }
        let left = "step \(Int(b.x0))", right = "\(Int(b.x1))"
        lines.append(String(repeating: " ", count: axisWidth + 2) + left + String(repeating: " ", count: max(1, width - left.count - right.count)) + right)
        lines.append(curves.enumerated().map { i, c in Terminal.paint("━━", Self.terminalColours[i % Self.terminalColours.count]) + " " + c.label }.joined(separator: "   "))
        return lines.joined(separator: "\n")
    }

    /// A standalone SVG: axes with ticks, one polyline per run, a legend.
    func svg(width: Double = 800, height: Double = 480) -> String {
        let b = bounds, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let w = width - left - right, h = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - b.x0) / (b.x1 - b.x0) * w }
        func py(_ v: Double) -> Double { top + h - (v - b.y0) / (b.y1 - b.y0) * h }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="24" font-size="15">\(metric)\(logScale ? " (log scale)" : "")</text>
            <rect x="\(f(left))" y="\(f(top))" width="\(f(w))" height="\(f(h))" fill="none" stroke="#888"/>

            """
        for i in 0...4 {
            let v = b.y0 + (b.y1 - b.y0) * Double(i) / 4, x = b.x0 + (b.x1 - b.x0) * Double(i) / 4
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + w))\" y1=\"\(f(py(v)))\" y2=\"\(f(py(v)))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(label(v))</text>"
            out += "<text x=\"\(f(px(x)))\" y=\"\(f(top + h + 18))\" text-anchor=\"middle\">\(Int(x))</text>\n"
        }
        out += "<text x=\"\(f(left + w / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">step</text>\n"
        for (i, curve) in curves.enumerated() {
            let colour = Self.svgColours[i % Self.svgColours.count]
            let points = curve.points.compactMap { p in y(p.y).map { "\(f(px(p.x))),\(f(py($0)))" } }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            let ly = top + 16 + Double(i) * 16
            out += "<line x1=\"\(f(left + w - 120))\" x2=\"\(f(left + w - 100))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
            out += "<text x=\"\(f(left + w - 94))\" y=\"\(f(ly))\">\(curve.label)</text>\n"
        }
        return out + "</svg>\n"
    }
}
