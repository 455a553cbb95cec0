#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the copies of the platform catalog (plugins/module_utils/catalog.py) into the files that cannot import it.

    hack/gen_contracts.py            # rewrite every copy from the catalog
    hack/gen_contracts.py --check    # exit 1 and name each file whose copy differs (make lint runs this)
    hack/gen_contracts.py --root DIR # another checkout (tests/unit/test_catalog.py adds a platform in a copy)

What is written where:
- YAML and Python lines ending in ``# catalog: <key>`` (playbook input contracts, role defaults and argument specs,
  module documentation): the value before the marker, in YAML flow style;
- Helm templates: ``{{- $x := <value> -}}{{/* catalog: <key> ... */}}``;
- blocks between ``# catalog: <key> begin`` and ``# catalog: <key> end`` (serving_runtimes' detection rules);
- JSON: charts/kserve-model/values.schema.json (platform enum, name length), charts/kserve-runtimes/values.schema.json
  (registry mirror and pinned-image patterns of module_utils/images.py), awx/surveys/*.json (model name length, platform choices).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MARKED_GLOBS = ("playbooks/specs/*.yml", "playbooks/*.yml", "roles/*/defaults/main.yml", "roles/*/meta/argument_specs.yml",
                "plugins/modules/*.py", "charts/*/templates/_helpers.tpl")
JSON_FILES = ("charts/kserve-model/values.schema.json", "charts/kserve-runtimes/values.schema.json")
SURVEYS = "awx/surveys/*.json"

LINE_YAML = re.compile(r"^(?P<pre>\s*(?:- )?[^#\n]*?:[ \t]+)(?P<val>[^#\n]*?)(?P<post>[ \t]+# catalog: (?P<key>\w+)\b[^\n]*)$", re.M)
LINE_TPL = re.compile(r"(?P<pre>:= )(?P<val>[^ \n]+)(?P<post> -}}{{/\* catalog: (?P<key>\w+)\b[^\n]*)")
BLOCK = re.compile(r"(?P<head>^(?P<indent>[ \t]*)# catalog: (?P<key>\w+) begin[^\n]*\n)(?P<body>.*?)(?P<tail>^[ \t]*# catalog: (?P=key) end)",
                   re.M | re.S)


def _load(root: Path, name: str):
    path = root / "plugins" / "module_utils" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_llmops_{name}_{abs(hash(str(root)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(root: Path = ROOT) -> dict:
    """Every key a marker may name."""
    cat = _load(root, "catalog").catalog()
    images = _load(root, "images")
    registry = images.REGISTRY.pattern
    out = dict(cat["limits"])
    out.update(platform_names=cat["platform_names"], profile_names=cat["profile_names"],
               public_profiles=cat["public_profiles"], registry_pattern=registry,
               pinned_image_pattern=images.PINNED_IMAGE.pattern,
               detection=dict((name, entry["detection"]) for name, entry in cat["platforms"].items()))
    return out


class _Dumper(yaml.SafeDumper):
    """Block YAML as yamllint wants it here: indented sequences, double quotes for strings that need quotes."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _str(dumper, value):
    plain = isinstance(yaml.safe_load(value), str) if value else False
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _str)


def _flow(value) -> str:
    if isinstance(value, (list, dict)):
        return yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10 ** 6).strip()
    return json.dumps(value)


def _json(text: str, edit) -> str:
    doc = json.loads(text)
    edit(doc)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _model_schema(v):
    def edit(doc):
        props = doc["properties"]
        props["platform"]["enum"] = list(v["platform_names"])
        full = props["fullnameOverride"]
        (full.get("else") or full)["maxLength"] = v["model_name_max"]
    return edit


def _runtimes_schema(v):
    def edit(doc):
        doc["properties"]["global"]["properties"]["imageRegistry"]["pattern"] = "^$|" + v["registry_pattern"]
        doc["definitions"]["entry"]["properties"]["image"]["pattern"] = v["pinned_image_pattern"]
    return edit


def _survey(v):
    def edit(doc):
        for question in doc.get("spec", []):
            var = question.get("variable")
            if var == "llmops_model_name":
                question["max"] = v["model_name_max"]
            elif var == "llmops_platform":
                question["choices"] = list(v["platform_names"])
            elif var == "serving_runtimes_platforms":
                question["question_description"] = re.sub(
                    r"comma-separated list of [^.]*\.", "comma-separated list of %s." % ", ".join(v["platform_names"]),
                    question["question_description"])
    return edit


def transform(rel: str, text: str, root: Path = ROOT, v: dict | None = None) -> str:
    """``text`` (the content of ``rel``) with every copy of the catalog rewritten."""
    v = v or values(root)
    if rel == "charts/kserve-model/values.schema.json":
        return _json(text, _model_schema(v))
    if rel == "charts/kserve-runtimes/values.schema.json":
        return _json(text, _runtimes_schema(v))
    if rel.startswith("awx/surveys/") and rel.endswith(".json"):
        return _json(text, _survey(v))

    def line(match):
        key = match.group("key")
        if key not in v:
            raise SystemExit(f"{rel}: marker names unknown catalog key {key!r}; known: {', '.join(sorted(v))}")
        return match.group("pre") + _flow(v[key]) + match.group("post")

    def block(match):
        key, indent = match.group("key"), match.group("indent")
        body = yaml.dump(v[key], Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=10 ** 6)
        body = "".join(indent + row + "\n" for row in body.splitlines())
        return match.group("head") + body + match.group("tail")

    text = BLOCK.sub(block, text)
    text = LINE_TPL.sub(line, text)
    return LINE_YAML.sub(line, text)


def targets(root: Path = ROOT) -> list[str]:
    found = set(JSON_FILES) | {str(p.relative_to(root)) for p in root.glob(SURVEYS)}
    for pattern in MARKED_GLOBS:
        for path in root.glob(pattern):
            if "catalog: " in path.read_text(encoding="utf-8"):
                found.add(str(path.relative_to(root)))
    return sorted(p for p in found if (root / p).is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="report copies that differ; change nothing")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    v = values(args.root)
    drift = []
    for rel in targets(args.root):
        path = args.root / rel
        old = path.read_text(encoding="utf-8")
        new = transform(rel, old, args.root, v)
        if new != old:
            drift.append(rel)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and drift:
        print("copies of the platform catalog (plugins/module_utils/catalog.py) differ from it; run hack/gen_contracts.py:\n  "
              + "\n  ".join(drift), file=sys.stderr)
        return 1
    print(("wrote " if drift else "up to date: ") + (", ".join(drift) if drift else "%d files" % len(targets(args.root))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
