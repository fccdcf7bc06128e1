/// "Did you mean" for a name that is not one of the known ones: the known names within a small edit distance
/// (or sharing its first three letters), closest first.
public enum Suggestions {
    public static func closest(to name: String, in known: some Sequence<String>, limit: Int = 3) -> [String] {
        let target = Array(name.lowercased())
        let scored = known.map { candidate -> (String, Int) in (candidate, distance(target, Array(candidate.lowercased()))) }
        let allowed = max(2, target.count / 3)
        return scored.filter { $0.1 <= allowed || ($0.0.count >= 3 && name.count >= 3 && $0.0.prefix(3) == name.prefix(3)) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// `unknown KIND "name" (did you mean a, b?); known: …` — the message every such error uses.
    public static func unknown(_ kind: String, _ name: String, known: some Collection<String>) -> String {
        "unknown \(kind) \"\(name)\"" + hint(name, known: known)
    }

    /// ` (did you mean a, b?); known: …` (the list when it is short), or "" when there is nothing to say.
    public static func hint(_ name: String, known: some Collection<String>, label: String = "known") -> String {
        let close = closest(to: name, in: known)
        var out = close.isEmpty ? "" : " (did you mean \(close.joined(separator: ", "))?)"
        if !known.isEmpty && known.count <= 40 { out += "; \(label): \(known.sorted().joined(separator: ", "))" }
        return out
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            if b.isEmpty { current[0] = i }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
