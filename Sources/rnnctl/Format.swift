import ArgumentParser
import Foundation
import RNNAPI

enum Format {
    static func number(_ v: Double?, digits: Int = 4) -> String {
        guard let v else { return "-" }
        if v.isNaN { return "nan" }
        return String(format: "%.\(digits)f", v)
    }

    static func duration(_ seconds: Double?) -> String {
        guard let s = seconds, s.isFinite, s >= 0 else { return "-" }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    static func time(_ unix: Double?) -> String {
        guard let unix else { return "-" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: unix))
    }

    /// A uid as its user name on this machine (rnnctl runs beside rnnd), else the number.
    static func user(_ uid: Int) -> String {
        guard let entry = getpwuid(uid_t(clamping: uid)), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    /// A size in the largest unit that keeps it at least 1 (B, KiB, MiB, GiB).
    static func bytes(_ size: Int64) -> String {
        var value = Double(size), unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(size) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func rate(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v >= 10_000 ? String(format: "%.0fk", v / 1000) : String(format: "%.0f", v)
    }

    static func progress(_ run: RunInfo) -> String { run.maxSteps > 0 ? "\(run.step)/\(run.maxSteps)" : "\(run.step)" }
}
