/// One minibatch (or one replica's shard of it), time-major so that each step's rows are contiguous.
///
/// Shapes (B batch, T time, D features, O outputs):
/// - input: tokens [T, B] or features [T, B, D]
/// - target: classes [T, B] (every step) or [B] (last step); values [T, B, O] or [B, O]
/// - mask: one weight per target row, [T, B] or [B]; nil means every target counts once.
public struct Batch<Scalar: RNNScalar>: Sendable {
    public enum Input: Sendable {
        case tokens([Int32])
        case features([Scalar])
    }

    public enum Target: Sendable {
        case classes([Int32])
        case values([Scalar])
        /// Inference: forward only, no loss.
        case none
    }

    public var batchSize: Int
    public var seqLen: Int
    public var input: Input
    public var target: Target
    public var mask: [Scalar]?

    public init(batchSize: Int, seqLen: Int, input: Input, target: Target, mask: [Scalar]? = nil) {
        (self.batchSize, self.seqLen, self.input, self.target, self.mask) = (batchSize, seqLen, input, target, mask)
    }
}

/// A loss as a weighted sum and the total weight of the targets, so shards of one minibatch can be
/// combined exactly: the minibatch mean is Σ sum / Σ count.
public struct LossSum: Sendable, Equatable {
    public var sum: Double
    public var count: Double
    public init(sum: Double = 0, count: Double = 0) {
        self.sum = sum
        self.count = count
    }
    public var mean: Double { count > 0 ? sum / count : 0 }
    public static func + (a: LossSum, b: LossSum) -> LossSum { LossSum(sum: a.sum + b.sum, count: a.count + b.count) }
}
