#!/usr/bin/env python3
"""psearch's benchmark: psearch and its peers (CPython, Lua 5.4, numpy, C, torch if installed)
timed in the same run, interleaved in rounds, with every result checked.  Entry point:
scripts/bench (see README.md beside this file for what each workload is and how it is timed).

Exit status: 0 when every result agrees, 1 on a result mismatch or a failing peer, 2 on bad usage.
psearch workloads that cannot run yet (no binary, a missing built-in, any error exit) are
reported as "not available" and do not change the exit status.
"""
import argparse
import datetime
import fcntl
import os
import platform
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PS_DIR = os.path.join(HERE, "ps")
PEERS = os.path.join(HERE, "peers")
CACHE = os.path.join(HERE, "cache")
PY = sys.executable                  # the real interpreter: `python3` on PATH may be a pyenv shim
sys.dont_write_bytecode = True      # no __pycache__ beside the scripts
DEFAULT_DIGITS = os.path.join(ROOT, "Sources", "PsearchCore", "Resources", "digits.csv")
sys.path.insert(0, HERE)
sys.path.insert(0, PEERS)
import data  # noqa: E402
from common import openblas_probe  # noqa: E402

PSEARCH = "psearch"
ROSEN = "0.99999999999992795 0.99999999999985567 5.1966335390950593e-27"


# --------------------------------------------------------------------------------------------
# What is measured

class Impl:
    """One implementation of a workload.

    kind: "proc"   whole process, wall clock; stdout (minus `# ` lines) is the result
          "kernel" the program times itself and prints `@ WORKLOAD.IMPL SECONDS COUNT UNIT RESULT`
          "twin"   (psearch, which has no clock) whole process minus the fastest run of a set-up
                   twin script that does everything but the timed part
    base: the start-up row whose minimum is subtracted for net_s (proc only).
          "pty"    time from fork to the REPL's first prompt on a pseudo-terminal
    base: the start-up row whose minimum is subtracted for net_s (proc only).
    goal: (peer, max ratio) or ("abs", seconds), judged on medians; ref: (seconds per unit, why)
          stands in for a goal's peer that is not installed.
    tols: absolute tolerance per result field (default exact); check: a function replacing the
          comparison (result -> (ok, description)); min_lines: output needed to count as drawn.
    psearch rows run in cache/ (data files are relative to it); peers in peers/.
    """

    def __init__(self, name, argv, kind="proc", twin=None, base=None, goal=None, tols=None,
                 check=None, need=None, min_lines=0, ref=None, tag=None):
        self.name, self.argv, self.kind, self.twin, self.base = name, argv, kind, twin, base
        self.tag = tag or name            # the IMPL of a kernel program's `@ WORKLOAD.IMPL` line
        self.goal, self.tols, self.check, self.need = goal, tols, check, need
        self.min_lines, self.ref = min_lines, ref
        self.psearch = name.startswith(PSEARCH)
        self.times, self.results, self.unavailable, self.failed = [], [], None, None


class Workload:
    def __init__(self, key, name, impls, expected=None, count=1, unit="run", fields=None, note=None):
        self.key, self.name, self.impls, self.expected = key, name, impls, expected
        self.count, self.unit, self.fields, self.note = count, unit, fields, note

    @property
    def label(self):
        return f"{self.key} {self.name}".strip()


def ps(script):
    return os.path.join(PS_DIR, script)


def peer(script):
    return os.path.join(PEERS, script)


def test_acc_at_least(threshold):
    def check(result):
        f = result.split()
        try:
            ok = len(f) >= 3 and float(f[2]) >= threshold
        except ValueError:
            ok = False
        return ok, f"test accuracy (3rd field) >= {threshold}; own init and split, so no digit-for-digit match"
    return check


def add_baseline(wls, psearch, before):
    """Beside each psearch row, the same command with the earlier binary `before`, named
    'psearch-before' (no goal of its own): before/after figures from one run, alternating."""
    def swap(argv):
        return [before if x == psearch else x for x in argv] if argv else argv
    for w in wls:
        extra = []
        for im in w.impls:
            if not im.psearch or im.kind == "pty":
                continue
            name = im.name.replace("psearch", "psearch-before", 1)
            b = Impl(name, swap(im.argv), kind=im.kind, twin=swap(im.twin),
                     base=im.base.replace("psearch", "psearch-before", 1) if im.base else None,
                     tols=im.tols, check=im.check, min_lines=im.min_lines, ref=im.ref, tag=im.tag)
            extra.append(b)
        w.impls.extend(extra)


