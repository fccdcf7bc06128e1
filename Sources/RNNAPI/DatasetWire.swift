import Foundation

/// The kinds of dataset rnnd reads.
public enum DatasetKind: String, Sendable, Codable, CaseIterable { case text, csv, jsonl }

public struct DatasetInfo: Codable, Sendable, Equatable {
    public var sha256: String
    public var name: String
    public var kind: DatasetKind
    public var size: Int64
    public var createdAt: Double
    /// How many runs use it (in the list, GET /v1/datasets).
    public var runs: Int?
    public init(sha256: String, name: String, kind: DatasetKind, size: Int64, createdAt: Double, runs: Int? = nil) {
        (self.sha256, self.name, self.kind, self.size, self.createdAt) = (sha256, name, kind, size, createdAt)
        self.runs = runs
    }
}

/// GET /v1/datasets
public struct DatasetList: Codable, Sendable, Equatable {
    public var datasets: [DatasetInfo]
    public init(datasets: [DatasetInfo]) { self.datasets = datasets }
}
