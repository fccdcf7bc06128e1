#if canImport(Glibc)
import Glibc
#endif

/// Why a local file cannot be read, in the words of the system (`no such file`, `permission denied`, `is a
/// directory`), for messages such as `cannot read corpus.txt: permission denied`.
public enum FileProblem {
    public static func reason(_ path: String) -> String? {
        var status = stat()
        if stat(path, &status) != 0 { return describe(errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
        let fd = open(path, O_RDONLY)
        if fd < 0 { return describe(errno) }
        close(fd)
        return nil
    }

    /// `cannot read PATH: REASON` (or without a reason when the file opens, e.g. a read error later).
    public static func cannotRead(_ path: String) -> String {
        "cannot read \(path)" + (reason(path).map { ": \($0)" } ?? "")
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case EACCES, EPERM: "permission denied"
        case EISDIR: "is a directory"
        case ENOTDIR: "a part of the path is not a directory"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
