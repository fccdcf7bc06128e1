import RNNAPI

/// What `--version` prints: the release, and the git commit it was built from (`+dirty`: with uncommitted
/// changes; `unknown`: not built from a git checkout). A module of its own: the commit changes with every
/// commit, and only what prints it recompiles.
public enum BuildInfo {
    public static let version = APIVersion.current
    public static let commit = buildCommit
    public static func describe(_ program: String) -> String { "\(program) \(version) (commit \(commit))" }
}
