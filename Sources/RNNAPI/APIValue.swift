/// One configuration value on the wire: a JSON number, string, boolean or list of strings. The daemon
/// validates it against the run configuration's keys.
public enum APIValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case list([String])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([String].self) { self = .list(v) }
        else {
            throw DecodingError.typeMismatch(APIValue.self, .init(codingPath: c.codingPath,
                debugDescription: "expected a number, a string, a boolean or a list of strings"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .list(let v): try c.encode(v)
        }
    }

    public var description: String {
        switch self {
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .string(let v): v
        case .bool(let v): "\(v)"
        case .list(let v): v.joined(separator: ",")
        }
    }

    /// A typed value from a `key=value` override: an integer, else a decimal, else a boolean, else text
    /// (the daemon splits text at commas for list keys such as input_columns).
    public static func parse(_ text: String) -> APIValue {
        if let v = Int(text) { return .int(v) }
        if let v = Double(text), !text.lowercased().contains("n") { return .double(v) }  // not "nan"/"inf"
        if text == "true" || text == "false" { return .bool(text == "true") }
        return .string(text)
    }
}
