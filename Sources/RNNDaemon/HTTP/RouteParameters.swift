import Hummingbird
import RNNAPI
import RNNStore

extension DaemonContext {
    /// The `:id` of the path, a positive run id.
    func runID() throws -> Int64 { try pathID("run") }
    func sweepID() throws -> Int64 { try pathID("sweep") }

    private func pathID(_ what: String) throws -> Int64 {
        let text = try parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw APIFailure.badRequest("\"\(text)\" is not a \(what) id", field: "id") }
        return id
    }
}

enum QueryValue {
    /// An integer query parameter within `range`, or `value` when absent.
    static func integer(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw APIFailure.badRequest("\(name) must be an integer in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)), got \"\(text)\"", field: name)
        }
        return v
    }

    /// A boolean query parameter (`true` or `false`), or `value` when absent.
    static func boolean(_ text: String?, _ name: String, default value: Bool) throws -> Bool {
        guard let text else { return value }
        guard let v = Bool(text) else { throw APIFailure.badRequest("\(name) must be true or false, got \"\(text)\"", field: name) }
        return v
    }
}

extension DatasetInfo {
    init(_ r: DatasetRecord) {
        self.init(sha256: r.sha256, name: r.name, kind: r.kind, size: r.size, createdAt: r.createdAt)
    }
}

extension APIValue {
    /// A stored hyperparameter as the API shows it: whole numbers as integers.
    init(_ v: HyperValue) {
        switch v {
        case .number(let n): self = n == n.rounded() && abs(n) < 1e15 ? .int(Int(n)) : .double(n)
        case .text(let t): self = .string(t)
        }
    }
}
