import ArgumentParser
import Foundation
import RNNAPI

/// Output conventions shared by the commands that print lists of runs: `--json`, `--format` with chosen
/// columns, `--no-header`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, see docs/rnnctl.md).") var json = false
    @Option(help: "Comma-separated columns to print (see each command's help for the names).") var format: String?
    @Flag(help: "Leave out the header line (for shell pipelines).") var noHeader = false
}

/// For commands that print one table of their own: `--json` and `--no-header` (no choice of columns).
struct TableOutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, see docs/rnnctl.md).") var json = false
    @Flag(help: "Leave out the header line (for shell pipelines).") var noHeader = false
}

/// For commands whose text output is a report, not a table: only `--json`.
struct JSONOption: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, see docs/rnnctl.md).") var json = false
}
