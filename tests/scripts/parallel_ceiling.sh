#!/usr/bin/env bash
# How much two cores of this machine give over one, for work that shares nothing:
# one process alone, then two copies of it at once. On a machine whose two vCPUs are
# independent the pair takes as long as one alone (a ceiling of 2.0x); on one whose
# vCPUs share a physical core or memory bandwidth it takes longer, and no program can
# scale from one core to two by more than this ceiling. The README's Performance
# section gives `cpl replay`'s -j1 -> -j2 figures beside it.
#
#   tests/scripts/parallel_ceiling.sh RUNS COMMAND [ARG...]
#   e.g. tests/scripts/parallel_ceiling.sh 5 target/release/json_syntax_pass big.jsonl
set -euo pipefail
runs=$1
shift
now() { date +%s.%N; }
alone=() pair=()
for _ in $(seq "$runs"); do
  t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  "$@" >/dev/null 2>&1 & first=$!
  "$@" >/dev/null 2>&1
  wait "$first"; t2=$(now)
  alone+=("$(echo "$t1 - $t0" | bc)") pair+=("$(echo "$t2 - $t1" | bc)")
done
python3 - "${alone[*]}" "${pair[*]}" <<'PY'
import statistics, sys
alone = [float(x) for x in sys.argv[1].split()]
pair = [float(x) for x in sys.argv[2].split()]
a, p = statistics.median(alone), statistics.median(pair)
print(f"one alone: median {a:.3f} s (min {min(alone):.3f}); two at once: median {p:.3f} s (min {min(pair):.3f})")
print(f"two cores give at most {2 * a / p:.2f}x of one for this work (2.00 if independent)")
PY
