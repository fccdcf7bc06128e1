import Foundation

/// A value guarded by a lock, shared across threads: the one lock type of the project.
///
/// Not `Synchronization.Mutex`: on Linux it waits with futexes, which ThreadSanitizer cannot see, so every
/// access under it is reported as a race and a real race would drown among them. `NSLock` is a pthread
/// mutex, which ThreadSanitizer understands (`deploy/tsan-tests.sh`).
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only read or written inside `lock`.
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value while holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
