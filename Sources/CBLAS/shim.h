// CBLAS declarations from Debian's libopenblas-dev (installed by scripts/setup). The library is
// not linked: PsearchCore opens it with dlopen on the first large matrix product, so a run
// that never multiplies matrices does not pay for loading OpenBLAS (and its Fortran runtime)
// at start-up.
#include <cblas.h>

typedef __typeof__(cblas_dgemm) *psearch_dgemm_fn;
typedef __typeof__(cblas_dgemv) *psearch_dgemv_fn;
typedef void (*psearch_set_threads_fn)(int);
