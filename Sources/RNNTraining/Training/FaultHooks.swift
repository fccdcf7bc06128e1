import Foundation

/// Where a fault-injection harness (`rnn-bench chaos`, through rnnd's `RNND_FAULT_WINDOW_MS`) holds training
/// and its recording, so that a kill lands in the windows where it does most harm. One injected value;
/// `.none` in service, which does nothing.
public struct FaultHooks: Sendable {
    public enum Point: Sendable {
        /// Between writing a checkpoint's temporary file and renaming it into place (the trainer).
        case beforeCheckpointRename
        /// Before the metric points up to a checkpoint are flushed (rnnd's recorder).
        case beforeMetricFlush
        /// Before a written checkpoint's row is recorded (rnnd's recorder).
        case beforeCheckpointRow
    }

    public var at: @Sendable (Point) -> Void

    public init(at: @escaping @Sendable (Point) -> Void) { self.at = at }

    public static let none = FaultHooks { _ in }

    /// A pause of `seconds` at every point (none when `seconds` is 0).
    public static func pause(seconds: Double) -> FaultHooks {
        seconds > 0 ? FaultHooks { _ in Thread.sleep(forTimeInterval: seconds) } : .none
    }
}
