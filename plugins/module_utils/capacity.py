# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accelerator capacity math on plain dicts (no I/O).

Nodes and pods are the dicts the Kubernetes API returns (``.items`` of a list). Everything here is
pure so unit tests and the benchmark call it directly.

Units: ``cpu`` is counted in millicores, every other resource in its base unit (bytes for memory and
hugepages, devices for extended resources), each quantity rounded up like Kubernetes'
``Quantity.MilliValue()`` / ``Quantity.Value()``. :func:`to_display` turns cpu back into cores.

A pod's request follows the scheduler (``k8s.io/component-helpers/resource.PodRequests``)::

    app      = sum(app containers) + sum(restartable init containers, i.e. sidecars)
    init_max = max over init containers, in order, of
                 sidecars started so far + this init container      (regular init container)
                 sidecars started so far, this one included         (sidecar)
    request  = max(app, init_max)  per resource
             (pod-level spec.resources.requests replace cpu / memory / hugepages when set)
             + spec.overhead

A container's request for a resource defaults to its limit when only the limit is set (the API
server's defaulting). Pods in phase Succeeded or Failed do not count; pods without ``nodeName`` are
counted as pending, not against a node.

Placement (:func:`place`): each request asks for ``count`` units of ``resource`` (plus optional other
resources) per replica, and every replica must fit on ONE node (tensor parallel N = N devices on one
node). All requests are placed together, greedily: replicas sorted largest first (by the biggest
share of a node they need), each put on the eligible node where it fits with the least of its main
resource left over (best fit; ties by node name). Greedy best-fit never reports a fit that does not
exist, but like any heuristic for bin packing it can miss a packing that would exist in rare mixes.

Re-runs and upgrades (:func:`rollout_plan`): a request may name its own InferenceService
(``inferenceservice`` + ``namespace``). Its running pods (label ``serving.kserve.io/inferenceservice=<name>``
in that namespace, bound to a node) are what the release already holds, and how they are accounted
depends on what the change does to them:

- ``install``: no pod of it runs (or the request names no InferenceService); every replica is placed.
- ``unchanged`` / ``scale``: the running pods' model container (``kserve-container``) asks for the same
  amounts as the request, so its pod template's resources do not change: the running pods keep their
  devices and only the added replicas (``scale`` up) are placed. Pods a scale-down removes are not
  counted as free for the other requests (conservative).
- ``recreate`` (the request changes; Deployment strategy ``Recreate``): the old pods are deleted before
  the new ones are created, so their devices count as free and every new replica is placed.
- ``surge`` (the request changes; Deployment strategy ``RollingUpdate``, KServe's default for Standard
  mode predictors with maxSurge 25% / maxUnavailable 25%): the old pods keep their devices until new
  ones are Ready. Two checks: the final state (old pods gone, every new replica placed, with the other
  requests) and the first step of the rollout, on the cluster as it is now: ``maxSurge`` new pods
  (resolved against the new replica count like the Deployment controller: surge rounded up,
  unavailable rounded down, 0/0 -> 0/1) must fit beside the old pods that stay (all but
  ``maxUnavailable`` of them). Later steps are not simulated: when a new pod does not ask for more than
  an old one it can take the place the old one frees.

What this does not see: a change that replaces pods without changing their requests (image, args, env)
is ``unchanged`` here, although a RollingUpdate needs room for its surge pods too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import fnmatch
import math
import re
from fractions import Fraction

DEFAULT_RESOURCES = (
    "cpu",
    "memory",
    "pods",
    "hugepages-*",
    "nvidia.com/gpu",
    "nvidia.com/mig-*",
    "habana.ai/gaudi",
)
"""Resources tracked by default (fnmatch patterns). Add more (e.g. ``amd.com/gpu``) as data."""

CORE_RESOURCES = ("cpu", "memory", "pods", "ephemeral-storage")
POD_LEVEL_RESOURCES = ("cpu", "memory")  # plus hugepages-*
TERMINAL_PHASES = ("Succeeded", "Failed")
ISVC_LABEL = "serving.kserve.io/inferenceservice"
MODEL_CONTAINER = "kserve-container"
"""Name KServe gives the predictor's model container (its requests are the model's)."""
STRATEGY_TYPES = ("RollingUpdate", "Recreate")
DEFAULT_STRATEGY = {"type": "RollingUpdate", "max_surge": "25%", "max_unavailable": "25%"}
"""KServe v0.20.0's Deployment strategy for a Standard mode predictor without ``deploymentStrategy``
(``setDefaultDeploymentSpec`` in pkg/controller/v1beta1/inferenceservice/reconcilers/deployment)."""
SCHEDULING_EFFECTS = ("NoSchedule", "NoExecute")

_BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
_DECIMAL = {
    "n": Fraction(1, 10 ** 9),
    "u": Fraction(1, 10 ** 6),
    "m": Fraction(1, 10 ** 3),
    "": 1,
    "k": 10 ** 3,
    "M": 10 ** 6,
    "G": 10 ** 9,
    "T": 10 ** 12,
    "P": 10 ** 15,
    "E": 10 ** 18,
}
_QUANTITY_RE = re.compile(
    r"^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$"
)
_UNIT_CACHE = {}


