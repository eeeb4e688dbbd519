#!/usr/bin/env python3
"""Regenerates semconv-attributes.tsv from the OpenTelemetry semantic conventions model.

Usage:
    python3 semconv-attributes.py PATH/TO/semantic-conventions [--schema VERSION] > semconv-attributes.tsv

PATH is a checkout of https://github.com/open-telemetry/semantic-conventions. The script
reads every `model/**/*.yaml` file, takes the attributes defined (with an `id`, not a
`ref`) in the registry attribute groups (`type: attribute_group`, `id: registry.*`),
and writes one row per attribute key, sorted by key:

    id  type  stability  deprecation

- type: the model's type (`string`, `int`, `double`, `boolean`, `any`, the array
  types `string[]`..., the templates `template[string]`...), or `enum` for an enum
  (`type: {members: [...]}`).
- stability: the model's `stability` (`stable`, `release_candidate`, `development`...).
- deprecation: empty, `renamed_to:KEY` (`deprecated: {reason: renamed}`), `obsoleted`
  (`reason: obsoleted`), or `deprecated` (any other reason, or the old string form).

The header line names the commit and its date (from `git log`) and the schema version
(the `schema_url` of model/manifest.yaml unless --schema is given). cpl-syntax embeds
the table (cpl-syntax/src/semconv.rs); spec/fields.md says how CPL uses it.

Needs PyYAML (`pip install pyyaml`).
"""

import argparse
import pathlib
import subprocess
import sys

import yaml


def attribute_type(value):
    if isinstance(value, dict):
        return "enum"
    if isinstance(value, str):
        return value
    raise ValueError(f"unexpected attribute type {value!r}")


def deprecation(value):
    if value is None:
        return ""
    if isinstance(value, dict):
        reason = value.get("reason")
        if reason == "renamed" and value.get("renamed_to"):
            return f"renamed_to:{value['renamed_to']}"
        if reason == "obsoleted":
            return "obsoleted"
    return "deprecated"


def registry_attributes(model):
    rows = {}
    for path in sorted(model.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue
        for group in document.get("groups") or []:
            if group.get("type") != "attribute_group":
                continue
            if not str(group.get("id", "")).startswith("registry."):
                continue
            for attribute in group.get("attributes") or []:
                key = attribute.get("id")
                if key is None:
                    continue  # a `ref` to an attribute defined elsewhere
                row = (
                    key,
                    attribute_type(attribute.get("type")),
                    str(attribute.get("stability", "")),
                    deprecation(attribute.get("deprecated")),
                )
                if key in rows and rows[key] != row:
                    raise ValueError(f"{path}: `{key}` is defined twice, differently")
                rows[key] = row
    return [rows[key] for key in sorted(rows)]


def git(root, *args):
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=pathlib.Path)
    parser.add_argument("--schema", help="schema version for the header line")
    args = parser.parse_args()

    model = args.checkout / "model"
    schema = args.schema
    if schema is None:
        manifest = yaml.safe_load((model / "manifest.yaml").read_text(encoding="utf-8"))
        schema = manifest["schema_url"].rstrip("/").rsplit("/", 1)[-1]
    commit = git(args.checkout, "log", "-1", "--abbrev=9", "--format=%h")
    date = git(args.checkout, "log", "-1", "--format=%cs")

    out = sys.stdout
    out.write(
        "# OpenTelemetry semantic conventions attribute registry "
        f"(schema {schema}), extracted from open-telemetry/semantic-conventions "
        f"model/ at commit {commit} ({date})\n"
    )
    out.write("id\ttype\tstability\tdeprecation\n")
    for row in registry_attributes(model):
        out.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
