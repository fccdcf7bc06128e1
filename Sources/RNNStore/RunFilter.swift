import Foundation
import GRDB
import RNNAPI
import RNNSupport

/// The run filter language, parsed into parameterised SQL (values are never spliced into the SQL text).
///
///     filter  := or
///     or      := and ("or" and)*
///     and     := not ("and" not)*
///     not     := "not" not | "(" filter ")" | field op value
///     op      := = | != | < | <= | > | >= | ~        (~ : the text contains the value, case-insensitively)
///     field   := state | name | note | tag | sweep | id | priority | workers | seed | restarts | dataset
///              | submitted | started | finished    (Unix seconds, or an ISO 8601 date or date-time)
///              | best.METRIC | latest.METRIC | min.METRIC | max.METRIC   (metric summaries, e.g. best.val_loss)
///              | any other identifier: a hyperparameter (hidden_size, cell, lr, …), compared as a number
///                when the value is a number, else as text
///     value   := number | 'single' or "double" quoted text ('' or "" inside for a quote) | bare word
///
/// Example: `cell = lstm and (hidden_size >= 256 or layers = 3) and best.val_loss < 1.6`.
public struct RunFilter: Sendable, Equatable {
    /// The SQL boolean expression over the `run` table, with `?` placeholders.
    public let sql: String
    public let arguments: [DatabaseValue]

    /// The hyperparameter and metric names runs in the store have: a filter or sort on another name is a typo
    /// (an error with suggestions), not an empty answer. Nil: not checked (an empty store).
    public struct KnownNames: Sendable, Equatable {
        public var hyperparameters: Set<String>
        public var metrics: Set<String>
        public init(hyperparameters: Set<String>, metrics: Set<String>) {
            self.hyperparameters = hyperparameters
            self.metrics = metrics
        }

        func check(_ field: Field) -> String? {
            switch field {
            case .hyperparameter(let key) where !hyperparameters.contains(key):
                return "unknown field \"\(key)\": no run has this hyperparameter" + Suggestions.hint(key, known: hyperparameters.union(Field.builtIn), label: "fields")
            case .summary(_, let metric) where !metrics.contains(metric):
                return Suggestions.unknown("metric", metric, known: metrics)
            default: return nil
            }
        }
    }

    public init(_ text: String, known: KnownNames? = nil) throws {
        var parser = Parser(text: text, known: known)
        let (sql, arguments) = try parser.parse()
        self.sql = sql
        self.arguments = arguments
    }

    /// A sort key: the same fields as the filter (`best.val_loss`, `hidden_size`, `submitted`, …), with an
    /// optional leading `-` for descending order. Returns the value's SQL expression and the direction;
    /// runs without a value sort last. Hyperparameters sort by number, then by text.
    public static func sortExpression(_ key: String, known: KnownNames? = nil) throws -> (sql: String, arguments: [DatabaseValue], descending: Bool) {
        let descending = key.hasPrefix("-")
        let name = descending ? String(key.dropFirst()) : key
        guard let field = Field(name), !(field == .tag) else {
            throw StoreError(.badFilter, "cannot sort by \"\(key)\": expected a field name such as submitted, name, best.val_loss or hidden_size")
        }
        if let problem = known?.check(field) { throw StoreError(.badFilter, "cannot sort by \"\(key)\": \(problem)") }
        if case .hyperparameter(let k) = field {
            return ("(SELECT coalesce(value_num, value_text) FROM hyperparameter WHERE run_id = run.id AND key = ?)", [k.databaseValue], descending)
        }
        let (expression, arguments) = field.sql(numeric: true)
        return (expression, arguments, descending)
    }

    /// Which value of a metric summary a field names.
    enum SummaryValue: String { case best, latest, min, max }

    enum Field: Equatable {
        case column(String, numeric: Bool)
        case time(String)
        case tag
        case summary(SummaryValue, metric: String)
        case hyperparameter(String)

        /// The fields that are not hyperparameters.
        static let builtIn: Set<String> = ["state", "name", "note", "tag", "sweep", "id", "priority", "workers", "seed", "restarts", "dataset",
                                           "submitted", "started", "finished"]

        init?(_ name: String) {
            let identifier = name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." } && !name.isEmpty
            guard identifier, name.first!.isLetter else { return nil }
            switch name {
            case "state", "name", "note": self = .column(name, numeric: false)
            case "id", "priority", "workers", "seed", "restarts": self = .column(name, numeric: true)
            case "sweep": self = .column("sweep_id", numeric: true)
            case "dataset": self = .column("dataset_id", numeric: true)
            case "submitted", "started", "finished": self = .time("\(name)_at")
            case "tag": self = .tag
            default:
                let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count == 2, let which = SummaryValue(rawValue: String(parts[0])), !parts[1].isEmpty {
                    self = .summary(which, metric: String(parts[1]))
                } else if parts.count == 1 {
                    self = .hyperparameter(name)
                } else {
                    return nil
                }
            }
        }