def workloads(psearch, lua, cc_bin, digits):
    """The table of workloads (bench-peers README, "Workloads", and the Speed sections of issues 2-6)."""
    P = [psearch] if psearch else ["psearch"]

    def interpreted(stem):
        """The same program in CPython, psearch and Lua 5.4 (peers/STEM.py, ps/STEM.ps,
        peers/STEM.lua), each less its own start-up; psearch's goal is 3.5x Lua (issue 22)."""
        return [
            Impl("python", [PY, peer(f"{stem}.py")], base="python3 -c pass"),
            Impl("psearch", P + [ps(f"{stem}.ps")], base="psearch -e '0'", goal=("lua", 3.5)),
            Impl("lua", [lua, peer(f"{stem}.lua")], base="lua5.4 -e ''", need="lua"),
        ]

    return [
        Workload("", "startup", [
            Impl("python3 -c pass", [PY, "-c", "pass"]),
            Impl("psearch -e '0'", P + ["-e", "0"], goal=("abs", 0.010)),
            Impl("python3 -S -c pass", [PY, "-S", "-c", "pass"]),
            Impl("lua5.4 -e ''", [lua, "-e", ""], need="lua"),
        ]),
        Workload("a", "fib27", interpreted("fib"), expected="196418"),
        Workload("b", "loop_sum_sq", interpreted("loop"), expected="4.1666654166732898e+19"),
        Workload("c", "rosenbrock_gd", [
            Impl("python", [PY, peer("rosenbrock.py")], base="python3 -c pass"),
            Impl("psearch loop", P + [ps("rosenbrock.ps")], base="psearch -e '0'"),
            Impl("lua", [lua, peer("rosenbrock.lua")], base="lua5.4 -e ''", need="lua"),
            Impl("psearch descend", P + [ps("rosenbrock_descend.ps")], base="psearch -e '0'",
                 goal=("python", 0.5), tols=[1e-9, 1e-9, 1e-9]),
        ], expected=ROSEN),
        Workload("c", "rosenbrock_gd_2M", [
            Impl("C -O2", [cc_bin or "cc", "2000000"], need="cc"),
            Impl("psearch descend", P + [ps("rosenbrock_descend_2m.ps")], base="psearch -e '0'",
                 goal=("C -O2", 5.0), tols=[1e-9, 1e-9, 1e-9]),
        ], expected=ROSEN, note="2,000,000 steps; whole processes (issue 4)"),
        Workload("c'", "rosenbrock_autograd", [
            Impl("torch", [PY, peer("rosenbrock_torch.py")], kind="kernel", need="torch"),
            Impl("psearch grad", P + [ps("rosenbrock_autograd.ps")], kind="twin",
                 twin=P + [ps("rosenbrock_autograd.setup.ps")], goal=("torch", 0.05), tols=[1e-9, 1e-9, 1e-12],
                 ref=(90e-6, "torch not measured: vs its 90 us/step in bench-peers RESULTS.md")),
        ], expected="0.999822282595 0.999643885544 3.16341e-08", count=20000, unit="step"),
        Workload("d", "bsearch", interpreted("bsearch"), expected="66667 99988233333"),
        Workload("d'", "search_builtin", [
            Impl("python bisect", [PY, peer("bisect_loop.py")], kind="kernel", tag="python"),
            Impl("psearch search", P + [ps("search_builtin.ps")], kind="twin",
                 twin=P + [ps("search_builtin.setup.ps")], goal=("python bisect", 1.0)),
        ], expected="66667 99988233333", count=200000, unit="call"),
        Workload("i", "record_fields", interpreted("record"), expected="12499997500000 24999995000000 5000000"),
        Workload("j", "closure_calls", interpreted("closures"), expected="10000000"),
        Workload("k", "string_build", interpreted("strings"), expected="20000000"),
        Workload("l", "list_sieve", interpreted("sieve"), expected="295947"),
        Workload("h", "lbfgs_rosen10", [
            Impl("scipy", [PY, peer("lbfgs_scipy.py")], kind="kernel", need="scipy"),
            Impl("psearch lbfgs", P + [ps("lbfgs_rosen10.ps")], kind="twin", twin=P + [ps("lbfgs_rosen10.setup.ps")]),
        ], expected="1 1", count=200, unit="solve",
            note="scipy's L-BFGS-B (memory 10) and psearch's lbfgs on library Rosenbrock-10 (issue 20); no goal set"),
        Workload("e", "vec_dot", [
            Impl("numpy", [PY, peer("vec_numpy.py")], kind="kernel", need="numpy"),
            Impl("psearch", P + [ps("vec_dot.ps")], kind="twin", twin=P + [ps("vec.setup.ps")]),
        ], expected="1831.5546875", count=20, unit="op"),
        Workload("e", "vec_axpy", [
            Impl("numpy", [PY, peer("vec_numpy.py")], kind="kernel", need="numpy"),
            Impl("psearch", P + [ps("vec_axpy.ps")], kind="twin", twin=P + [ps("vec.setup.ps")]),
            Impl("blas", [PY, peer("vec_numpy.py")], kind="kernel", need="scipy"),
        ], expected="-469390", count=20, unit="op"),
        Workload("f", "logreg", [
            Impl("numpy", [PY, peer("logreg_numpy.py"), "--data", os.path.join(CACHE, "logreg.csv")],
                 kind="kernel", need="numpy"),
            Impl("psearch train", P + [ps("logreg.ps")], kind="twin", twin=P + [ps("logreg.setup.ps")],
                 goal=("numpy", 1.0), tols=[1e-8, 1e-5]),
        ], expected="0.3842782826 0.80764 0.16052345 -0.86330304 0.85142783", count=200, unit="epoch",
            fields=2, note="psearch prints loss and accuracy only (both are unchanged if load maps y to "
                           "class ids in another order)"),
        Workload("g", "mlp_digits", [
            Impl("numpy", [PY, peer("mlp_numpy.py"), "--digits", digits], kind="kernel", need="digits"),
            Impl("psearch train", P + [ps("mlp_digits.ps")], kind="twin", twin=P + [ps("mlp_digits.setup.ps")],
                 goal=("numpy", 1.0), check=test_acc_at_least(0.96)),
        ], expected="0.057808 0.9910 0.9667", count=50, unit="epoch"),
        Workload("", "matmul512", [
            Impl("numpy", [PY, peer("matmul_numpy.py")], kind="kernel", need="numpy"),
            Impl("psearch", P + [ps("matmul.ps")], kind="twin", twin=P + [ps("matmul.setup.ps")],
                 goal=("numpy", 1.2)),
        ], expected="-1.5 1604433.05859375 3.03125", count=20, unit="product"),
        Workload("", "search_workers", [
            Impl("psearch workers 1", P + [ps("search_workers1.ps")], base="psearch -e '0'"),
            Impl("psearch workers 2", P + [ps("search_workers2.ps")], base="psearch -e '0'",
                 goal=("psearch workers 1", 1 / 1.7)),
        ], expected="7 0", note="8 CPU-bound trials; 2 workers must take at most 1/1.7 of 1 worker's time"),
        Workload("", "plot_contour", [
            Impl("psearch", P + [ps("plot_contour.ps")], kind="twin", twin=P + [ps("plot_contour.setup.ps")],
                 goal=("abs", 0.050), min_lines=10),
        ], note="80x24 terminal contour plot"),
        Workload("", "plot_scatter", [
            Impl("psearch", P + [ps("plot_scatter.ps")], kind="twin", twin=P + [ps("plot_scatter.setup.ps")],
                 goal=("abs", 0.050), min_lines=10),
        ], note="80x24 terminal scatter of 100,000 points"),
        Workload("", "repl", [
            Impl("psearch", P, kind="pty", goal=("abs", 0.030)),
            Impl("python3 -q", [PY, "-q"], kind="pty"),
            Impl("lua5.4 -i", [lua, "-i"], kind="pty", need="lua"),
        ], note="start-up to the first prompt, in a pty"),
    ]


# Lua's readline switches on bracketed paste (ESC [?2004h) just before its prompt.
PROMPTS = {"psearch": b"ps> ", "python3 -q": b">>> ", "lua5.4 -i": b"> "}


# --------------------------------------------------------------------------------------------
# Running things

def bench_env(threads):
    """Every command gets the numeric peers' environment: no OpenBLAS core/cache overrides (they
    slow a current OpenBLAS), BLAS/OpenMP threads fixed (psearch links OpenBLAS too)."""
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"
    return env


