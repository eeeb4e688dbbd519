#!/usr/bin/env bash
# Builds the reference collector (conformance/otelcol) to $CARGO_TARGET_DIR/otelcol-cpl/otelcol-cpl
# (default target/otelcol-cpl/otelcol-cpl), where the conformance tests look for it.
#
# Idempotent: when the binary is newer than main.go, go.mod, go.sum and this script and was built by the
# same Go, nothing runs. Otherwise `go build` fetches the modules go.sum pins from the Go
# module proxy (first time only; they stay in the module cache) and links the binary.
# Prints the Go version and the build time. Exit 1 when go is missing or the build fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/conformance/otelcol"
out_dir="${CARGO_TARGET_DIR:-$root/target}/otelcol-cpl"
bin="$out_dir/otelcol-cpl"
stamp="$out_dir/go-version"

if ! command -v go >/dev/null; then
  echo "build-collector: go not found on PATH" >&2
  exit 1
fi
go_version="$(go version)"
echo "build-collector: $go_version"

up_to_date=1
if [ ! -x "$bin" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$go_version" ]; then
  up_to_date=0
else
  for f in "$src/main.go" "$src/go.mod" "$src/go.sum" "$0"; do
    if [ "$f" -nt "$bin" ]; then up_to_date=0; fi
  done
fi
if [ "$up_to_date" = 1 ]; then
  echo "build-collector: $bin is up to date"
  exit 0
fi

mkdir -p "$out_dir"
start=$(date +%s)
# -mod=readonly: go.mod and go.sum are the pin; a build never rewrites them.
# -buildvcs=false: no git stamping (a fresh clone owned by another user makes git refuse).
(cd "$src" && go build -mod=readonly -trimpath -buildvcs=false -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
printf '%s\n' "$go_version" > "$stamp"
echo "build-collector: built $bin in $(( $(date +%s) - start ))s"
