# (h) lbfgs_rosen10 peer: scipy.optimize.minimize(method="L-BFGS-B") on scipy's rosen and
# rosen_der in 10 dimensions from [-1.2, 1] x 5, 200 solves.  Timed: the solves only (after one
# untimed warm-up solve).  Prints the minimum's first and last coordinates rounded: 1 1.
import time

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der


def main():
    x0 = np.array([-1.2, 1.0] * 5)
    minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    t = time.perf_counter()
    for _ in range(200):
        r = minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    secs = time.perf_counter() - t
    print(f"@ lbfgs_rosen10.scipy {secs:.6f} 200 solve {round(r.x[0], 4):g} {round(r.x[9], 4):g}")


main()
