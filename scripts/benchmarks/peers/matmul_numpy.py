"""matmul512: C = A @ B for 512 x 512 doubles, 20 times (numpy / BLAS dgemm).  With k = 512 i + j,
A[i, j] = ((k mod 17) - 8) / 8 and B[i, j] = ((k mod 13) - 6) / 4: every product is a multiple of
1/32, C * C of 2^-10, and every sum stays below 2^43, so sum(C), sum(C * C) and C[511, 511] are exact in any order.
Timed: the 20 products.  Prints those three."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from common import blas_info, emit, info  # noqa: E402

N, REPS = 512, 20


def main():
    info(f"numpy {np.__version__}")
    k = np.arange(N * N, dtype=np.int64)
    A = (((k % 17) - 8) / 8.0).reshape(N, N)
    B = (((k % 13) - 6) / 4.0).reshape(N, N)
    blas_info("numpy BLAS")
    C = None
    t = time.perf_counter()
    for _ in range(REPS):
        C = A @ B
    secs = time.perf_counter() - t
    emit("matmul512.numpy", secs, REPS, "product", float(C.sum()), float((C * C).sum()), float(C[N - 1, N - 1]))


if __name__ == "__main__":
    main()
