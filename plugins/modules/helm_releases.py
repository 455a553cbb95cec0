#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: helm_releases
short_description: Install or upgrade many Helm releases at once, with bounded concurrency
version_added: "0.2.0"
description:
  - Applies N Helm releases (C(helm upgrade --install)) with at most O(concurrency) Helm processes at a time, and
    returns one result per release. Built on kubernetes.core's Helm module utilities - the same connection options,
    environment variables and Helm binary lookup as M(kubernetes.core.helm).
  - A release is left alone (not changed) when it is deployed with the same chart name, chart version and values
    (the rule M(kubernetes.core.helm) uses). Everything else is installed or upgraded.
  - Values never appear on a command line - each release's values are written to a file with mode 0600 in a
    private temporary directory (mode 0700) that is removed when the module ends.
  - One release failing does not stop the others; the module fails when any release failed, and the results say
    which ones were applied, so that a caller can roll them back.
  - Supports check mode (nothing is applied; C(changed) says what would be) and diff mode (values before and after).
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
options:
  releases:
    description:
      - The releases to install or upgrade.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Release name.
        type: str
        required: true
      chart_ref:
        description: Chart reference - a local chart directory, C(oci://) reference or C(repo/chart).
        type: str
        required: true
      chart_version:
        description: Chart version (needed for C(oci://) and repository charts).
        type: str
      namespace:
        description: Namespace of the release (default O(release_namespace)).
        type: str
      values:
        description: Values of the release.
        type: dict
        default: {}
  release_namespace:
    description: Namespace of the releases that do not name one.
    type: str
    default: default
  concurrency:
    description: How many Helm processes may run at the same time.
    type: int
    default: 4
  atomic:
    description: Pass C(--atomic) to Helm (it rolls a failed release back itself).
    type: bool
    default: false
  plain_http:
    description: Use plain HTTP for the chart registry (C(--plain-http)).
    type: bool
    default: false
  timeout:
    description: Helm's C(--timeout) for each release.
    type: str
    default: 5m0s
  render:
    description:
      - Render the releases with C(helm template) instead of applying them (client side - the cluster is neither read
        nor changed). Each result then has C(manifest) (the rendered YAML) or C(error) (Helm's message, for example a
        value the chart's schema refuses); a render error does not fail the module, RV(failed_releases) names them.
    type: bool
    default: false
notes:
  - Helm does not wait on InferenceServices; readiness is the caller's job (roles/model_deploy waits on all of them
    at once).
seealso:
  - module: kubernetes.core.helm
"""

EXAMPLES = r"""
- name: Apply one release per model, four at a time
  llmops.kserve.helm_releases:
    release_namespace: llmops-models
    concurrency: 4
    releases:
      - name: llama-8b
        chart_ref: /path/to/charts/kserve-model
        values: {model: {id: meta-llama/Llama-3.1-8B-Instruct}}
      - name: qwen-7b
        chart_ref: oci://registry.example.com/charts/kserve-model
        chart_version: 0.2.0
        values: {model: {id: Qwen/Qwen2.5-7B-Instruct}}
  register: applied

- name: Render them (helm template), four at a time; nothing is applied
  llmops.kserve.helm_releases:
    release_namespace: llmops-models
    render: true
    releases:
      - name: llama-8b
        chart_ref: /path/to/charts/kserve-model
        values: {model: {id: meta-llama/Llama-3.1-8B-Instruct}}
  register: rendered
"""

RETURN = r"""
results:
  description: One entry per release, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Release name.
      type: str
      returned: always
    namespace:
      description: Release namespace.
      type: str
      returned: always
    changed:
      description: Whether the release was (or, in check mode, would be) installed or upgraded.
      type: bool
      returned: always
    first_install:
      description: Whether the release did not exist before.
      type: bool
      returned: unless O(render=true)
    previous_revision:
      description: The deployed revision before this run (0 when there was none).
      type: int
      returned: unless O(render=true)
    revision:
      description: The revision after this run (the previous one when unchanged; 0 in check mode for a new release).
      type: int
      returned: unless O(render=true)
    error:
      description: Helm's error for this release, empty when it succeeded.
      type: str
      returned: always
    diff:
      description: Values before and after, in diff mode.
      type: dict
      returned: when diff mode is on
    manifest:
      description: The rendered manifests (C(helm template) output), empty when the render failed.
      type: str
      returned: when O(render=true)
failed_releases:
  description: Names of the releases that failed (to apply, or to render with O(render=true)).
  returned: always
  type: list
  elements: str
"""

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from ansible_collections.llmops.kserve.plugins.module_utils.helm_batch import Helm, helm_batch_module  # noqa: E402


def release_needs_apply(deployed, chart_name, chart_version, values):
    """deployed: None or {'status', 'chart', 'values'} of the current release. Same rule as kubernetes.core.helm."""
    if not deployed or deployed.get("status") != "deployed":
        return True
    if deployed.get("chart") != "{0}-{1}".format(chart_name, chart_version):
        return True
    return (deployed.get("values") or {}) != (values or {})


class Releases(Helm):
    def __init__(self, module):
        super(Releases, self).__init__(module)
        self.tmpdir = tempfile.mkdtemp(prefix="llmops-helm-")
        os.chmod(self.tmpdir, 0o700)
        self.charts = {}
        self.lock = threading.Lock()
        self.listed = {}

    def list_releases(self, releases):
        """One helm list per namespace for all the releases (instead of one per release): namespace -> name -> row."""
        by_namespace = {}
        for release in releases:
            namespace = release.get("namespace") or self.module.params["release_namespace"]
            by_namespace.setdefault(namespace, []).append(release["name"])
        for namespace, names in by_namespace.items():
            ok, found, _error = self.list_named(namespace, names)
            if ok:
                self.listed[namespace] = found

    def chart_meta(self, ref, version):
        key = (ref, version or "")
        with self.lock:
            if key not in self.charts:
                self.charts[key] = self.read_chart_meta(ref, version)
        return self.charts[key]

    def read_chart_meta(self, ref, version):
        args = ["show", "chart", ref]
        if version:
            args += ["--version", version]
        if self.module.params["plain_http"] and ref.startswith("oci://"):
            args.append("--plain-http")
        rc, out, err = self.run(args)
        if rc != 0:
            return (None, None, err.strip() or out.strip())
        docs = [doc for doc in self.module.parse_yaml_content(out) if isinstance(doc, dict)]
        meta = docs[0] if docs else {}
        return (meta.get("name"), str(meta.get("version")), "")

    def deployed(self, name, namespace, listed=False):
        """The release now (None when there is none). listed: take its row from list_releases' single helm list."""
        if listed and namespace in self.listed:
            rel = self.listed[namespace].get(name)
        else:
            ok, found, _error = self.list_named(namespace, [name])
            rel = found.get(name) if ok else None
        if rel is None:
            return None
        _ok, values, _error = self.values(name, namespace)
        return {"status": rel.get("status"), "chart": rel.get("chart"), "revision": int(rel.get("revision") or 0),
                "values": values or {}}

    def run_chart(self, index, release, values, args):
        """Helm ``args`` with ``values`` (written to a private file), the release's chart version and plain HTTP for an
        OCI chart: ``(rc, output, error)`` (error: the end of Helm's message when rc is not 0)."""
        values_file = os.path.join(self.tmpdir, "values-{0}.json".format(index))
        fd = os.open(values_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
        args = args + ["--values", values_file]
        if release.get("chart_version"):
            args += ["--version", release["chart_version"]]
        if self.module.params["plain_http"] and release["chart_ref"].startswith("oci://"):
            args.append("--plain-http")
        try:
            rc, out, err = self.run(args)
        finally:
            os.unlink(values_file)
        return (rc, out, "") if rc == 0 else (rc, "", (err or out).strip()[-2000:])

    def render(self, index, release):
        """helm template of one release (client side: nothing is read from or sent to the cluster)."""
        namespace = release.get("namespace") or self.module.params["release_namespace"]
        args = ["template", release["name"], release["chart_ref"], "--namespace", namespace]
        _rc, manifest, error = self.run_chart(index, release, release.get("values") or {}, args)
        return {"name": release["name"], "namespace": namespace, "changed": False, "manifest": manifest, "error": error}

    def apply(self, index, release):
        params = self.module.params
        name = release["name"]
        namespace = release.get("namespace") or params["release_namespace"]
        values = release.get("values") or {}
        result = {"name": name, "namespace": namespace, "changed": False, "first_install": False,
                  "previous_revision": 0, "revision": 0, "error": ""}
        chart_name, chart_version, error = self.chart_meta(release["chart_ref"], release.get("chart_version"))
        if error:
            result["error"] = "chart {0}: {1}".format(release["chart_ref"], error)
            return result
        current = self.deployed(name, namespace, listed=True)
        result["first_install"] = current is None
        result["previous_revision"] = result["revision"] = current["revision"] if current else 0
        if not release_needs_apply(current, chart_name, chart_version, values):
            return result
        result["changed"] = True
        if self.module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": (current or {}).get("values", {}), "after": values}
        if self.module.check_mode:
            return result
        rc, out, result["error"] = self.run_chart(index, release, values, [
            "upgrade", "--install", name, release["chart_ref"], "--namespace", namespace, "--timeout", params["timeout"],
            "--output", "json"] + (["--atomic"] if params["atomic"] else []))
        if rc != 0:
            return result
        try:
            result["revision"] = int(json.loads(out).get("version") or 0)
        except ValueError:
            after = self.deployed(name, namespace)
            result["revision"] = after["revision"] if after else 0
        return result


def main():
    module = helm_batch_module(
        releases=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            chart_ref=dict(type="str", required=True),
            chart_version=dict(type="str"),
            namespace=dict(type="str"),
            values=dict(type="dict", default={}),
        )),
        release_namespace=dict(type="str", default="default"),
        atomic=dict(type="bool", default=False),
        plain_http=dict(type="bool", default=False),
        timeout=dict(type="str", default="5m0s"),
        render=dict(type="bool", default=False),
    )
    params = module.params
    names = [(r.get("namespace") or params["release_namespace"], r["name"]) for r in params["releases"]]
    dupes = sorted(set("{0}/{1}".format(*n) for n in names if names.count(n) > 1))
    if dupes:
        module.fail_json(msg="releases: each release may appear once; repeated: {0}".format(", ".join(dupes)))
    runner = Releases(module)
    if params["render"]:
        try:
            with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
                results = list(pool.map(runner.render, range(len(params["releases"])), params["releases"]))
        finally:
            shutil.rmtree(runner.tmpdir, ignore_errors=True)
        module.exit_json(changed=False, results=results, failed_releases=[r["name"] for r in results if r["error"]])
    try:
        runner.list_releases(params["releases"])
        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            results = list(pool.map(runner.apply, range(len(params["releases"])), params["releases"]))
    finally:
        shutil.rmtree(runner.tmpdir, ignore_errors=True)
    failed = [r["name"] for r in results if r["error"]]
    changed = any(r["changed"] for r in results)
    if failed:
        module.fail_json(msg="Helm failed for {0} of {1} release(s): {2}".format(
            len(failed), len(results), "; ".join("{0}: {1}".format(r["name"], r["error"]) for r in results if r["error"])),
            results=results, failed_releases=failed, changed=changed)
    extra = {}
    if module._diff:  # pylint: disable=protected-access
        extra["diff"] = [dict(r["diff"], before_header=r["name"], after_header=r["name"]) for r in results if r.get("diff")]
    module.exit_json(changed=changed, results=results, failed_releases=[], **extra)


if __name__ == "__main__":
    main()
