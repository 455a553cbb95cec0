#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: helm_releases_info
short_description: Read many Helm releases of one namespace in one module call
version_added: "0.2.0"
description:
  - Reads the named releases of one namespace with one C(helm list --all) for all of them, then C(helm get values)
    for each release found (at most O(concurrency) Helm processes at a time). Built on kubernetes.core's Helm module
    utilities - the same connection options, environment variables and Helm binary lookup as
    M(kubernetes.core.helm_info).
  - Each result has the keys a loop of M(kubernetes.core.helm_info) with O(kubernetes.core.helm_info#module:release_state=[all])
    gives (C(item.name), and C(status) when the release exists), so filters written for such a loop read it
    unchanged. Manifests, notes and hooks are not read.
  - Reads only; supports check mode.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
options:
  names:
    description: Names of the releases to read.
    type: list
    elements: str
    required: true
  release_namespace:
    description: Namespace of the releases.
    type: str
    required: true
  concurrency:
    description: How many C(helm get values) may run at the same time.
    type: int
    default: 4
seealso:
  - module: kubernetes.core.helm_info
  - module: llmops.kserve.helm_releases
"""

EXAMPLES = r"""
- name: Read the release of every model
  llmops.kserve.helm_releases_info:
    release_namespace: llmops-models
    names: [llama-8b, qwen-7b]
  register: releases

- name: Names of the releases that exist
  ansible.builtin.debug:
    msg: "{{ releases.results | selectattr('status', 'defined') | map(attribute='item.name') | list }}"
"""

RETURN = r"""
results:
  description:
    - One entry per name, in the order given.
    - Shaped like the C(results) of a loop of M(kubernetes.core.helm_info) over the names.
  type: list
  elements: dict
  returned: always
  contains:
    item:
      description: The release asked for (C(name)), as in a loop result.
      type: dict
      returned: always
    status:
      description:
        - The release as C(helm list --output json) shows it (C(name), C(namespace), C(revision), C(status),
          C(chart), C(app_version), C(updated)) plus C(values) (C(helm get values), user-supplied values).
        - Absent when the release does not exist.
      type: dict
      returned: when the release exists
"""

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from ansible_collections.llmops.kserve.plugins.module_utils.helm_batch import Helm, helm_batch_module  # noqa: E402


def read_releases(module, names, namespace, concurrency):
    """{name: status dict} of the named releases that exist (any state, as helm list --all shows them)."""
    helm = Helm(module)
    ok, found, error = helm.list_named(namespace, names)
    if not ok:
        module.fail_json(msg="helm list failed in namespace {0}: {1}".format(namespace, error))

    def values(name):
        ok, vals, error = helm.values(name, namespace)
        if not ok:
            module.fail_json(msg="helm get values {0} failed in namespace {1}: {2}".format(name, namespace, error))
        return vals

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        read = list(pool.map(values, list(found)))
    for name, vals in zip(list(found), read):
        found[name]["values"] = vals
    return found


def main():
    module = helm_batch_module(
        names=dict(type="list", elements="str", required=True),
        release_namespace=dict(type="str", required=True),
    )
    params = module.params
    found = read_releases(module, params["names"], params["release_namespace"], params["concurrency"])
    results = []
    for name in params["names"]:
        entry = {"item": {"name": name}}
        if name in found:
            entry["status"] = found[name]
        results.append(entry)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
