#!/usr/bin/env bash
# End-to-end test of the interactive REPL: drives the real binary in a detached tmux session
# (send-keys in, capture-pane out) and fails on the first step that misbehaves.
#
#   scripts/test-repl.sh              builds the debug binary, then tests it
#   PSEARCH_BIN=path scripts/test-repl.sh
#
# The user's own files never leak in: temporary HOME, EDITRC=/dev/null, a private tmux
# server per session. The steps assume only what the psearch language does (integers, `let`,
# `fn ... { return ... }`, strings, len, `while true {}` stopped by Ctrl-C, built-ins sqrt and
# sum), so they hold for the stand-in engine and the real one alike.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v tmux >/dev/null; then
    echo "installing tmux" >&2
    apt-get install -y tmux >/dev/null || { apt-get update >/dev/null && apt-get install -y tmux >/dev/null; }
fi
if [[ -z "${PSEARCH_BIN:-}" ]]; then
    (cd "$root" && swift build --product psearch >/dev/null)
    PSEARCH_BIN=$(cd "$root" && swift build --show-bin-path)/psearch
fi

scratch=$(mktemp -d)
# A fresh tmux server per session: reusing one socket right after kill-server races with the
# old server's shutdown.
sessions=0
socket() { echo "psearch-e2e-$$-$sessions"; }
tmx() { tmux -L "$(socket)" -f "$scratch/tmux.conf" "$@"; }
cleanup() {
    for ((n = 0; n <= sessions; n++)); do tmux -L "psearch-e2e-$$-$n" kill-server 2>/dev/null || true; done
    # tmux leaves the socket files of servers that ended with their last pane.
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/psearch-e2e-$$-"*
    rm -rf "$scratch"
}
trap cleanup EXIT
# remain-on-exit keeps the screen of a finished session for the failure report.
printf 'set -g remain-on-exit on\nset -g history-limit 5000\n' >"$scratch/tmux.conf"
mkdir -p "$scratch/home"
steps=0

fail() {
    echo "FAIL: $*" >&2
    echo "----- screen -----" >&2
    tmx capture-pane -p -t e2e -S -60 | sed "/^$/d" | tail -n 25 >&2 2>/dev/null || true
    echo "------------------" >&2
    exit 1
}
ok() { steps=$((steps + 1)); echo "ok $steps - $*"; }
screen() { tmx capture-pane -p -t e2e -S -200; }
now_ms() { date +%s%3N; }

