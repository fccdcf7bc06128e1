// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_IN_PLACE, …) are macros over globals, which Swift does
// not import; these getters are how Swift reaches them.
#include <mpi.h>

static inline MPI_Comm rn_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rn_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype rn_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype rn_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype rn_int64(void) { return MPI_INT64_T; }
static inline MPI_Op rn_sum(void) { return MPI_SUM; }
static inline void *rn_in_place(void) { return MPI_IN_PLACE; }
static inline int rn_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
