import ArgumentParser
import Foundation
import RNNAPI
import RNNClient

struct Plot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Metric curves of one or more runs: in the terminal (braille), or as an SVG or PNG file.",
        discussion: """
            Each run has its own colour and marker (and dash pattern in SVG), ten before one repeats; the legend \
            names each run by id and name.

            PNG files are the SVG rendered by rsvg-convert (Debian: apt-get install librsvg2-bin).

            Example: rnnctl plot 12 13 --metric val_loss --log   |   rnnctl plot 12 --output curves.svg
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Run ids.") var runs: [RecordID]
    @Option(help: "The metric; grad_flow draws the gradient-flow profiles (gradient norm against lag).") var metric = "train_loss"
    @Flag(help: "Logarithmic value axis.") var log = false
    @Option(name: .shortAndLong, help: "Write an image (.svg or .png) instead of drawing in the terminal.") var output: String?
    @Flag(help: "Print the series as JSON instead of drawing them.") var json = false
    @Option(parsing: .unconditional, help: "Terminal chart width in characters.") var width = 72
    @Option(parsing: .unconditional, help: "Terminal chart height in lines.") var height = 18

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run id") }
        if let output, !(output.lowercased().hasSuffix(".svg") || output.lowercased().hasSuffix(".png")) {
            throw ValidationError("--output writes SVG or PNG: name the file *.svg or *.png")
        }
        if width < 20 || height < 5 { throw ValidationError("--width must be at least 20 and --height at least 5") }
    }

    func run() async throws {
        try await perform {
            let client = try connection.client()
            if metric == Self.gradientFlow {
                try await plotGradientFlow(client)
                return
            }
            var curves: [Chart.Curve] = [], all: [Series] = []
            for run in runs {
                let id = run.value
                let series = try await client.series(id, name: metric, maxPoints: 1000)
                all.append(series)
                let name = try await client.run(id).run.name
                curves.append(Chart.Curve(label: "\(id) \(name)", points: series.points.map { (Double($0.step), $0.value) }))
            }
            if json { try Terminal.printJSON(all); return }
            guard curves.contains(where: { !$0.points.isEmpty }) else { throw CLIError.usage("no \(metric) points in run(s) \(runs.map(\.description).joined(separator: ", ")) yet") }
            let chart = Chart(curves: curves, metric: metric, logScale: log)
            try draw(chart)
        }
    }

    func draw(_ chart: Chart) throws {
            if let output {
                if output.lowercased().hasSuffix(".png") {
                    try Self.writePNG(svg: chart.svg(), to: output)
                } else {
                    guard FileManager.default.createFile(atPath: output, contents: Data(chart.svg().utf8)) else { throw CLIError.usage("cannot write \(output)") }
                }
                print("wrote \(output)")
            } else {
                print(chart.braille(width: width, height: height))
            }
    }
}

extension Plot {
    static let gradientFlow = "grad_flow"

    /// One gradient-flow profile: at validation `step`, the relative gradient norm at each lag bucket.
    struct FlowProfile: Encodable {
        var run: Int64
        var step: Int
        var lags: [Int]
        var values: [Double]
    }

    /// `--metric grad_flow`: the gradient-flow profiles (relative ‖∂ℓ_T/∂h_{T−lag}‖ against the lag, both on log
    /// axes) — for one run at its first, middle and last validations; for several runs, each one's last.
    func plotGradientFlow(_ client: RNNClient) async throws {
        var curves: [Chart.Curve] = [], profiles: [FlowProfile] = []
        for run in runs {
            let id = run.value
            let detail = try await client.run(id)
            let lags = detail.metrics.compactMap { m in m.name.hasPrefix("grad_flow_lag_") ? Int(m.name.dropFirst("grad_flow_lag_".count)) : nil }.sorted()
            guard !lags.isEmpty else {
                throw CLIError.usage("run \(id) has no gradient-flow records yet (they are written at each validation)")
            }
            var byStep: [Int: [Int: Double]] = [:]
            for lag in lags {
                for point in try await client.series(id, name: "grad_flow_lag_\(lag)").points { byStep[point.step, default: [:]][lag] = point.value }
            }
            let steps = byStep.keys.sorted()
            let chosen = runs.count == 1 ? Array(Set([0, steps.count / 3, 2 * steps.count / 3, steps.count - 1].map { steps[$0] })).sorted() : [steps.last!]
            for step in chosen {
                let values = lags.map { byStep[step]?[$0] ?? .nan }
                profiles.append(FlowProfile(run: id, step: step, lags: lags, values: values))
                curves.append(Chart.Curve(label: "\(id) \(detail.run.name) at step \(step)", points: zip(lags, values).map { (log2(Double($0)), $1) }))
            }
        }
        if json { try Terminal.printJSON(profiles); return }
        var chart = Chart(curves: curves, metric: "gradient flow: ‖∂loss_T/∂h_(T−lag)‖ relative to lag 0", logScale: true)
        chart.xName = "lag"
        chart.xLabel = { String(Int(pow(2, $0).rounded())) }
        try draw(chart)
    }

    /// Renders the SVG with rsvg-convert (librsvg), so that both formats show the same picture.
    static func writePNG(svg: String, to output: String) throws {
        let converter = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let converter else {
            throw CLIError.usage("PNG output needs rsvg-convert (Debian: apt-get install librsvg2-bin); or write --output FILE.svg")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["--format", "png", "--output", output]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(svg.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CLIError.usage("rsvg-convert could not write \(output): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
