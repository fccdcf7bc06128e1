import Foundation
import Logging
import RNNAPI
import RNNTraining
#if canImport(Glibc)
import Glibc
#endif

extension MultiHostRun {
    /// Why a run's `hosts` cannot be launched, or nil: checked at submit, so that a mistake is a 400 naming
    /// `hosts`, not a failed run later.
    static func problem(hosts: [String], batchSize: Int, settings: MPISettings) -> String? {
        if hosts.count > settings.maxHosts { return "hosts names \(hosts.count) hosts; mpi.max_hosts allows \(settings.maxHosts)" }
        if let bad = hosts.first(where: { !isHostAddress($0) }) {
            return "hosts: \"\(bad)\" is not a host name or an IP address"
        }
        if batchSize < hosts.count { return "hosts: \(hosts.count) hosts need batch_size ≥ \(hosts.count) (each host trains at least one row), got \(batchSize)" }
        if !localAddresses().contains(hosts[0]) {
            return "hosts: the first host (\(hosts[0])) must be this machine: rank 0 runs beside rnnd's store (it reads the dataset and writes the checkpoints); this machine is \(localAddresses().sorted().joined(separator: ", "))"
        }
        if findExecutable(settings.mpirun) == nil {
            return "hosts: multi-host runs need Open MPI, and \(settings.mpirun) was not found (install openmpi-bin, or set mpi.mpirun)"
        }
        if !FileManager.default.isExecutableFile(atPath: settings.worker) {
            return "hosts: rnnd-worker was not found at \(settings.worker) (set mpi.worker to its path, the same on every host)"
        }
        return nil
    }

    static func isHostAddress(_ host: String) -> Bool {
        guard (1...253).contains(host.utf8.count), !host.hasPrefix("-") else { return false }
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }

    /// This machine's names and the addresses of its interfaces.
    static func localAddresses() -> Set<String> {
        var out: Set<String> = ["localhost", ProcessInfo.processInfo.hostName]
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return out }
        defer { freeifaddrs(list) }
        var next = list
        while let entry = next {
            defer { next = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            if getnameinfo(address, length, &name, socklen_t(name.count), nil, 0, NI_NUMERICHOST) == 0 {
                out.insert(String(cString: name).split(separator: "%").first.map(String.init) ?? "")
            }
        }
        return out
    }

    /// The path `name` runs as (a path is checked as it is; a name is looked up in PATH).
    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
