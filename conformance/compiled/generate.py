#!/usr/bin/env python3
"""Writes traces.jsonl: OTLP/JSON requests (one trace a line) that exercise the
compiled-policy mapping of the policies beside this script (missing attributes,
int/double/string values, multi-source fields, anchored regexes, tenants on root and
non-root spans, int tenant ids, rates). Deterministic: run it again to regenerate.

    python3 conformance/compiled/generate.py
"""
import json
import os
import random

R = random.Random(9)
TRACES = 600


def value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def maybe(p):
    return R.random() < p


def attributes():
    a = {}
    # status_code: http.response.status_code, else http.status_code; int, double or string.
    for key in ("http.response.status_code", "http.status_code"):
        if maybe(0.45):
            code = R.choice([200, 200, 201, 404, 429, 499, 500, 503])
            a[key] = R.choice([code, code, float(code), str(code)])
    # path: http.route, else url.path, else http.target, else url.full, else http.url.
    if maybe(0.35):
        a["http.route"] = R.choice(["/health", "/ready", "/v1/orders", "/admin/users", "/cart"])
    if maybe(0.35):
        a["url.path"] = R.choice(["/v2/orders", "/v2/orders/x", "/health", "x/v3/orders", "/admin"])
    if maybe(0.2):
        a["http.target"] = R.choice(["/v9/orders?x=1", "/ready", "/v10/orders"])
    if maybe(0.2):
        a["url.full"] = R.choice(["https://h/v4/orders", "https://h/admin/x?q", "http://h"])
    if maybe(0.1):
        a["http.url"] = R.choice(["https://h/v5/orders", "https://h/health"])
    for key in ("http.request.method", "http.method"):
        if maybe(0.4):
            a[key] = R.choice(["GET", "HEAD", "POST", "DELETE", "get"])
    if maybe(0.5):
        a["cloud.region"] = R.choice(["eu-west-1", "us-east-1", "", 3])
    if maybe(0.5):
        a["amount"] = R.choice([5, 10, 11, 10.0, 10.5, 9.99, "11", True])
    if maybe(0.2):
        a["user_agent.original"] = R.choice(["bot-crawl", "bot-X", "xbot-a", "bot-a\n", "curl"])
    if maybe(0.3):
        a["tenant.id"] = R.choice(["acme", "globex", "123", 123, 7, "7", "0", "zeta", "", -1])
    return a


def span(trace_id, span_id, parent, attrs, status):
    s = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": R.choice(["GET /x", "checkout", "db"]),
        "kind": R.choice([1, 2, 3]),
        "startTimeUnixNano": "1763700000000000000",
        "endTimeUnixNano": str(1763700000000000000 + R.randrange(10**9)),
        "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
    }
    if parent is not None:
        s["parentSpanId"] = parent
    if status:
        s["status"] = {"code": status}
    return s


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "traces.jsonl")
    lines = []
    for _ in range(TRACES):
        trace_id = "%032x" % R.getrandbits(128)
        root_id = "%016x" % R.getrandbits(64)
        # No parent, an empty one or an all-zero one all mean a root span; some traces
        # have no root at all.
        root_parent = R.choice([None, "", "0000000000000000", "%016x" % R.getrandbits(64)])
        spans = [span(trace_id, root_id, root_parent, attributes(), R.choice([0, 0, 1, 2]))]
        for _ in range(R.randrange(4)):
            parent = R.choice([root_id, "%016x" % R.getrandbits(64)])
            spans.append(span(trace_id, "%016x" % R.getrandbits(64), parent, attributes(), R.choice([0, 0, 2])))
        request = {"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": R.choice(["shop", "pay"])}}]},
            "scopeSpans": [{"scope": {"name": "gen"}, "spans": spans}],
        }]}
        lines.append(json.dumps(request, separators=(",", ":")))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
