#!/usr/bin/env python3
"""Three scikit-learn data sets as train/test CSV files, and reference scores on them.

    python3 scripts/sklearn-data.py [OUTDIR]

OUTDIR defaults to Tests/PsearchLangTests/cases/data/sklearn (relative to the repository).
Writes, deterministically (rerunning reproduces the same bytes with the same library
versions):

  wine_train.csv, wine_test.csv                    load_wine()
  breast_cancer_train.csv, breast_cancer_test.csv  load_breast_cancer()
  diabetes_train.csv, diabetes_test.csv            load_diabetes(scaled=False)
  reference.json                                   versions, row/class counts, test scores

Split: train_test_split(X, y, test_size=0.25, random_state=0), stratified by y for the two
classification sets, not for diabetes. The header is the scikit-learn feature names and a
last column `target`; for wine and breast_cancer the target is the class name
(target_names[y]), so that column is text; for diabetes it is the number. Floats are written
with repr() (shortest round-trip), integer-valued floats as e.g. `2.0`; `,` delimiter, `\\n`
line ends, no index column, no quoting (no name or value needs it).

reference.json is computed on the data read back from those CSV files with pandas.read_csv,
so it is exactly about the committed bytes. StandardScaler is fit on the train file only and
applied to both files. Classification: test accuracy of LogisticRegression(max_iter=5000) and
MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0). Regression: test R²,
MSE and MAE of LinearRegression.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "Tests", "PsearchLangTests", "cases", "data", "sklearn")


def cell(v):
    """One CSV cell: floats by repr (shortest round-trip), everything else by str."""
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def write_csv(path, names, X, y):
    lines = [",".join(list(names) + ["target"])]
    for row, t in zip(X, y):
        lines.append(",".join([cell(v) for v in row] + [cell(t)]))
    text = "\n".join(lines) + "\n"
    if any(c in text for c in '"\r'):
        raise SystemExit(f"{path}: a cell would need quoting")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def make(name, bunch, classification):
    names = list(bunch.feature_names)
    for n in names:
        if "," in n or '"' in n:
            raise SystemExit(f"{name}: feature name {n!r} would need quoting")
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if classification else None)
    if classification:
        labels = [str(s) for s in bunch.target_names]
        ytr = [labels[i] for i in ytr]
        yte = [labels[i] for i in yte]
    else:
        ytr = [float(v) for v in ytr]
        yte = [float(v) for v in yte]
    write_csv(os.path.join(OUT, f"{name}_train.csv"), names, Xtr, ytr)
    write_csv(os.path.join(OUT, f"{name}_test.csv"), names, Xte, yte)


def score(name, classification):
    tr = pd.read_csv(os.path.join(OUT, f"{name}_train.csv"))
    te = pd.read_csv(os.path.join(OUT, f"{name}_test.csv"))
    features = [c for c in tr.columns if c != "target"]
    scaler = StandardScaler().fit(tr[features].to_numpy(dtype=np.float64))
    Xtr = scaler.transform(tr[features].to_numpy(dtype=np.float64))
    Xte = scaler.transform(te[features].to_numpy(dtype=np.float64))
    ytr, yte = tr["target"].to_numpy(), te["target"].to_numpy()
    entry = {
        "features": len(features),
        "train_rows": len(tr),
        "test_rows": len(te),
    }
    if classification:
        entry["train_class_counts"] = {str(k): int(v) for k, v in sorted(tr["target"].value_counts().items())}
        entry["test_class_counts"] = {str(k): int(v) for k, v in sorted(te["target"].value_counts().items())}
        lr = LogisticRegression(max_iter=5000).fit(Xtr, ytr)
        mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0).fit(Xtr, ytr)
        entry["LogisticRegression(max_iter=5000)"] = {
            "test_accuracy": float(accuracy_score(yte, lr.predict(Xte))),
            "train_accuracy": float(accuracy_score(ytr, lr.predict(Xtr))),
        }
        entry["MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0)"] = {
            "test_accuracy": float(accuracy_score(yte, mlp.predict(Xte))),
            "train_accuracy": float(accuracy_score(ytr, mlp.predict(Xtr))),
            "n_iter": int(mlp.n_iter_),
        }
    else:
        entry["train_target_mean"] = float(np.mean(ytr))
        entry["test_target_mean"] = float(np.mean(yte))
        lin = LinearRegression().fit(Xtr, ytr)
        p = lin.predict(Xte)
        entry["LinearRegression()"] = {
            "test_r2": float(r2_score(yte, p)),
            "test_mse": float(mean_squared_error(yte, p)),
            "test_mae": float(mean_absolute_error(yte, p)),
            "train_r2": float(r2_score(ytr, lin.predict(Xtr))),
        }
    return entry


def main():
    os.makedirs(OUT, exist_ok=True)
    make("wine", load_wine(), True)
    make("breast_cancer", load_breast_cancer(), True)
    make("diabetes", load_diabetes(scaled=False), False)
    ref = {
        "generator": "scripts/sklearn-data.py",
        "versions": {
            "python": sys.version.split()[0],
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        },
        "split": "train_test_split(test_size=0.25, random_state=0, stratify=y for wine and breast_cancer)",
        "scaling": "StandardScaler fit on the train file, applied to train and test",
        "sets": {
            "wine": score("wine", True),
            "breast_cancer": score("breast_cancer", True),
            "diabetes": score("diabetes", False),
        },
    }
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8", newline="") as f:
        json.dump(ref, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(json.dumps(ref["sets"], indent=2))


if __name__ == "__main__":
    main()
