import ArgumentParser
import Foundation
import RNNAPI

/// Curves drawn on shared axes. Each curve has its own colour, and also its own marker (and, in SVG, dash
/// pattern), so curves stay apart without colour; ten curves before a style repeats.
struct Chart {
    struct Curve {
        var label: String
        var points: [(x: Double, y: Double)]
    }
    let curves: [Curve]
    let metric: String
    let logScale: Bool
    /// The x axis: its name, and how a position on it reads (steps; the gradient-flow chart plots log2 of the lag).
    var xName = "step"
    var xLabel: @Sendable (Double) -> String = { String(Int($0)) }

    /// ANSI blue, red, green, magenta, yellow, cyan and their bright forms.
    static let terminalColours = ["34", "31", "32", "35", "33", "36", "94", "91", "92", "95"]
    static let terminalMarkers: [Character] = ["o", "x", "+", "*", "#", "@", "%", "&", "=", "$"]
    /// Tableau 10 (matplotlib's default cycle).
    static let svgColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let svgDashes = ["", "8 4", "2 3", "10 3 2 3", "4 4", "12 4 4 4", "1 5", "6 2 2 2 2 2", "14 6", "3 6"]
    enum MarkerShape: CaseIterable { case circle, square, triangle, diamond, cross, plus, invertedTriangle, star, bar, hollowCircle }
    /// Markers per curve: enough to tell the curves apart, not so many they hide the line.
    static let markersPerCurve = 8

    static func style<T>(_ list: [T], _ curve: Int) -> T { list[curve % list.count] }

    func y(_ v: Double) -> Double? { logScale ? (v > 0 ? Foundation.log10(v) : nil) : (v.isFinite ? v : nil) }

    var bounds: (x0: Double, x1: Double, y0: Double, y1: Double) {
        let xs = curves.flatMap { $0.points.map(\.x) }, ys = curves.flatMap { $0.points.compactMap { y($0.y) } }
        var b = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        if b.1 <= b.0 { b.1 = b.0 + 1 }
        if b.3 <= b.2 { b.3 = b.2 + 1 }
        return b
    }

