/// An error of the numeric core: bad data handed to it (a malformed or mismatched parameter file).
/// Programmer errors — shapes that disagree inside the core — are preconditions instead.
public struct RNNCoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case malformedFile, modelMismatch, unsupported }
        private let value: Value
        /// The bytes are not a well-formed file of the expected format.
        public static let malformedFile = Code(value: .malformedFile)
        /// The file is well formed but does not fit the network (names, shapes, counts).
        public static let modelMismatch = Code(value: .modelMismatch)
        /// The file uses a feature rnnd does not read (a dtype other than F32, …).
        public static let unsupported = Code(value: .unsupported)
        public var description: String { "\(value)" }
    }

    public let code: Code
    /// What went wrong and, where it helps, what to do.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
