"""psearch's bridge to Ray: runs search trials as Ray tasks for `search(..., engine: "ray")`.

The psearch driver starts this file with a Python that has the `ray` package and speaks JSON
lines with it, one object per line:

  driver -> bridge   {"op": "hello", "address": "HOST:PORT" | null, "num_cpus": 1, "max_retries": 3,
                      "binary": "/path/to/psearch"}                                    (first line)
                     {"op": "run", "id": 7, "request": "<a psearch worker request, JSON text>"}
                     {"op": "cancel", "id": 7}
                     end of input: cancel what is running and exit
  bridge -> driver   {"op": "ready", "cpus": 2, "ray": "2.60.0", "address": "..."}
                     {"op": "done", "id": 7, "code": 0, "stdout": "...", "stderr": "..."}
                     {"op": "failed", "id": 7, "message": "..."}
                     {"op": "error", "message": "..."}                      (then the bridge exits)

Each task runs `psearch worker` with the request on its standard input: the worker replays the
script and evaluates that one trial (the request is opaque here). Ray places the tasks, gives
each `num_cpus`, and runs a task again (`max_retries`) when its Ray worker or its psearch process
dies; an error the objective raised comes back in the worker's reply and is not retried. The
bridge writes no scheduler of its own.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

_out = threading.Lock()
# The messages' channel: the standard output this process was given. Everything else that
# writes to file descriptor 1 (Ray's core worker prints task retries there) goes to stderr,
# which the driver shows only when something fails.
_channel = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)


def emit(obj):
    with _out:
        _channel.write(json.dumps(obj) + "\n")
        _channel.flush()


def fail(message):
    emit({"op": "error", "message": message})
    sys.exit(2)


def checked(line, ops):
    """One input line as a dict with a known op, or the bridge stops with a clear error."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        fail(f"bridge input is not JSON ({e}): {line[:80]!r}")
    if not isinstance(obj, dict) or obj.get("op") not in ops:
        fail(f"bridge input must be an object with op in {sorted(ops)}: {line[:80]!r}")
    if obj["op"] in ("run", "cancel") and (not isinstance(obj.get("id"), int) or isinstance(obj.get("id"), bool)):
        fail(f"bridge input '{obj['op']}' needs an integer id: {line[:80]!r}")
    if obj["op"] == "run" and not isinstance(obj.get("request"), str):
        fail(f"bridge input 'run' needs the worker request as a string: {line[:80]!r}")
    return obj


def check_hello(hello):
    address = hello.get("address")
    if address is not None and (not isinstance(address, str) or not address):
        fail("hello: address must be a non-empty string or null")
    cpus = hello.get("num_cpus")
    if isinstance(cpus, bool) or not isinstance(cpus, (int, float)) or not 0 < cpus <= 1024:
        fail(f"hello: num_cpus must be a number in (0, 1024], got {cpus!r}")
    retries = hello.get("max_retries")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
        fail(f"hello: max_retries must be an integer in 0...100, got {retries!r}")
    if not isinstance(hello.get("binary"), str) or not hello["binary"]:
        fail("hello: binary must name the psearch executable")
    return address, float(cpus), retries, hello["binary"]


def reachable(address):
    """Fails within seconds when a HOST:PORT address does not answer (ray.init would retry for a minute)."""
    if address == "auto" or address.startswith("ray://"):
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        fail(f"the Ray address '{address}' is not HOST:PORT (e.g. 127.0.0.1:6379), 'auto' or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as e:
        fail(f"no Ray cluster answers at {address} ({e.strerror or e}): start one with `ray start --head`, "
             "or set PSEARCH_RAY_ADDRESS to its address")


class TrialProcessDied(Exception):
    """The psearch worker process was killed (a signal, the OOM killer): Ray runs the task again."""


def die_with_parent():
    # The psearch worker goes when its Ray worker goes (a cancelled or killed task), never orphaned.
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_trial(binary, request):
    exe = binary if os.access(binary, os.X_OK) else shutil.which("psearch")
    if exe is None:
        raise RuntimeError(f"no psearch on node {socket.gethostname()}: neither {binary} nor psearch on PATH")
    # The trial gets the task's CPUs; a BLAS must not start a thread per core beside it.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    p = subprocess.run([exe, "worker"], input=request, capture_output=True, text=True, env=env,
                       preexec_fn=die_with_parent)
    if p.returncode < 0:
        raise TrialProcessDied(f"psearch worker killed by signal {-p.returncode}")
    return {"code": p.returncode, "stdout": p.stdout, "stderr": p.stderr[-4000:]}


def main():
    # Ctrl-C at the terminal reaches the whole process group: the driver decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    first = sys.stdin.readline()
    if not first:
        return
    hello = checked(first, {"hello"})
    address, cpus, retries, binary = check_hello(hello)
    if address is not None:
        reachable(address)
    try:
        import ray
        ray.init  # a folder named ray in the working directory imports as an empty namespace
    except (ImportError, AttributeError):
        fail(f"{sys.executable} has no 'ray' package: pip install 'ray==2.60.0' there, "
             "or set PSEARCH_PYTHON to a Python that has it")
    try:
        ctx = ray.init(address=address, log_to_driver=False, logging_level="warning",
                       include_dashboard=False if address is None else None)
    except Exception as e:  # noqa: BLE001 - any failure to connect is reported, not raised
        fail(f"Ray did not start or connect{'' if address is None else ' to ' + address}: {e}")
    remote = ray.remote(run_trial).options(num_cpus=cpus, max_retries=retries,
                                           retry_exceptions=[TrialProcessDied])
    total = ray.cluster_resources().get("CPU", 1)
    emit({"op": "ready", "cpus": max(1, int(total // cpus)), "ray": ray.__version__,
          "address": getattr(ctx, "address_info", {}).get("address", address or "local")})

    # Each trial is submitted the moment its line arrives and waited for by a thread of its own
    # (at most `workers` of them): no polling stands between a finished trial and the next.
    running = {}  # id -> ObjectRef
    lock = threading.Lock()

    def wait(trial, ref):
        try:
            emit(dict(ray.get(ref), op="done", id=trial))
        except ray.exceptions.TaskCancelledError:
            pass
        except Exception as e:  # noqa: BLE001 - the driver reports it as the trial's failure
            text = str(e).strip()
            emit({"op": "failed", "id": trial, "message": text.splitlines()[-1] if text else type(e).__name__})
        with lock:
            running.pop(trial, None)

    for line in sys.stdin:
        if not line.strip():
            continue
        m = checked(line, {"run", "cancel"})
        with lock:
            if m["op"] == "run":
                ref = remote.remote(binary, m["request"])
                running[m["id"]] = ref
                threading.Thread(target=wait, args=(m["id"], ref), daemon=True).start()
            elif m["id"] in running:
                ray.cancel(running.pop(m["id"]), force=True)
    # The driver is gone (or done): what still runs is cancelled, its psearch workers with it.
    with lock:
        for ref in running.values():
            ray.cancel(ref, force=True)


if __name__ == "__main__":
    main()
