import Foundation
@testable import RNNTraining
import Testing

/// README.md documents the configuration: every key rnnd accepts has a row, and no row names a key it
/// does not accept.
@Suite struct ReadmeTests {
    @Test func readmeDocumentsEveryConfigurationKey() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }.filter { $0.allSatisfy { $0.isLowercase || $0 == "_" || $0.isNumber } })
        let keys = Set(RunConfig.keys.keys)
        #expect(keys.subtracting(documented).isEmpty, "undocumented keys: \(keys.subtracting(documented).sorted())")
    }
}
