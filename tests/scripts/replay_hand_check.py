#!/usr/bin/env python3
"""Independent hand check of `cpl replay` for the demo policy.

Reimplements, from spec/sampling.md, spec/fields.md and spec/types.md only (no code
shared with cpl-eval), the decisions of corpus/policies/demo.yaml:

    server_errors          status_code >= 500
    client_errors          status_code >= 400 AND status_code < 500
    slow_requests          duration_ms > 1000
    critical_payment_apis  path contains '/api/payment'
    base_rate              0.01, threshold-sampled on the trace id

and prints the totals as JSON, in the shape of `cpl replay --format json`'s
`spans`, `traces`, `rules` and `base_rate` members, so the two can be compared:

    python3 tests/scripts/replay_hand_check.py ../shared/corpus/generated/traces-small.jsonl
"""
import json
import sys
from urllib.parse import urlsplit

BASE_RATE = 0.01
RULES = ["server_errors", "client_errors", "slow_requests", "critical_payment_apis"]


def attr(attributes, key):
    """The first attribute with this key: (type, value) or None."""
    for kv in attributes or []:
        if kv.get("key") == key:
            value = kv.get("value") or {}
            for kind in ("stringValue", "boolValue", "intValue", "doubleValue"):
                if kind in value and value[kind] is not None:
                    return kind, value[kind]
            return "other", None
    return None


def status_code(span):
    for key in ("http.response.status_code", "http.status_code"):
        found = attr(span.get("attributes"), key)
        if found is not None:
            kind, value = found
            if kind == "intValue":
                return int(value)
            if kind == "doubleValue":
                return float(value)
            return "wrong-type"
    return None


def path(span):
    attributes = span.get("attributes")
    for key in ("http.route", "url.path", "http.target", "url.full", "http.url"):
        found = attr(attributes, key)
        if found is not None:
            kind, value = found
            if kind != "stringValue":
                return None
            if key in ("url.full", "http.url"):
                return urlsplit(value).path
            return value
    return None


def duration_ns(span):
    start = int(span.get("startTimeUnixNano") or 0)
    end = int(span.get("endTimeUnixNano") or 0)
    if start == 0 or end == 0 or end < start:
        return None
    return end - start


def matched_rules(span):
    code = status_code(span)
    numeric = isinstance(code, (int, float)) and code != "wrong-type"
    matched = set()
    if numeric and code >= 500:
        matched.add("server_errors")
    if numeric and 400 <= code < 500:
        matched.add("client_errors")
    d = duration_ns(span)
    if d is not None and d > 1000 * 1_000_000:
        matched.add("slow_requests")
    p = path(span)
    if p is not None and "/api/payment" in p:
        matched.add("critical_payment_apis")
    return matched


def keeps(rate, trace_id_hex):
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    threshold = int((1.0 - rate) * 72057594037927936.0)
    randomness = int(trace_id_hex[-14:], 16)
    return threshold <= randomness


def main(paths):
    traces = {}  # trace id -> {"spans": n, "rules": set()}
    for name in paths:
        with open(name, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                document = json.loads(line)
                for resource_spans in document.get("resourceSpans", []):
                    for scope_spans in resource_spans.get("scopeSpans", []):
                        for span in scope_spans.get("spans", []):
                            trace = traces.setdefault(span["traceId"].lower(), {"spans": 0, "rules": set()})
                            trace["spans"] += 1
                            trace["rules"] |= matched_rules(span)
    report = {
        "spans": {"total": 0, "kept": 0},
        "traces": {"total": 0, "kept": 0},
        "rules": [{"name": rule, "action": "keep", "traces": 0, "spans": 0} for rule in RULES],
        "base_rate": {"rate": BASE_RATE, "traces": 0, "kept": 0},
    }
    for trace_id, trace in traces.items():
        report["traces"]["total"] += 1
        report["spans"]["total"] += trace["spans"]
        decided = next((rule for rule in RULES if rule in trace["rules"]), None)
        if decided is not None:
            entry = report["rules"][RULES.index(decided)]
            entry["traces"] += 1
            entry["spans"] += trace["spans"]
            kept = True
        else:
            report["base_rate"]["traces"] += 1
            kept = keeps(BASE_RATE, trace_id)
            report["base_rate"]["kept"] += int(kept)
        if kept:
            report["traces"]["kept"] += 1
            report["spans"]["kept"] += trace["spans"]
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1:] or ["../shared/corpus/generated/traces-small.jsonl"])