# Waits until the screen contains the fixed string $1 (within $2 seconds, default 5).
wait_for() {
    local deadline=$(( $(now_ms) + ${2:-5} * 1000 ))
    while (( $(now_ms) < deadline )); do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.02
    done
    fail "timed out waiting for: $1"
}
# The last non-empty line of the screen equals $1.
last_line_is() {
    local deadline=$(( $(now_ms) + 3000 )) last=""
    while (( $(now_ms) < deadline )); do
        last=$(screen | sed '/^[[:space:]]*$/d' | tail -n 1)
        [[ "$last" == "$1" ]] && return 0
        sleep 0.02
    done
    fail "last line is '$last', expected '$1'"
}
count_of() { screen | grep -cF -- "$1" || true; }
# Types text literally (no key-name lookup), then optional named keys.
type_text() { tmx send-keys -t e2e -l -- "$1"; }
keys() { tmx send-keys -t e2e "$@"; }
# Runs a command in a new tmux server's only pane and records its exit status.
launch() {
    rm -f "$scratch/status"
    tmx new-session -d -s e2e -x 100 -y 50 \
        bash -c 'trap "" INT; stty -g >"$0.tty"; "$@"; code=$?; [[ $(stty -g) == $(cat "$0.tty") ]] || code="$code, terminal settings not restored"; echo "$code" >"$0"' \
        "$scratch/status" "$@"
}
# Starts psearch in a fresh pane with a clean environment; arguments before `--` are extra
# VAR=value settings, after it arguments to psearch.
start() {
    local env_extra=() args=()
    while (( $# )) && [[ "$1" != "--" ]]; do env_extra+=("$1"); shift; done
    (( $# )) && shift
    args=("$@")
    tmx kill-server 2>/dev/null || true
    sessions=$((sessions + 1))
    # TSAN_OPTIONS passes through so scripts/check-sanitizers can collect a TSan binary's reports.
    launch env -i PATH=/usr/bin:/bin HOME="$scratch/home" TERM=xterm-256color LANG=C.UTF-8 \
        EDITRC=/dev/null ${TSAN_OPTIONS:+"TSAN_OPTIONS=$TSAN_OPTIONS"} "${env_extra[@]}" "$PSEARCH_BIN" "${args[@]}"
}
# The exit status of the last psearch run. tmux's own #{pane_dead_status} is unreliable (the
# child can stay an unreaped zombie), so a wrapper shell records it; the wrapper ignores
# SIGINT, which psearch must override with its own handler anyway.
exit_status() {
    local deadline=$(( $(now_ms) + 5000 ))
    while (( $(now_ms) < deadline )); do
        if [[ -s "$scratch/status" ]]; then cat "$scratch/status"; rm -f "$scratch/status"; return; fi
        sleep 0.02
    done
    fail "psearch did not exit"
}

history_file="$scratch/home/.local/state/psearch/history"

# --- session 1 -------------------------------------------------------------------------------
t0=$(now_ms)
start
last_line_is "ps>"
startup=$(( $(now_ms) - t0 ))
screen | head -n 1 | grep -q "^psearch .*:help" || fail "banner with version and :help"
ok "banner and first prompt (${startup} ms including tmux polling)"

type_text "2 + 3"; keys C-a; type_text "1"; keys C-e; type_text "0"; keys Enter
wait_for "ps> 12 + 30"; wait_for "42"
ok "Ctrl-A / Ctrl-E edit the line"

type_text "let y = 7 + 999"; keys Left Left Left Left Left Left C-k Enter
type_text "y * 6"; keys Enter
# The prompt before "y * 6" is already a last line "ps>": wait for the echo of the input first
# (a slow binary, ThreadSanitizer's, had not read it yet when the screen was checked).
wait_for "ps> y * 6"
last_line_is "ps>"
[[ $(screen | grep -c "^42$") == 2 ]] || fail "Ctrl-K should leave y = 7"
ok "arrows and Ctrl-K"

type_text "1 + 1"; keys Home; type_text "4"; keys End BSpace; type_text "2"; keys Enter
wait_for "ps> 41 + 2"; wait_for "43"
ok "Home / End / Backspace"

type_text "sq"; keys Tab
last_line_is "ps> sqrt"
keys C-u
type_text "let learning_rate = 3"; keys Enter
type_text "learn"; keys Tab
last_line_is "ps> learning_rate"
keys Enter
last_line_is "ps>"
screen | grep -qx "3" || fail "completed variable should evaluate to 3"
ok "Tab completes a built-in and a variable"

type_text "s"; keys Tab
wait_for "sqrt"; wait_for "sum"
keys C-u
ok "Tab lists several candidates"

type_text "fn double(n) {"; keys Enter
last_line_is "..>"
type_text "  return n * 2"; keys Enter
type_text "}"; keys Enter
last_line_is "ps>"
[[ $(count_of "..> ") == 2 ]] || fail "two continuation prompts expected"
type_text "double(50)"; keys Enter
wait_for "100"
ok "multi-line fn across continuation prompts"

# The whole function comes back as one entry: edited in its second line, it runs again.
keys Up Up
deadline=$(( $(now_ms) + 3000 ))
until [[ $(screen | sed '/^[[:space:]]*$/d' | tail -n 3 | tr '\n' '|') == "ps> fn double(n) {|  return n * 2|}|" ]]; do
    (( $(now_ms) < deadline )) || fail "Up should bring back the three lines of double as one entry"
    sleep 0.02
done
keys Left Left; type_text " + 1"; keys Enter
last_line_is "ps>"
type_text "double(50)"; keys Enter
wait_for "101"
ok "Up recalls a multi-line fn whole; edited, it runs again"

type_text "while true {}"; keys Enter
sleep 0.3
last_line_is "ps> while true {}"
t1=$(now_ms)
keys C-c
wait_for "interrupted"
interrupt_ms=$(( $(now_ms) - t1 ))
last_line_is "ps>"
type_text "y + learning_rate"; keys Enter
wait_for "ps> y + learning_rate"
last_line_is "ps>"
screen | grep -qx "10" || fail "y + learning_rate should still be 10"
ok "Ctrl-C stops a running loop (${interrupt_ms} ms to the message) and variables survive"

type_text "this line is abandoned"; wait_for "ps> this line is abandoned"; keys C-c
last_line_is "ps>"
type_text "5"; keys Enter
wait_for "ps> 5"
[[ $(screen | grep -A1 -F "ps> this line is abandoned" | tail -n 1) == "ps> 5" ]] \
    || fail "Ctrl-C at the prompt must discard the line without running it"
ok "Ctrl-C at the prompt clears the line"


type_text 'let greeting = "안녕하세요"'; keys Enter
type_text 'greeting'; keys Enter
wait_for '"안녕하세요"'
type_text 'len("안녕하세요")'; keys Left Left Left BSpace Enter
wait_for 'ps> len("안녕하요")'
last_line_is "ps>"
screen | grep -qx "4" || fail "the edited Korean string should have 4 characters"
ok "Korean text edits as characters"

type_text ":hlep"; keys Enter
wait_for "did you mean ':help'?"
ok "unknown command suggests the closest"

type_text ":vars"; keys Enter
# The words the commands print, not their echoes (an earlier wait on ":vars" matched the typed
# line and raced the listing).
wait_for "greeting: string"
type_text ":history 2"; keys Enter
deadline=$(( $(now_ms) + 5000 ))
until screen | grep -qE '^ +[0-9]+  :history 2$'; do
    (( $(now_ms) < deadline )) || fail ":history should list the last two entries"
    sleep 0.02
done
screen | grep -qE '^ +[0-9]+  :vars$' || fail ":history should list :vars before itself"
ok ":vars and :history"

keys C-d
status=$(exit_status)
[[ $status == 0 ]] || fail "Ctrl-D should exit 0, got $status"
[[ -f "$history_file" ]] || fail "history file not written at $history_file"
grep -qx 'let learning_rate = 3' "$history_file" || fail "history lacks an entered line"
grep -qx 'let greeting = "안녕하세요"' "$history_file" || fail "history lacks the Korean line"
grep -q "abandoned" "$history_file" && fail "an interrupted line must not enter history"
[[ $(grep -c $'^fn double(n) {\r$' "$history_file") == 2 ]] || fail "history lacks the two multi-line entries of double"
ok "Ctrl-D exits 0 with the history file written ($(wc -l <"$history_file") lines)"

# --- Ctrl-C between a prompt's preparation and its first read --------------------------------
# A test-only pause before each read (PSEARCH_TEST_READ_DELAY_MS) holds open the moment in which
# a Ctrl-C used to be lost: the flag was set, but the read that followed blocked all the same,
# so the prompt stayed as it was and the next input started out interrupted. (Own history
# file: session 2 below reads the first one.)
start PSEARCH_TEST_READ_DELAY_MS=700 PSEARCH_HISTORY="$scratch/delay-history" -- --quiet
last_line_is "ps>"
type_text "6 * 7"; keys Enter
wait_for "42"
keys C-c
# The read ends at once: the interrupted prompt, then a fresh one.
deadline=$(( $(now_ms) + 4000 ))
until [[ $(screen | sed '/^[[:space:]]*$/d' | grep -A2 -x "42" | tail -n +2 | tr '\n' '|') == "ps>|ps>|" ]]; do
    (( $(now_ms) < deadline )) || fail "Ctrl-C before the read did not end it: $(screen | sed '/^[[:space:]]*$/d' | tail -n 4 | tr '\n' '|')"
    sleep 0.02
done
type_text "1 + 1"; keys Enter
wait_for "ps> 1 + 1"
[[ $(screen | grep -A1 -F "ps> 1 + 1" | tail -n 1) == "2" ]] || fail "the input after the Ctrl-C must run normally"
keys C-d
[[ $(exit_status) == 0 ]] || fail "exit 0 expected"
ok "Ctrl-C in the moment before a read ends that read at once"

# --- session 2: history from session 1, paste, quiet ----------------------------------------
start -- --quiet
last_line_is "ps>"
screen | grep -q "^psearch " && fail "--quiet must hide the banner"
keys Up
last_line_is "ps> :history 2"
keys Up Up Up
last_line_is "ps> len(\"안녕하요\")"
keys C-u
ok "Up recalls lines from the previous session"

keys C-r; type_text "let learn"
wait_for "let learning_rate = 3"
keys Enter
type_text "learning_rate * 5"; keys Enter
wait_for "15"
ok "Ctrl-R finds a line from the previous session"

tmx set-buffer -b paste -- $'fn triple(n) {\n  return n * 3\n}\ntriple(7)\n'
tmx paste-buffer -b paste -t e2e
wait_for "21"
ok "a pasted multi-line block runs"

# With bracketed paste (-p: the markers psearch asked the terminal for) a pasted Tab is text,
# not a completion; a Tab typed afterwards completes again.
tmx set-buffer -b tabs -- $'fn quad(n) {\n\tlet m = n * 4\n\treturn m\n}\nquad(1234)\n'
tmx paste-buffer -p -b tabs -t e2e
wait_for "4936"
screen | grep -q "accuracy" && fail "a pasted Tab must not list completions"
type_text "learning_r"; keys Tab
last_line_is "ps> learning_rate"
keys C-u
ok "a pasted block keeps its Tabs (bracketed paste); a typed Tab still completes"

type_text ":quit"; keys Enter
status=$(exit_status)
[[ $status == 0 ]] || fail ":quit should exit 0, got $status"
grep -qx 'learning_rate \* 5' "$history_file" || fail "session 2 did not append to history"
grep -qx $'\tlet m = n \\* 4\r' "$history_file" || fail "the pasted Tab should be in the history entry"
ok ":quit exits 0 and session 2 appended to the history"

# --- vi mode from the user's editrc ---------------------------------------------------------
printf 'bind -v\n' >"$scratch/editrc"
start EDITRC="$scratch/editrc" -- --quiet
last_line_is "ps>"
type_text "23 + 1"; keys Escape; type_text "0i1"; keys Enter
wait_for "ps> 123 + 1"; wait_for "124"
keys C-d
status=$(exit_status)
[[ $status == 0 ]] || fail "exit 0 expected, got $status"
ok "vi mode through EDITRC (Esc 0 i inserts at the start)"

# --- a parent that left SIGINT blocked ------------------------------------------------------
sessions=$((sessions + 1))
launch perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGINT)) or die; exec @ARGV or die' \
    env -i PATH=/usr/bin:/bin HOME="$scratch/home" TERM=xterm-256color LANG=C.UTF-8 EDITRC=/dev/null \
    "$PSEARCH_BIN" --quiet
last_line_is "ps>"
type_text "while true {}"; keys Enter
sleep 0.2
keys C-c
wait_for "interrupted"
last_line_is "ps>"
keys C-d
status=$(exit_status)
[[ $status == 0 ]] || fail "exit 0 expected, got $status"
ok "Ctrl-C works when the parent started psearch with SIGINT blocked"

# --- :save turns the session into a script that psearch check passes ------------------------
start -- --quiet
last_line_is "ps>"
type_text 'let xs = [1, 2, 4, 5, 7, 8]'; keys Enter
type_text 'fn sq(x) = x * x'; keys Enter
type_text 'sq(12)'; keys Enter
wait_for "144"
type_text 'undefined_name + 1'; keys Enter
wait_for "unknown name"
type_text '_ + 1'; keys Enter
wait_for "145"
type_text '"안녕"'; keys Enter
wait_for '"안녕"'
type_text 'for i in 0..3 {'; keys Enter
type_text '  print(i, xs[i] * 0.1)'; keys Enter
type_text '}'; keys Enter
wait_for "2 0.4"
type_text ":save $scratch/saved.ps"; keys Enter
wait_for "saved 6 inputs to $scratch/saved.ps"
keys C-d
[[ $(exit_status) == 0 ]] || fail "exit 0 expected after :save"
grep -q "undefined_name" "$scratch/saved.ps" && fail "a failed input must not be saved"
grep -qx '#> 145' "$scratch/saved.ps" || fail "saved file lacks the echoed 145: $(cat "$scratch/saved.ps")"
check_out=$("$PSEARCH_BIN" check "$scratch/saved.ps" 2>&1) || fail "psearch check fails on the saved session: $check_out"
ok ":save writes the session with #> lines and psearch check passes on it"

# --- Ctrl-C during long built-ins: back at the prompt fast, variables intact ----------------
# Latency is from send-keys C-c to the prompt reappearing, polling capture-pane every 10 ms (so
# it includes tmux's own delivery and one poll). The issue's goal is 100 ms; the bound here is
# generous because the machine is shared; the measured figures are printed and go in docs/reliability.md.
interrupt_bound_ms=${PSEARCH_INTERRUPT_BOUND_MS:-1000}
latencies=()
# Types $1, waits until it is surely running, presses Ctrl-C, sets $latency.
interrupt_after() {
    type_text "$1"; keys Enter
    sleep "${2:-0.8}"
    local t0 last
    # Still running (train draws a progress line under the input).
    [[ $(screen | sed '/^[[:space:]]*$/d' | tail -n 1) != "ps>" ]] || fail "finished before Ctrl-C: $1"
    t0=$(now_ms)
    keys C-c
    while :; do
        last=$(screen | sed '/^[[:space:]]*$/d' | tail -n 1)
        [[ "$last" == "ps>" ]] && break
        (( $(now_ms) - t0 > 10000 )) && fail "no prompt within 10 s of Ctrl-C during: $1"
        sleep 0.01
    done
    latency=$(( $(now_ms) - t0 ))
    latencies+=("$latency")
    (( latency <= interrupt_bound_ms )) || fail "Ctrl-C took ${latency} ms (bound ${interrupt_bound_ms} ms) during: $1"
}
start -- --quiet
last_line_is "ps>"
type_text 'let d = dataset("moons", n: 2000, seed: 1)'; keys Enter
type_text 'let kept = 1234'; keys Enter
last_line_is "ps>"
interrupt_after 'let r = train(mlp([2, 64, 64, 2]), d, epochs: 1000000)'
screen | grep -q "interrupted in epoch" || fail "train should say where it was interrupted"
ok "Ctrl-C during train: prompt back in ${latency} ms"
interrupt_after 'descend(fn(x) = x @ x, [1, 2], lr: 1e-12, steps: 2000000000)'
ok "Ctrl-C during descend: prompt back in ${latency} ms"
interrupt_after 'search(fn(p) { while true {} }, {lr: logrange(1e-3, 1)}, trials: 8, workers: 2)'
ok "Ctrl-C during search with 2 workers: prompt back in ${latency} ms"
interrupt_after 'while true { kept = kept + 0 }'
ok "Ctrl-C during a busy loop: prompt back in ${latency} ms"
type_text 'print(kept, d.n, r != nil)'; keys Enter
wait_for "1234 2000 true"
type_text 'search(fn(p) = p.lr, {lr: logrange(1e-3, 1)}, trials: 4, workers: 2).best.loss > 0'; keys Enter
wait_for "true"
keys C-d
[[ $(exit_status) == 0 ]] || fail "exit 0 expected after the interrupts"
printf '%s\n' "${latencies[@]}" >"${PSEARCH_LATENCY_FILE:-/dev/null}"
ok "after four interrupts the variables are intact and workers run again (latencies ms: ${latencies[*]})"

# --- echoed values fit the terminal; print and :full keep the whole text ----------------------
start -- --quiet
last_line_is "ps>"
type_text 'fn himmelblau(x) { return (x[0]^2 + x[1] - 11)^2 + (x[0] + x[1]^2 - 7)^2 }'; keys Enter
type_text 'let d = descend(himmelblau, starts: 20, box: [[-5, 5], [-5, 5]])'; keys Enter
keys C-l; type_text 'd'; keys Enter
wait_for ":full the last value whole"
echoed=$(screen | sed '/^[[:space:]]*$/d' | sed -n '/^ps> d$/,/^ps>$/p' | sed '1d;$d')
(( $(wc -l <<<"$echoed") <= 20 )) || fail "the multi-start echo takes $(wc -l <<<"$echoed") lines (at most 20)"
grep -q "^descend from 20 starts (gd, lr 0.01): 4 distinct minima" <<<"$echoed" || fail "the echo names the minima: $echoed"
grep -qF "[3, 2]" <<<"$echoed" || fail "the minimum at [3, 2] is listed"
ok "a multi-start descend echoes a summary of $(wc -l <<<"$echoed") lines naming its minima"
keys C-l; type_text 'descend(himmelblau, [0, 0])'; keys Enter
wait_for "also: path (78 x 2 matrix), losses (vector of 78)"
keys C-l; tmx clear-history -t e2e; type_text ':full'; keys Enter
wait_for "f: <fn himmelblau" 5
# The whole record wraps over several lines: join them (-J) to read it.
tmx capture-pane -p -J -t e2e -S -400 | grep -qF "{x: [2.999999999851398, 2.0000000003587575], loss: " || fail ":full should print the record whole"
tmx capture-pane -p -J -t e2e -S -400 | grep -qF "path: [[0, 0], [0.14, 0.22], " || fail ":full should print the path whole"
ok ":full shows the last value whole"
keys C-l
type_text 'let m = train(mlp([2, 8, 2], act: "tanh", seed: 6), dataset("moons", n: 200, noise: 0.2, seed: 6), lr: 0.5, epochs: 20, seed: 6)'; keys Enter
type_text 'm'; keys Enter
wait_for "trained 20 epochs: train loss"
wait_for "val accuracy"
ok "a trained model echoes its map and how training went"
keys C-l
type_text 'let xs = []'; keys Enter
type_text 'for i in 0..5 { xs = push(xs, i * i) }'; keys Enter
type_text 'xs'; keys Enter
wait_for "[0, 1, 4, 9, 16]"
type_text 'linspace(0, 1, 1000)'; keys Enter
wait_for "… 996 more]"
ok "push builds a vector in a loop; a long vector echoes shortened with a count"
keys C-l
type_text 'let live = train(mlp([2, 16, 2], act: "tanh", seed: 6), dataset("moons", n: 300, noise: 0.2, seed: 6), lr: 0.3, epochs: 1000000, seed: 6, live: true)'; keys Enter
# The frame's title is the only line with "/1000000  loss" (an earlier echo says "val accuracy").
wait_for "/1000000  loss" 20
first=$(screen | grep -F "/1000000  loss" | tail -n 1 || true)
sleep 1.5
second=$(screen | grep -F "/1000000  loss" | tail -n 1 || true)
[[ -n "$first" && "$first" != "$second" ]] || fail "the live view should redraw while it trains: '$first' then '$second'"
(( $(screen | grep -c "epoch [0-9]*/1000000  loss") == 1 )) || fail "each frame replaces the last in place (one title on screen)"
keys C-c
wait_for "returning the model trained so far"
last_line_is "ps>"
type_text 'live.epochs > 0'; keys Enter
wait_for "true"
ok "train(live: true) redraws the boundary in place; Ctrl-C keeps the model trained so far"
keys C-l
type_text 'let wide = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19'
wait_for "+ 18 + 19"
tmx resize-window -t e2e -x 60 -y 50
sleep 0.3
# The line is drawn again at the new width: once, whole, and editing goes on where it was.
(( $(tmx capture-pane -p -J -t e2e | grep -c "ps> let wide = ") == 1 )) || fail "after a resize the line should be drawn once"
type_text ' + 20'; keys Enter
type_text 'wide'; keys Enter
wait_for "210"
tmx resize-window -t e2e -x 100 -y 50
ok "a resize redraws the line being edited; editing carries on"
keys C-l
type_text 'print("한국어" + 1)'; keys Enter
wait_for "cannot add string and number"
caret=$(screen | grep -A1 -F '| print("한국어" + 1)' | tail -n 1 || true)
[[ "$caret" == '  |       ^^^^^^^^^^^^' ]] || fail "the caret should underline the 12 cells of \"한국어\" + 1, got '$caret'"
ok "a Korean-text error underlines the right cells"
keys C-d
[[ $(exit_status) == 0 ]] || fail "exit 0 expected"

# --- NO_COLOR on a real terminal: no escape codes at all -------------------------------------
start NO_COLOR=1 -- --quiet
last_line_is "ps>"
type_text 'undefined_name + 1'; keys Enter
wait_for "unknown name"
type_text 'plot(vec(1, 4, 9, 16))'; keys Enter
wait_for "ps> plot(vec(1, 4, 9, 16))"
last_line_is "ps>"
tmx capture-pane -p -e -t e2e -S -200 | grep -q $'\e\\[' && fail "NO_COLOR: escape codes on the screen"
keys C-d
[[ $(exit_status) == 0 ]] || fail "exit 0 expected with NO_COLOR"
ok "NO_COLOR: an error and a plot on a terminal carry no escape codes"

# --- degraded environments -------------------------------------------------------------------
start PSEARCH_HISTORY="$scratch/home/.local/state/psearch/history/not-a-folder" -- --quiet
last_line_is "ps>"
wait_for "warning: "
type_text "1 + 1"; keys Enter
type_text "2 + 2"; keys Enter
wait_for "4"
[[ $(count_of "warning: ") == 1 ]] || fail "an unusable history file should warn exactly once"
keys C-d
status=$(exit_status)
[[ $status == 0 ]] || fail "exit 0 without history, got $status"
ok "unusable history path: one warning, session carries on"

tmx kill-server 2>/dev/null || true
sessions=$((sessions + 1))
launch env -i PATH=/usr/bin:/bin TERM=dumb LANG=C.UTF-8 "$PSEARCH_BIN"
last_line_is "ps>"
wait_for "HOME is not set"
type_text "6 * 7"; keys Enter
wait_for "42"
keys C-d
[[ $(exit_status) == 0 ]] || fail "TERM=dumb session should exit 0"
ok "TERM=dumb and no HOME: plain prompt, warning, still works"

tmx kill-server 2>/dev/null || true
sessions=$((sessions + 1))
launch env -i PATH=/usr/bin:/bin HOME="$scratch/home" LANG=C.UTF-8 "$PSEARCH_BIN" --quiet
last_line_is "ps>"
type_text "6 * 8"; keys Enter
wait_for "48"
keys C-d
[[ $(exit_status) == 0 ]] || fail "a session without TERM should exit 0"
ok "TERM unset: the prompt works"

out=$(printf '1 + 2\n' | env -i PATH=/usr/bin:/bin HOME="$scratch/home" "$PSEARCH_BIN"; echo "status $?")
[[ "$out" == "status 0" ]] || fail "piped stdin: expected no banner, no prompt, exit 0; got: $out"
ok "piped stdin runs as a script without prompt or banner"

echo "all $steps REPL steps passed"
