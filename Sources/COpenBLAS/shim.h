// OpenBLAS's own cblas.h (pkg-config openblas puts its directory first on the include path);
// it also declares openblas_set_num_threads and openblas_get_corename.
#include <cblas.h>

// Whether this CPU and OS support AVX-512F (checked by the compiler runtime, XSAVE state included).
static inline int rnnd_cpu_has_avx512f(void) { return __builtin_cpu_supports("avx512f"); }
// Whether this CPU and OS support AVX2 and FMA.
static inline int rnnd_cpu_has_avx2_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
