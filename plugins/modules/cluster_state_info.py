#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: cluster_state_info
short_description: Several Kubernetes reads in one call, each by a key
version_added: "0.2.0"
description:
  - Read-only; supports check mode.
  - Reads every entry of O(reads) with one API client (one module run instead of one M(kubernetes.core.k8s_info) task
    per object), and returns the objects of each entry under its key. The preflight reads the cluster state it checks
    (CRDs, the KServe controller, registered runtimes, KServe's configuration) with one call of this module.
  - An entry whose kind the API server does not serve (its CRD is not installed) returns no objects and
    V(false) for its key in RV(served) instead of failing; an object that does not exist returns no objects. Any other API error
    (no access, an unreachable server) fails the module and names the entry, unless the entry sets
    O(reads[].ignore_errors), which returns its error under its key in RV(errors) instead.
  - An entry with O(reads[].wait_condition) is read again every second until each of its objects (and each name of
    O(reads[].name) / O(reads[].names)) exists with that condition, for up to O(wait_timeout) seconds altogether; then
    the module fails naming the objects that are missing or without the condition. Several waits of one install
    (CRDs Established, Deployments Available) so take one module run instead of one M(kubernetes.core.k8s_info) per
    object.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  reads:
    description:
      - What to read. Keys must be unique.
    type: list
    elements: dict
    required: true
    suboptions:
      key:
        description:
          - The name of this entry in RV(resources), RV(served) and RV(errors).
        type: str
        required: true
      api_version:
        description:
          - API version of the kind, for example V(v1), V(apps/v1), V(apiextensions.k8s.io/v1).
        type: str
        default: v1
      kind:
        description:
          - Kind to read, for example V(ConfigMap) or V(CustomResourceDefinition).
        type: str
        required: true
      name:
        description:
          - One object by name; all objects (of O(reads[].namespace)) when neither this nor O(reads[].names) is set.
        type: str
      names:
        description:
          - Several objects by name, each read by its name (those that exist are returned, in this order).
          - Mutually exclusive with O(reads[].name) and O(reads[].label_selectors).
        type: list
        elements: str
      namespace:
        description:
          - Namespace of a namespaced kind; all namespaces when unset.
        type: str
      label_selectors:
        description:
          - Label selectors, joined with commas, for example V(app=kserve).
        type: list
        elements: str
        default: []
      ignore_errors:
        description:
          - Return an API error of this entry (for example no access) in RV(errors) instead of failing.
        type: bool
        default: false
      hidden_fields:
        description:
          - Dotted paths of fields left out of each returned object, for example V(spec) or V(metadata.managedFields)
            (as in M(kubernetes.core.k8s_info), without list indexes). A CRD's schema is MBs that would otherwise go
            through Ansible.
        type: list
        elements: str
        default: []
      wait_condition:
        description:
          - Wait until every object of this entry has this status condition (see the module description).
        type: dict
        suboptions:
          type:
            description: The condition type, for example V(Established) or V(Available).
            type: str
            required: true
          status:
            description: The status the condition must have.
            type: str
            default: "True"
  wait_timeout:
    description:
      - Seconds to wait, altogether, for the entries with O(reads[].wait_condition).
    type: int
    default: 120
"""

EXAMPLES = r"""
- name: Read the InferenceService CRD, the KServe controller and the registered runtimes at once
  llmops.kserve.cluster_state_info:
    reads:
      - key: crd
        api_version: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        name: inferenceservices.serving.kserve.io
      - key: controller
        api_version: apps/v1
        kind: Deployment
        name: kserve-controller-manager
        namespace: kserve
      - key: runtimes
        api_version: serving.kserve.io/v1alpha1
        kind: ClusterServingRuntime
  register: state

- name: Fail without KServe
  ansible.builtin.fail:
    msg: KServe is not installed
  when: state.resources.crd | length == 0
"""

RETURN = r"""
resources:
  description: The objects of each entry, by key (an empty list when none exist or the kind is not served).
  returned: success
  type: dict
  sample: {"crd": [{"kind": "CustomResourceDefinition", "metadata": {"name": "inferenceservices.serving.kserve.io"}}],
           "runtimes": []}
served:
  description: Whether the API server serves each entry's kind (false when its CRD is not installed).
  returned: success
  type: dict
  sample: {"crd": true, "runtimes": true}
errors:
  description: The API error of each entry with O(reads[].ignore_errors) that failed, by key.
  returned: success
  type: dict
  sample: {"config": "403 Forbidden: configmaps \"inferenceservice-config\" is forbidden"}
"""

import copy
import time

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.llmops.kserve.plugins.module_utils.cluster import response_json

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError
except ImportError:  # reported by AnsibleK8SModule, which requires the kubernetes library
    pass


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        reads=dict(type="list", elements="dict", required=True, options=dict(
            key=dict(type="str", required=True, no_log=False),
            api_version=dict(type="str", default="v1"),
            kind=dict(type="str", required=True),
            name=dict(type="str"),
            namespace=dict(type="str"),
            label_selectors=dict(type="list", elements="str", default=[]),
            ignore_errors=dict(type="bool", default=False),
            hidden_fields=dict(type="list", elements="str", default=[]),
            names=dict(type="list", elements="str"),
            wait_condition=dict(type="dict", options=dict(
                type=dict(type="str", required=True),
                status=dict(type="str", default="True"),
            )),
        ), mutually_exclusive=[("name", "names"), ("names", "label_selectors")]),
        wait_timeout=dict(type="int", default=120),
    )
    return spec


def hide(obj, path):
    """Remove the field at dotted ``path`` from the dict ``obj`` (nothing when a part is missing)."""
    parts = path.split(".")
    for part in parts[:-1]:
        obj = obj.get(part) if isinstance(obj, dict) else None
    if isinstance(obj, dict):
        obj.pop(parts[-1], None)


def read(client, entry):
    """(served, objects) of one entry; raises DynamicApiError for API errors other than not found."""
    try:
        resource = client.resource(entry["kind"], entry["api_version"])
    except ResourceNotFoundError:
        return False, []
    objects = []
    for name in entry["names"] if entry["names"] is not None else [entry["name"]]:
        kwargs = {"name": name, "namespace": entry["namespace"]}
        if entry["label_selectors"]:
            kwargs["label_selector"] = ",".join(entry["label_selectors"])
        try:
            # raw JSON (json.loads), not the client's ResourceInstance: a CRD of MBs converts in a fraction of the time
            result = response_json(resource.get(serialize=False, **kwargs))
        except NotFoundError:
            continue
        objects.extend([result] if name else result.get("items") or [])
    for obj in objects:
        for path in entry["hidden_fields"]:
            hide(obj, path)
    return True, objects


def unmet(entry, objects):
    """What of an entry with wait_condition is not there yet: missing names, objects without the condition."""
    wanted = entry["wait_condition"]
    have = dict(((obj.get("metadata") or {}).get("name"), obj) for obj in objects)
    names = entry["names"] if entry["names"] is not None else ([entry["name"]] if entry["name"] else sorted(have))
    out = []
    for name in names:
        obj = have.get(name)
        if obj is None:
            out.append("%s (missing)" % name)
            continue
        conditions = (obj.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == wanted["type"] and str(c.get("status")) == wanted["status"] for c in conditions):
            out.append(name)
    return out


def wait(module, client, reads, resources, served, clock=time.monotonic, sleep=time.sleep):
    """Re-read the entries with wait_condition until none is unmet; fail naming what is not at the timeout."""
    deadline = clock() + module.params["wait_timeout"]
    waits = [entry for entry in reads if entry["wait_condition"]]
    while True:
        pending = [(entry, unmet(entry, resources[entry["key"]])) for entry in waits]
        pending = [(entry, what) for entry, what in pending if what]
        if not pending:
            return
        if clock() >= deadline:
            module.fail_json(msg="not ready after %ss: %s" % (module.params["wait_timeout"], "; ".join(
                "reads[%s] (%s %s): %s=%s not reported by %s" % (
                    entry["key"], entry["api_version"], entry["kind"], entry["wait_condition"]["type"],
                    entry["wait_condition"]["status"], ", ".join(what)) for entry, what in pending)),
                resources=resources, served=served, errors={})
        sleep(1)
        for entry, _what in pending:
            served[entry["key"]], resources[entry["key"]] = read(client, entry)


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True, check_pyyaml=False)
    reads = module.params["reads"]
    keys = [entry["key"] for entry in reads]
    duplicates = sorted(set(k for k in keys if keys.count(k) > 1))
    if duplicates:
        module.fail_json(msg="reads: key %s appears more than once; allowed: one entry per key"
                         % ", ".join(duplicates))
    try:
        client = get_api_client(module)
    except CoreException as exc:
        module.fail_json(msg="could not connect to the cluster: %s" % exc)
    resources, served, errors = {}, {}, {}
    for entry in reads:
        key = entry["key"]
        try:
            served[key], resources[key] = read(client, entry)
        except DynamicApiError as exc:
            reason = "%s %s: %s" % (exc.status, exc.reason, getattr(exc, "summary", lambda: "")() or exc.body)
            if not entry["ignore_errors"]:
                module.fail_json(msg="reads[%s] (%s %s%s): %s" % (
                    key, entry["api_version"], entry["kind"], " " + entry["name"] if entry["name"] else "", reason))
            served[key], resources[key], errors[key] = True, [], reason
    try:
        wait(module, client, reads, resources, served)
    except DynamicApiError as exc:
        module.fail_json(msg="while waiting: %s %s" % (exc.status, exc.reason))
    module.exit_json(changed=False, resources=resources, served=served, errors=errors)


if __name__ == "__main__":
    main()
