import Foundation

// The wire contract between rnnd and its clients. JSON field names are the snake_case forms of these
// property names (`bestValLoss` → `best_val_loss`); openapi.yaml documents them and the daemon serves it at
// GET /openapi.yaml.

/// The JSON coders both ends use: snake_case keys, sorted output.
public enum APIJSON {
    /// Shared by every caller: never change its settings (use `makeEncoder()` for a differently formatted copy).
    public static let encoder: JSONEncoder = makeEncoder()

    /// A new encoder with the wire settings.
    public static func makeEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()
}

/// A request body: the fields it accepts (snake_case), so that unknown ones are refused by name.
public protocol APIRequest: Codable, Sendable {
    static var fields: Set<String> { get }
}

/// The body of every 4xx and 5xx answer: what went wrong and, when one field is to blame, which.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var field: String?
    public init(error: String, field: String? = nil) {
        self.error = error
        self.field = field
    }

    /// The refusal as a person reads it: the message, after the field it names unless the message already
    /// starts with it (`lr: 11.0 is out of range …`, not `lr: lr: …`).
    public var text: String {
        guard let field, !error.hasPrefix(field + ":"), !error.hasPrefix(field + " ") else { return error }
        return "\(field): \(error)"
    }
}

public struct HealthInfo: Codable, Sendable, Equatable {
    public var status: String
    public var version: String
    public var queued: Int
    public var running: Int
    public init(status: String, version: String, queued: Int, running: Int) {
        (self.status, self.version, self.queued, self.running) = (status, version, queued, running)
    }
}

/// The release of rnnd and its API (`/healthz`, `--version`).
public enum APIVersion {
    public static let current = "0.1.0"
}

/// POST /v1/ui/tokens (Unix socket only): a one-time link that logs a browser into the web view.
public struct WebLogin: Codable, Sendable, Equatable {
    /// `http://127.0.0.1:PORT/ui/login?t=TOKEN`: single use, valid until `expires_at`.
    public var url: String
    public var expiresAt: Double
    public init(url: String, expiresAt: Double) {
        self.url = url
        self.expiresAt = expiresAt
    }
}
