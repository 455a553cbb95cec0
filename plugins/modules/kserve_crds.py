#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: kserve_crds
short_description: Apply KServe's CRDs server-side, only those that are missing or differ, and wait until Established
version_added: "0.2.0"
description:
  - Renders the CRD chart with C(helm template) (an argument list, never a shell), parses it, adds O(labels) and the
    SHA-256 of each CRD's chart content (annotation C(llmops.kserve/manifest-sha256)) and compares each rendered CRD
    with the live one, exactly as M(llmops.kserve.kserve_crds_info) does.
  - Applies only the outdated CRDs (missing, another digest, spec or labels, or not Established) with server-side apply
    under O(field_manager), taking over conflicting fields (an upgrade owns what earlier installs set), then waits
    until each applied CRD is Established.
  - The CRDs (several MB for KServe) never leave the module process; only their names come back.
  - It applies to the rendered names whoever created them; the caller decides first whether it may (the kserve role's
    preflight refuses someone else's CRDs unless O(labels) are to be taken over with C(kserve_adopt)).
  - In check mode nothing is applied; RV(applied) names what would be.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmops.kserve.kserve_crd_chart
options:
  field_manager:
    description: The field manager of the server-side apply.
    type: str
    default: llmops-kserve
  wait_timeout:
    description: Seconds to wait until every applied CRD is Established.
    type: int
    default: 300
seealso:
  - module: llmops.kserve.kserve_crds_info
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Apply KServe's CRDs that are missing or differ
  llmops.kserve.kserve_crds:
    chart_ref: oci://ghcr.io/kserve/charts/kserve-crd
    chart_version: v0.20.0
    labels:
      app.kubernetes.io/managed-by: llmops-kserve
    field_manager: llmops-kserve
    wait_timeout: 300
  register: crds
"""

RETURN = r"""
names:
  description: Names of the CRDs the chart renders, in chart order.
  type: list
  elements: str
  returned: always
  sample: [inferenceservices.serving.kserve.io]
applied:
  description: Names of the CRDs applied (in check mode, those that would be).
  type: list
  elements: str
  returned: always
  sample: [inferenceservices.serving.kserve.io]
up_to_date:
  description: Names of the rendered CRDs that were up to date and left alone.
  type: list
  elements: str
  returned: always
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.llmops.kserve.plugins.module_utils.kserve_crds_cluster import (
    CrdClusterError,
    apply_crd,
    chart_options,
    compare,
    rendered_crds,
    wait_established,
)


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(chart_options())
    spec.update(field_manager=dict(type="str", default="llmops-kserve"), wait_timeout=dict(type="int", default=300))
    return spec


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True, check_pyyaml=False)
    params = module.params
    result = dict(changed=False, names=[], applied=[], up_to_date=[])
    # AnsibleK8SModule wraps an AnsibleModule (_module): its binary lookup and run_command
    labels, crds, rc, error = rendered_crds(module._module, params)  # pylint: disable=protected-access
    if crds is None:
        module.fail_json(msg="KServe's CRD chart %s could not be rendered (rc %s): %s" % (params["chart_ref"], rc, error),
                         **result)
    result["names"] = [crd["metadata"].get("name") for crd in crds]
    try:
        client = get_api_client(module)
        outdated, result["up_to_date"], _foreign = compare(client, crds, labels)
        result["applied"] = [crd["metadata"]["name"] for crd in outdated]
        result["changed"] = bool(outdated)
        if outdated and not module.check_mode:
            for crd in outdated:
                apply_crd(client, crd, params["field_manager"])
            wait_established(client, result["applied"], params["wait_timeout"])
    except (CoreException, CrdClusterError) as exc:
        module.fail_json(msg="KServe's CRDs: %s" % exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
