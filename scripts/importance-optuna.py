#!/usr/bin/env python3
"""Optuna's fANOVA importances on one fixed trial set, for Tests/PsearchCoreTests/importance-optuna.json.

Run with Optuna and scikit-learn installed (`python3 -m pip install optuna scikit-learn`):
prints the JSON the test reads. The 400 trials are a low-discrepancy (R3, Roberts 2018) set on
[0, 1]^3 so that no random generator has to agree between the two languages; their losses are
additive, y = 2 x0 + x1 (x2 unused), whose variance splits exactly 0.8, 0.2, 0.

The second set, `interacting`, is y = x0 * x1 + x0 (x2 unused): a main effect for each of x0 and
x1 plus an interaction, which fANOVA's first-order importances and psearch's binned main effects
both leave out, so their shares can be compared without the interaction term.
"""
import json

import optuna
from optuna.distributions import FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

optuna.logging.set_verbosity(optuna.logging.ERROR)
N = 400
# R3: the generalised golden ratio's powers, phi^3 = phi + 1.
phi = 1.2207440846057596
alpha = [1 / phi, 1 / phi ** 2, 1 / phi ** 3]
points = [[(0.5 + alpha[d] * (i + 1)) % 1 for d in range(3)] for i in range(N)]


def importances(losses):
    study = optuna.create_study()
    dist = {f"x{d}": FloatDistribution(0, 1) for d in range(3)}
    for p, y in zip(points, losses):
        study.add_trial(optuna.trial.create_trial(params={f"x{d}": p[d] for d in range(3)}, distributions=dist, value=y))
    got = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=True)
    return [got[f"x{d}"] for d in range(3)]


additive = [2 * p[0] + p[1] for p in points]
interacting = [p[0] * p[1] + p[0] for p in points]
import sklearn

print(json.dumps({
    "optuna": optuna.__version__, "sklearn": sklearn.__version__, "seed": 0,
    "points": points,
    "additive": {"losses": additive, "fanova": importances(additive)},
    "interacting": {"losses": interacting, "fanova": importances(interacting)},
}, indent=1))
