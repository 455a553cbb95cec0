#!/usr/bin/env python
"""Push the collection's charts (kserve-model, kserve-runtimes) to an OCI registry.

    make publish-charts REGISTRY=oci://registry.example.com/llmops/charts [PLAIN_HTTP=true|false]
    hack/publish_charts.py --registry oci://127.0.0.1:35000/llmops/charts

Each chart is packaged (`helm package`) and pushed (`helm push`) as <registry>/<chart>:<version>, where the version
is the collection's (galaxy.yml): a chart whose Chart.yaml says otherwise is refused before anything is pushed.
The roles then take `oci://<registry>/<chart>` plus that version (model_deploy_chart_ref / _version,
serving_runtimes_chart_ref / _version). Plain HTTP (helm's --plain-http) is used for a registry on a loopback
address unless --plain-http=false; --plain-http=true forces it. Every command runs with an argument list. Prints one
line per pushed chart: `<oci ref> <version> <digest>`.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
# one helm lookup for hack/
from test_charts import helm_bin  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ("kserve-model", "kserve-runtimes")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="oci://host[:port]/path (the charts go to <path>/<chart>)")
    parser.add_argument("--plain-http", choices=("auto", "true", "false"), default="auto",
                        help="use HTTP, not HTTPS (auto: for a loopback registry only)")
    parser.add_argument("--charts", default=",".join(CHARTS), help=f"comma-separated, default {','.join(CHARTS)}")
    args = parser.parse_args()

    registry = args.registry.rstrip("/")
    parts = urlsplit(registry)
    if parts.scheme != "oci" or not parts.hostname:
        raise SystemExit(f"REGISTRY={args.registry!r}: give an OCI registry path, e.g. oci://registry.example.com/llmops/charts")
    plain_http = parts.hostname in LOOPBACK if args.plain_http == "auto" else args.plain_http == "true"

    version = str(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"])
    charts = [c.strip() for c in args.charts.split(",") if c.strip()]
    unknown = [c for c in charts if c not in CHARTS]
    if unknown:
        raise SystemExit(f"--charts: unknown chart(s) {', '.join(unknown)}; ours are {', '.join(CHARTS)}")
    wrong = {c: yaml.safe_load((ROOT / "charts" / c / "Chart.yaml").read_text())["version"] for c in charts}
    wrong = {c: v for c, v in wrong.items() if str(v) != version}
    if wrong:
        raise SystemExit("charts are versioned with the collection (galaxy.yml version " + version + "); Chart.yaml says "
                         + ", ".join(f"{c}: {v}" for c, v in wrong.items()) + ". Nothing was pushed.")

    helm = helm_bin()
    with tempfile.TemporaryDirectory(prefix="llmops-charts-") as tmp:
        packages = []
        for chart in charts:
            out = run([helm, "package", str(ROOT / "charts" / chart), "--destination", tmp])
            match = re.search(r"saved it to: (\S+\.tgz)", out)
            packages.append((chart, match.group(1) if match else str(Path(tmp) / f"{chart}-{version}.tgz")))
        for chart, package in packages:
            out = run([helm, "push", package, registry, *(["--plain-http"] if plain_http else [])])
            digest = re.search(r"Digest:\s*(\S+)", out)
            print(f"{registry}/{chart} {version} {digest.group(1) if digest else ''}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
