#!/usr/bin/env python3
"""Writes a larger sibling of a real OTLP/JSON Lines capture, for speed and memory runs.

    python3 tests/scripts/enlarge_capture.py IN.jsonl OUT.jsonl SIZE_MB

The capture is written again and again until OUT reaches SIZE_MB. Copy k (from 0)
rewrites the first 6 hex digits of every trace id to k, so each copy's traces are new
traces (not repeats, which replay would count once), while every span, attribute and
byte count stays what the real SDK wrote. Copy 0 is the input unchanged except for its
ids. Streams: memory stays one line.
"""
import re
import sys

TRACE_ID = re.compile(rb'("traceId"\s*:\s*")([0-9a-fA-F]{6})')


def main() -> int:
    src, dst, size_mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    limit = int(size_mb * 1_000_000)
    with open(src, "rb") as f:
        lines = [line for line in f if line.strip()]
    written = 0
    copy = 0
    with open(dst, "wb") as out:
        while written < limit:
            prefix = b"%06x" % (copy % 0x1000000)
            for line in lines:
                line = TRACE_ID.sub(lambda m: m.group(1) + prefix, line)
                out.write(line)
                written += len(line)
                if written >= limit:
                    break
            copy += 1
    print(f"{dst}: {written:,} bytes, {copy} copies", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
