/// An error of the training module: a bad configuration, bad data, an unreadable checkpoint, or a run that
/// diverged. `message` says what is wrong and where (key, file, line, byte offset) and what to do.
public struct TrainingError: Error, Equatable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case invalidConfig, invalidData, invalidCheckpoint, diverged, io, storage }
        private let value: Value
        /// A configuration key is unknown, of the wrong type, out of range or inconsistent.
        public static let invalidConfig = Code(value: .invalidConfig)
        /// A dataset is empty, malformed or does not fit the configuration.
        public static let invalidData = Code(value: .invalidData)
        /// A checkpoint file is truncated, corrupted, of another format version or for another model.
        public static let invalidCheckpoint = Code(value: .invalidCheckpoint)
        /// Training failed after repeated rollbacks.
        public static let diverged = Code(value: .diverged)
        /// A file could not be read or written.
        public static let io = Code(value: .io)
        /// A checkpoint could not be written where the run keeps them (a full disk, a read-only or failing file
        /// system): the run can continue from its last checkpoint once the cause is fixed.
        public static let storage = Code(value: .storage)
        public var description: String { "\(value)" }
    }

    public let code: Code
    public let message: String
    /// The configuration key the error is about, when there is one.
    public let key: String?

    public init(_ code: Code, _ message: String, key: String? = nil) {
        self.code = code
        self.message = message
        self.key = key
    }

    public var description: String { message }
}
