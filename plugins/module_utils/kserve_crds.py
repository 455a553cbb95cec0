# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KServe's CRDs (several MB of YAML): parse and label a rendered chart, and compare it with the cluster's CRDs.

Shared by the kserve role's filters (plugins/filter/kserve_crds.py) and the llmops.kserve.kserve_crds_info module,
which does the render, the parse, the cluster read and the comparison in one process so that the MBs of CRDs never
travel through Ansible's templating on a run where they are up to date. Pure functions on plain dicts, no I/O.

Each CRD we apply carries the SHA-256 of the chart's own content (before our label and annotation are added) in the
annotation ``llmops.kserve/manifest-sha256``. A live CRD is up to date when it is Established, carries our labels
and that digest, and its spec still covers the chart's (an edit by hand is repaired on the next run).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import json

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

DIGEST_ANNOTATION = "llmops.kserve/manifest-sha256"


class CrdError(Exception):
    """The rendered chart cannot be parsed."""


def _loader():
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def digest(doc):
    """SHA-256 of a manifest, keys sorted, compact JSON."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def prepare_crds(text, labels=None):
    """The CustomResourceDefinitions of a rendered chart (YAML stream), each with ``labels`` merged into its labels
    and the digest of the chart's own content in the annotation ``llmops.kserve/manifest-sha256``."""
    if not HAS_YAML:
        raise CrdError("PyYAML is needed")
    labels = dict(labels or {})
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=_loader()) if isinstance(doc, dict) and doc]
    except yaml.YAMLError as exc:
        raise CrdError("the rendered chart is not valid YAML: %s" % exc)
    out = []
    for doc in docs:
        if doc.get("kind") != "CustomResourceDefinition" or not str(doc.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
            continue
        sha = digest(doc)
        meta = doc.setdefault("metadata", {})
        meta["labels"] = dict(meta.get("labels") or {}, **labels)
        meta["annotations"] = dict(meta.get("annotations") or {}, **{DIGEST_ANNOTATION: sha})
        out.append(doc)
    return out


def covers(live, desired):
    """True when every field of ``desired`` has the same value in ``live`` (the API server adds defaults)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(key in live and covers(live[key], value) for key, value in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(live) == len(desired) and all(covers(a, b) for a, b in zip(live, desired))
    return live == desired


def established(obj):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Established":
            return condition.get("status") == "True"
    return False


def is_outdated(crd, current):
    """True when a server-side apply of ``crd`` (prepared) would change ``current`` (the live CRD, or None)."""
    if current is None or not established(current):
        return True
    meta = crd.get("metadata") or {}
    live_meta = current.get("metadata") or {}
    wanted_digest = (meta.get("annotations") or {}).get(DIGEST_ANNOTATION)
    if wanted_digest and (live_meta.get("annotations") or {}).get(DIGEST_ANNOTATION) != wanted_digest:
        return True
    wanted = {"spec": crd.get("spec", {}), "metadata": dict((key, meta[key]) for key in ("labels", "annotations") if key in meta)}
    return not covers(current, wanted)


def outdated_crds(desired, live):
    """The CRDs of ``desired`` a server-side apply would change: missing from ``live``, with another digest, spec,
    labels or annotations, or not Established."""
    live_by_name = {}
    for obj in live or []:
        name = (obj.get("metadata") or {}).get("name")
        if name:
            live_by_name[name] = obj
    return [crd for crd in desired or [] if is_outdated(crd, live_by_name.get((crd.get("metadata") or {}).get("name")))]


def is_ours(obj, labels):
    """True when the live object carries every one of ``labels``."""
    have = (obj.get("metadata") or {}).get("labels") or {}
    return all(have.get(key) == value for key, value in (labels or {}).items())


def metadata_only(obj):
    """The object with only its identity and metadata (no spec or status: a CRD's spec is MBs)."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta}
