"""Replays OTLP/JSON spans through the OpenTelemetry Python SDK and its OTLP/HTTP
protobuf exporter, posting to a local HTTP server that saves each request body as
captured (gzip-compressed when --gzip). cpl's protobuf reader is tested on these
bodies: what a real SDK sends, from the project's own traces.

    python produce.py --in ../../../corpus/traces/shop.jsonl --lines 20 --out-dir out [--gzip]

One TracerProvider per distinct resource; each is flushed once at the end, so each
body holds one resource's spans (and, with a large batch, all of them).
"""

import argparse
import http.server
import json
import os
import threading

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags


class Given(IdGenerator):
    """Hands out the ids of the recorded span being replayed."""

    def __init__(self):
        self.trace_id = 0
        self.span_id = 0

    def generate_trace_id(self):
        return self.trace_id

    def generate_span_id(self):
        return self.span_id


def value(v):
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "boolValue" in v:
        return v["boolValue"]
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return [value(x) for x in v["arrayValue"].get("values", [])]
    raise ValueError(f"attribute value the SDK cannot record: {v}")


def attributes(kvs):
    return {kv["key"]: value(kv["value"]) for kv in kvs or []}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--in", dest="input", required=True)
    parser.add_argument("--lines", type=int, default=0, help="only the first N lines (0: all)")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    bodies = []

    class Capture(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/x-protobuf"
            bodies.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"

    providers = {}
    with open(args.input, encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if args.lines and number >= args.lines:
                break
            if not line.strip():
                continue
            for rs in json.loads(line).get("resourceSpans", []):
                key = json.dumps(rs.get("resource", {}), sort_keys=True)
                if key not in providers:
                    ids = Given()
                    provider = TracerProvider(
                        resource=Resource(attributes(rs.get("resource", {}).get("attributes"))),
                        id_generator=ids,
                    )
                    exporter = OTLPSpanExporter(
                        endpoint=endpoint,
                        compression=Compression.Gzip if args.gzip else Compression.NoCompression,
                    )
                    provider.add_span_processor(
                        BatchSpanProcessor(exporter, max_queue_size=1 << 20, max_export_batch_size=1 << 20, schedule_delay_millis=3_600_000)
                    )
                    providers[key] = (provider, ids)
                provider, ids = providers[key]
                for ss in rs.get("scopeSpans", []):
                    tracer = provider.get_tracer(ss.get("scope", {}).get("name", ""))
                    for s in ss.get("spans", []):
                        ids.trace_id = int(s["traceId"], 16)
                        ids.span_id = int(s["spanId"], 16)
                        context = None
                        if s.get("parentSpanId"):
                            parent = SpanContext(ids.trace_id, int(s["parentSpanId"], 16), is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
                            context = trace.set_span_in_context(NonRecordingSpan(parent))
                        span = tracer.start_span(
                            s["name"],
                            context=context,
                            kind=SpanKind(s.get("kind", 1) - 1 if s.get("kind", 0) > 0 else 0),
                            attributes=attributes(s.get("attributes")),
                            start_time=int(s["startTimeUnixNano"]),
                        )
                        code = s.get("status", {}).get("code", 0)
                        if code:
                            span.set_status(Status(StatusCode(code)))
                        span.end(end_time=int(s["endTimeUnixNano"]))
    for provider, _ in providers.values():
        provider.force_flush()
        provider.shutdown()
    server.shutdown()
    suffix = ".pb.gz" if args.gzip else ".pb"
    for index, body in enumerate(bodies):
        with open(os.path.join(args.out_dir, f"body-{index:02}{suffix}"), "wb") as out:
            out.write(body)
    print(f"{len(bodies)} bodies from {len(providers)} resources")


if __name__ == "__main__":
    main()
