import ArgumentParser
import Foundation
import RNNAPI

/// Output conventions shared by the commands: `--json`, `--format` with chosen columns, `--no-header`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, see README).") var json = false
    @Option(help: "Comma-separated columns to print (see each command's help for the names).") var format: String?
    @Flag(help: "Leave out the header line (for shell pipelines).") var noHeader = false
}
