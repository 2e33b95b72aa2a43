#!/usr/bin/env python3
"""scikit-learn's values of classification and regression metrics on fixed small vectors.

    python3 scripts/metrics-sklearn.py [OUT]

OUT defaults to Tests/PsearchCoreTests/metrics-sklearn.json. Floats are written at full double
precision (json writes repr). Cases:

  multiclass      3 classes; precision/recall/f1 with average macro, micro, weighted and None
                  (None gives one value per class, classes in sorted order 0, 1, 2); on these
                  vectors every average happens to be 2/3, so
  multiclass_uneven is a second 3-class case, unequal class sizes, where macro, micro and
                  weighted differ
  binary          average="binary" (pos_label=1) and macro
  never_predicted class 2 is in y_true but never in y_pred, so its precision is 0/0: the values
                  are sklearn's with zero_division=0 (that class's precision counts as 0 in every
                  average); zero_division=1 and nan are recorded too, nan as null
  regression      r2_score, mean_squared_error, mean_absolute_error

Also accuracy_score for each classification case. macro f1 is the mean of per-class f1 values,
not the harmonic mean of macro precision and macro recall.
"""
import json
import math
import os
import sys

import sklearn
from sklearn.metrics import (accuracy_score, f1_score, mean_absolute_error, mean_squared_error,
                             precision_score, r2_score, recall_score)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "PsearchCoreTests", "metrics-sklearn.json")

METRICS = {"precision": precision_score, "recall": recall_score, "f1": f1_score}


def num(v):
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, list):
        return [num(x) for x in v]
    v = float(v)
    return None if math.isnan(v) else v


def prf(y_true, y_pred, averages, **kw):
    return {m: {str(a): num(f(y_true, y_pred, average=a, **kw)) for a in averages}
            for m, f in METRICS.items()}


def main():
    mc_true = [0, 1, 2, 2, 1, 0, 1, 2, 0, 0, 2, 1]
    mc_pred = [0, 2, 2, 2, 1, 0, 0, 2, 1, 0, 1, 1]
    bin_true = [0, 1, 1, 0, 1, 1, 0, 0, 1, 1]
    bin_pred = [0, 1, 0, 0, 1, 1, 1, 0, 1, 0]
    np_true = [0, 1, 2, 0, 1, 2, 0, 1]
    np_pred = [0, 1, 1, 0, 0, 1, 0, 1]
    un_true = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 1]
    un_pred = [0, 1, 0, 2, 1, 1, 2, 0, 2, 2, 1, 1]
    reg_true = [3, -0.5, 2, 7, 4.2]
    reg_pred = [2.5, 0.0, 2, 8, 3.9]
    averages = ["macro", "micro", "weighted", None]

    never = {
        "y_true": np_true, "y_pred": np_pred, "labels": [0, 1, 2],
        "note": "class 2 is never predicted, so its precision is 0/0 (undefined); the main values "
                "use zero_division=0 (sklearn's default 'warn' also gives 0.0, with a warning). f1 "
                "of class 2 is 0 either way, since its recall is 0.",
        "zero_division": 0,
        "accuracy": num(accuracy_score(np_true, np_pred)),
        **prf(np_true, np_pred, averages, zero_division=0),
        "zero_division_1": prf(np_true, np_pred, averages, zero_division=1),
        "zero_division_nan": prf(np_true, np_pred, averages, zero_division=math.nan),
    }
    ref = {
        "generator": "scripts/metrics-sklearn.py",
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
        "conventions": "average 'None' lists one value per class in sorted label order; "
                       "null is NaN; floats are full double precision; macro f1 is the mean of the "
                       "per-class f1 (not the f1 of macro precision and recall); with "
                       "zero_division=nan the averages skip the NaN class",
        "multiclass": {
            "y_true": mc_true, "y_pred": mc_pred, "labels": [0, 1, 2],
            "accuracy": num(accuracy_score(mc_true, mc_pred)),
            **prf(mc_true, mc_pred, averages),
        },
        "multiclass_uneven": {
            "y_true": un_true, "y_pred": un_pred, "labels": [0, 1, 2],
            "accuracy": num(accuracy_score(un_true, un_pred)),
            **prf(un_true, un_pred, averages),
        },
        "binary": {
            "y_true": bin_true, "y_pred": bin_pred, "pos_label": 1,
            "accuracy": num(accuracy_score(bin_true, bin_pred)),
            **prf(bin_true, bin_pred, ["binary", "macro"], pos_label=1),
        },
        "never_predicted": never,
        "regression": {
            "y_true": reg_true, "y_pred": reg_pred,
            "r2_score": num(r2_score(reg_true, reg_pred)),
            "mean_squared_error": num(mean_squared_error(reg_true, reg_pred)),
            "mean_absolute_error": num(mean_absolute_error(reg_true, reg_pred)),
        },
    }
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        json.dump(ref, f, indent=2, allow_nan=False)
        f.write("\n")
    print(json.dumps(ref, indent=2))


if __name__ == "__main__":
    main()