class CapacityError(ValueError):
    """Bad input (the message names the field, the bad value and what is allowed)."""


# ----------------------------------------------------------------------------------------------
# quantities
# ----------------------------------------------------------------------------------------------
def parse_quantity(value, field="quantity"):
    """Parse a Kubernetes quantity (``"8"``, ``"500m"``, ``"64Gi"``, ``"1.5G"``, ``"1e3"``) to a Fraction."""
    if isinstance(value, bool) or value is None:
        raise CapacityError("%s: %r is not a Kubernetes quantity; expected a number or a string such as "
                            "'8', '500m', '64Gi', '1.5G' or '1e3'" % (field, value))
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise CapacityError("%s: %r is not a finite quantity" % (field, value))
        return Fraction(repr(value))
    match = _QUANTITY_RE.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise CapacityError("%s: %r is not a Kubernetes quantity; expected a number with an optional suffix "
                            "(Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E) or exponent (e3), "
                            "such as '8', '500m', '64Gi' or '1e3'" % (field, value))
    sign, number, suffix, exponent = match.groups()
    result = Fraction(number)
    if exponent is not None:
        result *= Fraction(10) ** int(exponent)
    elif suffix in _BINARY:
        result *= _BINARY[suffix]
    else:
        result *= _DECIMAL[suffix or ""]
    return -result if sign == "-" else result