        /// The SQL for the field's value (numeric or text form for hyperparameters).
        func sql(numeric: Bool) -> (String, [DatabaseValue]) {
            switch self {
            case .column(let c, _): return ("run.\(c)", [])
            case .time(let c): return ("run.\(c)", [])
            case .tag: return ("", [])
            case .summary(let which, let metric):
                return ("(SELECT \(which.rawValue)_value FROM metric_summary WHERE run_id = run.id AND name = ?)", [metric.databaseValue])
            case .hyperparameter(let key):
                return ("(SELECT \(numeric ? "value_num" : "value_text") FROM hyperparameter WHERE run_id = run.id AND key = ?)", [key.databaseValue])
            }
        }
    }

    struct Parser {
        let text: String
        let known: KnownNames?
        var tokens: [(token: Token, offset: Int)] = []
        var index = 0

        enum Token: Equatable {
            case word(String), quoted(String), number(Double), op(String), open, close
        }

        init(text: String, known: KnownNames? = nil) {
            self.text = text
            self.known = known
        }

        func fail(_ why: String, at offset: Int) -> StoreError {
            let caret = String(repeating: " ", count: offset) + "^"
            return StoreError(.badFilter, "filter: \(why) at position \(offset + 1)\n  \(text)\n  \(caret)")
        }

