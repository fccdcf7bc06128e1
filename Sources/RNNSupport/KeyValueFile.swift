import RNNAPI
/// The one reader of `key = value` files: rnnd's config file and rnnctl's run configurations. It reads the part of
/// TOML they use — `# comments`, `[section]` headers, and `key = value` where the value is a string ("…" with
/// \" \\ \n \t escapes, or '…' literal), an integer, a decimal, a boolean, or a list of strings
/// (`["a", "b"]`). Anything else is an error naming the file and line, never ignored or guessed.
public enum KeyValueFile {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    /// Parses `text` (read from `file`, which errors name) into "section.key" (or "key" before any section) → value.
    public static func parse(_ text: String, file: String) throws(Failure) -> [String: APIValue] {
        var out: [String: APIValue] = [:]
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func fail(_ reason: String) -> Failure { Failure(file: file, line: index + 1, reason: reason) }
            let line = stripComment(String(rawLine)).trimmed
            if line.isEmpty { continue }
            if line.hasPrefix("[") && !line.contains("=") {
                guard line.hasSuffix("]"), !line.hasPrefix("[["), line.count > 2 else { throw fail("a section header is [name]") }
                section = String(line.dropFirst().dropLast()).trimmed
                guard isName(section) else { throw fail("section name \"\(section)\" has characters other than letters, digits, _ and -") }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = value") }
            let key = String(line[..<equals]).trimmed
            guard isName(key) else { throw fail("\"\(key)\" is not a key (letters, digits, _ and -)") }
            let full = section.isEmpty ? key : "\(section).\(key)"
            guard out[full] == nil else { throw fail("\(full) is set twice") }
            out[full] = try value(String(line[line.index(after: equals)...]).trimmed, key: key, fail: fail)
        }
        return out
    }

    private static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    /// The line without a trailing # comment (a # inside a string stays).
    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var escaped = false
        for (i, c) in zip(line.indices, line) {
            if escaped { escaped = false; continue }
            if quote == "\"" && c == "\\" { escaped = true; continue }
            if let q = quote { if c == q { quote = nil }; continue }
            if c == "\"" || c == "'" { quote = c; continue }
            if c == "#" { return String(line[..<i]) }
        }
        return line
    }

    private static func value(_ text: String, key: String, fail: (String) -> Failure) throws(Failure) -> APIValue {
        if text.isEmpty { throw fail("\(key) has no value") }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if text.hasPrefix("'") || text.hasPrefix("\"") {
            var rest = Substring(text)
            let string = try quoted(&rest, fail: fail)
            guard rest.trimmed.isEmpty else { throw fail("unexpected \"\(rest.trimmed)\" after the string") }
            return .string(string)
        }
        if text.hasPrefix("[") { return .list(try list(text, fail: fail)) }
        let digits = String(text.filter { $0 != "_" })
        if let i = Int(digits) { return .int(i) }
        if let d = Double(digits), d.isFinite, !digits.lowercased().contains("n") { return .double(d) }
        throw fail("\"\(text)\" is not a string, number, boolean or list (quote strings: \(key) = \"\(text)\")")
    }

    /// Reads one quoted string at the start of `text`, leaving `text` after its closing quote.
    private static func quoted(_ text: inout Substring, fail: (String) -> Failure) throws(Failure) -> String {
        let quote = text.removeFirst()
        var out = ""
        while let c = text.popFirst() {
            if c == quote { return out }
            guard quote == "\"", c == "\\" else { out.append(c); continue }
            switch text.popFirst() {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case "t": out.append("\t")
            default: throw fail("unsupported escape in string (\\\" \\\\ \\n \\t)")
            }
        }
        throw fail("unterminated string")
    }

    /// `["a", 'b']`: a list of strings on one line.
    private static func list(_ text: String, fail: (String) -> Failure) throws(Failure) -> [String] {
        var rest = Substring(text).dropFirst()
        var items: [String] = []
        while true {
            rest = Substring(rest.trimmed)
            if rest.first == "]" && items.isEmpty { rest.removeFirst(); break }
            guard rest.first == "\"" || rest.first == "'" else { throw fail("a list holds quoted strings: [\"a\", \"b\"]") }
            items.append(try quoted(&rest, fail: fail))
            rest = Substring(rest.trimmed)
            guard let separator = rest.popFirst() else { throw fail("unterminated list") }
            if separator == "]" { break }
            guard separator == "," else { throw fail("expected , or ] in the list") }
        }
        guard rest.trimmed.isEmpty else { throw fail("unexpected \"\(rest.trimmed)\" after the list") }
        return items
    }
}

private extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
