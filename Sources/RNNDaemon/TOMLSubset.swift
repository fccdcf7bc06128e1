/// The part of TOML rnnd's config file uses: `# comments`, `[section]` headers, and `key = value` with
/// strings ("…" with \" \\ \n \t escapes, or '…' literal), integers, decimals and booleans. Anything else is
/// an error naming the file and line, never ignored.
enum TOMLSubset {
    enum Value: Equatable, Sendable {
        case string(String), integer(Int), decimal(Double), boolean(Bool)
    }

    /// Parses `text` into "section.key" (or "key" before any section) → value.
    static func parse(_ text: String, name: String) throws -> [String: Value] {
        var out: [String: Value] = [:]
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ why: String) -> DaemonError { DaemonError(.invalidConfig, "\(name):\(number): \(why)") }
            let line = stripComment(String(rawLine)).trimmed
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[["), line.count > 2 else { throw fail("a section header is [name]") }
                section = String(line.dropFirst().dropLast()).trimmed
                guard section.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { throw fail("section name \"\(section)\" has characters rnnd does not accept") }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = value") }
            let key = String(line[..<equals]).trimmed
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { throw fail("\"\(key)\" is not a key") }
            let full = section.isEmpty ? key : "\(section).\(key)"
            guard out[full] == nil else { throw fail("\(full) is set twice") }
            out[full] = try value(String(line[line.index(after: equals)...]).trimmed, fail: fail)
        }
        return out
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

    static func value(_ text: String, fail: (String) -> DaemonError) throws -> Value {
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else { throw fail("unterminated string") }
            return .string(String(text.dropFirst().dropLast()))
        }
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\""), !text.hasSuffix("\\\"") || text.hasSuffix("\\\\\"") else { throw fail("unterminated string") }
            var out = ""
            var chars = text.dropFirst().dropLast().makeIterator()
            while let c = chars.next() {
                guard c == "\\" else { out.append(c); continue }
                switch chars.next() {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: throw fail("unsupported escape in string")
                }
            }
            return .string(out)
        }
        let digits = text.replacingUnderscores
        if let i = Int(digits) { return .integer(i) }
        if let d = Double(digits), d.isFinite { return .decimal(d) }
        throw fail("\"\(text)\" is not a string, number or boolean (quote strings)")
    }
}

private extension String {
    var trimmed: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
    var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
