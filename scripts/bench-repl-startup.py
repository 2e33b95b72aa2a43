#!/usr/bin/env python3
"""Start-up of the interactive REPL: time from launch until the first `ps> ` prompt.

    scripts/bench-repl-startup.py [BINARY] [RUNS]

Runs the binary on a fresh pseudo-terminal (temporary HOME, EDITRC=/dev/null, so the history
folder is created on the first run and loaded afterwards), reads until the prompt appears,
sends Ctrl-D and waits for the exit. Prints the median, min and max in milliseconds; the
figure includes fork/exec and the pty round trip.
"""
import os, pty, select, statistics, sys, tempfile, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/psearch"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30

home = tempfile.mkdtemp(prefix="psearch-bench-")
env = {"PATH": "/usr/bin:/bin", "HOME": home, "TERM": "xterm-256color", "LANG": "C.UTF-8",
       "EDITRC": "/dev/null"}


def read_until(fd, marker, timeout=5.0):
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SystemExit(f"no {marker!r} within {timeout} s; got {data!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise SystemExit(f"end of output before {marker!r}; got {data!r}")
        data += chunk
    return data


times = []
for _ in range(runs + 1):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary], env)
    read_until(fd, b"ps> ")
    times.append((time.perf_counter() - start) * 1000)
    os.write(fd, b"\x04")
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    if status != 0:
        raise SystemExit(f"exit status {status}")
times = times[1:]  # the first run creates the history folder and warms the page cache
print(f"{binary}: start-up to first prompt, {runs} runs: median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms")
