/// An error of the daemon's own set-up: its configuration, its state directory, its lock.
public struct DaemonError: Error, Equatable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case invalidConfig, locked, io, missingDataset }
        private let value: Value
        /// A flag, an RNND_* variable or the config file is wrong; the message names it.
        public static let invalidConfig = Code(value: .invalidConfig)
        /// Another rnnd holds the state directory.
        public static let locked = Code(value: .locked)
        /// A file or directory could not be created or opened.
        public static let io = Code(value: .io)
        /// A run's dataset file is gone from the state directory (uploading the same bytes again restores it).
        public static let missingDataset = Code(value: .missingDataset)
        public var description: String { "\(value)" }
    }

    public let code: Code, message: String
    /// The error underneath (SQLite's, the file system's, another module's), kept whole for logs and callers
    /// that match on it; `message` already says what it means here.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) { (self.code, self.message, self.cause) = (code, message, cause) }
    public var description: String { message }
    /// Errors are equal by code and message (the cause is detail).
    public static func == (a: DaemonError, b: DaemonError) -> Bool { a.code == b.code && a.message == b.message }
}
