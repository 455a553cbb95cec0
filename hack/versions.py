#!/usr/bin/env python
"""`make versions`: every pin of the project beside the newest version its registry serves, and how far behind.

    hack/versions.py [--json] [--timeout SECONDS]

Reads, never writes: nothing in the checkout or the caches is changed. Not part of `make test`'s pass/fail
(registries answer slowly at times); the exit status is 0 even when a registry does not answer (that row says so).

Pins read:

* Python packages: ``requirements.txt``, ``requirements-dev.txt``, ``hack/serving-requirements.txt`` (``name==ver``
  pins; ranges such as ``>=6.0`` are shown with the newest served version, without a distance). Registry: PyPI's
  JSON API (``https://pypi.org/pypi/<name>/json``), or ``$PIP_INDEX_URL`` / pip's ``index-url`` when one is set
  (then the index's JSON simple API, PEP 691/700).
* Go tools: the direct requirements of every ``hack/tools/*/go.mod``; the Kubernetes versions and their etcd of
  ``hack/kubernetes-versions``. Registry: the Go module proxy of ``go env GOPROXY`` (``<proxy>/<module>/@v/list``).
* Charts and images pinned in the roles' defaults (KServe, cert-manager, Knative Serving, kube-rbac-proxy) and
  Helm: no chart or image registry is reachable from the build machines, so each is compared with the Go module
  of the same upstream release (Knative Serving 1.N is knative.dev/serving v0.(N+30)).

"Behind": ``up to date``, or the distance to the newest served version in the first number that differs
(``3 patches``: 1.2.3 -> 1.2.6; ``4 minors``: 1.17.4 -> 1.21.2; ``1 major``); pre-releases are ignored unless the
pin is one. A registry that lists nothing for a name (the Go proxy answers 403 for modules it does not serve) is
reported as such.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import configparser
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "hack/serving-requirements.txt")
VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?([-.+]?[A-Za-z].*)?$")


@dataclass
class Pin:
    kind: str        # python, go, kubernetes, chart, image
    name: str        # what the project calls it
    pinned: str      # the pinned version (or a range)
    source: str      # where it is pinned
    registry: str    # pypi or go
    package: str     # the registry's name for it
    translate: str = ""  # "knative": a Knative 1.N version is knative.dev/serving v0.(N+30)
    newest: str = ""
    behind: str = ""


def parse(version: str) -> tuple[int, int, int, bool] | None:
    """(major, minor, patch, prerelease) of a version such as v1.2.3, 1.2 or 2.0.0rc1; None when not one."""
    m = VERSION_RE.match(version.strip())
    if not m:
        return None
    suffix = m.group(4) or ""
    pre = bool(suffix) and not suffix.startswith("+") and not suffix.startswith(".post")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), pre


def distance(pinned: str, served: list[str]) -> tuple[str, str]:
    """(newest served version, how far behind the pin is)."""
    pin = parse(pinned)
    versions = [(parse(v), v) for v in served]
    versions = [(p, v) for p, v in versions if p and (not p[3] or (pin and pin[3]))]
    if not versions:
        return "", "no version listed"
    versions.sort(key=lambda pv: (pv[0][:3], not pv[0][3]))
    newest = versions[-1][1]
    if pin is None:
        return newest, "range pin" if any(c in pinned for c in "<>~=,") else "not a version"
    key, top = pin[:3], versions[-1][0][:3]
    if top == key:
        return newest, "up to date"
    if top < key:
        return newest, "up to date (the registry lists no newer version)"
    for level, i in (("major", 0), ("minor", 1), ("patch", 2)):
        if top[i] != key[i]:
            count = top[i] - key[i]
            plural = {"major": "majors", "minor": "minors", "patch": "patches"}[level] if count > 1 else level
            return newest, f"{count} {plural} behind"
    return newest, "up to date"


def python_pins() -> list[Pin]:
    pins = []
    for rel in REQUIREMENTS:
        path = ROOT / rel
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", line)
            if not m:
                continue
            name = re.sub(r"\[.*\]", "", m.group(1))
            spec = m.group(2).split(";", 1)[0].strip()
            pinned = spec[2:].strip() if spec.startswith("==") else spec or "(any)"
            pins.append(Pin("python", name, pinned, rel, "pypi", name))
    return pins


def go_mod_requires(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"^require \((.*?)^\)", text, flags=re.S | re.M):
        for line in block.splitlines():
            parts = line.split()
            if len(parts) >= 2 and "// indirect" not in line:
                out.append((parts[0], parts[1]))
    out += list(re.findall(r"^require ([^\s(]+) (\S+)", text, flags=re.M))
    return out


def go_pins() -> list[Pin]:
    pins = []
    for mod in sorted((ROOT / "hack" / "tools").glob("*/go.mod")):
        for module, version in go_mod_requires(mod):
            pins.append(Pin("go", mod.parent.name, version, str(mod.relative_to(ROOT)), "go", module))
    versions = ROOT / "hack" / "kubernetes-versions"
    for line in versions.read_text(encoding="utf-8").splitlines():
        cols = line.split()
        if len(cols) >= 4 and not line.lstrip().startswith("#"):
            pins.append(Pin("kubernetes", "Kubernetes (local cluster, CI)", cols[0], "hack/kubernetes-versions", "go",
                            "k8s.io/kubernetes"))
            pins.append(Pin("kubernetes", f"etcd for Kubernetes {cols[0]}", cols[2], "hack/kubernetes-versions", "go",
                            "go.etcd.io/etcd/server/v3"))
    return pins


def yaml_load(path: Path) -> dict:
    try:
        import yaml  # noqa: PLC0415 (PyYAML is in .venv; without it the chart rows are skipped)
    except ImportError:
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def chart_pins() -> list[Pin]:
    pins = []
    roles = ROOT / "roles"
    kserve = yaml_load(roles / "kserve" / "defaults" / "main.yml")
    if kserve:
        src = "roles/kserve/defaults/main.yml"
        pins.append(Pin("chart", "KServe (kserve-crd, kserve-resources charts; images)", kserve["kserve_version"], src,
                        "go", "github.com/kserve/kserve"))
        proxy = kserve["kserve_compat"][kserve["kserve_version"]].get("images", {}).get("rbac_proxy", "")
        if ":" in proxy:
            pins.append(Pin("image", "kube-rbac-proxy image", proxy.rsplit(":", 1)[1], src, "go",
                            "github.com/brancz/kube-rbac-proxy"))
    cm = yaml_load(roles / "cert_manager" / "defaults" / "main.yml")
    if cm:
        pins.append(Pin("chart", "cert-manager chart and images", cm["cert_manager_version"],
                        "roles/cert_manager/defaults/main.yml", "go", "github.com/cert-manager/cert-manager"))
    kn = yaml_load(roles / "knative_serving" / "defaults" / "main.yml")
    if kn:
        version = str(kn["knative_serving_version"])
        entry = kn["knative_serving_compat_matrix"][version]
        src = "roles/knative_serving/defaults/main.yml"
        pins.append(Pin("chart", "Knative Serving (images)", version, src, "go", "knative.dev/serving", "knative"))
        pins.append(Pin("chart", "knative-operator chart", entry["operator_chart_version"], src, "go",
                        "knative.dev/operator", "knative"))
    return pins


def pip_index() -> str:
    index = os.environ.get("PIP_INDEX_URL", "")
    if not index:
        for conf in (Path("/etc/pip.conf"), Path.home() / ".config" / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
            parser = configparser.ConfigParser()
            try:
                parser.read(conf)
            except configparser.Error:
                continue
            index = parser.get("global", "index-url", fallback="") or index
    return index.rstrip("/")


def go_proxy() -> str:
    proxy = os.environ.get("GOPROXY", "")
    if not proxy:
        try:
            proxy = subprocess.run(["go", "env", "GOPROXY"], capture_output=True, text=True, timeout=20,
                                   check=False).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            proxy = ""
    for entry in re.split(r"[,|]", proxy or "https://proxy.golang.org"):
        if entry not in ("direct", "off", ""):
            return entry.rstrip("/")
    return "https://proxy.golang.org"


def fetch(url: str, timeout: float, accept: str = "") -> bytes:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (configured registries only)
        return resp.read()


def served_pypi(name: str, index: str, timeout: float) -> list[str]:
    if index and "pypi.org" not in index:
        data = json.loads(fetch(f"{index}/{name}/", timeout, "application/vnd.pypi.simple.v1+json"))
        return list(data.get("versions", []))
    data = json.loads(fetch(f"https://pypi.org/pypi/{name}/json", timeout))
    return [v for v, files in data.get("releases", {}).items() if files and not all(f.get("yanked") for f in files)]


def escape_module(module: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)


def served_go(module: str, proxy: str, timeout: float) -> list[str]:
    return fetch(f"{proxy}/{escape_module(module)}/@v/list", timeout).decode().split()


def knative_from_module(version: str) -> str:
    p = parse(version)
    return f"1.{p[1] - 30}.{p[2]}" if p and p[0] == 0 and p[1] > 30 else version


def resolve(pin: Pin, index: str, proxy: str, timeout: float) -> Pin:
    try:
        if pin.registry == "pypi":
            served = served_pypi(pin.package, index, timeout)
        else:
            served = served_go(pin.package, proxy, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        code = getattr(exc, "code", "")
        pin.newest = "?"
        pin.behind = (f"not listed by the registry (HTTP {code})" if code in (403, 404, 410)
                      else f"registry did not answer ({code or type(exc).__name__})")
        return pin
    if pin.translate == "knative":
        served = [knative_from_module(v) for v in served]
    if pin.registry == "pypi" and (parse(pin.pinned) is None):
        pin.newest = distance("0", served)[0]
        pin.behind = "range pin"
        return pin
    pin.newest, pin.behind = distance(pin.pinned, served)
    return pin


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="one JSON list instead of the table")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per registry request (default 20)")
    args = parser.parse_args(argv)
    pins = python_pins() + go_pins() + chart_pins()
    index, proxy = pip_index(), go_proxy()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        pins = list(pool.map(lambda p: resolve(p, index, proxy, args.timeout), pins))
    if args.json:
        print(json.dumps([p.__dict__ for p in pins], indent=1))
        return 0
    print(f"registries: PyPI {'index ' + index if index else 'JSON API (pypi.org)'}; Go module proxy {proxy}")
    rows = [("kind", "pin", "pinned", "newest served", "behind", "pinned in")]
    rows += [(p.kind, p.name if p.kind == "python" else f"{p.name} ({p.package})", p.pinned, p.newest, p.behind,
              p.source) for p in pins]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(col.ljust(w) for col, w in zip(row, widths)) + "  " + row[-1])
    behind = [p for p in pins if p.behind.endswith("behind")]
    print(f"\n{len(pins)} pins, {len(behind)} behind the newest served version, "
          f"{sum(p.newest == '?' for p in pins)} not listed or not answered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
