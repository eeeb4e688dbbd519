#!/usr/bin/env bash
# Differential check of CPL against clarvynn 0.3.1 (see README.md beside this file).
#
#   bash tests/differential/run.sh [differential.py options: --seed S --cases N --out FILE]
#
# Installs clarvynn==0.3.1 from PyPI into a throwaway virtualenv, builds the
# eval_cases program of the cpl-tests crate and the cpl binary, runs documents.sh (policy
# documents: clarvynn's template and the corpus policies meant for clarvynn), and
# compares the two on generated expressions and spans. Exits 0 when every disagreement is a documented quirk, 1 when one is a BUG,
# and 0 with a message (skipped) when clarvynn cannot be installed (offline).
# Not part of `cargo test`. PYTHON selects the interpreter (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cpl-differential.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if ! "$python" -m venv "$tmp/venv" >"$tmp/venv.log" 2>&1; then
    echo "differential: SKIPPED: cannot create a virtualenv with $python -m venv:" >&2
    tail -n 5 "$tmp/venv.log" >&2
    exit 0
fi
if ! "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --timeout 30 --retries 1 "clarvynn==0.3.1" "pyparsing==3.3.3" >"$tmp/pip.log" 2>&1; then
    echo "differential: SKIPPED: pip could not install clarvynn==0.3.1 (offline?):" >&2
    tail -n 5 "$tmp/pip.log" >&2
    exit 0
fi

(cd "$repo" && cargo build --quiet --release -p cpl-tests --bin eval_cases &&
    cargo build --quiet --release -p cpl-cli)
eval_cases="$repo/target/release/eval_cases"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    eval_cases="$CARGO_TARGET_DIR/release/eval_cases"
fi

# The document-level part: clarvynn's template and the corpus policies meant for it.
status=0
CLARVYNN_VENV="$tmp/venv" bash "$here/documents.sh" || status=$?

# Run from the temp dir so that nothing in the repo shadows clarvynn's modules.
cd "$tmp"
"$tmp/venv/bin/python" "$here/differential.py" --eval-cases "$eval_cases" "$@" || status=$?
exit "$status"