    func label(_ v: Double) -> String {
        let value = logScale ? pow(10, v) : v
        // Small values on a log axis (a vanishing gradient) keep their magnitude.
        return value != 0 && abs(value) < 1e-3 ? String(format: "%.1e", value) : Format.number(value, digits: 3)
    }

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
        // A curve's marker every few columns (offset per curve, so markers of close curves do not collide),
        // drawn over the braille: a one-point series is its marker alone.
        var markers = [[Int]](repeating: [Int](repeating: -1, count: width), count: height)
        for (i, curve) in curves.enumerated() {
            let plotted = curve.points.filter { y($0.y) != nil }
            for (k, p) in plotted.enumerated() where Self.carriesMarker(k, of: plotted.count, curve: i, curves: curves.count) {
                let col = Int(((p.x - b.x0) / (b.x1 - b.x0) * Double(dotsX - 1)).rounded()) / 2
                let row = height - 1 - Int(((y(p.y)! - b.y0) / (b.y1 - b.y0) * Double(dotsY - 1)).rounded()) / 4
                if (0..<height).contains(row), (0..<width).contains(col) { markers[row][col] = i }
            }
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
                if markers[row][col] >= 0 {
                    let i = markers[row][col]
                    return Terminal.paint(String(Self.style(Self.terminalMarkers, i)), Self.style(Self.terminalColours, i))
                }
                let ch = String(UnicodeScalar(0x2800 + UInt32(cells[row][col]))!)
                return owner[row][col] >= 0 ? Terminal.paint(ch, Self.style(Self.terminalColours, owner[row][col])) : ch
            }.joined()
            lines.append(String(repeating: " ", count: axisWidth - axis.count) + axis + " ┤" + text)
        }
        let left = "\(xName) \(xLabel(b.x0))", right = xLabel(b.x1)
        lines.append(String(repeating: " ", count: axisWidth + 2) + left + String(repeating: " ", count: max(1, width - left.count - right.count)) + right)
        // The legend, one curve per line: its marker on its line, in its colour, then the run's id and name.
        for (i, c) in curves.enumerated() {
            lines.append("  " + Terminal.paint("━" + String(Self.style(Self.terminalMarkers, i)) + "━", Self.style(Self.terminalColours, i)) + " " + c.label)
        }
        return lines.joined(separator: "\n")
    }

    /// A standalone SVG: axes with ticks, one polyline per run (colour, dash pattern, markers), and a legend
    /// below the chart, one line per run.
    func svg(width: Double = 800, height: Double = 480) -> String {
        let b = bounds, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let legendHeight = Double(curves.count) * 18 + 8, total = height + legendHeight
        let w = width - left - right, h = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - b.x0) / (b.x1 - b.x0) * w }
        func py(_ v: Double) -> Double { top + h - (v - b.y0) / (b.y1 - b.y0) * h }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(total))" viewBox="0 0 \(Int(width)) \(Int(total))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="24" font-size="15">\(metric)\(logScale ? " (log scale)" : "")</text>
            <rect x="\(f(left))" y="\(f(top))" width="\(f(w))" height="\(f(h))" fill="none" stroke="#888"/>

            """
        for i in 0...4 {
            let v = b.y0 + (b.y1 - b.y0) * Double(i) / 4, x = b.x0 + (b.x1 - b.x0) * Double(i) / 4
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + w))\" y1=\"\(f(py(v)))\" y2=\"\(f(py(v)))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(label(v))</text>"
            out += "<text x=\"\(f(px(x)))\" y=\"\(f(top + h + 18))\" text-anchor=\"middle\">\(xLabel(x))</text>\n"
        }
        out += "<text x=\"\(f(left + w / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(xName)</text>\n"
        for (i, curve) in curves.enumerated() {
            let colour = Self.style(Self.svgColours, i), dash = Self.style(Self.svgDashes, i)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            let plotted = curve.points.compactMap { p in y(p.y).map { (x: px(p.x), y: py($0)) } }
            let points = plotted.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dashAttribute) points=\"\(points)\"/>\n"
            for (k, p) in plotted.enumerated() where Self.carriesMarker(k, of: plotted.count, curve: i, curves: curves.count) {
                out += Self.marker(Self.style(MarkerShape.allCases, i), x: p.x, y: p.y, colour: colour) + "\n"
            }
            let ly = height + Double(i) * 18 + 4
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + 36))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dashAttribute)/>"
            out += Self.marker(Self.style(MarkerShape.allCases, i), x: left + 18, y: ly - 4, colour: colour)
            out += "<text x=\"\(f(left + 44))\" y=\"\(f(ly))\">\(Self.escape(curve.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Whether point `k` of a curve's `count` drawn points carries its marker: about `markersPerCurve` evenly
    /// spaced, shifted per curve so that close curves' markers do not sit on each other; a lone point always.
    static func carriesMarker(_ k: Int, of count: Int, curve: Int, curves: Int) -> Bool {
        let every = max(count / markersPerCurve, 1)
        return k % every == (curve * every / max(curves, 1)) % every
    }

    /// One marker (about 8 px) centred on x, y.
    static func marker(_ shape: MarkerShape, x: Double, y: Double, colour: String) -> String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func polygon(_ points: [(Double, Double)]) -> String {
            "<polygon class=\"marker\" fill=\"\(colour)\" points=\"" + points.map { "\(f(x + $0.0)),\(f(y + $0.1))" }.joined(separator: " ") + "\"/>"
        }
        switch shape {
        case .circle: return "<circle class=\"marker\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"\(colour)\"/>"
        case .hollowCircle: return "<circle class=\"marker\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"white\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
        case .square: return "<rect class=\"marker\" x=\"\(f(x - 3.5))\" y=\"\(f(y - 3.5))\" width=\"7\" height=\"7\" fill=\"\(colour)\"/>"
        case .triangle: return polygon([(0, -4.5), (4, 3), (-4, 3)])
        case .invertedTriangle: return polygon([(0, 4.5), (4, -3), (-4, -3)])
        case .diamond: return polygon([(0, -4.5), (4, 0), (0, 4.5), (-4, 0)])
        case .star: return polygon([(0, -5), (1.5, -1.5), (5, -1.5), (2.2, 1), (3, 4.5), (0, 2.5), (-3, 4.5), (-2.2, 1), (-5, -1.5), (-1.5, -1.5)])
        case .cross, .plus, .bar:
            let arms: [(Double, Double, Double, Double)] = switch shape {
            case .cross: [(-3.5, -3.5, 3.5, 3.5), (-3.5, 3.5, 3.5, -3.5)]
            case .plus: [(-4, 0, 4, 0), (0, -4, 0, 4)]
            default: [(0, -5, 0, 5)]
            }
            return "<g class=\"marker\" stroke=\"\(colour)\" stroke-width=\"2\">" + arms.map {
                "<line x1=\"\(f(x + $0.0))\" y1=\"\(f(y + $0.1))\" x2=\"\(f(x + $0.2))\" y2=\"\(f(y + $0.3))\"/>"
            }.joined() + "</g>"
        }
    }

    /// Text for an SVG element: run names are the user's.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