def run_once(argv, cwd, env, timeout):
    """(wall seconds, exit code or None on timeout, stdout, stderr) of one process, fork to exit.
    A timer kills a runaway process so the wait itself can block in wait4 (exact timing)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as e:
            return 0.0, 127, "", str(e)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), p.kill()))
        timer.start()
        _, status, _ = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (wall, None if killed else p.returncode,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def time_to_prompt(argv, prompt, env, home, timeout=5.0):
    """Seconds from fork to `prompt` on a pseudo-terminal (80x24), or (None, why).  HOME and the
    history live in `home`, kept across runs, so later runs load the history the first one saved."""
    env = dict(env, HOME=home, XDG_STATE_HOME=home, PSEARCH_HISTORY=os.path.join(home, "history"),
               EDITRC="/dev/null", TERM="xterm-256color")
    env.pop("PYTHONSTARTUP", None)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    buf, found, why = b"", None, None
    try:
        while True:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                why = f"no prompt within {timeout:.0f} s"
                break
            r, _, _ = select.select([master], [], [], left)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                why = "exited before the prompt"
                break
            buf += chunk
            if prompt in buf:
                found = time.perf_counter() - t0
                break
        if found is not None:
            os.write(master, b"\x04")            # Ctrl-D: leave politely (and save history)
        deadline = time.perf_counter() + 2.0
        while time.perf_counter() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if select.select([master], [], [], 0.02)[0]:
                try:
                    os.read(master, 4096)
                except OSError:
                    pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        os.close(master)
    if found is None:
        text = buf.decode(errors="replace").strip().replace("\r", "").replace("\n", " | ")
        return None, f"{why}; output: {text[:80]!r}"
    return found, None


def parse_kernel(out):
    """{(workload, impl): (seconds, count, unit, result)} from `@ ` lines."""
    found = {}
    for line in out.splitlines():
        if line.startswith("@ "):
            _, name, secs, count, unit, *res = line.split(" ")
            wl, _, impl = name.rpartition(".")
            found[(wl, impl)] = (float(secs), int(count), unit, " ".join(res))
    return found


def proc_result(out):
    return " ".join(ln.strip() for ln in out.splitlines() if ln.strip() and not ln.startswith("# "))


def first_error(err, out, rc):
    lines = [ln.strip() for ln in (err + "\n" + out).splitlines() if ln.strip()]
    pick = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else f"exit {rc}")
    return f"exit {rc}: {pick[:110]}"


# --------------------------------------------------------------------------------------------
# Comparing results

def _half_unit(text):
    """Half a unit in the last printed digit of a rounded decimal (0 for an integer or non-number)."""
    mant, _, exp = text.lower().partition("e")
    if "." not in mant and not exp:
        return 0.0
    digits = len(mant.split(".")[1]) if "." in mant else 0
    try:
        return 0.5 * 10.0 ** (int(exp or 0) - digits)
    except ValueError:
        return 0.0


def _num(tok):
    try:
        return float(tok.split("=")[-1])
    except ValueError:
        return None


def agree(got, want, tols=None, fields=None, printed=False):
    """(ok, why) — results compare field by field, numbers by value (so psearch's shortest
    round-trip `4.16666541667329e+19` equals %.17g's `4.1666654166732898e+19`), within the
    field's absolute tolerance; `printed`: `want` is a rounded spec value, so half a unit of its
    last digit is allowed too.  Only the first `fields` fields are compared when given."""
    g, w = got.split(), want.split()
    n = fields or len(w)
    if len(g) < n or len(w) < n or (fields is None and len(g) != len(w)):
        return False, f"{len(g)} fields, expected {n}"
    for i in range(n):
        a, b = _num(g[i]), _num(w[i])
        if a is None or b is None:
            if g[i] != w[i]:
                return False, f"field {i + 1}: {g[i]} != {w[i]}"
            continue
        tol = (tols[i] if tols and i < len(tols) else 0.0) + (_half_unit(w[i].split("=")[-1]) if printed else 0.0)
        same = (a == b) or (a != a and b != b) or abs(a - b) <= tol
        if not same:
            return False, f"field {i + 1}: {g[i]} vs {w[i]} (|diff| {abs(a - b):.3g} > tol {tol:.3g})"
    return True, ""


# --------------------------------------------------------------------------------------------
# Report helpers

def fmt_s(x):
    if x is None:
        return "-"
    return f"{x:.4f}" if x >= 0.01 else f"{x * 1e3:.2f}ms"


def fmt_unit(x, unit):
    if x is None:
        return "-"
    if x >= 1e-3:
        return f"{x * 1e3:.3f}ms/{unit}"
    return f"{x * 1e6:.2f}us/{unit}"


def table(rows, hdr):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(hdr, widths)).rstrip()]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------

def build_psearch():
    """Path of a release psearch built from this checkout, or (None, why)."""
    swift = shutil.which("swift")
    if not swift:
        return None, "swift not found"
    # The same build as scripts/setup: a static standard library saves ~10 ms of start-up.
    log("# building psearch: swift build -c release --static-swift-stdlib --product psearch")
    p = subprocess.run([swift, "build", "-c", "release", "--static-swift-stdlib", "--product", "psearch"], cwd=ROOT,
                       capture_output=True, text=True)
    path = os.path.join(ROOT, ".build", "release", "psearch")
    if p.returncode != 0 or not os.access(path, os.X_OK):
        tail = [ln for ln in (p.stdout + p.stderr).splitlines() if "error" in ln.lower()] or ["?"]
        return None, f"build failed: {tail[0][:100]}"
    return path, None


def ensure_lua():
    lua = shutil.which("lua5.4")
    if lua or not shutil.which("apt-get") or os.geteuid() != 0:
        return lua
    log("# lua5.4 missing: apt-get install -y lua5.4")
    subprocess.run(["apt-get", "install", "-y", "lua5.4"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("lua5.4")


def compile_c():
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        return None
    src, out = peer("rosenbrock.c"), os.path.join(CACHE, "rosenbrock_c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        os.makedirs(CACHE, exist_ok=True)
        if subprocess.run([cc, "-O2", "-ffp-contract=off", "-o", out, src]).returncode != 0:
            return None
    return out


def has_module(mod):
    return subprocess.run([PY, "-c", f"import importlib.util as u, sys; sys.exit(u.find_spec('{mod}') is None)"],
                          stderr=subprocess.DEVNULL).returncode == 0


# --------------------------------------------------------------------------------------------
# One benchmark run

class Run:
    def __init__(self, wls, env, runs, sruns):
        self.wls, self.env, self.runs, self.sruns = wls, env, runs, sruns
        self.problems = []          # mismatches and peer failures: each makes the exit status 1
        self.cmds = {}              # (role, argv) -> dict(argv, cwd, kind, users, times)
        self.order = []             # (workload, [command keys]): peers and psearch alternating
        self.dead = set()
        self.peer_warm = {}         # workload name -> slowest peer warm-up, sets psearch's timeout
        self.home = tempfile.mkdtemp(prefix="bench-repl-")   # HOME of the REPL runs
        placed = set()              # a command shared by rows (vec_numpy.py) runs once a round
        for w in wls:
            group = []
            for im in w.impls:
                if im.unavailable:
                    continue
                keys = [("main", tuple(im.argv))]
                if im.kind == "twin":
                    keys.insert(0, ("twin", tuple(im.twin)))
                for k in keys:
                    c = self.cmds.setdefault(k, dict(argv=list(k[1]), cwd=CACHE if im.psearch else PEERS,
                                                     kind=im.kind, users=[], times=[]))
                    c["users"].append((w, im))
                    if k not in placed:
                        placed.add(k)
                        group.append(k)
            self.order.append((w, group))

    def fail(self, w, im, why):
        """psearch that cannot run is 'not available'; a peer that cannot run is a problem."""
        if im.psearch:
            im.unavailable, im.times, im.results = why, [], []
        else:
            im.failed = why
            self.problems.append(f"{w.label} {im.name}: {why}")

    def timeout(self, w, is_psearch):
        return max(30.0, 20 * self.peer_warm.get(w.name, 0)) if is_psearch else 300.0

    def alive(self, k):
        return k not in self.dead and any(not im.unavailable and not im.failed for _, im in self.cmds[k]["users"])

    def run_command(self, w, k, timed):
        c = self.cmds[k]
        users = c["users"]
        if c["kind"] == "pty":
            im = users[0][1]
            secs, why = time_to_prompt(c["argv"], PROMPTS[im.name], self.env, self.home)
            if secs is None:
                self.fail(w, im, why)
            elif timed:
                im.times.append(secs)
            return
        is_ps = users[0][1].psearch
        timeout = self.timeout(w, is_ps)
        wall, rc, out, err = run_once(c["argv"], c["cwd"], self.env, timeout)
        if rc != 0:
            why = f"timed out after {timeout:.0f} s" if rc is None else first_error(err, out, rc)
            for uw, im in users:
                self.fail(uw, im, why)
            self.dead.add(k)
            return
        if not timed:
            if not is_ps:
                self.peer_warm[w.name] = max(self.peer_warm.get(w.name, 0), wall)
            return
        if k[0] == "twin":
            c["times"].append(wall)
            return
        kern = parse_kernel(out) if c["kind"] == "kernel" else {}
        for uw, im in users:
            if im.kind == "kernel":
                hit = kern.get((uw.name, im.tag))
                if hit is None:
                    self.fail(uw, im, f"no `@ {uw.name}.{im.tag}` line in its output")
                    continue
                im.times.append(hit[0])
                im.results.append(hit[3])
                continue
            lines = [ln for ln in out.splitlines() if ln.strip()]
            if im.min_lines and len(lines) < im.min_lines:
                self.fail(uw, im, f"drew nothing ({len(lines)} lines of output)")
                continue
            im.times.append(wall)
            im.results.append(f"{len(lines)} lines drawn" if im.min_lines else proc_result(out))

    def warm_up(self):
        """Every command once, untimed: warms the caches and finds what cannot run."""
        for w, group in self.order:
            for k in group:
                if k not in self.dead:
                    log(f"# warm-up {w.label}: {' '.join(os.path.basename(x) for x in self.cmds[k]['argv'][:3])}")
                    self.run_command(w, k, timed=False)
        for w in self.wls:          # a psearch row whose twin cannot run cannot be timed either
            for im in w.impls:
                if im.kind == "twin" and not im.unavailable and ("twin", tuple(im.twin)) in self.dead:
                    im.unavailable = "its set-up twin failed"

    def rounds(self):
        """Round r runs every workload once; inside a workload, peers and psearch alternate, and
        the order flips every round, so drift on a shared machine lands on all of them alike."""
        total = max(self.runs, self.sruns)
        for r in range(total):
            log(f"# round {r + 1}/{total}")
            for w, group in self.order:
                if r >= (self.sruns if w.name in ("startup", "repl") else self.runs):
                    continue
                for k in (group if r % 2 == 0 else list(reversed(group))):
                    if self.alive(k):
                        self.run_command(w, k, timed=True)
        for w in self.wls:          # psearch has no clock: whole process minus its fastest set-up run
            for im in w.impls:
                if im.kind == "twin" and im.times:
                    twin = self.cmds[("twin", tuple(im.twin))]["times"] or [0.0]
                    im.twin_min, im.twin_noise = min(twin), max(twin) - min(twin)
                    im.times = [max(t - im.twin_min, 0.0) for t in im.times]

    def check(self):
        """Each result must be the same in every run; a peer's must match the spec's printed value;
        psearch's must match the spec and every peer's (or pass its workload's own check)."""
        for w in self.wls:
            peers = {im.name: im for im in w.impls if not im.psearch and im.results}
            for im in w.impls:
                im.check_msg = ""
                if not im.results or w.expected is None:
                    continue
                if len(set(im.results)) > 1:
                    im.check_msg = "UNSTABLE: " + " / ".join(sorted(set(im.results)))[:100]
                    self.problems.append(f"{w.label} {im.name}: results differ between runs")
                    continue
                res, notes, bad = im.results[0], [], None
                if im.check:
                    ok, why = im.check(res)
                    bad = None if ok else (f"MISMATCH: needs {why}", f"{res!r} fails: {why}")
                    notes.append(why)
                else:
                    ok, why = agree(res, w.expected, im.tols, w.fields if im.psearch else None, printed=True)
                    if not ok:
                        bad = (f"MISMATCH vs spec {w.expected!r}: {why}", f"{res!r} vs spec {w.expected!r}: {why}")
                    for pn, p in (peers.items() if im.psearch and not bad else ()):
                        ok, why = agree(res, p.results[0], im.tols, w.fields or len(p.results[0].split()))
                        if not ok:
                            bad = (f"MISMATCH vs {pn} {p.results[0]!r}: {why}", f"{res!r} vs {pn} {p.results[0]!r}: {why}")
                            break
                    if im.psearch and peers:
                        notes.append("= " + ", ".join(peers) + (f", tol {max(im.tols):g}" if im.tols else ""))
                    else:
                        notes.append("= spec" + (f", tol {max(im.tols):g}" if im.tols else ""))
                if bad:
                    im.check_msg = bad[0]
                    self.problems.append(f"{w.label} {im.name}: {bad[1]}")
                else:
                    im.check_msg = f"ok ({'; '.join(notes)})"

    def report(self):
        """Rows of dicts: one per (workload, implementation), with its goal when it has one."""
        startup_min = {im.name: min(im.times) for w in self.wls if w.name == "startup" for im in w.impls if im.times}

        def med(im):
            return statistics.median(im.times) if im.times else None

        def net(im):
            return min(im.times) - startup_min[im.base] if im.base in startup_min and im.times else None

        rows = []
        for w in self.wls:
            peers = [im for im in w.impls if not im.psearch and im.times]
            for im in w.impls:
                m = med(im)
                row = dict(workload=w.label, impl=im.name, median=m, min=min(im.times) if im.times else None,
                           net=net(im), per_unit=m / w.count if m is not None and w.count > 1 else None,
                           unit=w.unit, ratios="", result="", check="", goal="", measured="", status="")
                if im.failed:
                    row["result"] = f"FAILED: {im.failed}"
                elif im.unavailable:
                    row["result"] = f"{'not available' if im.psearch else 'skipped'} ({im.unavailable.removeprefix('skipped: ')})"
                else:
                    row["result"] = im.results[0] if im.results else ("prompt" if im.kind == "pty" else "-")
                    row["check"] = im.check_msg
                    if im.kind == "twin" and hasattr(im, "twin_min"):
                        row["result"] += f"  [less set-up twin {fmt_s(im.twin_min)}]"
                        if m is not None and m < im.twin_noise:
                            row["result"] += f" [BELOW NOISE: twin runs spread {fmt_s(im.twin_noise)}]"
                if im.psearch and m is not None:
                    parts = []
                    for p in peers:
                        s = f"{p.name} {m / med(p):.2f}x"
                        if net(im) is not None and net(p):
                            s += f" (net {net(im) / net(p):.2f}x)"
                        parts.append(s)
                    row["ratios"] = ", ".join(parts)
                if im.goal:
                    self.judge(w, im, row, m, med)
                rows.append(row)
        return rows

    def judge(self, w, im, row, m, med):
        target, limit = im.goal
        if target == "abs":
            row["goal"] = f"< {limit * 1e3:.0f} ms" + (" net of set-up" if im.kind == "twin" else "")
        else:
            row["goal"] = f"<= {limit:.1f}x {target}" if limit >= 0.1 else f"<= {limit:g}x {target}"
        if im.unavailable or m is None:
            row["status"] = f"n/a ({(im.unavailable or 'no timing')[:70]})"
        elif im.check_msg.startswith(("MISMATCH", "UNSTABLE")):
            row["status"] = "FAIL (wrong result)"
        elif target == "abs":
            row["measured"], row["status"] = fmt_s(m), "PASS" if m < limit else "MISS"
        else:
            p = next((x for x in w.impls if x.name == target), None)
            if p is not None and p.times:
                ratio = m / med(p)
                row["measured"], row["status"] = f"{ratio:.2f}x", "PASS" if ratio <= limit else "MISS"
            elif im.ref:
                ratio = (m / w.count) / im.ref[0]
                row["goal"] += f" [{im.ref[1]}]"
                row["measured"] = f"{ratio:.3f}x"
                row["status"] = "PASS (vs reference)" if ratio <= limit else "MISS (vs reference)"
            else:
                row["status"] = f"n/a ({target} not measured)"
        if row["status"] in ("PASS", "MISS") and im.kind == "twin" and m < getattr(im, "twin_noise", 0):
            row["status"] += " (below noise)"


# --------------------------------------------------------------------------------------------
# Hyper-parameter search against Optuna (issue 17): `--only hpo`

HPO_FUNCS = [("branin", 0.397887), ("hartmann6", -3.32237), ("rosenbrock4", 0.0), ("mlp", None)]
HPO_SAMPLERS = ["psearch-tpe", "optuna-tpe", "psearch-random", "optuna-random"]
HPO_PARTS = ["hpo quality", "hpo overhead", "hpo workers"]      # the labels `--only` matches
OPTUNA = "optuna==5.1.0"
VENV = os.path.join(CACHE, "venv")
HPO_DEFS = os.path.join(PS_DIR, "hpo_objectives.ps")
HPO_QUAD = ("fn quad(p) { return (p.x1 - 1) ^ 2 + (p.x2 - 1) ^ 2 + (p.x3 - 1) ^ 2 + (p.x4 - 1) ^ 2"
            " + (p.x5 - 1) ^ 2 + (p.x6 - 1) ^ 2 }\n"
            "let quad_space = {x1: uniform(-5, 5), x2: uniform(-5, 5), x3: uniform(-5, 5), x4: uniform(-5, 5),"
            " x5: uniform(-5, 5), x6: uniform(-5, 5)}\n")


def ensure_optuna(env):
    """(python of cache/venv with Optuna 5.1.0, None) -- made and installed from PyPI on first use --
    or (None, why not)."""
    py = os.path.join(VENV, "bin", "python")
    probe = [py, "-c", "import optuna; print(optuna.__version__)"]
    if os.access(py, os.X_OK) and subprocess.run(probe, env=env, capture_output=True, text=True).stdout.strip() == "5.1.0":
        return py, None
    log(f"# making {os.path.relpath(VENV, ROOT)} and installing {OPTUNA} from PyPI")
    p = subprocess.run([PY, "-m", "venv", "--clear", VENV], capture_output=True, text=True)
    if p.returncode != 0:
        return None, f"python3 -m venv failed: {(p.stderr.strip().splitlines() or ['?'])[-1][:90]}"
    p = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", OPTUNA], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, f"pip install {OPTUNA} failed: {(p.stderr.strip().splitlines() or ['?'])[-1][:90]}"
    return py, None


def hpo_lines(out):
    """[(field, ...)] from `@hpo ...` lines."""
    return [ln.split()[1:] for ln in out.splitlines() if ln.startswith("@hpo ")]


class HpoRun:
    """Median best and regret over SEEDS searches of TRIALS trials per function and sampler; the
    sampler's own time per trial; workers: 1 vs 2 on a 20 ms objective.  Rows are printed as
    tables like the main report; `problems` make the exit status 1 (a peer failing, trials that
    differ between worker counts)."""

    def __init__(self, psearch, env, parts, trials=100, seeds=20):
        self.ps, self.env, self.parts, self.trials, self.seeds = psearch, env, parts, trials, seeds
        self.defs = open(HPO_DEFS).read()
        self.problems, self.notes = [], []
        self.py, self.why = ensure_optuna(env)
        if self.py is None:
            self.notes.append(f"SKIPPED Optuna: {self.why}")

    def psearch_run(self, code, timeout=1800):
        wall, rc, out, err = run_once([self.ps, "-e", code], CACHE, self.env, timeout)
        if rc != 0:
            return wall, None, "timed out" if rc is None else first_error(err, out, rc)
        return wall, hpo_lines(out), None

    def optuna_run(self, args, timeout=1800):
        wall, rc, out, err = run_once([self.py, peer("hpo_optuna.py")] + args, PEERS, self.env, timeout)
        if rc != 0:
            why = "timed out" if rc is None else first_error(err, out, rc)
            self.problems.append(f"hpo optuna {' '.join(args[:3])}: {why}")
            return wall, None, why
        return wall, hpo_lines(out), None

    def quality(self):
        """{(func, sampler): (wall, [best per seed]) or (wall, why)}."""
        res = {}
        for func, _ in HPO_FUNCS:
            for sampler in HPO_SAMPLERS:
                log(f"# hpo quality {func} {sampler}: {self.seeds} searches of {self.trials} trials")
                method = sampler.split("-")[1]
                if sampler.startswith("psearch"):
                    code = self.defs + (
                        f"for s in 1..{self.seeds + 1} {{\n"
                        f"  let r = search({func if func != 'mlp' else 'mlp_loss'}, {func}_space, method: \"{method}\", "
                        f"trials: {self.trials}, seed: s, workers: 1)\n"
                        f"  print(\"@hpo\", \"{func}\", \"{sampler}\", s, r.best_loss)\n}}\n")
                    wall, lines, why = self.psearch_run(code)
                elif self.py is None:
                    wall, lines, why = 0.0, None, "skipped: " + self.why
                else:
                    extra = ["--psearch", self.ps, "--objectives", HPO_DEFS] if func == "mlp" else []
                    wall, lines, why = self.optuna_run(["quality", func, method, str(self.trials), str(self.seeds)] + extra)
                if lines is not None and len(lines) != self.seeds:
                    lines, why = None, f"{len(lines)} results, expected {self.seeds}"
                res[func, sampler] = (wall, [float(ln[3]) for ln in lines] if lines is not None else why)
        return res

    def quality_report(self, res):
        rows, goals = [], []
        ref = {}
        for func, opt in HPO_FUNCS:
            if opt is None:      # the MLP: the best loss any run found stands in for the optimum
                seen = [v for s in HPO_SAMPLERS if isinstance(res[func, s][1], list) for v in res[func, s][1]]
                opt = min(seen) if seen else None
            ref[func] = opt
            for s in HPO_SAMPLERS:
                wall, r = res[func, s]
                if isinstance(r, list):
                    reg = [v - opt for v in r]
                    rows.append([func, f"{opt:.6g}" + ("*" if func == "mlp" else ""), s, f"{statistics.median(r):.6g}",
                                 f"{statistics.median(reg):.3g}", f"{min(reg):.3g} / {max(reg):.3g}", fmt_s(wall)])
                else:
                    rows.append([func, "-", s, "-", "-", "-", r if r.startswith("skipped") else f"FAILED: {r}"])
            mine, theirs = res[func, "psearch-tpe"][1], res[func, "optuna-tpe"][1]
            if isinstance(mine, list) and isinstance(theirs, list):
                a, b = statistics.median(mine) - opt, statistics.median(theirs) - opt
                goals.append([func, "median regret psearch-tpe <= optuna-tpe", f"{a:.3g} vs {b:.3g}",
                              "PASS" if a <= b else "MISS"])
            else:
                goals.append([func, "median regret psearch-tpe <= optuna-tpe", "-", "n/a (a sampler did not run)"])
        print(f"hyper-parameter search quality: {self.seeds} seeds x {self.trials} trials per function and sampler")
        print(table(rows, ["function", "optimum", "sampler", "median_best", "median_regret", "min/max regret",
                           "wall (all seeds)"]))
        print("* mlp: no known optimum; regret is measured from the best validation loss any run found")
        return goals

    def overhead(self):
        """Sampler time per trial on a free 6-d quadratic, psearch TPE vs Optuna TPE, at 100 and 1000 trials."""
        rows, goals = [], []
        for n in (100, 1000):
            log(f"# hpo overhead: TPE, {n} trials")
            code = self.defs + HPO_QUAD + (
                f"let t0 = clock()\nlet r = search(quad, quad_space, method: \"tpe\", trials: {n}, seed: 1, workers: 1)\n"
                f"print(\"@hpo\", \"overhead\", \"psearch-tpe\", {n}, clock() - t0)\n")
            _, lines, why = self.psearch_run(code)
            mine = float(lines[0][3]) / n if lines else None
            theirs = None
            if self.py is not None:
                _, ol, owhy = self.optuna_run(["overhead", str(n)])
                theirs = float(ol[0][3]) / n if ol else None
            rows.append([str(n), fmt_unit(mine, "trial") if mine else f"FAILED: {why}",
                         fmt_unit(theirs, "trial") if theirs else ("skipped" if self.py is None else "FAILED"),
                         f"{mine / theirs:.3f}x" if mine and theirs else "-"])
            goals.append([f"{n} trials", "sampler time per trial psearch <= 0.1x optuna-tpe",
                          f"{mine / theirs:.3f}x" if mine and theirs else "-",
                          ("PASS" if mine / theirs <= 0.1 else "MISS") if mine and theirs else "n/a"])
        print("TPE's own time per trial (6-d quadratic objective: the search's whole time / trials)")
        print(table(rows, ["trials", "psearch-tpe", "optuna-tpe", "psearch/optuna"]))
        return goals

    def workers(self):
        """psearch TPE, workers: 1 vs 2, same seed, on a ~20 ms objective: identical trials? speed-up?"""
        log("# hpo workers: TPE, 40 trials of a 20 ms objective, workers: 1 and 2")
        code = self.defs + (
            "fn busy(p) {\n  let s = 0\n  let i = 0\n"
            "  while i < 200000 { s = s + (i * p.k) % 7\n    i = i + 1 }\n"
            "  return hartmann6(p) + s * 1e-12\n}\n"
            "let space = {x1: uniform(0, 1), x2: uniform(0, 1), x3: uniform(0, 1), x4: uniform(0, 1),"
            " x5: uniform(0, 1), x6: uniform(0, 1), k: intrange(1, 3)}\n"
            "let t0 = clock()\nlet a = search(busy, space, method: \"tpe\", trials: 40, seed: 7, workers: 1)\n"
            "let t1 = clock()\nlet b = search(busy, space, method: \"tpe\", trials: 40, seed: 7, workers: 2)\n"
            "let t2 = clock()\nlet same = 0\n"
            "for i in 0..40 { if a.trials[i].params == b.trials[i].params and a.trials[i].loss == b.trials[i].loss "
            "{ same = same + 1 } }\n"
            "print(\"@hpo\", \"workers\", t1 - t0, t2 - t1, same, a.best_loss)\n")
        _, lines, why = self.psearch_run(code)
        if not lines:
            print(f"TPE with workers: 1 vs 2: FAILED: {why}")
            return [["workers", "identical trials, workers: 2 vs 1", "-", "FAILED"]]
        w1, w2, same = float(lines[0][1]), float(lines[0][2]), int(lines[0][3])
        print("TPE with workers: 1 vs 2 (40 trials, seed 7, objective ~20 ms: hartmann6 plus a busy loop)")
        print(table([[fmt_s(w1), fmt_s(w2), f"{w1 / w2:.2f}x", f"{same}/40"]],
                    ["workers: 1", "workers: 2", "speed-up", "identical trials"]))
        if same != 40:
            self.problems.append(f"hpo workers: only {same}/40 trials identical between workers: 1 and 2")
        return [["workers", "identical trials, workers: 2 vs 1", f"{same}/40", "PASS" if same == 40 else "FAIL"]]

    def run(self):
        goals = []
        if "hpo quality" in self.parts:
            goals += self.quality_report(self.quality())
            print()
        if "hpo overhead" in self.parts:
            goals += self.overhead()
            print()
        if "hpo workers" in self.parts:
            goals += self.workers()
            print()
        print_goals("17", goals, self.notes, self.problems)


STUDY_PARTS = ["study store", "ray overhead", "ray speedup"]      # the labels `--only` matches
RAY_BUSY = ("fn busy(p) {\n  let s = 0\n  for i in 0..N { s = s + (p.x - 1) * (p.x - 1) }\n  return s / N\n}\n"
            "let r = search(busy, {x: uniform(-2, 2)}, method: \"random\", trials: 16, seed: 3, workers: W, engine: \"ray\")\n"
            "print(\"@study\", \"busy\", r.best_loss)\n")


class StudyRun:
    """Issue 18's costs: the SQLite store per trial; engine "ray" per trial and at start; 2 Ray
    workers against 1 on a CPU-bound objective. Ray comes from scripts/pyenv (the tests' venv) and
    a head started here on 127.0.0.1 (stopped at the end); without it the Ray parts are skipped."""

    def __init__(self, psearch, env, parts, runs):
        self.ps, self.env, self.parts, self.runs = psearch, dict(env), parts, max(3, runs)
        self.problems, self.notes = [], []

    def store(self):
        """10,000 trials of fn(p) = p.x with and without study: (clock() inside one process, medians)."""
        log("# study store: 10,000 trials with and without study:, workers: 1")
        db = os.path.join(tempfile.mkdtemp(prefix="psbench"), "s.db")
        code = ("let f = fn(p) = p.x\nlet sp = {x: uniform(0, 1)}\nlet t0 = clock()\n"
                "search(f, sp, method: \"random\", trials: 10000, workers: 1)\nlet t1 = clock()\n"
                f"search(f, sp, method: \"random\", trials: 10000, workers: 1, study: \"{db}\", resume: false)\n"
                "print(\"@study\", \"store\", t1 - t0, clock() - t1)\n")
        plain, stored = [], []
        for _ in range(self.runs):
            _, rc, out, err = run_once([self.ps, "-e", code], CACHE, self.env, 600)
            lines = [ln.split() for ln in out.splitlines() if ln.startswith("@study store")]
            if rc != 0 or not lines:
                self.problems.append(f"study store: {first_error(err, out, rc)}")
                return [["study store", "SQLite store per trial < 1 ms", "-", "FAILED"]]
            plain.append(float(lines[0][2]))
            stored.append(float(lines[0][3]))
        shutil.rmtree(os.path.dirname(db), ignore_errors=True)
        per = (statistics.median(stored) - statistics.median(plain)) / 10000
        print("study store: 10,000 trials of fn(p) = p.x (random, workers: 1), seconds inside the process")
        print(table([[fmt_s(statistics.median(plain)), fmt_s(statistics.median(stored)), fmt_unit(per, "trial")]],
                    ["no study", "study: FILE", "store per trial"]))
        return [["study store", "SQLite store per trial < 1 ms", fmt_unit(per, "trial"), "PASS" if per < 1e-3 else "MISS"]]

    def start_ray(self):
        p = subprocess.run([os.path.join(ROOT, "scripts", "pyenv")], capture_output=True, text=True)
        py = p.stdout.strip()
        if p.returncode != 0 or not py:
            return f"scripts/pyenv failed: {(p.stderr.strip().splitlines() or ['?'])[-1][:90]}"
        self.ray = os.path.join(os.path.dirname(py), "ray")
        self.tmp = tempfile.mkdtemp(prefix="psray")
        port = 20000 + os.getpid() % 20000
        p = subprocess.run([self.ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
                            "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={self.tmp}/r"],
                           env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            return f"ray start --head failed: {(p.stderr.strip().splitlines() or ['?'])[-1][:90]}"
        self.env.update(PSEARCH_PYTHON=py, PSEARCH_RAY_ADDRESS=f"127.0.0.1:{port}")
        self.env.pop("RAY_ADDRESS", None)
        return None

    def stop_ray(self):
        subprocess.run([self.ray, "stop", "--force"], env=self.env, capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def timed(self, pairs):
        """{name: [wall...]} of whole psearch processes, the scripts alternating in rounds."""
        walls = {name: [] for name, _ in pairs}
        for _ in range(self.runs):
            for name, code in pairs:
                wall, rc, out, err = run_once([self.ps, "-e", code], CACHE, self.env, 900)
                if rc != 0:
                    self.problems.append(f"{name}: {first_error(err, out, rc)}")
                    return None
                walls[name].append(wall)
        return {k: statistics.median(v) for k, v in walls.items()}

    def ray_overhead(self):
        log("# ray overhead: searches of 1 and 21 trials of fn(p) = p.x, workers: 1, engine ray and threads")
        search = "search(fn(p) = p.x, {{x: uniform(0, 1)}}, method: \"random\", trials: {n}, workers: 1{e})\n"
        m = self.timed([(f"{e or 'threads'} {n}", search.format(n=n, e=", engine: \"ray\"" if e else ""))
                        for e in ("ray", None) for n in (1, 21)])
        if m is None:
            return [["ray overhead", "per trial, measured", "-", "FAILED"]]
        per = (m["ray 21"] - m["ray 1"] - (m["threads 21"] - m["threads 1"])) / 20
        start = m["ray 1"] - m["threads 1"] - per
        print("engine \"ray\" overhead: whole processes, medians (a trial is a Ray task running `psearch worker`)")
        print(table([[fmt_s(m["threads 1"]), fmt_s(m["ray 1"]), fmt_s(m["ray 21"]), fmt_s(start), fmt_unit(per, "trial")]],
                     ["threads, 1 trial", "ray, 1 trial", "ray, 21 trials", "ray start-up", "ray per trial"]))
        return [["ray overhead", "per trial and at start, measured", f"{fmt_unit(per, 'trial')}, start {fmt_s(start)}", "-"]]

    def ray_speedup(self):
        log("# ray speedup: 16 trials of a ~1 s CPU-bound objective, engine ray, workers: 1 and 2")
        code = RAY_BUSY.replace("N", "12500000")
        # Threads beside Ray in the same rounds: what two cores give this objective at this load.
        local = code.replace(", engine: \"ray\"", "")
        m = self.timed([("ray 1", code.replace("W", "1")), ("ray 2", code.replace("W", "2")),
                        ("threads 1", local.replace("W", "1")), ("threads 2", local.replace("W", "2"))])
        if m is None:
            return [["ray speedup", "2 workers >= 1.7x 1 worker", "-", "FAILED"]]
        x, t = m["ray 1"] / m["ray 2"], m["threads 1"] / m["threads 2"]
        print("16 trials of a CPU-bound objective (~1 s each on an idle core), Ray head with 2 CPUs: whole processes, medians")
        print(table([["ray", fmt_s(m["ray 1"]), fmt_s(m["ray 2"]), f"{x:.2f}x"],
                     ["threads", fmt_s(m["threads 1"]), fmt_s(m["threads 2"]), f"{t:.2f}x"]],
                    ["engine", "workers: 1", "workers: 2", "speed-up"]))
        return [["ray speedup", "2 workers >= 1.7x 1 worker", f"{x:.2f}x (threads {t:.2f}x)", "PASS" if x >= 1.7 else "MISS"]]

    def run(self):
        goals = []
        if "study store" in self.parts:
            goals += self.store()
            print()
        ray_parts = [q for q in self.parts if q.startswith("ray")]
        if ray_parts:
            why = self.start_ray()
            if why:
                self.notes.append(f"SKIPPED the Ray parts: {why}")
            else:
                try:
                    if "ray overhead" in ray_parts:
                        goals += self.ray_overhead()
                        print()
                    if "ray speedup" in ray_parts:
                        goals += self.ray_speedup()
                        print()
                finally:
                    self.stop_ray()
        print_goals("18", goals, self.notes, self.problems)


def print_goals(issue, goals, notes, problems):
    """The goals table of a part run after the main report, then its notes and problems."""
    print(f"goals (issue {issue}), judged in this run:")
    print(table(goals, ["check", "goal", "measured", "status"]))
    for n in notes:
        print(f"# {n}")
    for p in problems:
        print(f"#   PROBLEM: {p}")


def print_report(rows, notes, problems):
    main_rows = [[r["workload"], r["impl"], fmt_s(r["median"]), fmt_s(r["min"]), fmt_s(r["net"]),
                  fmt_unit(r["per_unit"], r["unit"]), r["ratios"] or "-", f"{r['result']}  {r['check']}".strip()]
                 for r in rows]
    print(table(main_rows, ["workload", "impl", "median_s", "min_s", "net_s", "per_unit",
                            "psearch/peer (medians)", "result  check"]))
    print()
    goals = [[r["workload"], r["impl"], r["goal"], r["measured"] or "-", r["status"]] for r in rows if r["goal"]]
    if goals:
        print("goals (issues 2-6), judged on medians of this run:")
        print(table(goals, ["workload", "impl", "goal", "measured", "status"]))
    print()
    for n in notes:
        print(f"# {n}")
    if problems:
        print(f"# {len(problems)} PROBLEM(S): RESULT MISMATCH OR PEER FAILURE")
        for p in problems:
            print(f"#   {p}")
    else:
        print("# all results agree")


def write_tsv(path, rows):
    cols = ["workload", "impl", "median", "min", "net", "per_unit", "unit", "ratios", "result", "check",
            "goal", "measured", "status"]
    with open(path, "w") as f:
        f.write("\t".join(c + "_s" if c in ("median", "min", "net", "per_unit") else c for c in cols) + "\n")
        for r in rows:
            f.write("\t".join("" if r[c] is None else f"{r[c]:.6g}" if isinstance(r[c], float) else str(r[c])
                              for c in cols) + "\n")


NOTES = [
    "results are compared number by number (every field parsed as a double; exact unless a tol is "
    "shown), so psearch's and Python's shortest round-trip '4.16666541667329e+19' equals %.17g's "
    "'4.1666654166732898e+19'; peers are also checked against the spec's printed values",
    "median_s/min_s: whole process, fork to exit; or the program's own kernel timing (numpy, python "
    "bisect, torch); or, for psearch kernels, the whole process less its fastest set-up twin run "
    "(psearch has no clock); net_s: min_s less the same interpreter's start-up min_s",
]


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench", description="psearch against its peers, in one run")
    ap.add_argument("--only", action="append", metavar="SUBSTR",
                    help="only workloads whose label (e.g. 'a fib27', 'startup', 'repl') contains SUBSTR; repeatable")
    ap.add_argument("--runs", type=int, help="timed runs per workload (default 5; 3 with --quick)")
    ap.add_argument("--startup-runs", type=int, help="runs of the start-up and REPL rows (default 11; 5 with --quick)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, for a smoke check")
    ap.add_argument("--psearch", metavar="PATH", help="psearch binary (default: build a release one from this checkout)")
    ap.add_argument("--baseline", metavar="PATH",
                    help="an earlier psearch binary timed in the same run beside every psearch row (rows 'psearch-before')")
    ap.add_argument("--digits", metavar="PATH", default=DEFAULT_DIGITS, help="digits.csv for the numpy MLP peer")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for every process (default 1)")
    ap.add_argument("--tsv", metavar="FILE", help="also write the table as tab-separated values")
    ap.add_argument("--hpo-trials", type=int, default=100, help="trials per search in `hpo quality` (default 100)")
    ap.add_argument("--hpo-seeds", type=int, default=20, help="searches (seeds 1..N) per function and sampler (default 20)")
    a = ap.parse_args()
    runs = a.runs or (3 if a.quick else 5)
    sruns = a.startup_runs or (5 if a.quick else 11)
    if runs < 1 or sruns < 1:
        ap.error("--runs and --startup-runs must be at least 1")

    start = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    env = bench_env(a.threads)
    os.makedirs(CACHE, exist_ok=True)      # psearch runs in it (data files are relative to it)
    lua = ensure_lua()
    data.check_prng()

    def selected(w):
        return not a.only or any(s in w.label for s in a.only)

    hpo_parts = [h for h in HPO_PARTS if not a.only or any(x in h for x in a.only)]
    study_parts = [h for h in STUDY_PARTS if not a.only or any(x in h for x in a.only)]
    if not any(selected(w) for w in workloads(None, lua, None, a.digits)) and not hpo_parts and not study_parts:
        ap.error(f"--only {a.only} matches no workload")
    setup_problems = []
    if any(w.name == "logreg" and selected(w) for w in workloads(None, lua, None, a.digits)):
        if not os.path.exists(os.path.join(CACHE, "logreg.csv")):
            log("# generating cache/logreg.csv (splitmix64, seed 42)")
        _, err = data.ensure_logreg(CACHE)
        if err:
            setup_problems.append(f"logreg data: {err}")
    digits_err = data.check_digits(a.digits)
    cc_bin = compile_c()

    psearch, ps_why = (os.path.abspath(a.psearch), None) if a.psearch else build_psearch()
    ps_version = "-"
    if psearch and not os.access(psearch, os.X_OK):
        psearch, ps_why = None, f"{psearch} is not an executable"
    if psearch:
        _, _, out, _ = run_once([psearch, "--version"], CACHE, env, 10)
        ps_version = out.strip() or "-"
        _, rc, out, _ = run_once([psearch, "-e", "print(1 + 2)"], CACHE, env, 10)
        if rc != 0 or out.strip() != "3":
            ps_why = f"`psearch -e 'print(1 + 2)'` printed {out.strip()[:40]!r}, not '3'" + (f", exit {rc}" if rc else "")

    all_wls = workloads(psearch, lua or "lua5.4", cc_bin, a.digits)
    if a.baseline and psearch:
        add_baseline(all_wls, psearch, os.path.abspath(a.baseline))
    wls = [w for w in all_wls if selected(w)]
    if all_wls[0] not in wls and any(im.base for w in wls for im in w.impls):
        wls.insert(0, all_wls[0])      # net_s needs the start-up minima
    have = {"lua": lua is not None, "cc": cc_bin is not None, "numpy": has_module("numpy"),
            "scipy": has_module("scipy"), "torch": has_module("torch"), "digits": digits_err is None}
    why_not = {"digits": f"{digits_err} (pass --digits PATH)", "lua": "lua5.4 not installed", "cc": "no C compiler"}
    notes = []
    for w in wls:
        if w.note:
            notes.append(f"{w.label}: {w.note}")
        for im in w.impls:
            if im.need and not have[im.need]:
                im.unavailable = "skipped: " + why_not.get(im.need, f"{im.need} not importable")
                if im.need == "digits":
                    notes.append(f"SKIPPED {w.label} {im.name}: {why_not['digits']}")
            elif im.psearch and ps_why:
                im.unavailable = "no usable psearch, see the header"

    print(f"# psearch bench  {start:%Y-%m-%d %H:%M} UTC  {platform.machine()}  cores={os.cpu_count()}  "
          f"load1={os.getloadavg()[0]:.2f}  runs={runs} (start-up/REPL {sruns})  BLAS/OMP threads={a.threads}")
    lua_v = subprocess.run([lua, "-v"], capture_output=True, text=True).stdout.split("  ")[0] if lua else "no lua5.4"
    print(f"# {ps_version} ({psearch or 'no binary'})  python {platform.python_version()}  {lua_v}")
    if ps_why:
        print(f"# psearch NOT AVAILABLE: {ps_why}")
    for mod, tag in (("numpy", "numpy's BLAS"), (None, "system OpenBLAS, psearch's CBLAS")):
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import common; " +
                ("import numpy; print(numpy.__version__, common.blas_text())" if mod else
                 "print(common.openblas_probe('libopenblas.so.0'))"))
        if mod is None or have.get(mod):
            out = subprocess.run([PY, "-c", code, PEERS], env=env, capture_output=True, text=True).stdout.strip()
            print(f"# {tag}: {out or 'not found'}")

    problems = list(setup_problems)
    rows = []
    if wls:
        run = Run(wls, env, runs, sruns)
        run.problems += setup_problems
        run.warm_up()
        run.rounds()
        shutil.rmtree(run.home, ignore_errors=True)
        run.check()
        rows = run.report()
        notes += NOTES
        print_report(rows, notes, run.problems)
        problems = run.problems
    if hpo_parts:
        if wls:
            print()
        if ps_why:
            print(f"# hyper-parameter search not run: no usable psearch ({ps_why})")
        else:
            hpo = HpoRun(psearch, env, hpo_parts, a.hpo_trials, a.hpo_seeds)
            hpo.run()
            problems += hpo.problems
    if study_parts and not ps_why:
        print()
        study = StudyRun(psearch, env, study_parts, runs)
        study.run()
        problems += study.problems
    print(f"# load1 at end={os.getloadavg()[0]:.2f}  elapsed={time.perf_counter() - t0:.0f}s")
    if a.tsv:
        write_tsv(a.tsv, rows)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
