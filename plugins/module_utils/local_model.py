# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KServe's node-local model cache (LocalModelCache / LocalModelNodeGroup, serving.kserve.io/v1alpha1, KServe v0.20):
input checks and the node storage check of the preflight. Pure, no I/O: the callers pass the rendered and live objects.

KServe's rules this follows (v0.20.0 source): a LocalModelCache names its ``nodeGroups`` (cluster-scoped
LocalModelNodeGroups, the first being the one an InferenceService without the ``serving.kserve.io/nodegroup``
annotation uses); its localmodel controller creates, per node group, a PV/PVC from the group's
``persistentVolumeSpec`` / ``persistentVolumeClaimSpec`` and one download Job per node of the group; every cache of a
group lands on the same node volume, whose size the group declares as ``storageLimit``. KServe itself does not check
that the models fit: the download fails on the node when the disk is full, after the rollout started. The preflight
checks it first: the sum of ``modelSize`` of every cache on a group (ours and the ones already in the cluster) must
fit the group's ``storageLimit`` and the storage its PVC requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

from ansible.module_utils.six.moves.collections_abc import Mapping

API_VERSION = "serving.kserve.io/v1alpha1"
CRDS = ("localmodelcaches.serving.kserve.io", "localmodelnodegroups.serving.kserve.io",
        "localmodelnodes.serving.kserve.io")
# A Kubernetes resource quantity (k8s.io/apimachinery resource.Quantity), without the milli suffix for byte sizes.
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][0-9]+)?$")
_SUFFIX = {None: 1, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
           "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL_VALUE_MAX = 63


def parse_quantity(value):
    """Bytes of a Kubernetes quantity ("20Gi", "500M", "1e9", 1073741824), or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return None
    number, suffix = match.group(1), match.group(2)
    if suffix and suffix[0] in "eE":
        scale = 10 ** int(suffix[1:])
    else:
        scale = _SUFFIX[suffix]
    whole, _dot, frac = number.partition(".")
    # exact integer arithmetic (no float rounding of large sizes); a fraction of a byte rounds up like Kubernetes
    numerator = int(whole or "0") * 10 ** len(frac) + int(frac or "0")
    return -(-numerator * scale // 10 ** len(frac))


def format_bytes(count):
    """1073741824 -> '1Gi'; 1500000000 -> '1.40Gi' (for messages)."""
    for unit, size in (("Ti", 2 ** 40), ("Gi", 2 ** 30), ("Mi", 2 ** 20), ("Ki", 2 ** 10)):
        if count >= size:
            value = count / float(size)
            return ("%d%s" % (value, unit)) if count % size == 0 else ("%.2f%s" % (value, unit))
    return "%d" % count


def local_model_values_problems(name, values):
    """Problems of one model's merged kserve-model chart values for the local model cache (the chart's own checks,
    reported by the preflight before any render): modelCache and localModelCache together, a missing or bad modelSize,
    no node groups, a pvc:// source."""
    return _values_problems("model %s" % name, values)


def _values_problems(where, values):
    values = values if isinstance(values, Mapping) else {}
    lmc = values.get("localModelCache") or {}
    if not isinstance(lmc, Mapping) or not _true(lmc.get("enabled")):
        return []
    problems = []
    pvc_cache = values.get("modelCache") or {}
    if isinstance(pvc_cache, Mapping) and _true(pvc_cache.get("enabled")):
        problems.append("%s: localModelCache.enabled=true and modelCache.enabled=true cannot be combined: KServe's "
                        "LocalModelCache caches the weights on the nodes, modelCache downloads them into a PVC; enable "
                        "one of them" % where)
    size = lmc.get("modelSize")
    if parse_quantity(size) in (None, 0):
        problems.append("%s: localModelCache.modelSize=%r is not allowed: give the size of the weights as a Kubernetes "
                        "quantity, e.g. 20Gi" % (where, size))
    groups = lmc.get("nodeGroups")
    if not isinstance(groups, list) or not groups or not all(
            isinstance(g, str) and DNS_SUBDOMAIN.match(g) for g in groups):
        problems.append("%s: localModelCache.nodeGroups=%r is not allowed: a non-empty list of LocalModelNodeGroup "
                        "names (the first is the group the predictor uses)" % (where, groups))
    source = str(((values.get("model") or {}).get("storageUri")) or "")
    if source.startswith("pvc://"):
        problems.append("%s: localModelCache.enabled=true caches model.storageUri on the nodes, but model.storageUri=%r "
                        "already is a PVC: disable localModelCache or use an hf:// or s3:// source" % (where, source))
    return problems


