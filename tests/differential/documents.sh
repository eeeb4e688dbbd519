#!/usr/bin/env bash
# Document-level differential check against clarvynn 0.3.1 (see README.md beside this
# file, "Policy documents").
#
#   bash tests/differential/documents.sh
#
# 1. `clarvynn init` writes its template in a temp dir; `cpl lint`, `cpl lint --target
#    clarvynn`, `cpl replay` and `cpl diff` must all exit 0 on the file as written, and
#    the copy committed as tests/fixtures/clarvynn/clarvynn-init.yaml must equal it.
# 2. Every corpus policy meant for clarvynn (its leading comment names clarvynn) must
#    pass `clarvynn validate` and clarvynn's runtime loader (LocalPolicyCache.load_policy),
#    and `cpl lint --target clarvynn` must find no error in it.
# 3. Control: the same policy with a string `service` must be refused by clarvynn's
#    loader and flagged L357 by `cpl lint --target clarvynn`.
#
# Exits 1 when a check fails, 0 otherwise; when clarvynn cannot be installed (offline)
# it prints `documents: SKIPPED: <reason>` and exits 0.
#
# CPL selects the cpl binary (default: target/release/cpl, built when missing).
# CLARVYNN_VENV reuses a virtualenv that already holds clarvynn==0.3.1 (run.sh passes
# its own); otherwise one is made in a temp dir. PYTHON selects the interpreter.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cpl-documents.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

skip() {
    echo "documents: SKIPPED: $1" >&2
    [ -f "$2" ] && tail -n 5 "$2" >&2
    exit 0
}

venv="${CLARVYNN_VENV:-}"
if [ -z "$venv" ]; then
    venv="$tmp/venv"
    "$python" -m venv "$venv" >"$tmp/venv.log" 2>&1 ||
        skip "cannot create a virtualenv with $python -m venv" "$tmp/venv.log"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
        --timeout 30 --retries 1 "clarvynn==0.3.1" "pyparsing==3.3.3" >"$tmp/pip.log" 2>&1 ||
        skip "pip could not install clarvynn==0.3.1 (PyPI unreachable?)" "$tmp/pip.log"
fi

target="${CARGO_TARGET_DIR:-$repo/target}"
cpl="${CPL:-$target/release/cpl}"
if [ ! -x "$cpl" ]; then
    (cd "$repo" && cargo build --quiet --release -p cpl-cli)
fi
cpl="$(cd "$(dirname "$cpl")" && pwd)/$(basename "$cpl")"

# clarvynn's runtime loader, exactly as its span processor and `clarvynn test` call it.
# One process for every file (importing clarvynn takes a second): a line per file,
# `loaded` or `refused: <why>`.
cat >"$tmp/load.py" <<'PY'
import logging, sys, yaml
logging.disable(logging.CRITICAL)
from core.cpl_engine.python.local_policy_cache import LocalPolicyCache
for path in sys.argv[1:]:
    with open(path) as f:
        policy = yaml.safe_load(f)
    try:
        LocalPolicyCache().load_policy(policy, version="documents")
        print(f"{path}\tloaded")
    except Exception as error:  # clarvynn wraps every failure in ValueError
        print(f"{path}\trefused: {error}")
PY
accept=()  # files clarvynn's loader must load
refuse=()  # files it must refuse (controls)

failures=0
fail() {
    echo "documents: FAIL: $1" >&2
    failures=$((failures + 1))
}

# Runs "$@" from the repo; fails unless it exits with $expected.
expect() {
    local expected="$1" what="$2"
    shift 2
    local status=0
    (cd "$repo" && "$@") >"$tmp/out" 2>&1 || status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "$what: exit $status, expected $expected"
        sed 's/^/    /' "$tmp/out" >&2
    fi
}

clarvynn_accepts() {
    local file="$1" status=0
    (cd "$tmp" && "$venv/bin/clarvynn" validate "$file") >"$tmp/out" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        fail "clarvynn validate $file: exit $status"
        sed 's/^/    /' "$tmp/out" >&2
    fi
    accept+=("$file")
}

