#!/usr/bin/env python3
"""Optuna's Parzen estimator on fixed inputs, for Tests/PsearchCoreTests/tpe-optuna.json.

Run with Optuna installed (`python3 -m pip install optuna`): prints the JSON the test reads.
The estimator is built exactly as TPESampler builds each of its two densities (default
parameters: prior weight 1, magic clip, no endpoints, the default weights ramp).
`proposals` are whole TPESampler steps on small studies: its split, its acquisition at fixed
points and the moments of draws from its good density.

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
from optuna.samplers._tpe.sampler import _split_trials, default_gamma, default_weights

params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                                    weights=default_weights, multivariate=True)
space = {
    "x": FloatDistribution(-5, 10),
    "lr": FloatDistribution(1e-4, 1, log=True),
    "n": IntDistribution(1, 8),
    "act": CategoricalDistribution(["tanh", "relu", "sigmoid"]),
}
unstable_argsort = np.argsort
optuna.logging.set_verbosity(optuna.logging.WARNING)


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
# Whole proposals: a study of n finished trials (losses without ties), split and modelled by
# TPESampler itself.  Recorded: which trials are "below" (gamma), log l(x) - log g(x) at fixed
# points (the acquisition), and the mean and standard deviation of 400,000 draws from l (how
# candidates are drawn), per dimension on the internal scale.
sampler = optuna.samplers.TPESampler(seed=3)
proposals = []
for n in [12, 40]:
    study = optuna.create_study(sampler=sampler)
    rows = []
    for _ in range(n):
        p = {"x": float(rng.uniform(-5, 10)), "lr": float(np.exp(rng.uniform(np.log(1e-4), 0))),
             "n": int(rng.randint(1, 9)), "act": ["tanh", "relu", "sigmoid"][rng.randint(0, 3)]}
        loss = (p["x"] - 2) ** 2 / 10 + (np.log10(p["lr"]) + 2) ** 2 + abs(p["n"] - 3) + ["tanh", "relu", "sigmoid"].index(p["act"])
        loss = float(loss + rng.uniform(0, 1e-3))
        study.add_trial(optuna.trial.create_trial(params=p, distributions=space, value=loss))
        rows.append([p["x"], p["lr"], float(p["n"]), float(["tanh", "relu", "sigmoid"].index(p["act"])), loss])
    trials = study.get_trials(deepcopy=False)
    below, above = _split_trials(study, trials, default_gamma(n))
    np.argsort = stable_argsort   # ties among the whole numbers: break them as psearch does
    l = sampler._build_parzen_estimator(study, space, below, handle_below=True)
    g = sampler._build_parzen_estimator(study, space, above, handle_below=False)
    np.argsort = unstable_argsort
    pts = {
        "x": np.array([-4.0, 0.5, 2.0, 6.0, 9.5]),
        "lr": np.array([2e-4, 3e-3, 0.01, 0.2, 0.9]),
        "n": np.array([1.0, 3.0, 4.0, 6.0, 8.0]),
        "act": np.array([0.0, 0.0, 1.0, 2.0, 1.0]),
    }
    draws = l._mixture_distribution.sample(np.random.RandomState(11), 400_000)
    draws[:, 1] = np.log(draws[:, 1])
    proposals.append({
        "trials": rows,
        "below": [t.number for t in below],
        "points": [[float(pts[k][i]) for k in space] for i in range(5)],
        "acquisition": [float(v) for v in sampler._compute_acquisition_func(pts, l, g)],
        "draw_mean": [float(v) for v in draws.mean(axis=0)],
        "draw_std": [float(v) for v in draws.std(axis=0)],
    })
json.dump({"optuna": optuna.__version__, "numpy": np.__version__, "names": list(space), "cases": cases,
           "proposals": proposals},
          sys.stdout, indent=1)
print()
