#!/usr/bin/env python3
"""Writes trace-level.jsonl: OTLP/JSON requests that exercise the compiled trace-level
parts (spec/targets/otel-collector.md §4.4): span counts at the bounds the policies
beside this script use, traces split over two requests, durations of exactly 1000 ms
and around it, spans without times or ending before they start, trace states that
parse and that do not, both states of the sampled flag (and flag bits above it), and
enough trace ids for the `fnv_sample` thresholds. Deterministic: run it again to
regenerate.

    python3 conformance/compiled/generate_trace_level.py
"""
import json
import os
import random

R = random.Random(94)
TRACES = 500
EPOCH = 1763700000000000000
MS = 1000000

TRACE_STATES = [None, None, "", "vendor=keep", "vendor=yes", "vendor=drop,ot=th:8",
                "ot=th:8", "ot=rv:abc;th:0", "Vendor=keep", "vendor=keep,vendor=yes",
                "vendor=keep,ot=th:c", " vendor=keep ", "vendor"]
FLAGS = [None, 0, 1, 1, 0x101, 0x100, 0x200, 3]
# (start, end) offsets in ms from the trace's start, or raw values for edge cases.
DURATIONS_MS = [1000, 1000, 1001, 999, 1000.5, 1000.000001, 500, 499.999999, 100, 99.5,
                 0, 2000, 10]


def span(trace_id, span_id, parent, start, end):
    s = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": R.choice(["GET /x", "checkout", "db"]),
        "kind": R.choice([1, 2, 3]),
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": [],
    }
    if R.random() < 0.3:
        s["attributes"].append({"key": "http.route", "value": {"stringValue": R.choice(["/health", "/cart"])}})
    if parent is not None:
        s["parentSpanId"] = parent
    status = R.choice([0, 0, 0, 1, 2])
    if status:
        s["status"] = {"code": status}
    ts = R.choice(TRACE_STATES)
    if ts is not None:
        s["traceState"] = ts
    flags = R.choice(FLAGS)
    if flags is not None:
        s["flags"] = flags
    return s


def times(base, count, malformed):
    """Span times: the first span spans the trace's duration, the rest lie inside."""
    total = int(R.choice(DURATIONS_MS) * MS)
    out = [(base, base + total)]
    for _ in range(count - 1):
        a = base + R.randrange(total + 1)
        out.append((a, a + R.randrange(base + total - a + 1)))
    if malformed:
        i = R.randrange(count)
        out[i] = R.choice([(0, base + 5 * MS), (base + 3 * MS, base + 1 * MS), (0, 0),
                           (base - 2000 * MS, 0)])
    R.shuffle(out)
    return out


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace-level.jsonl")
    lines = []
    for n in range(TRACES):
        trace_id = "%032x" % R.getrandbits(128)
        count = R.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 7])
        malformed = R.random() < 0.15
        spans = []
        root = "%016x" % R.getrandbits(64)
        for i, (start, end) in enumerate(times(EPOCH + n * 10**10, count, malformed)):
            span_id = root if i == 0 else "%016x" % R.getrandbits(64)
            spans.append(span(trace_id, span_id, None if i == 0 else root, start, end))
        # Some traces arrive in two requests.
        cut = R.randrange(1, len(spans)) if len(spans) > 1 and R.random() < 0.3 else len(spans)
        for part in (spans[:cut], spans[cut:]):
            if not part:
                continue
            request = {"resourceSpans": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                "scopeSpans": [{"scope": {"name": "gen"}, "spans": part}],
            }]}
            lines.append(json.dumps(request, separators=(",", ":")))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
