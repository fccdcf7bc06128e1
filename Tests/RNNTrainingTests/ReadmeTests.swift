import Foundation
@testable import RNNTraining
import Testing

/// README.md documents the configuration: every key rnnd accepts has a row, and no row names a key it
/// does not accept.
@Suite struct ReadmeTests {
    @Test func readmeDocumentsEveryConfigurationKeyAndNoOther() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        // The rows of the table under "### Run configuration", up to the next heading.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0 == "### Run configuration" }, "the README has its section")
        let section = lines[(start + 1)...].prefix { !$0.hasPrefix("#") }
        let documented = Set(section.compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        let keys = Set(RunConfig.keys.keys)
        #expect(documented.count > 20, "the table was found: \(documented.count) rows")
        #expect(keys.subtracting(documented).isEmpty, "undocumented keys: \(keys.subtracting(documented).sorted())")
        #expect(documented.subtracting(keys).isEmpty, "documented keys rnnd does not accept: \(documented.subtracting(keys).sorted())")
    }
}
