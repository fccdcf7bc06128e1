import Foundation
@testable import RNNTraining
import Testing

/// docs/configuration.md documents the run configuration: every key rnnd accepts has a row, and no row names a key it
/// does not accept.
@Suite struct ConfigurationDocTests {
    @Test func docsDocumentEveryConfigurationKeyAndNoOther() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/configuration.md").standardized
        let text = try String(contentsOf: doc, encoding: .utf8)
        // The rows of the table under "## Run configuration", up to the next heading.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0 == "## Run configuration" }, "docs/configuration.md has its section")
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
