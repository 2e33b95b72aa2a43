#!/usr/bin/env python3
"""What pandas.read_csv makes of each small edge-case CSV in Tests/PsearchCoreTests/csv-edge/.

    python3 scripts/csv-edge-pandas.py [DIR]

DIR defaults to Tests/PsearchCoreTests/csv-edge (relative to the repository). The CSV files
there are committed, hand-written bytes; this script only reads them. Each is read with
`pandas.read_csv(path)` and default options, except files whose name starts with
`semicolon_` or `tab_`, which are read with `sep=None, engine="python"` (the delimiter is
sniffed). The result is written to DIR/pandas.json:

  {"pandas": VERSION, "numpy": VERSION, "conventions": {...},
   "files": {NAME: {"rows": N, "columns": [{"name": COL, "dtype": DTYPE, "values": [CELL, ...]}, ...]}
            | {NAME: {"error": "ExceptionType: message"}}}}

Columns are a list in pandas' order, not an object keyed by name: two names that differ only
in Unicode normalisation ('café' composed and decomposed) are two columns to pandas, and some
JSON readers (Foundation's) would merge them as keys.

DTYPE is str(dtype) as pandas reports it: "float64", "int64", "bool", "object", and with
pandas >= 3 "str" for text columns (pandas 2 said "object" there). CELL: floats as JSON
numbers (repr precision), NaN as null, +-infinity as the strings "inf"/"-inf" (JSON has no
infinity; the column's dtype says it is a float); integer columns (int64, uint64) as strings
of the exact integer, so 2^53+1 survives; bools as true/false; text as strings; a missing
value in a text or object column as null. Files are listed in name order; JSON keys keep
pandas' column order.
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "PsearchCoreTests", "csv-edge")


def cell(v, dtype):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(v, str):
        return v
    raise TypeError(f"unexpected cell {v!r} of type {type(v).__name__} in a {dtype} column")


def read(path, name):
    if name.startswith(("semicolon_", "tab_")):
        return pd.read_csv(path, sep=None, engine="python")
    return pd.read_csv(path)


def describe(path, name):
    try:
        df = read(path, name)
    except Exception as e:  # the error itself is the reference
        return {"error": f"{type(e).__name__}: {e}"}
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        raise SystemExit(f"{name}: duplicate column names after read_csv: {columns}")
    out = {"rows": int(len(df)), "columns": []}
    for j, c in enumerate(columns):
        s = df.iloc[:, j]
        out["columns"].append({"name": c, "dtype": str(s.dtype), "values": [cell(v, s.dtype) for v in s.tolist()]})
    if not isinstance(df.index, pd.RangeIndex):
        out["index"] = [cell(v, df.index.dtype) for v in df.index.tolist()]
    return out


def main():
    names = sorted(n for n in os.listdir(DIR) if n.endswith((".csv", ".tsv")))
    result = {
        "generator": "scripts/csv-edge-pandas.py",
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "conventions": {
            "read": "pandas.read_csv(path); files named semicolon_* or tab_*: sep=None, engine='python'",
            "dtypes": "str(dtype) as pandas reports it; pandas >= 3 says 'str' for text columns",
            "float": "JSON number; NaN is null; infinities are the strings 'inf' and '-inf'",
            "int": "integer columns as strings of the exact integer",
            "text": "string; missing is null",
        },
        "files": {n: describe(os.path.join(DIR, n), n) for n in names},
    }
    with open(os.path.join(DIR, "pandas.json"), "w", encoding="utf-8", newline="") as f:
        json.dump(result, f, indent=1, ensure_ascii=False, allow_nan=False)
        f.write("\n")
    for n, r in result["files"].items():
        print(f"{n:24} {r.get('error') or {c['name']: c['dtype'] for c in r['columns']}}")


if __name__ == "__main__":
    main()
