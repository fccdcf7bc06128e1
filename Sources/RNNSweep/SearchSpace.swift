import Foundation
import RNNAPI

/// What a sweep searches over: for each key, a list of values or a distribution. Keys not in the space keep the
/// base configuration's value.
///
///     lr=[0.01, 0.003, 0.001]          a list (grid axis; random and ASHA choose among them)
///     lr=loguniform(1e-4, 1e-2)        uniform in log space; both bounds positive
///     dropout=uniform(0, 0.5)          uniform
///     hidden_size=int(64, 512)         an integer in the closed range
///     cell=choice(lstm, gru)           one of these values
public struct SearchSpace: Sendable, Equatable, Codable {
    public enum Domain: Sendable, Equatable, Codable {
        case values([APIValue])
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case integer(Int, Int)

        /// Whether a grid can enumerate it.
        public var isList: Bool { if case .values = self { true } else { false } }
    }

    /// Keys in a fixed order (sorted): sampling draws them in this order, so a seed means the same trials.
    public private(set) var keys: [String] = []
    public private(set) var domains: [String: Domain] = [:]

    public init() {}

    public mutating func set(_ key: String, _ domain: Domain) throws {
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw SweepError("space: \"\(key)\" is not a configuration key")
        }
        guard domains[key] == nil else { throw SweepError("space: \(key) is given twice") }
        domains[key] = domain
        keys = domains.keys.sorted()
    }

    /// Parses `key=SPEC` items (`--space` options, or the lines of a space file).
    public static func parse(_ items: [String]) throws -> SearchSpace {
        var space = SearchSpace()
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw SweepError("space: expected key=values or key=distribution(…), got \"\(item)\"")
            }
            let key = item[..<eq].trimmingCharacters(in: .whitespaces)
            try space.set(key, try parseDomain(key, item[item.index(after: eq)...].trimmingCharacters(in: .whitespaces)))
        }
        guard !space.keys.isEmpty else { throw SweepError("space: give at least one key, e.g. lr=loguniform(1e-4, 1e-2)") }
        return space
    }

    static func parseDomain(_ key: String, _ text: String) throws -> Domain {
        func arguments(_ inner: Substring) -> [String] {
            inner.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        func number(_ s: String) throws -> Double {
            guard let v = Double(s), v.isFinite else { throw SweepError("space: \(key): \"\(s)\" is not a number") }
            return v
        }
        if text.hasPrefix("["), text.hasSuffix("]") {
            let items = arguments(text.dropFirst().dropLast()).map(unquote)
            guard !items.isEmpty, !items.contains(where: \.isEmpty) else { throw SweepError("space: \(key): the list \(text) has an empty item") }
            return .values(items.map(APIValue.parse))
        }
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else {
            throw SweepError("space: \(key): expected a list [a, b, …] or uniform(a, b), loguniform(a, b), int(a, b), choice(a, b, …); got \"\(text)\"")
        }
        let name = String(text[..<open]).trimmingCharacters(in: .whitespaces)
        let args = arguments(text[text.index(after: open)..<text.index(before: text.endIndex)])
        switch name {
        case "choice":
            let items = args.map(unquote)
            guard !items.isEmpty, !items.contains(where: \.isEmpty) else { throw SweepError("space: \(key): choice() needs values") }
            return .values(items.map(APIValue.parse))
        case "uniform", "loguniform", "int":
            guard args.count == 2 else { throw SweepError("space: \(key): \(name)(a, b) takes two bounds, got \(args.count)") }
            if name == "int" {
                guard let a = Int(args[0]), let b = Int(args[1]) else { throw SweepError("space: \(key): int(a, b) takes integers") }
                guard a <= b else { throw SweepError("space: \(key): int(\(a), \(b)) has its bounds the wrong way round") }
                return .integer(a, b)
            }
            let a = try number(args[0]), b = try number(args[1])
            guard a < b else { throw SweepError("space: \(key): \(name)(\(args[0]), \(args[1])) needs a < b") }
            if name == "loguniform" {
                guard a > 0 else { throw SweepError("space: \(key): loguniform needs positive bounds, got \(args[0])") }
                return .logUniform(a, b)
            }
            return .uniform(a, b)
        default:
            throw SweepError("space: \(key): unknown distribution \"\(name)\" (uniform, loguniform, int, choice)")
        }
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, (s.hasPrefix("\"") && s.hasSuffix("\"")) || (s.hasPrefix("'") && s.hasSuffix("'")) { return String(s.dropFirst().dropLast()) }
        return s
    }

    /// Every combination of the lists, in order: the last key varies fastest. Distributions cannot be enumerated.
    public func grid(limit: Int = SearchSpace.maxTrials) throws -> [[String: APIValue]] {
        // Counted before anything is enumerated: a space of 10⁹ combinations is refused without building it.
        var count = 1
        for key in keys {
            guard case .values(let values) = domains[key]! else {
                throw SweepError("space: \(key) is a distribution, which a grid cannot enumerate: give a list, or use the random or asha method")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: values.count)
            count = overflow ? .max : product
        }
        guard count <= limit else {
            throw SweepError("space: the grid has \(count == .max ? "more than \(Int.max)" : "\(count)") combinations; at most \(limit)")
        }
        var combinations: [[String: APIValue]] = [[:]]
        for key in keys {
            guard case .values(let values) = domains[key]! else { continue }
            combinations = combinations.flatMap { partial in values.map { partial.merging([key: $0]) { $1 } } }
        }
        return combinations
    }

    /// The most trials a sweep may have.
    public static let maxTrials = 10_000

    /// `count` assignments drawn from `seed`: the same seed gives the same trials in the same order.
    public func sample(count: Int, seed: UInt64) -> [[String: APIValue]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            var assignment: [String: APIValue] = [:]
            for key in keys {
                switch domains[key]! {
                case .values(let values): assignment[key] = values[Int(rng.next() % UInt64(values.count))]
                case .uniform(let a, let b): assignment[key] = .double(a + (b - a) * rng.unit())
                case .logUniform(let a, let b): assignment[key] = .double(exp(log(a) + (log(b) - log(a)) * rng.unit()))
                case .integer(let a, let b): assignment[key] = .int(a + Int(rng.next() % UInt64(b - a + 1)))
                }
            }
            return assignment
        }
    }

    /// The space as it was written (`lr=loguniform(0.0001, 0.01)`), for messages and listings.
    public var description: [String] {
        keys.map { key in
            switch domains[key]! {
            case .values(let values): "\(key)=[\(values.map(\.description).joined(separator: ", "))]"
            case .uniform(let a, let b): "\(key)=uniform(\(a), \(b))"
            case .logUniform(let a, let b): "\(key)=loguniform(\(a), \(b))"
            case .integer(let a, let b): "\(key)=int(\(a), \(b))"
            }
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small generator whose stream a seed fixes on every platform.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform value in [0, 1) with 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

public struct SweepError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
