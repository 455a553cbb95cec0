# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that render KServe's CRD chart (llmops.kserve.kserve_crds and llmops.kserve.kserve_crds_info; their
argument specs come from module_utils/kserve_crds_cluster.chart_options)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Options of the KServe CRD chart render."""

    DOCUMENTATION = r"""
options:
  chart_ref:
    description: The CRD chart, C(oci://...) reference or local directory or package.
    type: str
    required: true
  chart_version:
    description: Version of the chart (C(helm template --version)); omitted for a local chart.
    type: str
  plain_http:
    description: Pull the chart over plain HTTP (C(--plain-http)).
    type: bool
    default: false
  release_name:
    description: Release name given to C(helm template).
    type: str
    default: kserve-crd
  release_namespace:
    description: Namespace given to C(helm template).
    type: str
    default: default
  binary_path:
    description: The Helm binary; C(helm) on the PATH when not set.
    type: path
  labels:
    description: Labels the CRDs get; also the labels that mark a live CRD as ours.
    type: dict
    default: {}
"""
