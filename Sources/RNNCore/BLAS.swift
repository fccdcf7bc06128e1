import COpenBLAS
import CRNNKernels
#if canImport(Glibc)
import Glibc
#endif

/// The BLAS library's process-wide settings.
public enum BLAS {
    /// The kernel family OpenBLAS chose for this CPU at load time (e.g. "SkylakeX", "Haswell").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The kernel family OpenBLAS should use on this CPU when its own detection falls back to a generic
    /// SSE kernel, or nil when its choice is fine.
    ///
    /// OpenBLAS 0.3.21 (Debian 12) does not recognise newer CPU models (seen: a Sapphire Rapids Xeon that
    /// reports only "Intel(R) Xeon(R) Processor") and falls back to its Prescott kernels: a third of the
    /// sgemm rate. Its detection runs when the library loads, so the fix is the OPENBLAS_CORETYPE variable
    /// set before the process starts: rnnd, rnnd-worker and rnn-bench re-launch themselves with it first thing.
    public static var recommendedCoreType: String? {
        let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine",
                                    "Northwood", "Banias", "Atom", "unknown"]
        guard generic.contains(coreName) else { return nil }
        if rnnd_cpu_has_avx512f() != 0 { return "SkylakeX" }
        if rnnd_cpu_has_avx2_fma() != 0 { return "Haswell" }
        return nil
    }

    /// Sets the number of threads OpenBLAS may use inside one call. rnnd sets 1 at start-up: its
    /// parallelism is the data-parallel replicas, not BLAS's.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
