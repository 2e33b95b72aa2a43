#!/usr/bin/env bash
# The Jupyter kernel as Jupyter's own clients see it (scripts/kernel-tests.py): the
# jupyter_kernel_test conformance suite, bad input on the wire, interrupts, and every lesson
# exported as a notebook and run by nbclient. The clients come from the Python registry into
# .venv-test/ (scripts/pyenv); the kernel is registered in a temporary prefix only.
#
#   PSEARCH_BIN=.build/debug/psearch scripts/test-kernel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PSEARCH_BIN:-$(swift build --show-bin-path)/psearch}
[[ -x "$bin" ]] || { echo "test-kernel: no psearch binary at $bin" >&2; exit 1; }
py=$(scripts/pyenv)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" kernel install --prefix "$work/prefix" >/dev/null
spec="$work/prefix/share/jupyter/kernels/psearch/kernel.json"
"$py" - "$spec" "$bin" <<'PY'
import json, os, struct, sys
spec = json.load(open(sys.argv[1]))
assert spec["argv"] == [os.path.realpath(sys.argv[2]), "kernel", "-f", "{connection_file}"], spec["argv"]
assert spec["language"] == "psearch" and spec["display_name"] == "psearch", spec
folder = os.path.dirname(sys.argv[1])
for size in (32, 64):
    png = open(os.path.join(folder, f"logo-{size}x{size}.png"), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (size, size), f"logo-{size}x{size}.png"
PY
xmllint --noout "$work/prefix/share/jupyter/kernels/psearch/logo-svg.svg" || { echo "test-kernel: the SVG logo is not XML" >&2; exit 1; }

# Usage and connection-file mistakes end with the documented exit codes, not a hang.
expect_exit() {
    local want=$1; shift
    local got=0
    timeout 10 "$@" >/dev/null 2>"$work/err" || got=$?
    [[ $got == "$want" ]] || { echo "test-kernel: '$*' exited $got, expected $want: $(cat "$work/err")" >&2; exit 1; }
}
expect_exit 64 "$bin" kernel
expect_exit 64 "$bin" kernel install --user --prefix "$work/x"
expect_exit 66 "$bin" kernel -f "$work/missing.json"
echo '{"shell_port": ' > "$work/broken.json"
expect_exit 66 "$bin" kernel -f "$work/broken.json"
grep -q "is not JSON" "$work/err" || { echo "test-kernel: a broken connection file is not named: $(cat "$work/err")" >&2; exit 1; }
echo '{"transport": "tcp", "ip": "127.0.0.1", "shell_port": 1}' > "$work/partial.json"
expect_exit 66 "$bin" kernel -f "$work/partial.json"
grep -q "'control_port' is missing" "$work/err" || { echo "test-kernel: a missing port is not named: $(cat "$work/err")" >&2; exit 1; }

# Only the temporary prefix is searched for kernels, and runtime files stay in $work.
export JUPYTER_PATH="$work/prefix/share/jupyter" JUPYTER_DATA_DIR="$work/data" JUPYTER_RUNTIME_DIR="$work/runtime"
export JUPYTER_CONFIG_DIR="$work/config" JUPYTER_PLATFORM_DIRS=1
"$py" -m jupyter_client.kernelspecapp list 2>/dev/null | grep -q "psearch" || { echo "test-kernel: jupyter does not see the kernelspec" >&2; exit 1; }

start=$(date +%s)
"$py" scripts/kernel-tests.py "$bin" "$PWD" "$work"
echo "test-kernel: conformance suite, bad input, interrupts and lesson notebooks passed ($(( $(date +%s) - start )) s)"
