#!/usr/bin/env bash
# A study survives kill -9: runs one search with study: FILE, kills it at 20 seeded random
# moments (resuming each time), and checks that the finished study equals an uninterrupted
# run's and that no trial that had finished was run again (its row, end time included, stays
# as it was).
#
#   PSEARCH_BIN=path scripts/test-study.sh      (scripts/test passes the built binary)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PSEARCH_BIN:-$root/.build/debug/psearch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# TPE with the median rule on two workers: proposals and pruning both read earlier trials.
cat > search.ps <<'PS'
fn loss(p) {
    let s = 0
    for i in 0..12000 { s = s + sin(i * p.x) * 1e-9 }
    let base = (p.x - 0.3) ^ 2 + (p.y - 2) ^ 2 / 10 + s
    for step in 1..4 {
        if report(base + 1 / step, step) { return base + 1 / step }
    }
    return base + rand() * 0.001
}
let r = search(loss, {x: uniform(-1, 1), y: intrange(0, 5)}, method: "tpe", trials: 60, prune: "median", seed: 5, workers: 2, study: STUDY)
print(r.best, r.best_loss, len(r.trials))
PS
sed 's/STUDY/"plain.db"/' search.ps > plain.ps
sed 's/STUDY/"killed.db"/' search.ps > killed.ps

start=$(date +%s%N)
"$bin" plain.ps > plain.out
took=$(( ($(date +%s%N) - start) / 1000000 ))
# The columns that must match: trial, state, loss, x, y, round, budget, reports (not times or workers).
"$bin" study plain.db --csv | cut -d, -f1-8 > plain.csv

RANDOM=20261207
touch before.csv
kills=0
for k in $(seq 1 20); do
    "$bin" killed.ps > /dev/null 2>&1 &
    pid=$!
    # Up to a tenth of an uninterrupted run: the 20 runs together get about through it.
    sleep "$(awk -v r=$RANDOM -v t="$took" 'BEGIN { printf "%.3f", 0.02 + r / 32768 * t * 0.1 / 1000 }')"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null || true
    [[ -f killed.db ]] || continue
    # Every trial finished before this kill is still there, unchanged (same end time: not rerun).
    # (A kill before the first trial may leave a file without a study: nothing finished yet.)
    { "$bin" study killed.db --csv 2>/dev/null || true; } | awk -F, '$2 == "complete" || $2 == "pruned"' | cut -d, -f1-8,12 | sort > after.csv
    missing=$(comm -23 before.csv after.csv)
    if [[ -n "$missing" ]]; then
        echo "test-study: FAIL: after kill $k these finished trials changed or vanished:" >&2
        echo "$missing" >&2
        exit 1
    fi
    mv after.csv before.csv
done
"$bin" killed.ps > killed.out
"$bin" study killed.db --csv | cut -d, -f1-8 > killed.csv
if ! cmp -s plain.csv killed.csv; then
    echo "test-study: FAIL: the resumed study differs from the uninterrupted one" >&2
    diff plain.csv killed.csv >&2 || true
    exit 1
fi
cmp -s plain.out killed.out || { echo "test-study: FAIL: the resumed search printed another result" >&2; diff plain.out killed.out >&2; exit 1; }
finished=$(wc -l < before.csv)
echo "test-study: $kills kill -9s (an uninterrupted run takes ${took} ms; $finished trials had finished before the last kill): the resumed study equals the uninterrupted one"
