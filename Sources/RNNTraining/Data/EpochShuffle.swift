import RNNAPI
import RNNCore
import RNNSupport

/// The order of the training examples in each epoch: a Fisher–Yates shuffle by a generator derived from
/// (seed, epoch) alone, so a resumed run sees the same order. The last epoch's order is kept: every step
/// of an epoch asks for it, and reshuffling all examples per step would cost O(examples) each time.
final class EpochShuffle: Sendable {
    let count: Int
    let seed: UInt64
    private let cached = Locked<(epoch: Int, order: [Int])?>(nil)

    init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    func order(epoch: Int) -> [Int] {
        if let hit = cached.withLock({ $0 }), hit.epoch == epoch { return hit.order }
        var order = Array(0..<count)
        var rng = Xoshiro256(seed: seed, stream: [0x5AFF1E, UInt64(epoch)])
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        cached.withLock { $0 = (epoch, order) }
        return order
    }
}
