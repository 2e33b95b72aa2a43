#!/usr/bin/env python3
"""scipy.optimize on the test problems, for Tests/PsearchCoreTests/qn-scipy.json.

Run with scipy installed (`python3 -m venv /tmp/venv-qn && /tmp/venv-qn/bin/pip install scipy
numpy`): prints the JSON the test reads. Every method runs with scipy's defaults (L-BFGS-B: m 10,
pgtol 1e-5, factr 1e7; BFGS and CG: gtol 1e-5; Nelder-Mead: adaptive false, xatol = fatol = 1e-4,
maxiter = maxfev = 200 n). The functions are the ones psearch's TestFunctions define, with their
analytic gradients (Rosenbrock is scipy's rosen/rosen_der).
"""
import json
import sys

import numpy as np
import scipy
from scipy.optimize import minimize, rosen, rosen_der


def beale(p):
    x, y = p
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2


def beale_der(p):
    x, y = p
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y ** 3
    return np.array([2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1),
                     2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y])


def booth(p):
    x, y = p
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def booth_der(p):
    x, y = p
    u, v = x + 2 * y - 7, 2 * x + y - 5
    return np.array([2 * u + 4 * v, 4 * u + 2 * v])


def himmelblau(p):
    x, y = p
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def himmelblau_der(p):
    x, y = p
    u, v = x * x + y - 11, x + y * y - 7
    return np.array([4 * x * u + 2 * v, 2 * u + 4 * y * v])


functions = {"rosenbrock": (rosen, rosen_der), "beale": (beale, beale_der), "booth": (booth, booth_der),
             "himmelblau": (himmelblau, himmelblau_der)}
problems = [
    ("rosenbrock", [-1.2, 1.0]),
    ("rosenbrock", [1.3, 0.7, 0.8, 1.9, 1.2]),
    ("rosenbrock", [-1.2, 1.0] * 5),
    ("beale", [1.0, 1.0]),
    ("booth", [0.0, 0.0]),
    ("booth", [-5.0, 7.0]),
    ("himmelblau", [0.0, 0.0]),
    ("himmelblau", [-1.0, 1.0]),
    ("himmelblau", [-4.0, -4.0]),
    ("himmelblau", [4.0, -1.0]),
]
cases = []
for name, x0 in problems:
    f, df = functions[name]
    for method in ["L-BFGS-B", "BFGS", "CG", "Nelder-Mead"]:
        jac = None if method == "Nelder-Mead" else df
        r = minimize(f, np.array(x0), jac=jac, method=method)
        cases.append({"function": name, "start": x0, "method": method, "x": [float(v) for v in r.x],
                      "fun": float(r.fun), "nfev": int(r.nfev), "njev": int(getattr(r, "njev", 0)),
                      "nit": int(r.nit), "success": bool(r.success)})
json.dump({"scipy": scipy.__version__, "cases": cases}, sys.stdout, indent=1)
print()
