#!/usr/bin/env python3
"""Writes the OTLP/JSON trace files of the conformance cases: conformance/cases/<case>/traces.jsonl.

Each line is one ExportTraceServiceRequest, POSTed in order. The tail_sampling.yaml and
expected.txt of each case are written by hand (they are the point of the case); this
script only makes the inputs, so that they are small, exact and reviewable here.

Run from anywhere: python3 conformance/generate.py. Deterministic; rerunning it must
leave `git status` clean.
"""

import hashlib
import json
import math
import os
from fractions import Fraction

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
T0 = 1_700_000_000_000_000_000  # ns; every span's times are offsets from here
MS = 1_000_000


def tid(prefix, n):
    """A readable trace id: two hex digits of case prefix, zeros, two of trace number."""
    return f"{prefix:02x}{'0' * 28}{n:02x}"


def value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def attrs(d):
    return [{"key": k, "value": value(v)} for k, v in (d or {}).items()]


_spans_of = {}  # trace id -> spans made so far: span ids count up within each trace


def span(trace, start_ms=0, end_ms=10, end_ns=None, name="op", attributes=None, status=None,
         kind=None, flags=None, trace_state=None, events=None, parent=None):
    _spans_of[trace] = _spans_of.get(trace, 0) + 1
    s = {
        "traceId": trace,
        "spanId": f"{_spans_of[trace]:016x}",
        "name": name,
        "startTimeUnixNano": str(T0 + start_ms * MS),
        "endTimeUnixNano": str(T0 + (end_ns if end_ns is not None else end_ms * MS)),
    }
    if parent:
        s["parentSpanId"] = parent
    if kind is not None:
        s["kind"] = kind
    if attributes:
        s["attributes"] = attrs(attributes)
    if status is not None:
        s["status"] = {"code": {"UNSET": 0, "OK": 1, "ERROR": 2}[status]}
    if flags is not None:
        s["flags"] = flags
    if trace_state is not None:
        s["traceState"] = trace_state
    if events:
        s["events"] = [{"timeUnixNano": str(T0), "name": e} for e in events]
    return s


def request(spans, resource=None):
    """One request, one resource, one scope, spans in the given order."""
    rs = {"resource": {"attributes": attrs(resource or {"service.name": "svc"})},
          "scopeSpans": [{"scope": {"name": "conformance"}, "spans": spans}]}
    return {"resourceSpans": [rs]}


