"""Shared pieces of the project's peer programs: splitmix64, number printing, the `@` result
protocol, digits loading and the BLAS report.  Everything here follows
the bench-peers specification (see ../README.md, "Workloads" and "Data")."""
import math
import os
import sys

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB


class SplitMix64:
    """splitmix64 (Steele, Lea, Flood 2014), all arithmetic mod 2^64."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + GAMMA) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * M1) & MASK
        z = ((z ^ (z >> 27)) * M2) & MASK
        return z ^ (z >> 31)

    def uniform01(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def splitmix64_outputs(seed, count):
    """Outputs 1..count of splitmix64(seed) as a numpy uint64 array.  The generator is a counter:
    output k is mix(seed + k * GAMMA), so the whole stream is computed at once."""
    import numpy as np
    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed & MASK) + k * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
    return z ^ (z >> np.uint64(31))


def num(v):
    """A number the way psearch prints it: shortest round-trip text, integers without '.0'.
    (Above 1e16 psearch's choice between digits and exponent is not specified; the harness
    compares numbers by value, so either form agrees.)"""
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if v == v and abs(v) < 1e16 and v == int(v):
        return str(int(v))
    return repr(v)


def emit(name, seconds, count, unit, *values):
    """The kernel protocol read by the harness: `@ WORKLOAD.IMPL SECONDS COUNT UNIT RESULT...`."""
    print(f"@ {name} {seconds:.6f} {count} {unit} " + " ".join(num(v) for v in values), flush=True)


def info(text):
    print(f"# {text}", flush=True)


def blas_text():
    """The BLAS library, its kernel and thread count: threadpoolctl when it is installed, else
    OpenBLAS's own entry points in the already loaded library."""
    try:
        import threadpoolctl
    except ImportError:
        return openblas_probe()
    parts = []
    for p in threadpoolctl.threadpool_info():
        parts.append(f"{p.get('internal_api')} {p.get('version')} {os.path.basename(p.get('filepath', '?'))} "
                     f"kernel={p.get('architecture', '-')} threads={p.get('num_threads')}")
    return ("; ".join(parts) or "no BLAS loaded") + " (threadpoolctl)"


def blas_info(tag):
    info(f"{tag}: {blas_text()}")


def openblas_probe(path=None):
    """Version, kernel and threads of an OpenBLAS library via ctypes (the loaded one by default)."""
    import ctypes
    if path is None:
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln})
        if not libs:
            return "no OpenBLAS loaded"
        path = libs[0]
    lib = ctypes.CDLL(path)
    out = [os.path.basename(path)]
    for prefix, suffix in (("openblas_", ""), ("scipy_openblas_", "64_"), ("openblas_", "64_")):
        try:
            cfg = getattr(lib, f"{prefix}get_config{suffix}")
            core = getattr(lib, f"{prefix}get_corename{suffix}")
            threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
        except AttributeError:
            continue
        cfg.restype = core.restype = ctypes.c_char_p
        out += [cfg().decode().strip(), f"kernel={core().decode()}", f"threads={threads()}"]
        break
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return " ".join(out) + (f" env={env}" if env else "")


def arg(name, default=None):
    """`--name VALUE` from the command line (the peers take only a few paths)."""
    if f"--{name}" in sys.argv:
        return sys.argv[sys.argv.index(f"--{name}") + 1]
    return default


def load_digits(path):
    """(X_train, y_train, X_test, y_test) as lists: row r is test when r % 5 == 0; input = pixel / 16."""
    xtr, ytr, xte, yte = [], [], [], []
    with open(path) as f:
        for r, line in enumerate(f):
            v = [int(t) for t in line.split(",")]
            x = [p / 16.0 for p in v[1:]]
            if r % 5 == 0:
                xte.append(x)
                yte.append(v[0])
            else:
                xtr.append(x)
                ytr.append(v[0])
    return xtr, ytr, xte, yte


def mlp_init_and_orders(n_train, inputs=64, hidden=32, classes=10, epochs=50, seed=7):
    """W1 (inputs x hidden), W2 (hidden x classes) and one Fisher-Yates permutation of the train
    rows per epoch, drawn from splitmix64(seed) in exactly that order."""
    rng = SplitMix64(seed)
    a1, a2 = 1.0 / math.sqrt(inputs), 1.0 / math.sqrt(hidden)
    w1 = [[(2.0 * rng.uniform01() - 1.0) * a1 for _ in range(hidden)] for _ in range(inputs)]
    w2 = [[(2.0 * rng.uniform01() - 1.0) * a2 for _ in range(classes)] for _ in range(hidden)]
    orders = []
    for _ in range(epochs):
        p = list(range(n_train))
        for i in range(n_train - 1, 0, -1):
            j = rng.next() % (i + 1)
            p[i], p[j] = p[j], p[i]
        orders.append(p)
    return w1, w2, orders
