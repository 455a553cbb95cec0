# Copyright: (c) 2026, llmops.kserve contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the kserve role: parse rendered Helm manifests quickly (CRDs of several MB)."""
from __future__ import annotations

DOCUMENTATION = r"""
name: kserve_manifests
short_description: Parse a multi-document YAML stream (rendered Helm templates) into a list of objects
description:
  - Returns the non-empty documents of a YAML stream, parsed with libyaml when PyYAML has it.
  - The kserve role renders KServe's CRD chart (about 2 MB of YAML); Ansible's own C(from_yaml_all) parses that in
    pure Python (several seconds), libyaml in a fraction of the time.
positional: _input
options:
  _input:
    description: The YAML text, for example the C(stdout) of M(kubernetes.core.helm_template).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Parse the rendered CRD chart
  ansible.builtin.set_fact:
    crds: "{{ rendered.stdout | kserve_manifests | selectattr('kind', 'equalto', 'CustomResourceDefinition') | list }}"
"""

RETURN = r"""
_value:
  description: The documents of the stream that are mappings, in order.
  type: list
  elements: dict
"""

import yaml

from ansible.errors import AnsibleFilterError

try:
    _LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _LOADER = yaml.SafeLoader


def kserve_manifests(text):
    """Parse a YAML stream and return its mapping documents."""
    if not isinstance(text, str):
        raise AnsibleFilterError(f"kserve_manifests expects a string, got {type(text).__name__}")
    try:
        return [doc for doc in yaml.load_all(text, Loader=_LOADER) if isinstance(doc, dict) and doc]
    except yaml.YAMLError as exc:
        raise AnsibleFilterError(f"kserve_manifests: the rendered manifests are not valid YAML: {exc}") from exc


class FilterModule:
    """The kserve role's filters."""

    def filters(self):
        return {"kserve_manifests": kserve_manifests}
