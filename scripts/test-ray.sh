#!/usr/bin/env bash
# search(..., engine: "ray") against a real local Ray head on 127.0.0.1 (started here, stopped at
# the end): the same trials as threads, a psearch worker killed mid-trial is retried, a driver
# killed with kill -9 resumes from its study file, and bad addresses or Pythons are clear errors
# within seconds. About 90 s.
#
#   PSEARCH_BIN=path PSEARCH_PYTHON=python-with-ray scripts/test-ray.sh   (scripts/test passes both)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PSEARCH_BIN:-$root/.build/debug/psearch}
py=${PSEARCH_PYTHON:-$("$root/scripts/pyenv")}
export PSEARCH_PYTHON=$py
ray="$(dirname "$py")/ray"
# Ray's sockets live under its temp folder: a short path keeps them under the 107-byte limit.
work=$(mktemp -d /tmp/psray.XXXX)
port=$(( 20000 + RANDOM % 20000 ))
export PSEARCH_RAY_ADDRESS=127.0.0.1:$port
unset RAY_ADDRESS

failures=0
pass() { echo "  ok   $1"; }
fail() { echo "  FAIL $1"; failures=$((failures + 1)); }

stop_ray() { "$ray" stop --force >/dev/null 2>&1 || true; }
cleanup() {
    stop_ray
    pkill -9 -f "$work/" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

echo "test-ray: ray start --head on $PSEARCH_RAY_ADDRESS ($("$py" -c 'import ray; print("ray", ray.__version__)'))"
if ! "$ray" start --head --node-ip-address=127.0.0.1 --port="$port" --num-cpus=2 --include-dashboard=false \
        --disable-usage-stats --temp-dir="$work/r" > ray-start.log 2>&1; then
    cat ray-start.log >&2
    echo "test-ray: FAIL: the Ray head did not start"
    exit 1
fi

# A CPU-bound objective with printing, rand() and a choice of strings: output and trials must match.
cat > cpu.ps <<'PS'
fn loss(p) {
    let s = 0
    for i in 0..30000 { s = s + sin(i * p.x) * 1e-9 }
    print("trial", p.x, p.kind)
    let penalty = 0.5
    if p.kind == "b" { penalty = 0 }
    return (p.x - 0.3) ^ 2 + penalty + s + rand() * 1e-3
}
let r = search(loss, {x: uniform(-1, 1), kind: ["a", "b"]}, method: METHOD, trials: 12, seed: 5, workers: WORKERS ENGINE)
print(r.best, r.best_loss)
for t in r.trials { print(t.params, t.loss) }
PS
same_as_threads() {  # method workers -> compares engine ray with threads on one worker
    sed "s/METHOD/\"$1\"/; s/WORKERS/1/; s/ ENGINE//" cpu.ps > "threads-$1.ps"
    sed "s/METHOD/\"$1\"/; s/WORKERS/$2/; s/ ENGINE/, engine: \"ray\"/" cpu.ps > "ray-$1.ps"
    "$bin" "threads-$1.ps" > "threads-$1.out" 2>&1
    if "$bin" "ray-$1.ps" > "ray-$1.out" 2> "ray-$1.err" && cmp -s "threads-$1.out" "ray-$1.out"; then
        pass "method $1: engine ray on $2 workers prints the same bytes as threads on 1 ($(wc -l < "ray-$1.out") lines)"
    else
        fail "method $1: engine ray differs from threads"
        diff "threads-$1.out" "ray-$1.out" | head -5
        tail -3 "ray-$1.err"
    fi
}
same_as_threads random 2
same_as_threads tpe 2

# Pruning reads earlier trials' reports: the driver sends them with each trial, the worker's
# decisions and reports come back; the median rule and ASHA prune the same trials as on threads.
cat > prune.ps <<'PS'
fn loss(p) {
    let v = 0
    for step in 1..10 {
        v = (p.x - 0.3) ^ 2 + p.x / step + rand() * 1e-3
        if report(v, step) { return v }
    }
    return v
}
let r = search(loss, {x: uniform(-1, 1)}, method: "tpe", trials: 30, seed: 4, prune: RULE, workers: 2 ENGINE)
let n = 0
for t in r.trials { if t.pruned { n = n + 1 } }
print(n, "pruned;", r.best, r.best_loss)
for t in r.trials { print(t.params, t.loss, t.pruned) }
PS
for rule in median asha; do
    sed "s/RULE/\"$rule\"/; s/ ENGINE//" prune.ps > "prune-$rule-threads.ps"
    sed "s/RULE/\"$rule\"/; s/ ENGINE/, engine: \"ray\"/" prune.ps > "prune-$rule-ray.ps"
    "$bin" "prune-$rule-threads.ps" > "prune-$rule-threads.out" 2>&1
    "$bin" "prune-$rule-ray.ps" > "prune-$rule-ray.out" 2>&1
    if cmp -s "prune-$rule-threads.out" "prune-$rule-ray.out" && ! head -1 "prune-$rule-ray.out" | grep -q "^0 pruned"; then
        pass "prune: \"$rule\" on ray stops the same trials as on threads ($(head -1 "prune-$rule-ray.out" | cut -d';' -f1))"
    else
        fail "prune: \"$rule\" differs on ray"
        diff "prune-$rule-threads.out" "prune-$rule-ray.out" | head -5
    fi
done

# Halving hands each trial its budget: the worker must get it too.
cat > halving.ps <<'PS'
let r = search(fn(p, budget) = (p.x - 0.2) ^ 2 + 1 / budget, {x: uniform(-1, 1)}, method: "halving", trials: 9, seed: 2 ENGINE)
for t in r.trials { print(t.params, t.budget, t.loss) }
PS
sed 's/ ENGINE//' halving.ps > halving-threads.ps
sed 's/ ENGINE/, engine: "ray"/' halving.ps > halving-ray.ps
"$bin" halving-threads.ps > halving-threads.out 2>&1
"$bin" halving-ray.ps > halving-ray.out 2>&1
if cmp -s halving-threads.out halving-ray.out; then pass "halving: budgets reach the workers ($(wc -l < halving-ray.out) trials alike)"
else fail "halving differs on ray"; diff halving-threads.out halving-ray.out | head -5; fi

# An error inside a trial reads the same as on threads: message, file:line:col, caret, calls.
cat > bad.ps <<'PS'
fn inner(x) { return x + "a" }
fn loss(p) { return inner(p.x) }
search(loss, {x: uniform(0, 1)}, method: "random", trials: 3 ENGINE)
PS
sed 's/ ENGINE//' bad.ps > bad-threads.ps
sed 's/ ENGINE/, engine: "ray"/' bad.ps > bad-ray.ps
"$bin" bad-threads.ps > /dev/null 2> bad-threads.err; s1=$?
"$bin" bad-ray.ps > /dev/null 2> bad-ray.err; s2=$?
sed -i 's/bad-threads.ps/FILE/; s/bad-ray.ps/FILE/' bad-threads.err bad-ray.err
if [ "$s1" = 70 ] && [ "$s2" = 70 ] && cmp -s bad-threads.err bad-ray.err && grep -q "FILE:1:" bad-ray.err; then
    pass "a trial's error on ray: the same diagnostic as on threads (exit 70, $(head -1 bad-ray.err | cut -c1-60)...)"
else
    fail "a trial's error on ray reads differently (exit $s1 / $s2)"
    diff bad-threads.err bad-ray.err | head -8
fi

# A psearch worker killed with kill -9 in the middle of its trial: Ray runs the task again.
cat > slow.ps <<'PS'
fn loss(p) {
    let s = 0
    for i in 0..1500000 { s = s + sin(i * p.x) * 1e-12 }
    return (p.x - 0.3) ^ 2 + s
}
let r = search(loss, {x: uniform(-1, 1)}, method: "random", trials: 6, seed: 9, workers: 2 ENGINE STUDY)
for t in r.trials { print(t.params, t.loss) }
print(r.best_loss)
PS
sed 's/ ENGINE//; s/ STUDY//' slow.ps > slow-threads.ps
sed 's/ ENGINE/, engine: "ray"/; s/ STUDY//' slow.ps > slow-ray.ps
"$bin" slow-threads.ps > slow-threads.out
"$bin" slow-ray.ps > slow-ray.out 2> slow-ray.err &
driver=$!
killed=no
for _ in $(seq 1 300); do
    if pid=$(pgrep -n -f "$(basename "$bin") worker"); then
        sleep 0.1
        kill -9 "$pid" 2>/dev/null && killed=yes && break
    fi
    sleep 0.05
done
wait "$driver"; status=$?
if [ "$killed" = yes ] && [ "$status" = 0 ] && cmp -s slow-threads.out slow-ray.out; then
    pass "a psearch worker killed with kill -9 mid-trial is retried: same trials as threads"
else
    fail "worker kill: killed=$killed exit=$status"
    diff slow-threads.out slow-ray.out | head -5
    tail -3 slow-ray.err
fi

# The driver killed with kill -9 while trials run on the cluster: rerunning resumes from the study.
sed 's/ ENGINE//; s/ STUDY/, study: "plain.db"/' slow.ps > study-threads.ps
sed 's/ ENGINE/, engine: "ray"/; s/ STUDY/, study: "ray.db"/' slow.ps > study-ray.ps
"$bin" study-threads.ps > study-threads.out
"$bin" study plain.db --csv | cut -d, -f1-6 > plain.csv
"$bin" study-ray.ps > /dev/null 2>&1 &
driver=$!
for _ in $(seq 1 600); do
    n=$("$bin" study ray.db --csv 2>/dev/null | grep -c ",complete," || true)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.05
done
kill -9 "$driver" 2>/dev/null
wait "$driver" 2>/dev/null
done_before=$("$bin" study ray.db --csv | grep -c ",complete,")
# Its bridge sees the driver's end and cancels what was running: no worker is left behind.
orphans=1
for _ in $(seq 1 100); do
    if ! pgrep -f "$(basename "$bin") worker" >/dev/null && ! pgrep -f "ray_bridge.py" >/dev/null; then orphans=0; break; fi
    sleep 0.1
done
"$bin" study-ray.ps > study-ray.out 2> study-ray.err; status=$?
"$bin" study ray.db --csv | cut -d, -f1-6 > ray.csv
if [ "$status" = 0 ] && cmp -s study-threads.out study-ray.out && cmp -s plain.csv ray.csv && [ "$orphans" = 0 ]; then
    pass "driver kill -9 after $done_before finished trials: resumed on ray, the study equals the threads run's, no worker left behind"
else
    fail "driver kill -9 resume: exit=$status orphans=$orphans"
    diff study-threads.out study-ray.out | head -5
    diff plain.csv ray.csv | head -5
    tail -3 study-ray.err
fi

# Bad settings fail fast and say what to do.
expect_error() {  # name seconds pattern command...
    local name=$1 limit=$2 pattern=$3
    shift 3
    local t0=$(date +%s%N)
    "$@" > err.out 2> err.txt; local s=$?
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$s" != 0 ] && grep -q "$pattern" err.txt && [ "$ms" -lt $((limit * 1000)) ]; then
        pass "$name: exit $s in $ms ms: $(grep -m1 "$pattern" err.txt | cut -c1-110)"
    else
        fail "$name: exit $s in $ms ms"
        cat err.txt | head -5
    fi
}
echo 'search(fn(p) = p.x, {x: uniform(0, 1)}, trials: 2, engine: "ray")' > tiny.ps
expect_error "an address where no Ray listens" 10 "no Ray cluster answers at 127.0.0.1:1" env PSEARCH_RAY_ADDRESS=127.0.0.1:1 "$bin" tiny.ps
expect_error "an address that is not HOST:PORT" 10 "is not HOST:PORT" env PSEARCH_RAY_ADDRESS=nowhere "$bin" tiny.ps
noray=$(command -v python3)
if ! (cd / && "$noray" -c 'import ray; ray.init') 2>/dev/null; then
    expect_error "a Python without ray" 10 "has no 'ray' package" env PSEARCH_PYTHON="$noray" "$bin" tiny.ps
fi
expect_error "a Python that does not exist" 10 "engine \"ray\"" env PSEARCH_PYTHON=/nonexistent/python "$bin" tiny.ps
expect_error "a bad PSEARCH_RAY_NUM_CPUS" 5 "PSEARCH_RAY_NUM_CPUS must be a number of CPUs" env PSEARCH_RAY_NUM_CPUS=0 "$bin" tiny.ps
# The bridge checks what it is sent (no Ray needed for that).
bridge="$root/Sources/PsearchLang/Remote/ray_bridge.py"
expect_error "the bridge given a line that is not JSON" 5 '"op": "error"' sh -c "echo 'nonsense' | '$py' '$bridge' >&2; exit 2"
expect_error "the bridge given a bad hello" 5 "num_cpus must be a number" sh -c "echo '{\"op\": \"hello\", \"address\": null, \"num_cpus\": -1, \"max_retries\": 3, \"binary\": \"x\"}' | '$py' '$bridge' >&2; exit 2"
expect_error "psearch worker given no request" 5 "not a psearch worker request" sh -c "echo '{}' | '$bin' worker"

stop_ray
if [ "$failures" -gt 0 ]; then
    echo "test-ray: FAIL: $failures check(s) failed"
    exit 1
fi
echo "test-ray: PASS"