def write(case, requests):
    path = os.path.join(CASES, case, "traces.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in requests:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


# --- probabilistic: the collector's legacy FNV-1a hash and threshold (reference §3.4) ---
MAXU64 = (1 << 64) - 1


def round_to_bits(x, bits):
    """Go's big.Float rounding to a `bits`-bit mantissa, nearest-even, x > 0."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    while Fraction(2) ** e > x:
        e -= 1
    while Fraction(2) ** (e + 1) <= x:
        e += 1
    y = x * Fraction(2) ** (bits - 1 - e)
    fl = math.floor(y)
    r = y - fl
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and fl % 2):
        fl += 1
    return Fraction(fl) / Fraction(2) ** (bits - 1 - e)


def calc_threshold(ratio):
    """The probabilistic policy's threshold for ratio = sampling_percentage / 100."""
    p = Fraction(MAXU64) * Fraction(ratio)
    return 0 if p <= 0 else min(MAXU64, math.floor(round_to_bits(p, 64)))


def fnv1a64(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & MAXU64
    return h


def main():
    # always-sample (0x01)
    p = 0x01
    write("always-sample", [
        request([span(tid(p, 1))]),
        request([span(tid(p, 2)), span(tid(p, 2))]),
        request([span(tid(p, 3), status="ERROR")]),
    ])

    # latency without an upper bound (0x02): threshold_ms 1000
    p = 0x02
    write("latency", [
        request([span(tid(p, 1), 0, 999)]),
        request([span(tid(p, 2), 0, 1000)]),
        request([span(tid(p, 3), 0, end_ns=1000 * MS + 999_999)]),
        request([span(tid(p, 4), 0, 1001)]),
        request([span(tid(p, 5), 0, 600), span(tid(p, 5), 500, 1100)]),
        request([span(tid(p, 6), 0, 10)]),
        request([span(tid(p, 6), 2000, 2001)]),
    ])

    # probe (a): exactly 1000 ms against threshold_ms 1000 (0x0a)
    p = 0x0a
    write("probe-a-latency-exact-threshold", [
        request([span(tid(p, 1), 0, 1000)]),
        request([span(tid(p, 2), 0, 1001)]),
    ])

    # probe (b): upper bound, span order inside the trace (0x0b): threshold 100, upper 500
    p = 0x0b
    write("probe-b-latency-upper-bound-prefix", [
        request([span(tid(p, 1), 0, 200), span(tid(p, 1), 0, 2000)]),
        request([span(tid(p, 2), 0, 2000), span(tid(p, 2), 0, 200)]),
        request([span(tid(p, 3), 0, 300)]),
        request([span(tid(p, 4), 0, 600)]),
    ])

    # numeric_attribute (0x03): key http.status, [500, 599]
    p = 0x03
    write("numeric-attribute", [
        request([span(tid(p, 1), attributes={"http.status": 500})]),
        request([span(tid(p, 2), attributes={"http.status": 599})]),
        request([span(tid(p, 3), attributes={"http.status": 600})]),
        request([span(tid(p, 4))], resource={"service.name": "svc", "http.status": 550}),
        request([span(tid(p, 5), attributes={"http.status": 550.5})]),
        request([span(tid(p, 6), attributes={"http.status": "550"})]),
        request([span(tid(p, 7), attributes={"http.status": 200}),
                 span(tid(p, 7), attributes={"http.status": 503})]),
    ])

    # numeric_attribute with a bound written as 0 (0x04)
    p = 0x04
    write("numeric-attribute-zero-bound", [
        request([span(tid(p, 1), attributes={"a": -5})]),
        request([span(tid(p, 2), attributes={"a": 11})]),
        request([span(tid(p, 3), attributes={"b": 1000000})]),
        request([span(tid(p, 4), attributes={"b": 99})]),
    ])

    # probe (c): Int() coercion of non-int values (0x0c): key x, [-10, 10]
    p = 0x0c
    write("probe-c-numeric-coercion", [
        request([span(tid(p, 1), attributes={"x": 5.5})]),
        request([span(tid(p, 2), attributes={"x": 100.5})]),
        request([span(tid(p, 3), attributes={"x": "100"})]),
        request([span(tid(p, 4), attributes={"x": True})]),
        request([span(tid(p, 5), attributes={"x": 100})]),
        request([span(tid(p, 6))]),
        request([span(tid(p, 7), attributes={"x": 5})]),
    ])

    # status_code (0x05)
    p = 0x05
    write("status-code", [
        request([span(tid(p, 1), status="OK"), span(tid(p, 1), status="ERROR")]),
        request([span(tid(p, 2), status="OK"), span(tid(p, 2), status="OK")]),
        request([span(tid(p, 3))]),
        request([span(tid(p, 4), status="OK")]),
        request([span(tid(p, 4), status="ERROR")]),
        request([span(tid(p, 5), status="OK"), span(tid(p, 5), status="UNSET")]),
    ])

    # string_attribute, exact (0x06): key route, values [/a, /b, ""]
    p = 0x06
    write("string-attribute", [
        request([span(tid(p, 1), attributes={"route": "/a"})]),
        request([span(tid(p, 2), attributes={"route": "/c"})]),
        request([span(tid(p, 3))], resource={"service.name": "svc", "route": "/b"}),
        request([span(tid(p, 4), attributes={"route": ""})]),
        request([span(tid(p, 5), attributes={"route": "/a/x"})]),
        request([span(tid(p, 6), attributes={"route": 1})]),
    ])

    # probe (d): regex matching is unanchored (0x0d)
    p = 0x0d
    write("probe-d-string-regex-unanchored", [
        request([span(tid(p, 1), attributes={"k1": "xabcx"})]),
        request([span(tid(p, 2), attributes={"k2": "xabcx"})]),
        request([span(tid(p, 3), attributes={"k2": "abc"})]),
        request([span(tid(p, 4), attributes={"k1": "ABC"})]),
    ])

    # invert_match on string, numeric and boolean filters (0x07)
    p = 0x07
    write("invert-match", [
        request([span(tid(p, 1), attributes={"s": "x", "n": 5, "b": True})]),
        request([span(tid(p, 2), attributes={"s": "x", "n": 5})]),
        request([span(tid(p, 3), attributes={"s": "x", "n": 50, "b": True})]),
        request([span(tid(p, 4))]),
        request([span(tid(p, 5), attributes={"n": 5}), span(tid(p, 5), attributes={"b": True})],
                resource={"service.name": "svc", "s": "x"}),
        request([span(tid(p, 6), attributes={"s": "x"}),
                 span(tid(p, 6), attributes={"s": "y", "n": 5, "b": True})]),
    ])

    # the time-based policies with limits too large to bind (0x08)
    p = 0x08
    for case in ("rate-limiting-huge-limit", "bytes-limiting-huge-limit"):
        write(case, [
            request([span(tid(p, 1))]),
            request([span(tid(p, 2)), span(tid(p, 2), status="ERROR")]),
        ])
    write("composite-huge-limit", [
        request([span(tid(p, 1), attributes={"route": "/a"})]),
        request([span(tid(p, 2), status="ERROR")]),
        request([span(tid(p, 3), attributes={"route": "/b"})]),
    ])

    # span_count (0x09): [2, 3] and min 5 with max 0
    p = 0x09
    write("span-count", [
        request([span(tid(p, 1))]),
        request([span(tid(p, 2)), span(tid(p, 2))]),
        request([span(tid(p, 3)), span(tid(p, 3))]),
        request([span(tid(p, 3))]),
        request([span(tid(p, 4)) for _ in range(4)]),
        request([span(tid(p, 5)) for _ in range(6)]),
    ])

    # trace_state (0x10): key k, values [v1, v2]
    p = 0x10
    write("trace-state", [
        request([span(tid(p, 1), trace_state="k=v1")]),
        request([span(tid(p, 2), trace_state="k=v3")]),
        request([span(tid(p, 3), trace_state="a=1,k=v2")]),
        request([span(tid(p, 4), trace_state="k=v1,k=v2")]),
        request([span(tid(p, 5)), span(tid(p, 5), trace_state="k=v2")]),
        request([span(tid(p, 6), trace_state="K=v1")]),
    ])

    # trace_flags (0x11)
    p = 0x11
    write("trace-flags", [
        request([span(tid(p, 1), flags=1)]),
        request([span(tid(p, 2), flags=0)]),
        request([span(tid(p, 3), flags=257)]),
        request([span(tid(p, 4), flags=256)]),
        request([span(tid(p, 5), flags=0), span(tid(p, 5), flags=1)]),
        request([span(tid(p, 6))]),
    ])

    # boolean_attribute (0x12)
    p = 0x12
    write("boolean-attribute", [
        request([span(tid(p, 1), attributes={"b": True})]),
        request([span(tid(p, 2), attributes={"b": "true"})]),
        request([span(tid(p, 3))], resource={"service.name": "svc", "b": True}),
        request([span(tid(p, 4), attributes={"c": "true"})]),
        request([span(tid(p, 5), attributes={"c": False})]),
        request([span(tid(p, 6), attributes={"c": True})]),
        request([span(tid(p, 7))]),
    ])

    # ottl_condition (0x13)
    p = 0x13
    root = "00000000000000ff"
    write("ottl-condition", [
        request([span(tid(p, 1), attributes={"route": "/a"}, kind=2, parent=root)]),
        request([span(tid(p, 2), attributes={"route": "/a"}, kind=3, parent=root),
                 span(tid(p, 2), kind=2, parent=root)]),
        request([span(tid(p, 3), events=["exception"], parent=root)]),
        request([span(tid(p, 4), events=["other"], parent=root)]),
        request([span(tid(p, 5))], resource={"service.name": "gw"}),
        request([span(tid(p, 6), parent=root)], resource={"service.name": "gw"}),
    ])

    # and / not (0x14)
    p = 0x14
    write("and", [
        request([span(tid(p, 1), attributes={"n": 5, "s": "x"})]),
        request([span(tid(p, 2), attributes={"n": 5}), span(tid(p, 2), attributes={"s": "x"})]),
        request([span(tid(p, 3), attributes={"n": 5})]),
        request([span(tid(p, 4), attributes={"s": "x"})]),
        request([span(tid(p, 5), attributes={"route": "/a"}, status="ERROR")]),
        request([span(tid(p, 6), attributes={"route": "/health"}, status="ERROR")]),
    ])
    p = 0x15
    write("not", [
        request([span(tid(p, 1), attributes={"route": "/health"})]),
        request([span(tid(p, 2), attributes={"route": "/a"})]),
        request([span(tid(p, 3), attributes={"route": "/health"}),
                 span(tid(p, 3), attributes={"route": "/a"})]),
        request([span(tid(p, 4))]),
    ])

    # drop (0x16)
    p = 0x16
    write("drop", [
        request([span(tid(p, 1), attributes={"route": "/a"})]),
        request([span(tid(p, 2), attributes={"route": "/health"})]),
        request([span(tid(p, 3), attributes={"route": "/health"}, status="ERROR")]),
        request([span(tid(p, 4), attributes={"route": "/internal"}, status="OK")]),
        request([span(tid(p, 5), attributes={"route": "/internal"}, status="ERROR")]),
    ])

    # OTTL comparisons, missing values and converters, one policy per span name (0x17)
    p = 0x17
    write("ottl-comparisons", [
        request([span(tid(p, 1), name="ne-missing")]),
        request([span(tid(p, 2), name="ne-missing", attributes={"a": "v"})]),
        request([span(tid(p, 3), name="gt", attributes={"n": "10"})]),
        request([span(tid(p, 4), name="gt", attributes={"n": 10})]),
        request([span(tid(p, 5), name="gt", attributes={"n": 5.5})]),
        request([span(tid(p, 6), name="int", attributes={"n": "500"})]),
        request([span(tid(p, 7), name="int", attributes={"n": 499.9})]),
        request([span(tid(p, 8), name="int", attributes={"n": "abc"})]),
        request([span(tid(p, 9), 0, 1000, name="duration")]),
        request([span(tid(p, 10), 0, end_ns=1000 * MS + 1, name="duration")]),
        request([span(tid(p, 11), name="bare", attributes={"a": "v"})]),
        request([span(tid(p, 12), name="ismatch", attributes={"r": "abcde"})]),
        request([span(tid(p, 13), name="ismatch")]),
        request([span(tid(p, 14), name="kind", kind=2)]),
        request([span(tid(p, 15), name="kind", kind=3)]),
        request([span(tid(p, 16), name="status", status="ERROR")]),
    ])

    # probe (e): an OTTL runtime error under each error_mode (0x0e)
    p = 0x0e
    for mode in ("propagate", "ignore", "silent", "omitted"):
        write(f"probe-e-error-mode-{mode}", [
            request([span(tid(p, 1)), span(tid(p, 1), attributes={"k": "abc"})]),
            request([span(tid(p, 2), attributes={"k": "abc"})]),
            request([span(tid(p, 3), attributes={"k": "abc"}), span(tid(p, 3))]),
            request([span(tid(p, 4))]),
            request([span(tid(p, 5), attributes={"k": "xyz"})]),
        ])

    # probe (f): Substring(span.trace_id.string, 18, 14) >= T at R = T-1, T, T+1 (T for p = 0.1)
    prefix = "0af7651916cd43dd84"
    write("probe-f-trace-id-threshold", [
        request([span(prefix + r)]) for r in
        ("e6666666666665", "e6666666666666", "e6666666666667", "00000000000000", "ffffffffffffff")
    ])

    # probe (g): probabilistic, FNV-1a over salt and trace id. The reference's test vector,
    # then the first ids (sha256 of a counter: sequential ids would hash alike in the top
    # bits under FNV) whose default-salt hash falls in each band.
    vector = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert fnv1a64(b"default-hash-seed" + bytes.fromhex(vector)) == 0xa54533ba2e4970b5
    ids = [vector]
    t10, t50, t999 = calc_threshold(0.1), calc_threshold(0.5), calc_threshold(0.999)
    bands = [(0, t10), (t10 + 1, t50), (t50 + 1, t999), (t999 + 1, MAXU64)]
    for lo, hi in bands:
        n = 0
        while True:
            cand = hashlib.sha256(f"probe-g-{n}".encode()).hexdigest()[:32]
            h = fnv1a64(b"default-hash-seed" + bytes.fromhex(cand))
            if lo <= h <= hi:
                ids.append(cand)
                break
            n += 1
    write("probe-g-probabilistic-fnv", [request([span(i)]) for i in ids])
    # a custom salt: ids where the default and the custom salt disagree at 50%
    salted = []
    n = 0
    while len(salted) < 4:
        cand = hashlib.sha256(f"salt-{n}".encode()).hexdigest()[:32]
        d = fnv1a64(b"default-hash-seed" + bytes.fromhex(cand)) <= 0x7fffffffffffffff
        c = fnv1a64(b"custom-salt" + bytes.fromhex(cand)) <= 0x7fffffffffffffff
        want = [(True, False), (False, True), (True, True), (False, False)][len(salted)]
        if (d, c) == want:
            salted.append(cand)
        n += 1
    write("probabilistic-hash-salt", [request([span(i)]) for i in salted])

    # probe (h) needs no traces beyond one request, which is never sent (startup fails)
    write("probe-h-disableinvertdecisions-gate", [request([span(tid(0x0f, 0xff))])])


if __name__ == "__main__":
    main()