def _true(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1")


def _group_capacity(group):
    """(storageLimit bytes or None, PVC request bytes or None) of a LocalModelNodeGroup object."""
    spec = group.get("spec") or {}
    limit = parse_quantity(spec.get("storageLimit"))
    pvc = ((((spec.get("persistentVolumeClaimSpec") or {}).get("resources") or {}).get("requests") or {})
           .get("storage"))
    return limit, parse_quantity(pvc)


def local_model_cache_problems(caches, node_groups, live_caches=None, crds=None, config=None):
    """Node storage problems of the LocalModelCaches our models render.

    caches: [{'model': <model name>, 'cache': <rendered LocalModelCache>}]; node_groups: the LocalModelNodeGroup objects
    in the cluster; live_caches: the LocalModelCache objects in the cluster (a live cache of the same name is the one
    ours replaces); crds: names of the localmodel CRDs found in the cluster (None: not checked); config: KServe's
    ``localModel`` entry of inferenceservice-config, parsed (None: not checked).
    """
    problems = []
    caches = [c for c in (caches or []) if isinstance(c, Mapping) and isinstance(c.get("cache"), Mapping)]
    if not caches:
        return problems
    names = ", ".join(sorted(set(str(c.get("model")) for c in caches)))
    if crds is not None:
        missing = [crd for crd in CRDS if crd not in crds]
        if missing:
            problems.append("models %s set localModelCache.enabled=true, but KServe's localmodel CRDs %s are not "
                            "installed: install KServe's kserve-localmodel-crd and kserve-localmodel-resources charts "
                            "(the localmodel controller and node agent) of the same KServe version"
                            % (names, ", ".join(missing)))
            return problems
    if config is not None and not _true((config or {}).get("enabled", False)):
        problems.append("models %s set localModelCache.enabled=true, but KServe's inferenceservice-config has "
                        "localModel.enabled=%s: KServe would ignore the caches; set kserve_local_model_enabled=true "
                        "(kserve role)" % (names, (config or {}).get("enabled", "unset")))
    groups = dict((g.get("metadata", {}).get("name"), g) for g in (node_groups or []) if isinstance(g, Mapping))
    ours = set(c["cache"].get("metadata", {}).get("name") for c in caches)
    used = {}
    for entry in caches:
        cache = entry["cache"]
        spec = cache.get("spec") or {}
        size = parse_quantity(spec.get("modelSize"))
        for group_name in spec.get("nodeGroups") or []:
            group = groups.get(group_name)
            if group is None:
                problems.append("model %s: localModelCache.nodeGroups names %r, but no LocalModelNodeGroup of that name "
                                "exists; existing: %s (kserve role: kserve_local_model_node_groups)"
                                % (entry.get("model"), group_name, ", ".join(sorted(groups)) or "none"))
                continue
            limit, pvc = _group_capacity(group)
            for field, capacity in (("spec.storageLimit", limit),
                                    ("spec.persistentVolumeClaimSpec.resources.requests.storage", pvc)):
                if size is not None and capacity is not None and size > capacity:
                    problems.append("model %s: localModelCache.modelSize=%s does not fit LocalModelNodeGroup %s: its "
                                    "%s is %s; allowed: a modelSize of at most %s, or a node group with more storage"
                                    % (entry.get("model"), spec.get("modelSize"), group_name, field,
                                       format_bytes(capacity), format_bytes(capacity)))
            used.setdefault(group_name, []).append((str(entry.get("model")), size or 0))
    for live in live_caches or []:
        if not isinstance(live, Mapping) or live.get("metadata", {}).get("name") in ours:
            continue
        spec = live.get("spec") or {}
        for group_name in spec.get("nodeGroups") or []:
            if group_name in used:
                used[group_name].append(("LocalModelCache " + str(live["metadata"]["name"]),
                                         parse_quantity(spec.get("modelSize")) or 0))
    for group_name, entries in sorted(used.items()):
        limit, pvc = _group_capacity(groups[group_name])
        total = sum(size for _who, size in entries)
        capacities = [c for c in (limit, pvc) if c is not None]
        if len(entries) > 1 and capacities and total > min(capacities):
            capacity = min(capacities)
            problems.append("LocalModelNodeGroup %s: the caches on it need %s together (%s), more than its storage "
                            "(spec.storageLimit %s, PVC request %s); allowed: at most %s in all"
                            % (group_name, format_bytes(total),
                               ", ".join("%s %s" % (who, format_bytes(size)) for who, size in entries),
                               format_bytes(limit) if limit is not None else "unset",
                               format_bytes(pvc) if pvc is not None else "unset", format_bytes(capacity)))
    return problems


def local_model_cache_docs(rendered):
    """[{'model', 'cache'}] of the LocalModelCache documents in rendered manifests ([{'name', 'docs'}])."""
    out = []
    for item in rendered or []:
        for doc in item.get("docs") or []:
            if isinstance(doc, Mapping) and doc.get("kind") == "LocalModelCache":
                out.append({"model": item.get("name"), "cache": doc})
    return out


def node_group_problems(groups):
    """Problems of the kserve role's kserve_local_model_node_groups (LocalModelNodeGroup definitions)."""
    problems = []
    if not isinstance(groups, list):
        return ["kserve_local_model_node_groups must be a list of LocalModelNodeGroup definitions, got %s"
                % type(groups).__name__]
    seen = set()
    for index, group in enumerate(groups):
        where = "kserve_local_model_node_groups[%d]" % index
        if not isinstance(group, Mapping):
            problems.append("%s must be a dict (name, storage_limit, persistent_volume_spec, "
                            "persistent_volume_claim_spec), got %r" % (where, group))
            continue
        name = group.get("name")
        if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name) or len(name) > LABEL_VALUE_MAX:
            problems.append("%s: name=%r is not allowed: a DNS name of at most %d lowercase letters, digits, '-' and '.'"
                            % (where, name, LABEL_VALUE_MAX))
        elif name in seen:
            problems.append("%s: name=%r is used twice" % (where, name))
        seen.add(name)
        unknown = sorted(set(group) - {"name", "storage_limit", "persistent_volume_spec",
                                       "persistent_volume_claim_spec"})
        if unknown:
            problems.append("%s: unknown key(s) %s; allowed: name, storage_limit, persistent_volume_spec, "
                            "persistent_volume_claim_spec" % (where, ", ".join(unknown)))
        if parse_quantity(group.get("storage_limit")) in (None, 0):
            problems.append("%s: storage_limit=%r is not allowed: the node storage for cached models as a Kubernetes "
                            "quantity, e.g. 500Gi" % (where, group.get("storage_limit")))
        for key in ("persistent_volume_spec", "persistent_volume_claim_spec"):
            if not isinstance(group.get(key), Mapping) or not group.get(key):
                problems.append("%s: %s is required: a Kubernetes %s (KServe creates one per model from it)"
                                % (where, key, "PersistentVolumeSpec" if key == "persistent_volume_spec"
                                   else "PersistentVolumeClaimSpec"))
    return problems