# 1. The template clarvynn init writes, as written.
mkdir "$tmp/init"
(cd "$tmp/init" && "$venv/bin/clarvynn" init) >"$tmp/init.log" 2>&1 ||
    { fail "clarvynn init"; cat "$tmp/init.log" >&2; }
template="$tmp/init/clarvynn-policy.yaml"
if [ -f "$template" ]; then
    clarvynn_accepts "$template"
    expect 0 "cpl lint (clarvynn init template)" "$cpl" lint "$template"
    expect 0 "cpl lint --target clarvynn (clarvynn init template)" \
        "$cpl" lint --target clarvynn "$template"
    expect 0 "cpl replay (clarvynn init template)" \
        "$cpl" replay "$template" corpus/traces/shop.jsonl
    expect 0 "cpl diff (clarvynn init template)" "$cpl" diff "$template" "$template"
    cmp -s "$template" "$repo/tests/fixtures/clarvynn/clarvynn-init.yaml" ||
        fail "tests/fixtures/clarvynn/clarvynn-init.yaml differs from what clarvynn init writes"
else
    fail "clarvynn init wrote no clarvynn-policy.yaml"
fi

# 2. Every corpus policy meant for clarvynn.
meant=0
for policy in "$repo"/corpus/policies/*.yaml; do
    # The leading comment block says whom the policy is for.
    if ! sed -n '/^#/!q;p' "$policy" | grep -qi clarvynn; then
        continue
    fi
    meant=$((meant + 1))
    name="corpus/policies/$(basename "$policy")"
    clarvynn_accepts "$policy"
    expect 0 "cpl lint --target clarvynn $name" "$cpl" lint --target clarvynn "$name"

    # 3. Control: the string form of `service` is what clarvynn cannot load.
    control="$tmp/string-service-$(basename "$policy")"
    "$venv/bin/python" - "$policy" "$control" <<'PY' || { fail "$name has no service mapping"; continue; }
import re, sys
text = open(sys.argv[1]).read()
# `service:` + an indented block -> `service: <its name>`
text, n = re.subn(r"^service:\n(?:[ \t]+.*\n)+", "service: string-form\n", text, flags=re.M)
assert n == 1, "no service mapping to rewrite"
open(sys.argv[2], "w").write(text)
PY
    refuse+=("$control")
    status=0
    "$cpl" lint --target clarvynn "$control" >"$tmp/out" 2>&1 || status=$?
    if [ "$status" -ne 1 ] || ! grep -q "L357" "$tmp/out"; then
        fail "cpl lint --target clarvynn does not flag L357 on a string service (control for $name)"
        sed 's/^/    /' "$tmp/out" >&2
    fi
done
if [ "$meant" -lt 2 ]; then
    fail "only $meant corpus policies are marked as meant for clarvynn (demo, quickstart expected)"
fi

if [ "${#accept[@]}" -gt 0 ] || [ "${#refuse[@]}" -gt 0 ]; then
    (cd "$tmp" && "$venv/bin/python" "$tmp/load.py" "${accept[@]}" "${refuse[@]}") \
        >"$tmp/loaded" 2>"$tmp/load.log" || { fail "clarvynn's loader"; cat "$tmp/load.log" >&2; }
    for file in "${accept[@]}"; do
        grep -qxF "$file	loaded" "$tmp/loaded" ||
            fail "clarvynn's loader refuses $file: $(grep -F "$file	" "$tmp/loaded" | cut -f2-)"
    done
    for file in "${refuse[@]}"; do
        grep -qF "$file	refused: " "$tmp/loaded" ||
            fail "clarvynn's loader does not refuse a string service ($(basename "$file"))"
    done
fi

if [ "$failures" -gt 0 ]; then
    echo "documents: $failures check(s) failed" >&2
    exit 1
fi
echo "documents: clarvynn init template and $meant corpus policies load in clarvynn 0.3.1 and CPL"
