#!/usr/bin/env bash
# Exports scripts as HTML pages and renders each in headless Chromium at a phone and a desktop
# width: the page must load (its DOM ends with </main>), log nothing to the console (a
# self-contained page without scripts has nothing to say) and screenshot to a non-trivial PNG.
#
#   scripts/test-export.sh [FILE.ps...]     default: scripts/examples/*.ps and scripts/lessons/*.ps
#   PSEARCH_BIN=path  PSEARCH_EXPORT_DIR=dir (keeps the pages and screenshots there to look at)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v chromium >/dev/null; then
    echo "installing chromium" >&2
    apt-get install -y chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
fi
if [[ -z "${PSEARCH_BIN:-}" ]]; then
    (cd "$root" && swift build --product psearch >/dev/null)
    PSEARCH_BIN=$(cd "$root" && swift build --show-bin-path)/psearch
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
out=${PSEARCH_EXPORT_DIR:-$scratch/pages}
mkdir -p "$out"

files=("$@")
if (( ${#files[@]} == 0 )); then
    files=("$root"/scripts/examples/*.ps "$root"/scripts/lessons/*.ps)
fi

# A private profile and HOME: nothing of the user's leaks in, nothing is left behind.
chrome() {
    HOME="$scratch/home" timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --user-data-dir="$scratch/profile" --enable-logging=stderr --v=0 "$@"
}

steps=0
for f in "${files[@]}"; do
    name=$(basename "$f" .ps)
    page="$out/$name.html"
    "$PSEARCH_BIN" export "$f" -o "$page" || { echo "FAIL: psearch export $f" >&2; exit 1; }
    "$PSEARCH_BIN" export "$f" -o "$out/$name.md" || { echo "FAIL: psearch export $f -o .md" >&2; exit 1; }
    dom=$(chrome --dump-dom "file://$page" 2>"$scratch/dom.log") || { cat "$scratch/dom.log" >&2; echo "FAIL: chromium could not load $page" >&2; exit 1; }
    [[ $dom == *"</main>"* ]] || { echo "FAIL: $page did not load completely" >&2; exit 1; }
    for size in 390,844 1280,900; do
        png="$out/$name-${size%,*}.png"
        rm -f "$png"
        chrome --screenshot="$png" --window-size="$size" "file://$page" 2>"$scratch/shot.log" >/dev/null \
            || { cat "$scratch/shot.log" >&2; echo "FAIL: chromium screenshot of $page" >&2; exit 1; }
        if grep -F ':CONSOLE' "$scratch/shot.log" "$scratch/dom.log" >&2; then
            echo "FAIL: $page logged to the console" >&2; exit 1
        fi
        [[ -s $png && $(stat -c %s "$png") -gt 2000 ]] || { echo "FAIL: no screenshot of $page at $size" >&2; exit 1; }
        steps=$((steps + 1))
        echo "ok $steps - $name.html at ${size/,/x}: loaded, no console messages, $(stat -c %s "$png") byte PNG"
    done
done
echo "all $steps export renderings passed${PSEARCH_EXPORT_DIR:+ (pages and screenshots in $out)}"
