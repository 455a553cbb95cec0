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
      returned: always
    previous_revision:
      description: The deployed revision before this run (0 when there was none).
      type: int
      returned: always
    revision:
      description: The revision after this run (the previous one when unchanged; 0 in check mode for a new release).
      type: int
      returned: always
    error:
      description: Helm's error for this release, empty when it succeeded.
      type: str
      returned: always
    diff:
      description: Values before and after, in diff mode.
      type: dict
      returned: when diff mode is on
failed_releases:
  description: Names of the releases that failed.
  returned: always
  type: list
  elements: str
"""

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule  # noqa: E402
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (  # noqa: E402
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)


def release_needs_apply(deployed, chart_name, chart_version, values):
    """deployed: None or {'status', 'chart', 'values'} of the current release. Same rule as kubernetes.core.helm."""
    if not deployed or deployed.get("status") != "deployed":
        return True
    if deployed.get("chart") != "{0}-{1}".format(chart_name, chart_version):
        return True
    return (deployed.get("values") or {}) != (values or {})


class Releases(object):
    def __init__(self, module):
        self.module = module
        self.helm = module.get_helm_binary()
        self.tmpdir = tempfile.mkdtemp(prefix="llmops-helm-")
        os.chmod(self.tmpdir, 0o700)
        self.charts = {}

    def run(self, args):
        return self.module.run_command([self.helm] + args, environ_update=self.module.env_update)

    def chart_meta(self, ref, version):
        key = (ref, version or "")
        if key not in self.charts:
            args = ["show", "chart", ref]
            if version:
                args += ["--version", version]
            if self.module.params["plain_http"] and ref.startswith("oci://"):
                args.append("--plain-http")
            rc, out, err = self.run(args)
            if rc != 0:
                self.charts[key] = (None, None, err.strip() or out.strip())
            else:
                docs = [doc for doc in self.module.parse_yaml_content(out) if isinstance(doc, dict)]
                meta = docs[0] if docs else {}
                self.charts[key] = (meta.get("name"), str(meta.get("version")), "")
        return self.charts[key]

    def deployed(self, name, namespace):
        rc, out, _err = self.run(["list", "--namespace", namespace, "--all", "--filter", "^{0}$".format(name),
                                  "--output", "json"])
        if rc != 0:
            return None
        found = [r for r in json.loads(out or "[]") if r.get("name") == name]
        if not found:
            return None
        rel = found[0]
        rc, out, _err = self.run(["get", "values", name, "--namespace", namespace, "--output", "json"])
        values = json.loads(out or "{}") if rc == 0 else None
        return {"status": rel.get("status"), "chart": rel.get("chart"), "revision": int(rel.get("revision") or 0),
                "values": values or {}}

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
        current = self.deployed(name, namespace)
        result["first_install"] = current is None
        result["previous_revision"] = result["revision"] = current["revision"] if current else 0
        if not release_needs_apply(current, chart_name, chart_version, values):
            return result
        result["changed"] = True
        if self.module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": (current or {}).get("values", {}), "after": values}
        if self.module.check_mode:
            return result
        values_file = os.path.join(self.tmpdir, "values-{0}.json".format(index))
        fd = os.open(values_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
        args = ["upgrade", "--install", name, release["chart_ref"], "--namespace", namespace,
                "--values", values_file, "--timeout", params["timeout"], "--output", "json"]
        if release.get("chart_version"):
            args += ["--version", release["chart_version"]]
        if params["atomic"]:
            args.append("--atomic")
        if params["plain_http"] and release["chart_ref"].startswith("oci://"):
            args.append("--plain-http")
        rc, out, err = self.run(args)
        os.unlink(values_file)
        if rc != 0:
            result["error"] = (err or out).strip()[-2000:]
            return result
        try:
            result["revision"] = int(json.loads(out).get("version") or 0)
        except ValueError:
            after = self.deployed(name, namespace)
            result["revision"] = after["revision"] if after else 0
        return result


def main():
    argument_spec = dict(
        releases=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            chart_ref=dict(type="str", required=True),
            chart_version=dict(type="str"),
            namespace=dict(type="str"),
            values=dict(type="dict", default={}),
        )),
        release_namespace=dict(type="str", default="default"),
        concurrency=dict(type="int", default=4),
        atomic=dict(type="bool", default=False),
        plain_http=dict(type="bool", default=False),
        timeout=dict(type="str", default="5m0s"),
    )
    argument_spec.update(HELM_AUTH_ARG_SPEC)
    module = AnsibleHelmModule(argument_spec=argument_spec, mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
                               supports_check_mode=True)
    params = module.params
    if params["concurrency"] < 1:
        module.fail_json(msg="concurrency must be 1 or more, got {0}".format(params["concurrency"]))
    names = [(r.get("namespace") or params["release_namespace"], r["name"]) for r in params["releases"]]
    dupes = sorted(set("{0}/{1}".format(*n) for n in names if names.count(n) > 1))
    if dupes:
        module.fail_json(msg="releases: each release may appear once; repeated: {0}".format(", ".join(dupes)))
    runner = Releases(module)
    try:
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
    module.exit_json(changed=changed, results=results, failed_releases=[])


if __name__ == "__main__":
    main()