def node_group_objects(groups, labels=None):
    """LocalModelNodeGroup objects of valid kserve_local_model_node_groups entries."""
    return [{"apiVersion": API_VERSION, "kind": "LocalModelNodeGroup",
             "metadata": {"name": g["name"], "labels": dict(labels or {})},
             "spec": {"storageLimit": str(g["storage_limit"]),
                      "persistentVolumeSpec": dict(g["persistent_volume_spec"]),
                      "persistentVolumeClaimSpec": dict(g["persistent_volume_claim_spec"])}}
            for g in groups or []]


# The model list key local_model_cache (module_utils/models.py) -> chart values localModelCache.
INVENTORY_KEYS = {"model_size": "modelSize", "node_groups": "nodeGroups", "name": "name",
                  "service_account_name": "serviceAccountName"}


def inventory_problems(where, model):
    """Problems of a model list entry's local_model_cache key (the values themselves: local_model_values_problems)."""
    lmc = model.get("local_model_cache")
    if lmc is None:
        return []
    if not isinstance(lmc, Mapping):
        return ["%s: local_model_cache must be a dict (model_size, node_groups, name, service_account_name), got %r"
                % (where, lmc)]
    problems = []
    unknown = sorted(set(lmc) - set(INVENTORY_KEYS))
    if unknown:
        problems.append("%s: local_model_cache: unknown key(s) %s; allowed: %s"
                        % (where, ", ".join(unknown), ", ".join(sorted(INVENTORY_KEYS))))
    if parse_quantity(lmc.get("model_size")) in (None, 0):
        problems.append("%s: local_model_cache.model_size=%r is not allowed: the size of the weights as a Kubernetes "
                        "quantity, e.g. 20Gi" % (where, lmc.get("model_size")))
    groups = lmc.get("node_groups")
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and DNS_SUBDOMAIN.match(g)
                                                             for g in groups):
        problems.append("%s: local_model_cache.node_groups=%r is not allowed: a non-empty list of LocalModelNodeGroup "
                        "names (the predictor uses the first)" % (where, groups))
    if not problems:
        # the values the entry gives the chart: modelCache there and local_model_cache together are refused here,
        # before the chart's own fail() at render time
        extra = model.get("values") if isinstance(model.get("values"), Mapping) else {}
        merged = dict(extra)
        merged["localModelCache"] = dict(inventory_chart_values(model)["localModelCache"],
                                         **(extra.get("localModelCache") or {}))
        problems.extend(_values_problems(where, merged))
    return problems


def inventory_chart_values(model):
    """Chart values of a model list entry's local_model_cache key ({} without it)."""
    lmc = model.get("local_model_cache")
    if not isinstance(lmc, Mapping):
        return {}
    values = {"enabled": True}
    for key, value in lmc.items():
        if key in INVENTORY_KEYS:
            values[INVENTORY_KEYS[key]] = list(value) if isinstance(value, (list, tuple)) else value
    return {"localModelCache": values}
