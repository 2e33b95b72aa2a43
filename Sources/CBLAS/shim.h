// CBLAS from Debian's libopenblas-dev (installed by scripts/setup).
#include <cblas.h>
