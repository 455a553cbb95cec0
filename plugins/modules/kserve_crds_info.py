#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: kserve_crds_info
short_description: Render KServe's CRD chart and compare it with the cluster's CRDs, in one module call
version_added: "0.2.0"
description:
  - Reads only; supports check mode.
  - Renders the CRD chart with C(helm template) (an argument list, never a shell), parses it with libyaml, adds
    O(labels) and the SHA-256 of each CRD's chart content (annotation C(llmops.kserve/manifest-sha256)), then reads
    each rendered CRD from the cluster by name and compares.
  - A CRD is up to date when it exists, is Established, carries every one of O(labels) and the same digest, and its
    spec still covers the chart's. Only names and metadata are returned; the CRDs themselves (several MB for KServe)
    never leave the module. M(llmops.kserve.kserve_crds) applies the outdated ones (RV(outdated)).
  - CRDs of the rendered names that do not carry O(labels) (someone else's) are returned as metadata only
    (RV(foreign)); this module never changes them.
  - A chart that cannot be rendered (or no Helm binary) is not a module failure; RV(rc) and RV(stderr) say why (the
    caller reports it with its other preflight problems). A failed cluster read is a failure.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmops.kserve.kserve_crd_chart
options:
  read_cluster:
    description: Read the live CRDs. When false, every rendered CRD is named in RV(outdated) and RV(foreign) is empty.
    type: bool
    default: true
seealso:
  - module: llmops.kserve.kserve_crds
  - module: kubernetes.core.helm_template
"""

EXAMPLES = r"""
- name: Render KServe's CRDs and find those to apply
  llmops.kserve.kserve_crds_info:
    chart_ref: oci://ghcr.io/kserve/charts/kserve-crd
    chart_version: v0.20.0
    labels:
      app.kubernetes.io/managed-by: llmops-kserve
  register: crds

- name: Apply only those (the module renders and compares again, then applies server-side)
  llmops.kserve.kserve_crds:
    chart_ref: oci://ghcr.io/kserve/charts/kserve-crd
    chart_version: v0.20.0
    labels:
      app.kubernetes.io/managed-by: llmops-kserve
  when: crds.outdated | length > 0
"""

RETURN = r"""
rc:
  description: Exit status of C(helm template) (0 when it rendered).
  type: int
  returned: always
  sample: 0
stderr:
  description: What C(helm template) printed on error, or why the output could not be parsed.
  type: str
  returned: always
names:
  description: Names of the CRDs the chart renders, in chart order.
  type: list
  elements: str
  returned: always
  sample: [inferenceservices.serving.kserve.io]
outdated:
  description: Names of the rendered CRDs that are missing, differ (content digest, spec, labels) or are not Established.
  type: list
  elements: str
  returned: always
  sample: [inferenceservices.serving.kserve.io]
up_to_date:
  description: Names of the rendered CRDs that are up to date.
  type: list
  elements: str
  returned: always
foreign:
  description: Live CRDs of the rendered names without O(labels), metadata only (no spec, status or managedFields).
  type: list
  elements: dict
  returned: always
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.llmops.kserve.plugins.module_utils.kserve_crds_cluster import (
    CrdClusterError,
    chart_options,
    compare,
    rendered_crds,
)


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(chart_options())
    spec.update(read_cluster=dict(type="bool", default=True))
    return spec


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True, check_pyyaml=False)
    params = module.params
    # failed=False given explicitly: Ansible marks a result with a non-zero rc and no "failed" as failed, and a chart that
    # does not render is a preflight problem for the caller to report, not a task failure.
    result = dict(changed=False, failed=False, rc=0, stderr="", names=[], outdated=[], up_to_date=[], foreign=[])
    # AnsibleK8SModule wraps an AnsibleModule (_module): its binary lookup and run_command
    labels, crds, rc, error = rendered_crds(module._module, params)  # pylint: disable=protected-access
    if crds is None:
        result.update(rc=rc, stderr=error)
        module.exit_json(**result)
    result["names"] = [crd["metadata"].get("name") for crd in crds]
    if not params["read_cluster"]:
        result["outdated"] = list(result["names"])
        module.exit_json(**result)
    try:
        outdated, result["up_to_date"], result["foreign"] = compare(get_api_client(module), crds, labels)
    except (CoreException, CrdClusterError) as exc:
        result.pop("failed")
        module.fail_json(msg="could not read the cluster's CRDs: %s" % exc, **result)
    result["outdated"] = [crd["metadata"]["name"] for crd in outdated]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