        mutating func tokenize() throws {
            let chars = Array(text)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace { i += 1; continue }
                let start = i
                if c == "(" { tokens.append((.open, i)); i += 1; continue }
                if c == ")" { tokens.append((.close, i)); i += 1; continue }
                if "=!<>~".contains(c) {
                    var op = String(c)
                    if i + 1 < chars.count, chars[i + 1] == "=", c != "=" && c != "~" { op.append("="); i += 1 }
                    guard op != "!" else { throw fail("\"!\" must be followed by \"=\"", at: start) }
                    tokens.append((.op(op), start)); i += 1; continue
                }
                if c == "'" || c == "\"" {
                    var value = ""
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == c {
                            if i + 1 < chars.count, chars[i + 1] == c { value.append(c); i += 2; continue }
                            closed = true; i += 1; break
                        }
                        value.append(chars[i]); i += 1
                    }
                    guard closed else { throw fail("unterminated quoted value", at: start) }
                    tokens.append((.quoted(value), start)); continue
                }
                var word = ""
                while i < chars.count, !chars[i].isWhitespace, !"()=!<>~'\"".contains(chars[i]) { word.append(chars[i]); i += 1 }
                if let number = Double(word), number.isFinite { tokens.append((.number(number), start)) } else { tokens.append((.word(word), start)) }
            }
        }

        mutating func parse() throws -> (String, [DatabaseValue]) {
            try tokenize()
            guard !tokens.isEmpty else { throw fail("empty filter", at: 0) }
            let result = try parseOr()
            if index < tokens.count { throw fail("unexpected \(describe(tokens[index].token))", at: tokens[index].offset) }
            return result
        }

        func describe(_ t: Token) -> String {
            switch t {
            case .word(let w): "\"\(w)\""
            case .quoted(let q): "'\(q)'"
            case .number(let n): "\(n)"
            case .op(let o): "\"\(o)\""
            case .open: "\"(\""
            case .close: "\")\""
            }
        }

        var atEnd: Bool { index >= tokens.count }
        var endOffset: Int { text.count }

        func isKeyword(_ k: String) -> Bool {
            if !atEnd, case .word(let w) = tokens[index].token, w.lowercased() == k { return true }
            return false
        }

        mutating func parseOr() throws -> (String, [DatabaseValue]) {
            var (sql, args) = try parseAnd()
            while isKeyword("or") {
                index += 1
                let (rhs, rargs) = try parseAnd()
                sql = "(\(sql) OR \(rhs))"; args += rargs
            }
            return (sql, args)
        }

        mutating func parseAnd() throws -> (String, [DatabaseValue]) {
            var (sql, args) = try parseNot()
            while isKeyword("and") {
                index += 1
                let (rhs, rargs) = try parseNot()
                sql = "(\(sql) AND \(rhs))"; args += rargs
            }
            return (sql, args)
        }

        mutating func parseNot() throws -> (String, [DatabaseValue]) {
            if isKeyword("not") {
                index += 1
                let (inner, args) = try parseNot()
                return ("(NOT COALESCE(\(inner), 0))", args)
            }
            guard !atEnd else { throw fail("expected a comparison such as hidden_size >= 256", at: endOffset) }
            if tokens[index].token == .open {
                let open = tokens[index].offset
                index += 1
                let inner = try parseOr()
                guard !atEnd, tokens[index].token == .close else { throw fail("missing \")\" for the \"(\" at position \(open + 1)", at: atEnd ? endOffset : tokens[index].offset) }
                index += 1
                return ("(\(inner.0))", inner.1)
            }
            return try parseComparison()
        }

        mutating func parseComparison() throws -> (String, [DatabaseValue]) {
            let (fieldToken, fieldOffset) = tokens[index]
            guard case .word(let name) = fieldToken, let field = Field(name) else {
                throw fail("expected a field name, found \(describe(fieldToken))", at: fieldOffset)
            }
            if let problem = known?.check(field) { throw fail(problem, at: fieldOffset) }
            index += 1
            guard !atEnd, case .op(let op) = tokens[index].token else {
                throw fail("expected an operator (= != < <= > >= ~) after \(name)", at: atEnd ? endOffset : tokens[index].offset)
            }
            index += 1
            guard !atEnd else { throw fail("expected a value after \(op)", at: endOffset) }
            let (valueToken, valueOffset) = tokens[index]
            index += 1
            let value: DatabaseValue
            var numeric: Bool
            switch valueToken {
            case .number(let n): value = n.databaseValue; numeric = true
            case .quoted(let q): value = q.databaseValue; numeric = false
            case .word(let w): value = w.databaseValue; numeric = false
            default: throw fail("expected a value, found \(describe(valueToken))", at: valueOffset)
            }
            let sqlOp = op == "~" ? "LIKE" : (op == "!=" ? "<>" : op)
            if op == "~" && numeric { throw fail("~ compares text; quote the value", at: valueOffset) }
            switch field {
            case .tag:
                guard op == "=" || op == "!=" || op == "~" else { throw fail("tags compare with =, != or ~", at: valueOffset - 1) }
                let test = op == "~" ? "tag LIKE ? ESCAPE '\\'" : "tag = ?"
                let exists = "EXISTS (SELECT 1 FROM run_tag WHERE run_id = run.id AND \(test))"
                return (op == "!=" ? "(NOT \(exists))" : exists, [op == "~" ? like(value) : value])
            case .time(let column):
                var seconds = value
                if !numeric {
                    guard case .string(let s) = value.storage, let t = Parser.parseDate(s) else {
                        throw fail("a time is Unix seconds, a date (2026-11-29), a local time as rnnctl shows it ('2026-11-29 12:00:00', quoted for the space) or ISO 8601 with a zone (2026-11-29T12:00:00Z)", at: valueOffset)
                    }
                    seconds = t.databaseValue
                }
                return ("run.\(column) \(sqlOp) ?", [seconds])
            case .column(let c, let isNumeric):
                if isNumeric && !numeric { throw fail("\(name) is a number", at: valueOffset) }
                if c == "state", case .string(let s) = value.storage, RunState(rawValue: s) == nil {
                    throw fail("unknown state \"\(s)\" (one of \(RunState.allCases.map(\.rawValue).joined(separator: ", ")))", at: valueOffset)
                }
                return ("run.\(c) \(sqlOp) ? \(op == "~" ? "ESCAPE '\\'" : "")", [op == "~" ? like(value) : value])
            case .summary:
                if !numeric { throw fail("metric summaries are numbers", at: valueOffset) }
                let (expression, args) = field.sql(numeric: true)
                return ("\(expression) \(sqlOp) ?", args + [value])
            case .hyperparameter:
                let (expression, args) = field.sql(numeric: numeric)
                return ("\(expression) \(sqlOp) ? \(op == "~" ? "ESCAPE '\\'" : "")", args + [op == "~" ? like(value) : value])
            }
        }

        /// %value% for LIKE, with the pattern characters of the value escaped.
        func like(_ value: DatabaseValue) -> DatabaseValue {
            guard case .string(let s) = value.storage else { return value }
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            return "%\(escaped)%".databaseValue
        }

        /// A time as rnnctl shows it (`2026-11-30 07:22:00`, local), ISO 8601 with a zone (`…T07:22:00Z`,
        /// `…+01:00`) or without one (local), with minutes only, or a date (local midnight). The whole text must
        /// match: a date-time is never read as its date.
        static func parseDate(_ s: String, timeZone: TimeZone = .current) -> Double? {
            let zoned = ISO8601DateFormatter()
            for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
                zoned.formatOptions = options
                if let d = zoned.date(from: s) { return d.timeIntervalSince1970 }
            }
            let local = DateFormatter()
            local.locale = Locale(identifier: "en_US_POSIX")
            local.timeZone = timeZone
            local.isLenient = false
            for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
                local.dateFormat = format
                if let d = local.date(from: s), local.string(from: d).count == s.count { return d.timeIntervalSince1970 }
            }
            return nil
        }
    }
}
