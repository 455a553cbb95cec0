# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the kserve role for KServe's CRDs (several MB of YAML): parse and label them, compare with the cluster.

Ansible's own from_yaml_all parses KServe's rendered CRD chart in pure Python (about ten seconds), and so does
kubernetes.core.k8s when given the YAML text; with libyaml this takes a fraction of that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.llmops.kserve.plugins.module_utils.kserve_crds import (
    HAS_YAML,
    CrdError,
    outdated_crds,
    prepare_crds,
)


def _plain(value):
    """Ansible's lazy/tagged containers as plain dicts and lists."""
    return json.loads(json.dumps(value, default=str))


def kserve_prepare_crds(text, labels=None):
    """The CustomResourceDefinitions of a rendered chart (YAML stream), each with ``labels`` merged into its labels
    and the digest of the chart's own content in the annotation ``llmops.kserve/manifest-sha256``."""
    if not HAS_YAML:
        raise AnsibleFilterError("kserve_prepare_crds needs PyYAML")
    if not isinstance(text, str):
        raise AnsibleFilterError("kserve_prepare_crds expects the rendered YAML text, got %s" % type(text).__name__)
    try:
        return prepare_crds(text, _plain(labels or {}))
    except CrdError as exc:
        raise AnsibleFilterError("kserve_prepare_crds: %s" % exc)


def kserve_outdated_crds(desired, live):
    """The CRDs of ``desired`` a server-side apply would change: missing from ``live``, with another digest, spec,
    labels or annotations, or not Established."""
    return outdated_crds(_plain(desired or []), _plain(live or []))


class FilterModule:
    """llmops.kserve CRD filters."""

    def filters(self):
        return {
            "kserve_prepare_crds": kserve_prepare_crds,
            "kserve_outdated_crds": kserve_outdated_crds,
        }
