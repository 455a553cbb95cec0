# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the kserve role for KServe's CRDs (several MB of YAML): parse and label them, compare with the cluster.

Ansible's own from_yaml_all parses KServe's rendered CRD chart in pure Python (about ten seconds), and so does
kubernetes.core.k8s when given the YAML text; with libyaml this takes a fraction of that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import json

from ansible.errors import AnsibleFilterError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

DIGEST_ANNOTATION = "llmops.kserve/manifest-sha256"


def _loader():
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


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
    labels = dict(labels or {})
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=_loader()) if isinstance(doc, dict) and doc]
    except yaml.YAMLError as exc:
        raise AnsibleFilterError("kserve_prepare_crds: the rendered chart is not valid YAML: %s" % exc)
    out = []
    for doc in docs:
        if doc.get("kind") != "CustomResourceDefinition" or not str(doc.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
            continue
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()
        meta = doc.setdefault("metadata", {})
        meta["labels"] = dict(meta.get("labels") or {}, **labels)
        meta["annotations"] = dict(meta.get("annotations") or {}, **{DIGEST_ANNOTATION: digest})
        out.append(doc)
    return out


def _covers(live, desired):
    """True when every field of ``desired`` has the same value in ``live`` (the API server adds defaults)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(key in live and _covers(live[key], value) for key, value in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(live) == len(desired) and all(_covers(a, b) for a, b in zip(live, desired))
    return live == desired


def _established(obj):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Established":
            return condition.get("status") == "True"
    return False


def kserve_outdated_crds(desired, live):
    """The CRDs of ``desired`` a server-side apply would change: missing from ``live``, with another spec, labels or
    annotations, or not Established."""
    live_by_name = {}
    for obj in _plain(live or []):
        name = (obj.get("metadata") or {}).get("name")
        if name:
            live_by_name[name] = obj
    outdated = []
    for crd in desired or []:
        meta = crd.get("metadata") or {}
        current = live_by_name.get(meta.get("name"))
        wanted = _plain({"spec": crd.get("spec", {}),
                         "metadata": {key: meta[key] for key in ("labels", "annotations") if key in meta}})
        if current is None or not _established(current) or not _covers(current, wanted):
            outdated.append(crd)
    return outdated


class FilterModule:
    """llmops.kserve CRD filters."""

    def filters(self):
        return {
            "kserve_prepare_crds": kserve_prepare_crds,
            "kserve_outdated_crds": kserve_outdated_crds,
        }
