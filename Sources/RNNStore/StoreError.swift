/// An error of the store: a database it must not touch, a bad filter, a missing row, or SQLite's own.
public struct StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case newerSchema, badFilter, notFound, conflict, lostRace, database, invalidRow }
        private let value: Value
        /// The database was written by a newer rnnd (it has migrations this binary does not know).
        public static let newerSchema = Code(value: .newerSchema)
        /// A filter or sort expression could not be parsed; the message points at the position.
        public static let badFilter = Code(value: .badFilter)
        /// No such run, dataset or checkpoint.
        public static let notFound = Code(value: .notFound)
        /// The change is refused: it conflicts with existing rows (e.g. deleting a dataset that runs use).
        public static let conflict = Code(value: .conflict)
        /// The change was decided on a state that another writer has since moved on (a trial another
        /// reconciliation already started or promoted): the decision is void; nothing was written.
        public static let lostRace = Code(value: .lostRace)
        /// SQLite reported an error (I/O, full disk, corruption).
        public static let database = Code(value: .database)
        /// A row holds a value this rnnd cannot read (an unknown state or kind, a configuration that does not
        /// decode); the message names the row.
        public static let invalidRow = Code(value: .invalidRow)
        public var description: String { "\(value)" }
    }

    public let code: Code, message: String
    /// The error underneath (SQLite's, the file system's, another module's), kept whole for logs and callers
    /// that match on it; `message` already says what it means here.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) { (self.code, self.message, self.cause) = (code, message, cause) }
    public var description: String { message }
    /// Errors are equal by code and message (the cause is detail).
    public static func == (a: StoreError, b: StoreError) -> Bool { a.code == b.code && a.message == b.message }
}
