import Foundation

/// What a progress event reports; the SSE `event:` field.
public enum ProgressKind: String, Sendable, Codable, CaseIterable {
    case step, validation, checkpoint, skipped, rollback
    /// A state change (the stream ends after a final state).
    case state
}

/// One Server-Sent Event of GET /v1/runs/{id}/stream.
public struct ProgressEvent: Codable, Sendable, Equatable {
    public var kind: ProgressKind
    public var step: Int?
    public var epoch: Int?
    public var trainLoss: Double?
    public var lr: Double?
    public var tokensPerSecond: Double?
    public var metrics: [String: Double]?
    public var state: RunState?
    public var message: String?
    public init(kind: ProgressKind, step: Int? = nil, epoch: Int? = nil, trainLoss: Double? = nil, lr: Double? = nil, tokensPerSecond: Double? = nil,
                metrics: [String: Double]? = nil, state: RunState? = nil, message: String? = nil) {
        (self.kind, self.step, self.epoch, self.trainLoss, self.lr) = (kind, step, epoch, trainLoss, lr)
        (self.tokensPerSecond, self.metrics, self.state, self.message) = (tokensPerSecond, metrics, state, message)
    }
}
