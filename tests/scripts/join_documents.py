#!/usr/bin/env python3
"""Joins every N consecutive documents of an OTLP/JSON Lines capture into one line.

    python3 tests/scripts/join_documents.py IN.jsonl OUT.jsonl N

The `resourceSpans` entries of N lines become the entries of one document, in order,
written compactly; spans, attributes and ids are unchanged. Used to make a capture of
large lines (megabytes each, as a collector batching many traces writes) for measuring
how replay scales with cores inside one document.
"""
import json
import sys


def main() -> int:
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src, "rb") as f, open(dst, "w") as out:
        entries, lines = [], 0
        for line in f:
            if not line.strip():
                continue
            entries.extend(json.loads(line)["resourceSpans"])
            lines += 1
            if lines == n:
                out.write(json.dumps({"resourceSpans": entries}, separators=(",", ":")) + "\n")
                entries, lines = [], 0
        if lines:
            out.write(json.dumps({"resourceSpans": entries}, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
