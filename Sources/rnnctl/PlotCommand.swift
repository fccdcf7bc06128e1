import ArgumentParser
import Foundation
import RNNAPI

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
    @Argument(help: "Run ids.") var runs: [String]
    @Option(help: "The metric.") var metric = "train_loss"
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
            var curves: [Chart.Curve] = [], all: [Series] = []
            for text in runs {
                let id = try parseRunID(text)
                let series = try await client.series(id, name: metric, maxPoints: 1000)
                all.append(series)
                let name = try await client.run(id).run.name
                curves.append(Chart.Curve(label: "\(id) \(name)", points: series.points.map { (Double($0.step), $0.value) }))
            }
            if json { try Terminal.printJSON(all); return }
            guard curves.contains(where: { !$0.points.isEmpty }) else { throw CLIError.usage("no \(metric) points in run(s) \(runs.joined(separator: ", ")) yet") }
            let chart = Chart(curves: curves, metric: metric, logScale: log)
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
}

extension Plot {
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
