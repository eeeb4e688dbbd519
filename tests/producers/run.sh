#!/usr/bin/env bash
# Regenerates tests/fixtures/otlp-proto/ with real producers, from the project's own
# corpus/traces/shop.jsonl:
#   - otlp_http/: the OpenTelemetry Python SDK's OTLP/HTTP protobuf exporter (gzip
#     bodies as posted to a local server), from PyPI;
#   - fileexporter/: the OpenTelemetry Collector's file exporter, format proto (and
#     json), with and without zstd, from the Go module proxy.
# Needs python3 (with venv) and go. Not run by CI: the outputs are committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/tests/fixtures/otlp-proto"
shop="$root/corpus/traces/shop.jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/otlp_http" "$out/fileexporter"
head -n 20 "$shop" > "$work/shop20.jsonl"
head -n 5 "$shop" > "$work/shop5.jsonl"

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2
rm -f "$out"/otlp_http/*
"$work/venv/bin/python" "$here/otlp_http/produce.py" --in "$work/shop20.jsonl" --out-dir "$out/otlp_http" --gzip

(cd "$here/fileexporter" && go build -o "$work/fileexporter" .)
fe="$work/fileexporter"
rm -f "$out"/fileexporter/*
"$fe" -in "$work/shop5.jsonl" -out "$out/fileexporter/shop5.pb"
"$fe" -in "$work/shop20.jsonl" -out "$out/fileexporter/shop20.pb.zst" -compression zstd
"$fe" -in "$work/shop20.jsonl" -out "$out/fileexporter/shop20-native.pb.zst" -compression zstd -native-compression
"$fe" -in "$work/shop20.jsonl" -out "$out/fileexporter/shop20.json.zst" -format json -compression zstd
ls -l "$out"/*
