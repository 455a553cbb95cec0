#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: helm_rollback
short_description: Roll a Helm release back to a recorded revision (its chart and values) with helm rollback
version_added: "0.1.0"
description:
  - Runs C(helm rollback RELEASE REVISION) with an argument list, the way M(kubernetes.core.helm) runs the Helm
    binary (C(kubernetes.core) helm module_utils, same connection options and environment). Helm restores that
    revision's chart, values and manifest; this is not a re-apply of old values on the current chart.
  - Reads C(helm history) first. Fails, changing nothing, when the release does not exist or when the revision is
    not in its history (Helm keeps a limited history, see C(--history-max)).
  - Nothing to do (V(changed=false)) when the release already runs that revision's content, that is when its
    newest revision is O(revision) itself and deployed, or a deployed revision that Helm recorded as
    C(Rollback to <revision>) (for example after an atomic upgrade that Helm rolled back itself). Otherwise a
    rollback runs, Helm records it as a new revision, and the result is V(changed=true).
  - In check mode, reports what would be rolled back and runs nothing that changes the release.
author:
  - llmops.kserve contributors (@llmops)
requirements:
  - helm (https://github.com/helm/helm/releases), version 3
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
options:
  release_name:
    description: Name of the release.
    type: str
    required: true
    aliases: [name]
  release_namespace:
    description: Namespace of the release.
    type: str
    required: true
    aliases: [namespace]
  revision:
    description:
      - The revision to restore, as recorded before a change (for example C(status.revision) of
        M(kubernetes.core.helm_info)). Must be at least 1 and be in the release's history.
    type: int
    required: true
  wait:
    description:
      - Pass C(--wait) to Helm - wait until the release's Pods, PVCs, Services and Deployments are ready, up to
        O(wait_timeout). Helm does not wait on custom resources such as InferenceServices.
    type: bool
    default: false
  wait_timeout:
    description: Helm C(--timeout) for the rollback and its hooks, a Go duration such as V(5m) or V(90s).
    type: str
    default: 5m
"""

EXAMPLES = r"""
- name: Record the revision before an upgrade
  kubernetes.core.helm_info:
    release_name: llama-8b
    release_namespace: llm
  register: before

- name: Roll back to it when the upgrade is not good
  llmops.kserve.helm_rollback:
    release_name: llama-8b
    release_namespace: llm
    revision: "{{ before.status.revision | int }}"
    wait: true
    wait_timeout: 10m
"""

RETURN = r"""
rolled_back:
  description: Whether a rollback ran (or, in check mode, would run).
  returned: always
  type: bool
  sample: true
reason:
  description: What was done and why, in plain words.
  returned: always
  type: str
  sample: "llama-8b: rolled back from revision 4 (failed) to revision 3 (kserve-model-0.1.0); now revision 5"
previous:
  description: The release's newest revision before this task, as C(helm history) reports it.
  returned: always
  type: dict
  contains:
    revision:
      description: Revision number.
      type: int
      sample: 4
    status:
      description: Helm status of that revision (deployed, failed, superseded, pending-upgrade, ...).
      type: str
      sample: failed
    chart:
      description: Chart name and version.
      type: str
      sample: kserve-model-0.2.0
    app_version:
      description: Application version of the chart.
      type: str
      sample: 0.20.0
    description:
      description: Helm's description of the revision.
      type: str
      sample: "Upgrade \"llama-8b\" failed: ..."
target:
  description: The revision restored (or already running), same keys as RV(previous).
  returned: always
  type: dict
  sample:
    revision: 3
    status: superseded
    chart: kserve-model-0.1.0
    app_version: 0.20.0
    description: Upgrade complete
status:
  description:
    - The release's newest revision after this task, same keys as RV(previous). After a rollback this is the new
      revision Helm recorded (C(description) V(Rollback to 3)). In check mode, the same as RV(previous).
  returned: always
  type: dict
  sample:
    revision: 5
    status: deployed
    chart: kserve-model-0.1.0
    app_version: 0.20.0
    description: Rollback to 3
command:
  description: The Helm command that ran (or would run in check mode); empty when nothing was to be done.
  returned: always
  type: list
  elements: str
  sample: [/usr/local/bin/helm, rollback, llama-8b, "3", --timeout, 5m]
"""

import copy
import json

from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)

HISTORY_KEYS = ("revision", "status", "chart", "app_version", "description")


def parse_history(text):
    """The entries of ``helm history -o json`` output, sorted by revision, each with HISTORY_KEYS only."""
    data = json.loads(text or "[]") or []
    if not isinstance(data, list):
        raise ValueError("helm history returned %s, not a list" % type(data).__name__)
    entries = []
    for item in data:
        entry = dict((key, item.get(key)) for key in HISTORY_KEYS)
        entry["revision"] = int(entry["revision"])
        entries.append(entry)
    return sorted(entries, key=lambda e: e["revision"])


def plan_rollback(name, history, revision):
    """Decide what to do. Returns ``(rollback, previous, target, reason)``; raises ValueError when impossible."""
    if revision < 1:
        raise ValueError("revision=%r is not a Helm revision (allowed: an integer >= 1)" % revision)
    if not history:
        raise ValueError("release %s has no history: nothing to roll back" % name)
    previous = history[-1]
    by_revision = dict((e["revision"], e) for e in history)
    target = by_revision.get(revision)
    if target is None:
        raise ValueError("revision %d of release %s is not in its history (revisions kept: %s)"
                         % (revision, name, ", ".join(str(e["revision"]) for e in history)))
    if previous["status"] == "deployed":
        if previous["revision"] == revision:
            return False, previous, target, "%s: revision %d is the deployed revision, nothing to roll back" % (name, revision)
        if (previous.get("description") or "").strip() == "Rollback to %d" % revision:
            return (False, previous, target,
                    "%s: revision %d (deployed) is already a rollback to revision %d, nothing to roll back"
                    % (name, previous["revision"], revision))
    return (True, previous, target, "%s: roll back from revision %d (%s) to revision %d (%s)"
            % (name, previous["revision"], previous["status"], revision, target.get("chart")))


def rollback_command(helm, name, revision, wait=False, wait_timeout=None):
    """The helm rollback argument list (the namespace and connection come through the environment)."""
    command = [helm, "rollback", name, str(revision)]
    if wait:
        command.append("--wait")
    if wait_timeout:
        command.extend(["--timeout", wait_timeout])
    return command


def argument_spec():
    spec = copy.deepcopy(HELM_AUTH_ARG_SPEC)
    spec.update(
        release_name=dict(type="str", required=True, aliases=["name"]),
        release_namespace=dict(type="str", required=True, aliases=["namespace"]),
        revision=dict(type="int", required=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="str", default="5m"),
    )
    return spec


def read_history(module, helm, name):
    command = [helm, "history", name, "--output", "json"]
    rc, out, err = module.run_helm_command(command, fails_on_error=False)
    if rc != 0:
        if "not found" in (err or ""):
            module.fail_json(msg="release %s not found in namespace %s: nothing to roll back"
                             % (name, module.params["release_namespace"]), stderr=err, command=command)
        module.fail_json(msg="helm history %s failed (exit %d): %s" % (name, rc, (err or out).strip()),
                         stderr=err, stdout=out, command=command)
    try:
        return parse_history(out)
    except (ValueError, TypeError, KeyError) as exc:
        module.fail_json(msg="cannot read helm history of %s: %s" % (name, exc), stdout=out, command=command)
    return []  # not reached


def main():
    module = AnsibleHelmModule(
        argument_spec=argument_spec(),
        mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    name = module.params["release_name"]
    revision = module.params["revision"]
    helm = module.get_helm_binary()

    history = read_history(module, helm, name)
    try:
        rollback, previous, target, reason = plan_rollback(name, history, revision)
    except ValueError as exc:
        module.fail_json(msg=str(exc), previous=history[-1] if history else {})

    result = dict(changed=rollback, rolled_back=rollback, reason=reason, previous=previous, target=target,
                  status=previous, command=[])
    if not rollback:
        module.exit_json(**result)
    command = rollback_command(helm, name, revision, module.params["wait"], module.params["wait_timeout"])
    result["command"] = command
    if module.check_mode:
        result["reason"] = reason + " (check mode: not run)"
        module.exit_json(**result)

    rc, out, err = module.run_helm_command(command, fails_on_error=False)
    if rc != 0:
        after = read_history(module, helm, name)
        module.fail_json(msg="helm rollback of %s to revision %d failed (exit %d): %s" % (name, revision, rc, (err or out).strip()),
                         stdout=out, stderr=err, command=command, previous=previous, target=target,
                         status=after[-1] if after else {})
    after = read_history(module, helm, name)
    result["status"] = after[-1] if after else {}
    result["reason"] = "%s: rolled back from revision %d (%s) to revision %d (%s); now revision %s" % (
        name, previous["revision"], previous["status"], revision, target.get("chart"), result["status"].get("revision"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
