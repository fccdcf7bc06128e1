/// An error of the store: a database it must not touch, a bad filter, a missing row, or SQLite's own.
public struct StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case newerSchema, badFilter, notFound, conflict, database, invalidRow }
        private let value: Value
        /// The database was written by a newer rnnd (it has migrations this binary does not know).
        public static let newerSchema = Code(value: .newerSchema)
        /// A filter or sort expression could not be parsed; the message points at the position.
        public static let badFilter = Code(value: .badFilter)
        /// No such run, dataset or checkpoint.
        public static let notFound = Code(value: .notFound)
        /// The change conflicts with existing rows (e.g. deleting a dataset that runs use).
        public static let conflict = Code(value: .conflict)
        /// SQLite reported an error (I/O, full disk, corruption).
        public static let database = Code(value: .database)
        /// A row holds a value this rnnd cannot read (an unknown state or kind, a configuration that does not
        /// decode); the message names the row.
        public static let invalidRow = Code(value: .invalidRow)
        public var description: String { "\(value)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