def _ceil(fraction):
    return -((-fraction.numerator) // fraction.denominator)


def to_units(resource, value, field=None):
    """Integer units of ``resource``: millicores for cpu, base units (rounded up) otherwise."""
    is_cpu = resource == "cpu"
    key = (is_cpu, value) if isinstance(value, str) else None
    if key is not None:
        cached = _UNIT_CACHE.get(key)
        if cached is not None:
            return cached
    quantity = parse_quantity(value, field or resource)
    units = _ceil(quantity * 1000) if is_cpu else _ceil(quantity)
    if key is not None and len(_UNIT_CACHE) < 100000:
        _UNIT_CACHE[key] = units
    return units


def to_display(resource, units):
    """cpu millicores -> cores (int when whole, else float); other resources unchanged."""
    if resource != "cpu":
        return units
    if units % 1000 == 0:
        return units // 1000
    return round(units / 1000.0, 3)


def display_map(values):
    return dict((name, to_display(name, amount)) for name, amount in sorted(values.items()))


def format_units(resource, units):
    """Human text: '8 nvidia.com/gpu', '16 cpu', '64Gi memory'."""
    if resource == "cpu":
        return "%s cpu" % to_display("cpu", units)
    if resource == "memory" or resource.startswith("hugepages-") or resource == "ephemeral-storage":
        for suffix, factor in (("Ti", 2 ** 40), ("Gi", 2 ** 30), ("Mi", 2 ** 20), ("Ki", 2 ** 10)):
            if units >= factor and units % factor == 0:
                return "%d%s %s" % (units // factor, suffix, resource)
        return "%d %s" % (units, resource)
    return "%d %s" % (units, resource)


class ResourceFilter:
    """Which resource names are tracked (fnmatch patterns), memoised."""

    def __init__(self, patterns=DEFAULT_RESOURCES):
        self.patterns = tuple(patterns)
        self._exact = set(p for p in self.patterns if not any(ch in p for ch in "*?["))
        self._globs = [p for p in self.patterns if p not in self._exact]
        self._cache = {}

    def __call__(self, name):
        hit = self._cache.get(name)
        if hit is None:
            hit = name in self._exact or any(fnmatch.fnmatchcase(name, p) for p in self._globs)
            self._cache[name] = hit
        return hit


def _as_filter(resources):
    if resources is None:
        return ResourceFilter()
    if isinstance(resources, ResourceFilter):
        return resources
    return ResourceFilter(resources)


# ----------------------------------------------------------------------------------------------
# pods
# ----------------------------------------------------------------------------------------------
def _add_into(target, source):
    for name, amount in source.items():
        target[name] = target.get(name, 0) + amount


def _max_into(target, source):
    for name, amount in source.items():
        if amount > target.get(name, 0):
            target[name] = amount


def container_requests(container, tracked=None, field="container"):
    """Requests of one container (limits stand in for missing requests), tracked resources only."""
    tracked = _as_filter(tracked)
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    result = {}
    for name, value in requests.items():
        if tracked(name):
            result[name] = to_units(name, value, "%s.requests.%s" % (field, name))
    for name, value in limits.items():
        if name not in requests and tracked(name):
            result[name] = to_units(name, value, "%s.limits.%s" % (field, name))
    return result


def pod_requests(pod, tracked=None):
    """Effective request of a pod, as the scheduler computes it (see module docstring)."""
    tracked = _as_filter(tracked)
    spec = pod.get("spec") or {}
    reqs = {}
    for container in spec.get("containers") or ():
        _add_into(reqs, container_requests(container, tracked))
    init_containers = spec.get("initContainers")
    if init_containers:
        sidecars = {}
        init_max = {}
        for container in init_containers:
            creq = container_requests(container, tracked)
            if container.get("restartPolicy") == "Always":
                _add_into(reqs, creq)
                _add_into(sidecars, creq)
                effective = sidecars
            else:
                effective = dict(sidecars)
                _add_into(effective, creq)
            _max_into(init_max, effective)
        _max_into(reqs, init_max)
    pod_level = (spec.get("resources") or {}).get("requests")
    if pod_level:
        for name, value in pod_level.items():
            if (name in POD_LEVEL_RESOURCES or name.startswith("hugepages-")) and tracked(name):
                reqs[name] = to_units(name, value, "spec.resources.requests.%s" % name)
    overhead = spec.get("overhead")
    if overhead:
        for name, value in overhead.items():
            if tracked(name):
                reqs[name] = reqs.get(name, 0) + to_units(name, value, "spec.overhead.%s" % name)
    return reqs


def _pod_name(pod):
    meta = pod.get("metadata") or {}
    return "%s/%s" % (meta.get("namespace", "default"), meta.get("name", "?"))


# ----------------------------------------------------------------------------------------------
# nodes
# ----------------------------------------------------------------------------------------------
def node_ready(node):
    """(ready, reason) from the node's Ready condition."""
    for condition in (node.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                return True, None
            return False, "NotReady (%s)" % (condition.get("reason") or condition.get("status"))
    return False, "NotReady (no Ready condition)"


def taint_text(taint):
    value = taint.get("value")
    return "%s%s:%s" % (taint.get("key", ""), "=%s" % value if value else "", taint.get("effect", ""))


def tolerates(toleration, taint):
    """Kubernetes' Toleration.ToleratesTaint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def untolerated_taints(taints, tolerations):
    """Taints with NoSchedule/NoExecute effect that none of the tolerations tolerate."""
    tolerations = tolerations or ()
    return [t for t in taints or ()
            if t.get("effect") in SCHEDULING_EFFECTS and not any(tolerates(tol, t) for tol in tolerations)]


def selector_matches(labels, selector):
    if not selector:
        return True
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())


def compute_capacity(nodes, pods, resources=None):
    """Per node allocatable / requested / free (integer units) from node and pod dicts.

    ``pods`` may be any iterable (a generator over API pages keeps memory flat).
    Returns ``{"nodes": {name: entry}, "pending_pods": n, "pods_on_unknown_nodes": n, "pods_counted": n,
    "inferenceservices": {(namespace, name): [pod record]}}``; the last keeps, for every counted pod that
    carries the ``serving.kserve.io/inferenceservice`` label, its node, its effective request and its model
    container's requests (see :func:`rollout_plan`).
    """
    tracked = _as_filter(resources)
    entries = {}
    for node in nodes:
        meta = node.get("metadata") or {}
        name = meta.get("name")
        spec = node.get("spec") or {}
        allocatable = {}
        for res, value in ((node.get("status") or {}).get("allocatable") or {}).items():
            if tracked(res):
                allocatable[res] = to_units(res, value, "node %s allocatable.%s" % (name, res))
        ready, ready_reason = node_ready(node)
        entries[name] = {
            "name": name,
            "labels": meta.get("labels") or {},
            "taints": spec.get("taints") or [],
            "ready": ready,
            "ready_reason": ready_reason,
            "unschedulable": bool(spec.get("unschedulable")),
            "allocatable": allocatable,
            "requested": {},
            "pods": 0,
        }
    pending = unknown = counted = 0
    owned = {}
    track_pods = tracked("pods")
    for pod in pods:
        if ((pod.get("status") or {}).get("phase")) in TERMINAL_PHASES:
            continue
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            pending += 1
            continue
        entry = entries.get(node_name)
        if entry is None:
            unknown += 1
            continue
        try:
            reqs = pod_requests(pod, tracked)
        except CapacityError as exc:
            raise CapacityError("pod %s: %s" % (_pod_name(pod), exc))
        requested = entry["requested"]
        for res, amount in reqs.items():
            requested[res] = requested.get(res, 0) + amount
        entry["pods"] += 1
        counted += 1
        meta = pod.get("metadata") or {}
        isvc = (meta.get("labels") or {}).get(ISVC_LABEL)
        if isvc:
            owned.setdefault((meta.get("namespace") or "default", isvc), []).append(
                _owned_record(pod, node_name, reqs, tracked))
    for entry in entries.values():
        if track_pods:
            entry["requested"]["pods"] = entry["pods"]
        alloc = entry["allocatable"]
        req = entry["requested"]
        entry["free"] = dict((res, alloc.get(res, 0) - req.get(res, 0)) for res in set(alloc) | set(req))
    return {"nodes": entries, "pending_pods": pending, "pods_on_unknown_nodes": unknown, "pods_counted": counted,
            "inferenceservices": owned, "tracked": tracked}


def _owned_record(pod, node_name, reqs, tracked):
    """What :func:`rollout_plan` needs of a pod of an InferenceService."""
    model = None
    for container in (pod.get("spec") or {}).get("containers") or ():
        if container.get("name") == MODEL_CONTAINER:
            model = container_requests(container, tracked)
            break
    return {"pod": _pod_name(pod), "node": node_name, "requests": dict(reqs), "model_container": model}


def node_exclusion(entry):
    """Why a node takes no new pod at all (cordoned / NotReady), or None."""
    reasons = []
    if entry["unschedulable"]:
        reasons.append("cordoned (spec.unschedulable)")
    if not entry["ready"]:
        reasons.append(entry["ready_reason"])
    return "; ".join(reasons) if reasons else None


# ----------------------------------------------------------------------------------------------
# requests and placement
# ----------------------------------------------------------------------------------------------
_REQUEST_KEYS = ("name", "resource", "count", "tensor_parallel", "replicas", "node_selector", "tolerations",
                 "resources", "inferenceservice", "namespace", "strategy")
_STRATEGY_KEYS = {"type": "type", "max_surge": "max_surge", "maxSurge": "max_surge",
                  "max_unavailable": "max_unavailable", "maxUnavailable": "max_unavailable"}
_INT_OR_PERCENT_RE = re.compile(r"^(\d+)(%?)$")
_TOLERATION_KEYS = ("key", "operator", "value", "effect", "tolerationSeconds", "toleration_seconds")


def _is_device(resource):
    return resource not in CORE_RESOURCES and not resource.startswith("hugepages-")


def _check_keys(where, raw, allowed, not_a_dict, allowed_text):
    """Fail unless raw is a dict whose keys are all in allowed (messages name the field and what is allowed)."""
    if not isinstance(raw, dict):
        raise CapacityError("%s: %r %s" % (where, raw, not_a_dict))
    unknown = sorted(k for k in raw if k not in allowed)
    if unknown:
        raise CapacityError("%s: unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), allowed_text))


def normalize_requests(raw_requests, field="requests"):
    """Validate the request list; return dicts with integer ``demand`` per replica."""
    if raw_requests is None:
        return []
    if not isinstance(raw_requests, list):
        raise CapacityError("%s: %r is not a list of requests" % (field, raw_requests))
    result = []
    seen = set()
    owners = {}
    for index, raw in enumerate(raw_requests):
        where = "%s[%d]" % (field, index)
        _check_keys(where, raw, _REQUEST_KEYS, "is not a dict with name, resource, count, replicas, ...",
                    ", ".join(_REQUEST_KEYS))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CapacityError("%s.name: %r must be a non-empty string" % (where, name))
        if name in seen:
            raise CapacityError("%s.name: %r is used twice; request names must be unique" % (where, name))
        seen.add(name)
        where = "%s[%d] (%s)" % (field, index, name)
        resource = raw.get("resource")
        if not isinstance(resource, str) or not resource.strip():
            raise CapacityError("%s.resource: %r must be a resource name such as nvidia.com/gpu, "
                                "habana.ai/gaudi, nvidia.com/mig-3g.40gb or cpu" % (where, resource))
        resource = resource.strip()
        count = raw.get("count")
        tp = raw.get("tensor_parallel")
        if count is None:
            count = tp if tp is not None else 1
        elif tp is not None and str(tp) != str(count):
            raise CapacityError("%s: count %r and tensor_parallel %r disagree; tensor_parallel is an alias of count "
                                "(devices per replica, all on one node)" % (where, count, tp))
        count_units = to_units(resource, count, "%s.count" % where)
        if count_units <= 0:
            raise CapacityError("%s.count: %r must be greater than 0" % (where, count))
        if _is_device(resource) and parse_quantity(count).denominator != 1:
            raise CapacityError("%s.count: %r must be a whole number of %s devices" % (where, count, resource))
        replicas = raw.get("replicas", 1)
        if replicas is None:
            replicas = 1
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
            raise CapacityError("%s.replicas: %r must be an integer >= 1" % (where, replicas))
        selector = raw.get("node_selector") or {}
        if not isinstance(selector, dict) or not all(isinstance(k, str) for k in selector):
            raise CapacityError("%s.node_selector: %r must be a dict of label: value" % (where, selector))
        selector = dict((k, str(v)) for k, v in selector.items())
        tolerations = raw.get("tolerations") or []
        if not isinstance(tolerations, list):
            raise CapacityError("%s.tolerations: %r must be a list of tolerations" % (where, tolerations))
        clean_tolerations = []
        for t_index, tol in enumerate(tolerations):
            t_where = "%s.tolerations[%d]" % (where, t_index)
            _check_keys(t_where, tol, _TOLERATION_KEYS, "must be a dict with key, operator, value, effect",
                        "key, operator, value, effect, tolerationSeconds")
            operator = tol.get("operator") or "Equal"
            if operator not in ("Equal", "Exists"):
                raise CapacityError("%s.operator: %r must be Equal or Exists" % (t_where, operator))
            effect = tol.get("effect") or ""
            if effect not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
                raise CapacityError("%s.effect: %r must be NoSchedule, PreferNoSchedule, NoExecute or empty (all)"
                                    % (t_where, effect))
            if not tol.get("key") and operator != "Exists":
                raise CapacityError("%s: an empty key needs operator Exists" % t_where)
            clean_tolerations.append({"key": tol.get("key") or "", "operator": operator,
                                      "value": "" if tol.get("value") is None else str(tol.get("value")),
                                      "effect": effect})
        demand = {resource: count_units}
        others = raw.get("resources") or {}
        if not isinstance(others, dict):
            raise CapacityError("%s.resources: %r must be a dict of resource: quantity" % (where, others))
        for res, value in others.items():
            units = to_units(res, value, "%s.resources.%s" % (where, res))
            if units < 0:
                raise CapacityError("%s.resources.%s: %r must not be negative" % (where, res, value))
            demand[res] = demand.get(res, 0) + units
        owner = _normalize_owner(raw, where)
        if owner is not None:
            if owner in owners:
                raise CapacityError("%s.inferenceservice: %s/%s is also named by request %s; each InferenceService "
                                    "may be named by one request" % (where, owner[0], owner[1], owners[owner]))
            owners[owner] = name
        result.append({
            "name": name,
            "resource": resource,
            "count": count_units,
            "replicas": replicas,
            "node_selector": selector,
            "tolerations": clean_tolerations,
            "demand": demand,
            "owner": owner,
            "strategy": _normalize_strategy(raw.get("strategy"), "%s.strategy" % where),
        })
    return result


def _normalize_owner(raw, where):
    """(namespace, InferenceService name) or None."""
    isvc = raw.get("inferenceservice")
    namespace = raw.get("namespace")
    if isvc is None or isvc == "":
        if namespace not in (None, ""):
            raise CapacityError("%s.namespace: %r is only used with inferenceservice (the name of the model's "
                                "InferenceService in that namespace)" % (where, namespace))
        return None
    if not isinstance(isvc, str) or not isvc.strip():
        raise CapacityError("%s.inferenceservice: %r must be the name of an InferenceService" % (where, isvc))
    if not isinstance(namespace, str) or not namespace.strip():
        raise CapacityError("%s.namespace: %r must be the namespace of InferenceService %s (required with "
                            "inferenceservice)" % (where, namespace, isvc))
    return (namespace.strip(), isvc.strip())


def _int_or_percent(value, field):
    """A Deployment's maxSurge / maxUnavailable: (number, is_percent)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int) and value >= 0:
        return value, False
    match = _INT_OR_PERCENT_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise CapacityError("%s: %r must be a whole number >= 0 or a percentage such as '25%%' (as in a Deployment's "
                            "rollingUpdate)" % (field, value))
    return int(match.group(1)), bool(match.group(2))


def _normalize_strategy(raw, field):
    """Deployment strategy of the request's predictor: {type, max_surge, max_unavailable} (KServe's default)."""
    if raw is None:
        return dict(DEFAULT_STRATEGY)
    if not isinstance(raw, dict):
        raise CapacityError("%s: %r must be a dict with type (RollingUpdate or Recreate), max_surge, max_unavailable"
                            % (field, raw))
    clean = {}
    for key, value in raw.items():
        if key not in _STRATEGY_KEYS:
            raise CapacityError("%s: unknown key %r; allowed: type, max_surge (maxSurge), max_unavailable "
                                "(maxUnavailable)" % (field, key))
        if value is not None:
            clean[_STRATEGY_KEYS[key]] = value
    kind = clean.get("type", "RollingUpdate")
    if kind not in STRATEGY_TYPES:
        raise CapacityError("%s.type: %r must be RollingUpdate or Recreate" % (field, kind))
    if kind == "Recreate":
        extra = sorted(k for k in clean if k != "type")
        if extra:
            raise CapacityError("%s: %s only apply to type RollingUpdate, not Recreate" % (field, ", ".join(extra)))
        return {"type": "Recreate", "max_surge": None, "max_unavailable": None}
    result = {"type": "RollingUpdate"}
    for key in ("max_surge", "max_unavailable"):
        value = clean.get(key, DEFAULT_STRATEGY[key])
        number, percent = _int_or_percent(value, "%s.%s" % (field, key))
        result[key] = "%d%%" % number if percent else number
    return result


def resolve_fenceposts(max_surge, max_unavailable, replicas):
    """(surge, unavailable) pods for ``replicas``, as the Deployment controller resolves them
    (``deploymentutil.ResolveFenceposts``): a percentage of the desired replicas, surge rounded up,
    unavailable rounded down; both 0 -> unavailable 1."""
    surge_n, surge_pct = _int_or_percent(max_surge, "max_surge")
    unavail_n, unavail_pct = _int_or_percent(max_unavailable, "max_unavailable")
    surge = -((-surge_n * replicas) // 100) if surge_pct else surge_n
    unavailable = (unavail_n * replicas) // 100 if unavail_pct else unavail_n
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fits(free, demand):
    for res, amount in demand.items():
        if free.get(res, 0) < amount:
            return False
    return True


def _short_list(items, limit=5):
    items = list(items)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += " and %d more" % (len(items) - limit)
    return text


def eligibility(capacity, request):
    """(eligible node names, excluded [{name, reason}]) for one normalised request.

    Only nodes that offer the request's main resource are named in ``excluded``.
    """
    eligible = []
    excluded = []
    resource = request["resource"]
    for name in sorted(capacity["nodes"]):
        entry = capacity["nodes"][name]
        if entry["allocatable"].get(resource, 0) <= 0:
            continue
        reasons = []
        base = node_exclusion(entry)
        if base:
            reasons.append(base)
        bad_taints = untolerated_taints(entry["taints"], request["tolerations"])
        if bad_taints:
            reasons.append("taint %s not tolerated" % ", ".join(taint_text(t) for t in bad_taints))
        if not selector_matches(entry["labels"], request["node_selector"]):
            reasons.append("node selector %s does not match" % ",".join(
                "%s=%s" % kv for kv in sorted(request["node_selector"].items())))
        if reasons:
            excluded.append({"name": name, "reason": "; ".join(reasons)})
        else:
            eligible.append(name)
    return eligible, excluded


def _place_units(units, free):
    """Greedy best fit; mutates ``free``; returns {unit index: node or None}."""
    placed = {}
    for index, unit in units:
        best = None
        best_key = None
        resource = unit["resource"]
        demand = unit["demand"]
        for name in unit["eligible"]:
            node_free = free[name]
            if not _fits(node_free, demand):
                continue
            key = (node_free.get(resource, 0) - demand[resource], name)
            if best_key is None or key < best_key:
                best, best_key = name, key
        if best is not None:
            node_free = free[best]
            for res, amount in demand.items():
                node_free[res] = node_free.get(res, 0) - amount
        placed[index] = best
    return placed


def _same_request(record, request, tracked):
    """Whether a running pod's model container asks for what the request asks (tracked resources)."""
    have = record["model_container"]
    if have is None:
        return False
    want = request["demand"]
    keys = set(res for res in want if tracked(res)) | set(res for res in have if _is_device(res))
    keys.discard("pods")
    return all(have.get(res, 0) == want.get(res, 0) for res in keys)


def rollout_plan(capacity, request):
    """How the request's own running pods are accounted (see the module docstring).

    Returns ``{"rollout", "running", "kept", "release", "to_place", "surge", "surge_release", "surge_beside",
    "max_surge", "max_unavailable"}``: ``kept`` pods stay counted and are the request's placements,
    ``release`` pods count as free in the final state, ``to_place`` replicas are placed; for ``surge``,
    ``surge`` new pods must fit now, with ``surge_release`` of the old pods freed first.
    """
    owner = request.get("owner")
    pods = sorted((capacity.get("inferenceservices") or {}).get(owner, ()) if owner else (),
                  key=lambda rec: (rec["node"], rec["pod"]))
    replicas = request["replicas"]
    strategy = request.get("strategy") or DEFAULT_STRATEGY
    plan = {"rollout": "install", "running": len(pods), "kept": [], "release": [], "to_place": replicas,
            "surge": 0, "surge_release": [], "surge_beside": 0, "max_surge": None, "max_unavailable": None}
    if not pods:
        return plan
    tracked = _as_filter(capacity.get("tracked"))
    if all(_same_request(rec, request, tracked) for rec in pods):
        plan["rollout"] = "unchanged" if len(pods) == replicas else "scale"
        plan["kept"] = pods
        plan["to_place"] = max(replicas - len(pods), 0)
        return plan
    plan["release"] = pods
    if strategy["type"] == "Recreate":
        plan["rollout"] = "recreate"
        return plan
    surge, unavailable = resolve_fenceposts(strategy["max_surge"], strategy["max_unavailable"], replicas)
    freed = min(unavailable, len(pods))
    plan.update(rollout="surge", surge=min(surge, replicas), surge_release=pods[len(pods) - freed:],
                surge_beside=len(pods) - freed, max_surge=strategy["max_surge"],
                max_unavailable=strategy["max_unavailable"])
    return plan


def _release(free, records):
    """Count the pods' requests (and pod slots) as free again; mutates ``free``."""
    for rec in records:
        node_free = free.get(rec["node"])
        if node_free is None:
            continue
        for res, amount in rec["requests"].items():
            if res in node_free:
                node_free[res] += amount
        if "pods" in node_free:
            node_free["pods"] += 1


def place(capacity, requests):
    """Place every replica of every (normalised) request together. See the module docstring."""
    nodes = capacity["nodes"]
    current_free = dict((name, dict(entry["free"])) for name, entry in nodes.items())
    plans = [rollout_plan(capacity, request) for request in requests]
    base_free = dict((name, dict(values)) for name, values in current_free.items())
    for plan in plans:
        _release(base_free, plan["release"])
    largest = {}
    for entry in nodes.values():
        for res, amount in entry["allocatable"].items():
            if amount > largest.get(res, 0):
                largest[res] = amount
    prepared = []
    units = []
    for r_index, request in enumerate(requests):
        eligible, excluded = eligibility(capacity, request)
        demand = dict(request["demand"])
        if "pods" in largest:
            demand["pods"] = demand.get("pods", 0) + 1
        share = max([amount / float(largest[res]) if largest.get(res) else float("inf")
                     for res, amount in demand.items()] or [0.0])
        info = {"request": request, "eligible": eligible, "excluded": excluded, "demand": demand,
                "plan": plans[r_index]}
        prepared.append(info)
        for replica in range(plans[r_index]["to_place"]):
            units.append({"r_index": r_index, "replica": replica, "resource": request["resource"],
                          "demand": demand, "eligible": eligible, "share": share})
    order = sorted(range(len(units)), key=lambda i: (-units[i]["share"], -units[i]["demand"][units[i]["resource"]],
                                                     units[i]["r_index"], units[i]["replica"]))
    free = dict((name, dict(values)) for name, values in base_free.items())
    placed = _place_units([(i, units[i]) for i in order], free)

    results = []
    for r_index, info in enumerate(prepared):
        request = info["request"]
        plan = info["plan"]
        mine = [i for i, unit in enumerate(units) if unit["r_index"] == r_index]
        nodes_for = [placed[i] for i in mine]
        unplaced = sum(1 for n in nodes_for if n is None)
        resource = request["resource"]
        free_total = sum(base_free[n].get(resource, 0) for n in info["eligible"])
        max_one = max([base_free[n].get(resource, 0) for n in info["eligible"]] or [0])
        kept = [rec["node"] for rec in plan["kept"][:request["replicas"]]]
        result = {
            "name": request["name"],
            "resource": resource,
            "count": to_display(resource, request["count"]),
            "replicas": request["replicas"],
            "fits": unplaced == 0,
            "placements": kept + [n for n in nodes_for if n is not None],
            "unplaced_replicas": unplaced,
            "eligible_nodes": len(info["eligible"]),
            "excluded_nodes": info["excluded"],
            "free_on_eligible_nodes": to_display(resource, free_total),
            "max_free_on_one_node": to_display(resource, max_one),
            "rollout": plan["rollout"],
            "running_pods": plan["running"],
            "surge_pods": plan["surge"],
        }
        result["reason"] = _explain(result, request, info, base_free, free_total, max_one)
        if result["fits"] and plan["rollout"] == "surge" and plan["surge"] > 0:
            surge_free = dict((name, dict(values)) for name, values in current_free.items())
            _release(surge_free, plan["surge_release"])
            check_free = dict((name, dict(values)) for name, values in surge_free.items())
            step = _place_units([(i, {"resource": resource, "demand": info["demand"], "eligible": info["eligible"]})
                                 for i in range(plan["surge"])], check_free)
            if any(node is None for node in step.values()):
                result["fits"] = False
                result["reason"] = _explain_surge(request, info, plan, surge_free)
        if request.get("owner"):
            result["reason"] = "%s [%s]" % (result["reason"], _rollout_text(request, plan))
        results.append(result)
    return {"fits": all(r["fits"] for r in results), "requests": results}


def _rollout_text(request, plan):
    """What the rollout assumption was, in words."""
    running = plan["running"]
    replicas = request["replicas"]
    if plan["rollout"] == "install":
        return "rollout install: no running pod of its InferenceService"
    if plan["rollout"] == "unchanged":
        return "rollout unchanged: its %d running pod(s) ask for the same and keep their devices" % running
    if plan["rollout"] == "scale":
        if replicas > running:
            return ("rollout scale: same request per pod; its %d running pod(s) keep their devices, %d replica(s) "
                    "added" % (running, replicas - running))
        return ("rollout scale: same request per pod, %d -> %d replica(s); devices freed by the scale-down are not "
                "counted as free for other models" % (running, replicas))
    if plan["rollout"] == "recreate":
        return ("rollout recreate: Deployment strategy Recreate deletes its %d running pod(s) before the new ones "
                "start, so their devices count as free" % running)
    return ("rollout surge: Deployment strategy RollingUpdate (maxSurge %s, maxUnavailable %s for %d replica(s)): "
            "%d new pod(s) start beside %d of its %d running pod(s), which keep their devices until the new ones "
            "are Ready" % (plan["max_surge"], plan["max_unavailable"], replicas, plan["surge"],
                           plan["surge_beside"], running))


def _free_text(resource, names, free):
    return "free %s per eligible node: %s" % (resource, _short_list(
        "%s %s" % (n, to_display(resource, free[n].get(resource, 0))) for n in names) or "none")


def _explain_surge(request, info, plan, surge_free):
    resource = request["resource"]
    return ("the rolling update needs %s more: %d new pod(s) of %s must fit beside %d running pod(s) of the current "
            "version until they are Ready, and they do not; %s; free that room first (for example uninstall the "
            "model and deploy it again), or use a Recreate deployment strategy" % (
                format_units(resource, request["count"] * plan["surge"]), plan["surge"],
                format_units(resource, request["count"]), plan["surge_beside"],
                _free_text(resource, info["eligible"], surge_free)))


def _explain(result, request, info, base_free, free_total, max_one):
    resource = request["resource"]
    per_replica = format_units(resource, request["count"])
    if result["fits"]:
        where = {}
        for node in result["placements"]:
            where[node] = where.get(node, 0) + 1
        return "fits: %s per replica; %s" % (per_replica, ", ".join(
            "%d replica%s on %s" % (n, "" if n == 1 else "s", node) for node, n in sorted(where.items())))
    if not info["eligible"]:
        if not info["excluded"]:
            return "no node offers %s" % resource
        return "no eligible node: %d node(s) with %s are excluded: %s" % (
            len(info["excluded"]), resource,
            _short_list("%s (%s)" % (e["name"], e["reason"]) for e in info["excluded"]))
    demand = info["demand"]
    # Would it fit on its own (i.e. the other requests took the room)?
    to_place = info["plan"]["to_place"]
    alone = _place_units([(i, {"resource": resource, "demand": demand, "eligible": info["eligible"]})
                          for i in range(to_place)],
                         dict((n, dict(base_free[n])) for n in info["eligible"]))
    if all(node is not None for node in alone.values()):
        return ("does not fit together with the other requests: %d of %d replica(s) placed; it would fit on its own"
                % (to_place - result["unplaced_replicas"], to_place))
    return "%s; %s" % (_explain_short(result, request, info, base_free, free_total, max_one),
                       _free_text(resource, info["eligible"], base_free))


def _explain_short(result, request, info, base_free, free_total, max_one):
    resource = request["resource"]
    per_replica = format_units(resource, request["count"])
    demand = info["demand"]
    to_place = info["plan"]["to_place"]
    needed = request["count"] * to_place
    if max_one < request["count"]:
        text = ("needs %s on ONE node per replica (tensor parallel); %s free in total on %d eligible node(s), "
                "at most %s on one node" % (per_replica, format_units(resource, free_total), len(info["eligible"]),
                                            format_units(resource, max_one)))
        if free_total >= needed:
            text = "fits in total but not on one node: " + text
        return text
    if free_total < needed:
        return "needs %s in total (%d replica(s) x %s); only %s free on %d eligible node(s)" % (
            format_units(resource, needed), to_place, per_replica, format_units(resource, free_total),
            len(info["eligible"]))
    short = []
    for res, amount in sorted(demand.items()):
        if res == resource:
            continue
        best = max(base_free[n].get(res, 0) for n in info["eligible"])
        if best < amount:
            short.append("%s (at most %s free on one node)" % (format_units(res, amount), format_units(res, best)))
    if short:
        return "no eligible node has %s free together with %s" % (per_replica, ", ".join(short))
    return ("only %d of %d replica(s) fit: no eligible node has %s free together with the other resources asked"
            % (to_place - result["unplaced_replicas"], to_place, per_replica))


# ----------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------
def node_report(capacity, only_with=None):
    """Per node dicts for the module result (display units), sorted by name.

    ``only_with``: when given, keep nodes that offer at least one of these resources (patterns).
    """
    keep = _as_filter(only_with) if only_with else None
    report = []
    for name in sorted(capacity["nodes"]):
        entry = capacity["nodes"][name]
        if keep is not None and not any(keep(res) and amount > 0 for res, amount in entry["allocatable"].items()):
            continue
        report.append({
            "name": name,
            "ready": entry["ready"],
            "schedulable": not entry["unschedulable"],
            "excluded_reason": node_exclusion(entry),
            "taints": [taint_text(t) for t in entry["taints"]],
            "pods": entry["pods"],
            "allocatable": display_map(entry["allocatable"]),
            "requested": display_map(entry["requested"]),
            "free": display_map(entry["free"]),
        })
    return report


def totals(capacity):
    """Per resource sums: over all nodes, and free on nodes that take new pods (ready, not cordoned)."""
    result = {}
    for entry in capacity["nodes"].values():
        usable = node_exclusion(entry) is None
        for res in set(entry["allocatable"]) | set(entry["requested"]):
            row = result.setdefault(res, {"allocatable": 0, "requested": 0, "free": 0, "free_schedulable": 0})
            row["allocatable"] += entry["allocatable"].get(res, 0)
            row["requested"] += entry["requested"].get(res, 0)
            row["free"] += entry["free"].get(res, 0)
            if usable:
                row["free_schedulable"] += max(entry["free"].get(res, 0), 0)
    return dict((res, dict((k, to_display(res, v)) for k, v in row.items())) for res, row in sorted(result.items()))
