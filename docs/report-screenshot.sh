#!/usr/bin/env bash
# Regenerates docs/report.png, the README's picture of the HTML report: the demo policy
# replayed over the shipped capture, rendered by headless Chromium (Debian's `chromium`)
# and squeezed by `pngquant` when it is installed. Run from anywhere: bash docs/report-screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p cpl-cli -- replay corpus/policies/demo.yaml corpus/traces/shop.jsonl \
  --html target/report.html > /dev/null
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --window-size=1100,1400 \
  --screenshot="$PWD/docs/report.png" "file://$PWD/target/report.html" 2> /dev/null
if command -v pngquant > /dev/null; then
  pngquant --force --strip --quality 60-90 --output docs/report.png docs/report.png
fi
ls -l docs/report.png
