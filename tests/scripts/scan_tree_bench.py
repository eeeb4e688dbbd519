#!/usr/bin/env python3
"""Whole-process benchmark of `cpl scan` on a generated 10,000-file repository.

Generates, in a temporary directory (removed afterwards; nothing is committed), a
repository of N services (20 files each): a compose entry, a Dockerfile, prod and
staging kustomize overlays, a README, and 16 source files in the service's language
(Go, Python, Java, JavaScript, TypeScript, C#, in turn): one sets up the SDK (sampler,
propagator, service name), the other 15 are ordinary code of about 5 KB (the
opentelemetry-demo's source files average 4.6 KB). Then runs the given `cpl` binary
on it several times and prints the median wall time and the CPU time (user, system)
of the median run.

    tests/scripts/scan_tree_bench.py target/release/cpl [--files 10000] [--runs 5]
        [--keep DIR]

`--keep DIR` writes the tree to DIR and keeps it (to profile by hand). `--dense` puts
the word "service" in every ordinary file's head comment, so that no file escapes
parsing (the words the code scanner needs before parsing: spec/scan.md, "SDK code").
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

LANGUAGES = ["go", "py", "java", "js", "ts", "cs"]

SETUP = {
    "go": """package main

import (
\t"context"
\t"os"
\t"strconv"

\t"go.opentelemetry.io/otel"
\t"go.opentelemetry.io/otel/propagation"
\tsdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func ratio() float64 {{
\tr, err := strconv.ParseFloat(os.Getenv("SAMPLE_RATIO"), 64)
\tif err != nil {{
\t\treturn 0.{n}
\t}}
\treturn r
}}

func initTracer(ctx context.Context) *sdktrace.TracerProvider {{
\ttp := sdktrace.NewTracerProvider(
\t\tsdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.{n}))),
\t)
\totel.SetTracerProvider(tp)
\totel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{{}}, propagation.Baggage{{}}))
\treturn tp
}}
""",
    "py": """import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

RATIO = float(os.getenv("SAMPLE_RATIO", "0.{n}"))


def init_tracing():
    resource = Resource.create({{"service.name": "svc{s}"}})
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(RATIO)))
    trace.set_tracer_provider(provider)
    return provider
""",
    "java": """package svc{s};

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;

public final class Telemetry {{
  private Telemetry() {{}}

  public static OpenTelemetrySdk init() {{
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(0.{n})))
            .build();
    return OpenTelemetrySdk.builder().setTracerProvider(provider).build();
  }}
}}
""",
    "js": """const {{ NodeSDK }} = require('@opentelemetry/sdk-node');
const {{ ParentBasedSampler, TraceIdRatioBasedSampler }} = require('@opentelemetry/sdk-trace-base');

const sdk = new NodeSDK({{
  serviceName: 'svc{s}',
  sampler: new ParentBasedSampler({{ root: new TraceIdRatioBasedSampler(0.{n}) }}),
}});
sdk.start();
""",
    "ts": """import {{ NodeSDK }} from '@opentelemetry/sdk-node';
import {{ ParentBasedSampler, TraceIdRatioBasedSampler }} from '@opentelemetry/sdk-trace-base';

export const sdk = new NodeSDK({{
  serviceName: 'svc{s}',
  sampler: new ParentBasedSampler({{ root: new TraceIdRatioBasedSampler(0.{n}) }}),
}});
sdk.start();
""",
    "cs": """using OpenTelemetry;
using OpenTelemetry.Trace;

public static class Telemetry
{{
    public static TracerProvider Init() =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource("svc{s}")
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(0.{n})))
            .Build();
}}
""",
}

# One ordinary function per language; repeated with different names to make a file.
FUNCTION = {
    "go": """
// handle{i} validates an order line and returns its total in cents.
func handle{i}(items []Item, discount float64) (int64, error) {{
\tvar total int64
\tfor idx, item := range items {{
\t\tif item.Quantity <= 0 {{
\t\t\treturn 0, fmt.Errorf("line %d: quantity %d", idx, item.Quantity)
\t\t}}
\t\ttotal += int64(float64(item.PriceCents*int64(item.Quantity)) * (1 - discount))
\t}}
\treturn total, nil
}}
""",
    "py": """

def handle_{i}(items, discount=0.0):
    \"\"\"Validates an order line and returns its total in cents.\"\"\"
    total = 0
    for idx, item in enumerate(items):
        if item["quantity"] <= 0:
            raise ValueError(f"line {{idx}}: quantity {{item['quantity']}}")
        total += int(item["price_cents"] * item["quantity"] * (1 - discount))
    return total
""",
    "java": """
  /** Validates an order line and returns its total in cents. */
  static long handle{i}(java.util.List<Item> items, double discount) {{
    long total = 0;
    for (int idx = 0; idx < items.size(); idx++) {{
      Item item = items.get(idx);
      if (item.quantity() <= 0) {{
        throw new IllegalArgumentException("line " + idx + ": quantity " + item.quantity());
      }}
      total += (long) (item.priceCents() * item.quantity() * (1 - discount));
    }}
    return total;
  }}
""",
    "js": """
// Validates an order line and returns its total in cents.
function handle{i}(items, discount = 0) {{
  let total = 0;
  items.forEach((item, idx) => {{
    if (item.quantity <= 0) {{
      throw new Error(`line ${{idx}}: quantity ${{item.quantity}}`);
    }}
    total += Math.round(item.priceCents * item.quantity * (1 - discount));
  }});
  return total;
}}
""",
    "ts": """
