#!/usr/bin/env python3
"""Optuna's side of the hyper-parameter search check (issue 17), run by harness.py with the
Python of the bench's own virtual environment (cache/venv, Optuna 5.1.0 from PyPI).

  hpo_optuna.py quality FUNC SAMPLER TRIALS SEEDS [--psearch PATH --objectives FILE]
      one study per seed (TPESampler(seed=s) or RandomSampler(seed=s), defaults otherwise),
      prints `@hpo FUNC optuna-SAMPLER SEED BEST` per seed.  The studies advance in lockstep
      (ask one trial of every study, evaluate them, tell): each study is still sequential, so
      its trials are exactly those of study.optimize, and the MLP, which psearch evaluates,
      costs one psearch process per round of SEEDS trials, not one per trial.
  hpo_optuna.py overhead TRIALS
      TPESampler(seed=1) on a trivial 6-d quadratic: prints `@hpo overhead optuna-tpe TRIALS SECONDS`
      (study.optimize's wall time; the objective costs nothing).

The analytic functions are the textbook formulas, as in ps/hpo_objectives.ps; the MLP is only
defined there: its parameters are appended to that file and run with `psearch -e`.
"""
import math
import subprocess
import sys
import time

import optuna
from optuna.distributions import FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.WARNING)

U = FloatDistribution
SPACES = {
    "branin": {"x1": U(-5, 10), "x2": U(0, 15)},
    "hartmann6": {f"x{i}": U(0, 1) for i in range(1, 7)},
    "rosenbrock4": {f"x{i}": U(-2, 2) for i in range(1, 5)},
    "mlp": {"lr": U(1e-4, 1, log=True), "h": IntDistribution(2, 32), "l2": U(1e-6, 1e-1, log=True)},
}
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
       [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
H_ALPHA = [1, 1.2, 3, 3.2]


def branin(p):
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (p["x2"] - b * p["x1"] ** 2 + c * p["x1"] - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(p["x1"]) + 10


def hartmann6(p):
    x = [p[f"x{i}"] for i in range(1, 7)]
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock4(p):
    x = [p[f"x{i}"] for i in range(1, 5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def psearch_batch(psearch, objectives, points):
    """mlp_loss at every point, in one psearch process running ps/hpo_objectives.ps."""
    calls = "\n".join("print(mlp_loss({lr: %r, h: %d, l2: %r}))" % (p["lr"], p["h"], p["l2"]) for p in points)
    out = subprocess.run([psearch, "-e", objectives + "\n" + calls], capture_output=True, text=True, check=True).stdout
    vals = [float(v) for v in out.split()]
    if len(vals) != len(points):
        raise SystemExit(f"psearch printed {len(vals)} losses for {len(points)} points")
    return vals


def quality(func, sampler, trials, seeds, psearch=None, objectives=None):
    make = optuna.samplers.TPESampler if sampler == "tpe" else optuna.samplers.RandomSampler
    studies = [optuna.create_study(sampler=make(seed=s)) for s in range(1, seeds + 1)]
    space = SPACES[func]
    f = {"branin": branin, "hartmann6": hartmann6, "rosenbrock4": rosenbrock4}.get(func)
    for _ in range(trials):
        asked = [st.ask(space) for st in studies]
        pts = [t.params for t in asked]
        vals = psearch_batch(psearch, objectives, pts) if f is None else [f(p) for p in pts]
        for st, t, v in zip(studies, asked, vals):
            st.tell(t, v)
    for s, st in zip(range(1, seeds + 1), studies):
        print(f"@hpo {func} optuna-{sampler} {s} {st.best_value!r}")


def overhead(trials):
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))

    def quad(t):
        return sum((t.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(1, 7))

    t0 = time.perf_counter()
    study.optimize(quad, n_trials=trials)
    print(f"@hpo overhead optuna-tpe {trials} {time.perf_counter() - t0!r}")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "quality":
        kw = {}
        if "--psearch" in a:
            kw["psearch"] = a[a.index("--psearch") + 1]
            with open(a[a.index("--objectives") + 1]) as fh:
                kw["objectives"] = fh.read()
        quality(a[1], a[2], int(a[3]), int(a[4]), **kw)
    elif a[0] == "overhead":
        overhead(int(a[1]))
    else:
        raise SystemExit(__doc__)
