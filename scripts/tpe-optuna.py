#!/usr/bin/env python3
"""Optuna's Parzen estimator on fixed inputs, for Tests/PsearchCoreTests/tpe-optuna.json.

Run with Optuna installed (`python3 -m pip install optuna`): prints the JSON the test reads.
The estimator is built exactly as TPESampler builds each of its two densities (default
parameters: prior weight 1, magic clip, no endpoints, the default weights ramp).

`log_pdf_stable` is the same estimator with numpy's argsort made stable. Optuna sorts each
dimension's observations with numpy's default (unstable) quicksort to find each one's neighbours,
so when values tie (whole numbers do) which tied observation gets the wider kernel depends on
that sort's internals; psearch breaks ties by trial order, which is what a stable sort gives.
"""
import json
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                                    weights=default_weights, multivariate=True)
space = {
    "x": FloatDistribution(-5, 10),
    "lr": FloatDistribution(1e-4, 1, log=True),
    "n": IntDistribution(1, 8),
    "act": CategoricalDistribution(["tanh", "relu", "sigmoid"]),
}
unstable_argsort = np.argsort


def stable_argsort(a, *args, **kwargs):
    kwargs.setdefault("kind", "stable")
    return unstable_argsort(a, *args, **kwargs)


rng = np.random.RandomState(7)
cases = []
for n in [0, 1, 2, 5, 30]:
    obs = {
        "x": rng.uniform(-5, 10, n),
        "lr": np.exp(rng.uniform(np.log(1e-4), 0, n)),
        "n": rng.randint(1, 9, n).astype(float),
        "act": rng.randint(0, 3, n).astype(float),
    }
    pe = _ParzenEstimator(obs, space, params)
    np.argsort = stable_argsort
    pe_stable = _ParzenEstimator(obs, space, params)
    np.argsort = unstable_argsort
    pts = {
        "x": np.array([-5.0, -1.25, 0.0, 3.3, 9.99]),
        "lr": np.array([1e-4, 3e-3, 0.05, 0.5, 1.0]),
        "n": np.array([1.0, 2.0, 4.0, 7.0, 8.0]),
        "act": np.array([0.0, 1.0, 2.0, 1.0, 0.0]),
    }
    cases.append({
        "observations": [[float(obs[k][i]) for k in space] for i in range(n)],
        "points": [[float(pts[k][i]) for k in space] for i in range(5)],
        "log_pdf": [float(v) for v in pe.log_pdf(pts)],
        "log_pdf_stable": [float(v) for v in pe_stable.log_pdf(pts)],
    })
json.dump({"optuna": optuna.__version__, "numpy": np.__version__, "names": list(space), "cases": cases},
          sys.stdout, indent=1)
print()