// Validates an order line and returns its total in cents.
export function handle{i}(items: Item[], discount: number = 0): number {{
  let total = 0;
  items.forEach((item: Item, idx: number) => {{
    if (item.quantity <= 0) {{
      throw new Error(`line ${{idx}}: quantity ${{item.quantity}}`);
    }}
    total += Math.round(item.priceCents * item.quantity * (1 - discount));
  }});
  return total;
}}
""",
    "cs": """
    /// <summary>Validates an order line and returns its total in cents.</summary>
    public static long Handle{i}(IReadOnlyList<Item> items, double discount)
    {{
        long total = 0;
        for (var idx = 0; idx < items.Count; idx++)
        {{
            var item = items[idx];
            if (item.Quantity <= 0)
                throw new ArgumentException($"line {{idx}}: quantity {{item.Quantity}}");
            total += (long)(item.PriceCents * item.Quantity * (1 - discount));
        }}
        return total;
    }}
""",
}

HEAD = {
    "go": "package main\n\nimport \"fmt\"\n\ntype Item struct {{\n\tPriceCents int64\n\tQuantity   int\n}}\n",
    "py": "\"\"\"Order handling for svc{s}.\"\"\"\n",
    "java": "package svc{s};\n\nfinal class Orders{f} {{\n  record Item(long priceCents, int quantity) {{}}\n",
    "js": "'use strict';\n\n",
    "ts": "export interface Item {{\n  priceCents: number;\n  quantity: number;\n}}\n",
    "cs": "using System;\nusing System.Collections.Generic;\n\npublic static class Orders{f}\n{{\n",
}
TAIL = {"go": "", "py": "", "java": "}\n", "js": "\nmodule.exports = {};\n", "ts": "", "cs": "}\n"}
FUNCTIONS_PER_FILE = 14  # about 5 KB a file


COMMENT = {"py": "# Order service.\n"}


def generate(root, files, dense=False):
    services = files // 20
    compose = ["services:"]
    for s in range(services):
        lang = LANGUAGES[s % len(LANGUAGES)]
        n = s % 9 + 1
        src = os.path.join(root, "src", f"svc{s}")
        os.makedirs(src, exist_ok=True)
        compose.append(
            f"  svc{s}:\n    build:\n      context: .\n      dockerfile: src/svc{s}/Dockerfile\n"
            f"    environment:\n      - OTEL_SERVICE_NAME=svc{s}\n"
            f"      - OTEL_TRACES_SAMPLER=parentbased_traceidratio\n"
            f"      - OTEL_TRACES_SAMPLER_ARG=${{RATIO_{s}:-0.{n}}}"
        )
        with open(os.path.join(src, "Dockerfile"), "w") as f:
            f.write(f"FROM scratch\nENV OTEL_SERVICE_NAME=svc{s}\nCOPY . /app\n")
        with open(os.path.join(src, "README.md"), "w") as f:
            f.write(f"# svc{s}\n\nOrder handling.\n")
        for env, value in (("prod", "0.1"), ("staging", "1.0")):
            overlay = os.path.join(root, "deploy", "overlays", env)
            os.makedirs(overlay, exist_ok=True)
            with open(os.path.join(overlay, f"svc{s}.yaml"), "w") as f:
                f.write(
                    f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{s}\nspec:\n"
                    f"  template:\n    spec:\n      containers:\n        - name: app\n"
                    f"          env:\n            - name: OTEL_TRACES_SAMPLER_ARG\n"
                    f"              value: \"{value}\"\n"
                )
        with open(os.path.join(src, f"telemetry.{lang}"), "w") as f:
            f.write(SETUP[lang].format(s=s, n=n))
        for k in range(15):
            body = COMMENT.get(lang, "// Order service.\n") if dense else ""
            body += HEAD[lang].format(s=s, f=k)
            body += "".join(
                FUNCTION[lang].format(i=k * 100 + i) for i in range(FUNCTIONS_PER_FILE)
            )
            body += TAIL[lang]
            with open(os.path.join(src, f"orders{k}.{lang}"), "w") as f:
                f.write(body)
    with open(os.path.join(root, "compose.yaml"), "w") as f:
        f.write("\n".join(compose) + "\n")
    with open(os.path.join(root, ".env"), "w") as f:
        f.write("RATIO_0=0.5\n")


def count(root):
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def run(cpl, root):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(
        [cpl, "scan", "--format", "json", root],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"cpl scan exited {done.returncode}")
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cpl")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep")
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="cpl-scan-tree-")
    try:
        generate(root, args.files, args.dense)
        files, size = count(root)
        results = sorted(run(args.cpl, root) for _ in range(args.runs))
        wall, user, system, out = results[len(results) // 2]
        import json

        summary = json.loads(out)["summary"]
        print(
            f"cpl scan: {files} files ({size / 1e6:.1f} MB), {summary['files_read']} read, "
            f"{summary['services']} services, {summary['settings']} settings; "
            f"median of {args.runs}: wall {wall:.2f} s, user {user:.2f} s, sys {system:.2f} s "
            f"(walls: {', '.join(f'{r[0]:.2f}' for r in results)}); "
            f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
