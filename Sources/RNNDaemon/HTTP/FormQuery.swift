import Foundation
import Hummingbird

/// A request's query string decoded as browsers and HTTP clients encode it (application/x-www-form-urlencoded:
/// `+` is a space, then percent-escapes), which is what Python's `urlencode` and `curl -G --data-urlencode`
/// send. (Hummingbird's `queryParameters` leaves a `+` as it is.)
struct FormQuery: Sendable {
    private let values: [(name: String, value: String)]

    /// Throws a 400 naming the part that is not valid percent-encoding (`%zz`), never guesses.
    init(_ query: String?) throws {
        values = try (query ?? "").split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (try Self.decode(parts[0]), parts.count > 1 ? try Self.decode(parts[1]) : "")
        }
    }

    /// The first value of `name`.
    func get(_ name: String) -> String? { values.first { $0.name == name }?.value }

    static func decode(_ text: Substring) throws -> String {
        guard let decoded = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
            throw APIFailure.badRequest("the query string part \"\(text)\" is not valid percent-encoding (a % must start %XX)")
        }
        return decoded
    }
}

extension Request {
    /// The query string, form-decoded.
    func formQuery() throws -> FormQuery { try FormQuery(uri.query) }
}
