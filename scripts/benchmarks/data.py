"""Benchmark data: generates logreg.csv (spec'd by bench-peers, "Data") into the cache folder and
checks the SHA-256 of it and of digits.csv.  `python3 data.py CACHE_DIR` makes and checks it."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from common import SplitMix64, splitmix64_outputs  # noqa: E402

LOGREG_SHA256 = "8cb75abe632b806f9296a0d4b7007ac83ceae951bf14bdf2986e7b7dd139595f"
DIGITS_SHA256 = "bdf4fbb6843ad0c90db70fb50a5e602721b752566792039d5f4613b9697ab7d4"
LOGREG_N, LOGREG_D, LOGREG_SEED = 100_000, 20, 42
LOGREG_HEADER = "y," + ",".join(f"x{j}" for j in range(LOGREG_D))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_prng():
    """The published splitmix64 test vector and the spec's seed-42 value, scalar and vectorised."""
    g = SplitMix64(1234567)
    assert [g.next(), g.next()] == [6457827717110365317, 3203168211198807973], "splitmix64 test vector"
    assert SplitMix64(42).next() == 0xBDD732262FEB6E95, "splitmix64 seed 42"
    g = SplitMix64(42)
    assert [int(v) for v in splitmix64_outputs(42, 5)] == [g.next() for _ in range(5)], "vectorised splitmix64"


def logreg_lines():
    """Rows `y,x0,...,x19`: per row 21 outputs, features (byte - 128) / 64, then noise e;
    s = 0.25 + sum_j w_j x_j + 2 e with w_j = (j - 9.5) / 8 (exact: multiples of 2^-10); y = s > 0."""
    import numpy as np
    n, d = LOGREG_N, LOGREG_D
    r = splitmix64_outputs(LOGREG_SEED, n * (d + 1)).reshape(n, d + 1)
    v = ((r >> np.uint64(56)).astype(np.int64) - 128).astype(np.float64) / 64.0
    X, e = v[:, :d], v[:, d]
    w = (np.arange(d, dtype=np.float64) - 9.5) / 8.0
    s = 0.25 + X @ w + 2.0 * e
    y = s > 0
    for i in range(n):
        yield ("1," if y[i] else "0,") + ",".join(repr(x) for x in X[i].tolist())


def ensure_logreg(cache):
    """Make cache/logreg.csv (spec, no header) and cache/logreg_h.csv (the same rows under a header
    line, for psearch's `load`, which wants one); return (path, error or None)."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "logreg.csv")
    hpath = os.path.join(cache, "logreg_h.csv")
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "w", newline="\n") as f:
            for line in logreg_lines():
                f.write(line + "\n")
        os.replace(tmp, path)
    digest = sha256(path)
    if digest != LOGREG_SHA256:
        return path, f"{path}: sha256 {digest}, expected {LOGREG_SHA256} (delete it to regenerate)"
    if not os.path.exists(hpath) or os.path.getmtime(hpath) < os.path.getmtime(path):
        tmp = hpath + ".tmp"
        with open(tmp, "w", newline="\n") as out, open(path) as f:
            out.write(LOGREG_HEADER + "\n")
            for chunk in iter(lambda: f.read(1 << 20), ""):
                out.write(chunk)
        os.replace(tmp, hpath)
    return path, None


def check_digits(path):
    """None when path holds the spec's digits.csv, else why not."""
    if not os.path.exists(path):
        return f"{path} not found"
    digest = sha256(path)
    return None if digest == DIGITS_SHA256 else f"{path}: sha256 {digest}, expected {DIGITS_SHA256}"


if __name__ == "__main__":
    check_prng()
    p, err = ensure_logreg(sys.argv[1] if len(sys.argv) > 1 else "cache")
    print(err or f"{p} ok")
    sys.exit(1 if err else 0)
