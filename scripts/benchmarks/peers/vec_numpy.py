"""(e) vec_dot / vec_axpy: vectors of 10,000,000 doubles, 20 repetitions (numpy, and BLAS daxpy
through scipy when it is installed).  x[i] = ((i mod 256) - 128) / 128, y[i] = ((i mod 100) - 50) / 64,
a = 0.5.  Every partial result is a multiple of 2^-13 below 2^40, so dot(x, y) = 1831.5546875 and,
after y <- a x + y twenty times, sum(y) = -469390 in any summation order.  Timed: the 20 operations."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from common import blas_info, emit, info  # noqa: E402

N, REPS, A = 10_000_000, 20, 0.5


def main():
    info(f"numpy {np.__version__}")
    i = np.arange(N, dtype=np.int64)
    x = ((i % 256) - 128) / 128.0
    y = ((i % 100) - 50) / 64.0
    blas_info("numpy BLAS")

    d = 0.0
    t = time.perf_counter()
    for _ in range(REPS):
        d = np.dot(x, y)
    emit("vec_dot.numpy", time.perf_counter() - t, REPS, "op", float(d))

    y1 = y.copy()
    t = time.perf_counter()
    for _ in range(REPS):
        y1 += A * x                     # idiomatic numpy: a temporary a*x, then an in-place add
    emit("vec_axpy.numpy", time.perf_counter() - t, REPS, "op", float(y1.sum()))

    try:
        from scipy.linalg.blas import daxpy
    except ImportError:
        return
    y2 = y.copy()
    t = time.perf_counter()
    for _ in range(REPS):
        y2 = daxpy(x, y2, a=A)          # BLAS daxpy, in place (scipy hands back the same array)
    emit("vec_axpy.blas", time.perf_counter() - t, REPS, "op", float(y2.sum()))


if __name__ == "__main__":
    main()
