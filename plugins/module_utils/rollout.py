# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progressive rollout of a model with KServe v0.20 canaries (``spec.canary[]``, Standard mode): pure logic, no I/O.

- ``rollout_values``: the kserve-model release values after an action (start, step, promote, abort, status), from
  the release's current values; bad input raises ``RolloutError`` naming the field, the value and what is allowed.
- ``rollout_rows``: one status row per predictor (main and canaries) from the InferenceService and its Deployments.
- ``canary_capacity_requests``: what each canary adds to the cluster, in accelerator_capacity_info's format.
- ``rollout_gate``: evaluates Prometheus query API answers (``/api/v1/query``) against the gate's thresholds.

KServe v0.20.0 facts this follows (pkg/apis/serving/v1beta1/inference_service_validation.go and
pkg/controller/v1beta1/inferenceservice/components/predictor.go): a canary's Deployment and Service are
``{isvc}-{name}-predictor``; its replicas are fixed, ``minReplicas`` or ceil(main minReplicas x trafficPercent / 100),
and are taken off the main predictor's (which keeps at least 1); promotion without restart = the main predictor gets
the canary's name and spec and the entry is removed; the percents add up to at most 100.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import math
import re

from ansible_collections.llmops.kserve.plugins.module_utils.inputs import DNS1035_LABEL

ACTIONS = ("start", "step", "promote", "abort", "status")
CANARY_KEYS = ("name", "model_id", "revision", "storage_uri", "args", "runtime", "image", "resources", "replicas")
DEFAULT_SCHEDULE = (10, 50, 100)


class RolloutError(ValueError):
    """Bad input for a rollout action (nothing was changed)."""


def _percent(value, field):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise RolloutError("%s=%r is not a whole number: give a traffic percent from 0 to 100" % (field, value))
    if number < 0 or number > 100:
        raise RolloutError("%s=%d is outside 0-100: a traffic percent is 0 (dark launch) to 100" % (field, number))
    return number


def check_schedule(schedule):
    """The traffic schedule as a list of ints, strictly increasing, each 0-100 (``RolloutError`` otherwise)."""
    if isinstance(schedule, str):
        schedule = [s for s in re.split(r"[,\s]+", schedule) if s]
    if not schedule:
        raise RolloutError("model_rollout_schedule is empty: give the traffic percents of the steps, e.g. [10, 50, 100]")
    steps = [_percent(s, "model_rollout_schedule[%d]" % i) for i, s in enumerate(schedule)]
    for before, after in zip(steps, steps[1:]):
        if after <= before:
            raise RolloutError("model_rollout_schedule=%s must increase step by step (%d then %d)" % (steps, before, after))
    return steps


def canary_entry(canary, percent):
    """The chart's ``canaries[]`` entry of a ``model_rollout_canary`` dict."""
    if not isinstance(canary, dict) or not canary.get("name"):
        raise RolloutError("model_rollout_canary.name is required to start a rollout: a DNS label naming the new "
                           "variant, e.g. v2 (its Deployment is <model>-<name>-predictor)")
    unknown = sorted(set(canary) - set(CANARY_KEYS))
    if unknown:
        raise RolloutError("model_rollout_canary has unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(CANARY_KEYS)))
    name = str(canary["name"])
    if not DNS1035_LABEL.match(name) or len(name) > 20:
        raise RolloutError("model_rollout_canary.name=%r is not a DNS label of at most 20 characters: use lower-case "
                           "letters, digits and '-', starting with a letter" % name)
    entry = {"name": name, "trafficPercent": percent}
    model = {}
    for key, chart_key in (("model_id", "id"), ("revision", "revision"), ("storage_uri", "storageUri")):
        if canary.get(key):
            model[chart_key] = str(canary[key])
    if canary.get("args"):
        if not isinstance(canary["args"], list):
            raise RolloutError("model_rollout_canary.args must be a list of runtime arguments, got %r" % (canary["args"],))
        model["extraArgs"] = [str(a) for a in canary["args"]]
    if model:
        entry["model"] = model
    runtime = dict((k, str(canary[k])) for k in ("runtime", "image") if canary.get(k))
    if runtime:
        entry["runtime"] = {"name": runtime["runtime"]} if "runtime" in runtime else {}
        if "image" in runtime:
            entry["runtime"]["image"] = runtime["image"]
    if canary.get("resources"):
        entry["resources"] = copy.deepcopy(canary["resources"])
    if canary.get("replicas") not in (None, ""):
        try:
            entry["replicas"] = int(canary["replicas"])
        except (TypeError, ValueError):
            raise RolloutError("model_rollout_canary.replicas=%r is not a whole number" % (canary["replicas"],))
        if entry["replicas"] < 1:
            raise RolloutError("model_rollout_canary.replicas=%d: a canary needs at least 1 replica" % entry["replicas"])
    if len(entry) == 2:
        raise RolloutError("model_rollout_canary %r changes nothing: give what the canary runs differently (model_id, "
                           "revision, storage_uri, args, runtime, image, resources)" % name)
    return entry


def promoted_values(values, entry):
    """The main values once canary ``entry`` is promoted: the chart's ``kserve-model.canaryValues`` overrides, written
    as the main values, ``predictor.name`` = the canary's name, no canaries. Rendered, the main predictor then equals
    the canary's (tests/unit/test_model_chart_canary.py), so KServe keeps the canary's pod template."""
    new = copy.deepcopy(values)
    model = new.setdefault("model", {})
    over = entry.get("model") or {}
    if over.get("id"):
        model["id"] = over["id"]
        model["revision"] = over.get("revision", "")
    elif over.get("revision"):
        model["revision"] = over["revision"]
    if over.get("storageUri"):
        model["storageUri"] = over["storageUri"]
    if over.get("extraArgs"):
        model["extraArgs"] = list(over["extraArgs"])
    runtime = entry.get("runtime") or {}
    for key in ("name", "image"):
        if runtime.get(key):
            new.setdefault("runtime", {})[key] = runtime[key]
    if entry.get("resources"):
        new["resources"] = copy.deepcopy(entry["resources"])
    new.setdefault("predictor", {})["name"] = entry["name"]
    new["canaries"] = []
    return new


def rollout_values(values, action, canary=None, schedule=DEFAULT_SCHEDULE, percent=None, model="the model"):
    """The release values after ``action``. Returns ``{"values", "changed", "canary", "percent", "message"}``.

    ``values``: the release's current (user-supplied) values. ``canary``: ``model_rollout_canary`` (start; promote
    uses its name when the canary was already promoted). ``percent``: an explicit target percent (start, step).
    """
    if action not in ACTIONS:
        raise RolloutError("model_rollout_action=%r is not one of %s" % (action, ", ".join(ACTIONS)))
    steps = check_schedule(schedule)
    target = None if percent in (None, "") else _percent(percent, "model_rollout_percent")
    values = copy.deepcopy(values or {})
    mode = str(values.get("deploymentMode", "Standard"))
    if mode not in ("Standard", "RawDeployment"):
        raise RolloutError("model %s runs in deploymentMode %s: KServe's canaries (spec.canary) need Standard mode; in "
                           "Knative mode use the chart's predictor.canaryTrafficPercent" % (model, mode))
    canaries = list(values.get("canaries") or [])
    current = canaries[0] if canaries else None
    main_name = (values.get("predictor") or {}).get("name") or ""
    result = {"values": values, "changed": False, "canary": current["name"] if current else None,
              "percent": int(current["trafficPercent"]) if current else 0, "message": ""}
    if len(canaries) > 1:
        raise RolloutError("model %s has %d canaries (%s): this playbook drives one at a time; edit the release by hand"
                           % (model, len(canaries), ", ".join(c["name"] for c in canaries)))
    if action == "status":
        result["message"] = ("canary %s at %d%%" % (current["name"], current["trafficPercent"]) if current
                             else "no canary running")
        return result
    if action == "start":
        entry = canary_entry(canary, target if target is not None else steps[0])
        if entry["name"] == main_name:
            raise RolloutError("model_rollout_canary.name=%r is the main predictor's name already (a promoted canary): "
                               "give the new canary another name" % entry["name"])
        if current and current["name"] != entry["name"]:
            raise RolloutError("model %s already has canary %r at %d%%: promote or abort it before starting %r"
                               % (model, current["name"], current["trafficPercent"], entry["name"]))
        if current:
            # the same canary again: its traffic stays where the steps took it, unless a percent is given
            entry["trafficPercent"] = target if target is not None else int(current["trafficPercent"])
        values["canaries"] = [entry]
        result.update(changed=current != entry, canary=entry["name"], percent=entry["trafficPercent"],
                      message="canary %s at %d%%" % (entry["name"], entry["trafficPercent"]))
        return result
    if current is None:
        if action == "abort":
            result["message"] = "no canary running: nothing to abort (100% on the main predictor)"
            return result
        if action == "promote" and canary and canary.get("name") and canary.get("name") == main_name:
            result["message"] = "canary %s is the main predictor already (promoted)" % main_name
            return result
        raise RolloutError("model %s has no canary to %s: start one first (model_rollout_action=start with "
                           "model_rollout_canary)" % (model, action))
    if action == "step":
        now = int(current["trafficPercent"])
        if target is None:
            later = [s for s in steps if s > now]
            if not later:
                result["message"] = "canary %s is at the last step (%d%%): promote it or abort" % (current["name"], now)
                return result
            target = later[0]
        entry = dict(current, trafficPercent=target)
        values["canaries"] = [entry]
        result.update(changed=target != now, percent=target,
                      message="canary %s: %d%% -> %d%%" % (current["name"], now, target))
        return result
    if action == "promote":
        if canary and canary.get("name") and canary["name"] != current["name"]:
            raise RolloutError("model_rollout_canary.name=%r is not the running canary (%r)" % (canary["name"], current["name"]))
        new = promoted_values(values, current)
        hint = {"model_id": new.get("model", {}).get("id"), "values": {"predictor": {"name": current["name"]}}}
        if new.get("model", {}).get("revision"):
            hint["revision"] = new["model"]["revision"]
        over = current.get("model") or {}
        if over.get("storageUri") or over.get("extraArgs"):
            hint["values"]["model"] = dict((k, over[k]) for k in ("storageUri", "extraArgs") if over.get(k))
        for key in ("runtime", "resources"):
            if current.get(key):
                hint["values"][key] = copy.deepcopy(current[key])
        result.update(values=new, changed=True, percent=100, inventory=hint,
                      message="canary %s promoted: it is the main predictor now" % current["name"])
        return result
    values["canaries"] = []
    result.update(changed=True, percent=0, message="canary %s aborted: 100%% on the main predictor" % current["name"])
    return result


def _deployment_ready(deployment):
    status = (deployment or {}).get("status") or {}
    return "%d/%d" % (status.get("readyReplicas", 0) or 0, ((deployment or {}).get("spec") or {}).get("replicas", 0) or 0)


def _revision(predictor):
    model = (predictor or {}).get("model") or {}
    uri = str(model.get("storageUri", ""))
    image = model.get("image")
    return uri + (" image=%s" % image if image else "")


def rollout_rows(isvc, deployments):
    """One row per predictor: predictor (Deployment name), revision (storageUri [+ image]), traffic (%), ready
    (ready/desired replicas of its Deployment; "-" when it has none yet), deployment UID."""
    if not isvc:
        return []
    name = isvc["metadata"]["name"]
    spec = isvc.get("spec") or {}
    by_name = dict(((d.get("metadata") or {}).get("name"), d) for d in deployments or [])
    canaries = spec.get("canary") or []
    statuses = dict((c.get("name"), c) for c in ((isvc.get("status") or {}).get("canaryStatuses") or []))
    main = spec.get("predictor") or {}
    main_dep = "%s-%s-predictor" % (name, main["name"]) if main.get("name") else "%s-predictor" % name
    share = 100 - sum(int(c.get("trafficPercent", 0)) for c in canaries)
    rows = [{"predictor": main_dep, "role": "main", "revision": _revision(main), "traffic": "%d%%" % share,
             "ready": _deployment_ready(by_name[main_dep]) if main_dep in by_name else "-",
             "uid": ((by_name.get(main_dep) or {}).get("metadata") or {}).get("uid", "")}]
    for canary in canaries:
        predictor = dict(main, **(canary.get("predictor") or {}))
        cname = (canary.get("predictor") or {}).get("name", "")
        dep = "%s-%s-predictor" % (name, cname)
        reported = statuses.get(cname)
        rows.append({"predictor": dep, "role": "canary", "revision": _revision(predictor),
                     "traffic": "%d%%" % int(canary.get("trafficPercent", 0))
                     + ("" if reported is None or reported.get("trafficPercent") == canary.get("trafficPercent")
                        else " (KServe: %s%%)" % reported.get("trafficPercent")),
                     "ready": _deployment_ready(by_name[dep]) if dep in by_name else "-",
                     "uid": ((by_name.get(dep) or {}).get("metadata") or {}).get("uid", "")})
    return rows


def canary_replicas(isvc, canary):
    """KServe v0.20's canaryReplicaCount: the canary's minReplicas, else ceil(main minReplicas x percent / 100)."""
    predictor = canary.get("predictor") or {}
    if predictor.get("minReplicas") is not None:
        return int(predictor["minReplicas"])
    stable = ((isvc.get("spec") or {}).get("predictor") or {}).get("minReplicas")
    stable = 1 if stable is None else int(stable)
    return int(math.ceil(stable * int(canary.get("trafficPercent", 0)) / 100.0))


def canary_capacity_requests(isvc, model_capacity_request):
    """Capacity requests of the canaries of a rendered InferenceService, counted on top of the running model: no
    ``inferenceservice`` key, so nothing the model's running Pods hold is taken as freed. ``model_capacity_request``
    is models.model_capacity_request (passed in to keep this module free of imports between module_utils)."""
    requests = []
    spec = (isvc or {}).get("spec") or {}
    for canary in spec.get("canary") or []:
        predictor = copy.deepcopy(spec.get("predictor") or {})
        over = canary.get("predictor") or {}
        for key, value in over.items():
            if key == "model" and isinstance(value, dict):
                predictor["model"] = dict(predictor.get("model") or {}, **value)
            else:
                predictor[key] = value
        replicas = canary_replicas(isvc, canary)
        if replicas < 1:
            continue
        predictor["minReplicas"] = replicas
        name = "%s/canary %s" % (isvc["metadata"]["name"], over.get("name"))
        request = model_capacity_request([{"kind": "InferenceService", "spec": {"predictor": predictor}}], name)
        if request:
            requests.append(request)
    return requests


def _samples(answer):
    """Numbers of a Prometheus /api/v1/query answer (vector or scalar); NaN and +Inf are dropped."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        raise RolloutError("Prometheus answered %r instead of a query result" % (answer,))
    data = answer.get("data") or {}
    result = data.get("result")
    if data.get("resultType") == "scalar":
        result = [{"value": result}]
    numbers = []
    for item in result or []:
        try:
            number = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if not math.isnan(number) and not math.isinf(number):
            numbers.append(number)
    return numbers


def rollout_gate(answers):
    """Evaluate the gate. ``answers``: one dict per check with ``name``, ``canary`` (the answer to the canary's
    query), optional ``main`` (the answer to the main predictor's query), ``max`` (absolute ceiling of the canary's
    value) and/or ``max_ratio`` (ceiling of canary / main). A check without data for the canary fails (a gate
    never passes on no data). Returns ``{"passed": bool, "results": [{"name", "canary", "main", "passed", "why"}]}``.
    """
    results = []
    for check in answers or []:
        row = {"name": check.get("name"), "canary": None, "main": None, "passed": False, "why": ""}
        canary = _samples(check.get("canary"))
        if not canary:
            row["why"] = "no data for the canary (is Prometheus scraping its Pods, and has it served requests?)"
            results.append(row)
            continue
        value = max(canary)
        row["canary"] = value
        reasons = []
        if check.get("max") not in (None, ""):
            limit = float(check["max"])
            if value > limit:
                reasons.append("canary %.4g > max %.4g" % (value, limit))
        if check.get("max_ratio") not in (None, "") and check.get("main") is not None:
            main = _samples(check["main"])
            if main:
                baseline = max(main)
                row["main"] = baseline
                limit = float(check["max_ratio"]) * baseline
                if value > limit:
                    reasons.append("canary %.4g > %.4g x main %.4g" % (value, float(check["max_ratio"]), baseline))
            else:
                reasons.append("no data for the main predictor to compare with")
        row["passed"] = not reasons
        row["why"] = "; ".join(reasons) if reasons else "ok"
        results.append(row)
    return {"passed": bool(results) and all(r["passed"] for r in results), "results": results}


def rollout_settled(isvc, deployments):
    """Whether KServe has reconciled the current spec: every predictor of the spec (main, canaries) has its
    Deployment with all its replicas ready, no other predictor
    Deployment of the InferenceService is left (a promoted or aborted canary's), and status.canaryStatuses reports
    the spec's percents. Returns ``{"settled": bool, "reason": str}``."""
    if not isvc:
        return {"settled": False, "reason": "no InferenceService"}
    meta = isvc.get("metadata") or {}
    status = isvc.get("status") or {}
    rows = rollout_rows(isvc, deployments)
    wanted = set(r["predictor"] for r in rows)
    reasons = []
    for row in rows:
        ready, _sep, want = row["ready"].partition("/")
        if row["ready"] == "-":
            reasons.append("Deployment %s does not exist yet" % row["predictor"])
        elif int(ready) < int(want):
            reasons.append("Deployment %s: %s replicas ready" % (row["predictor"], row["ready"]))
    for deployment in deployments or []:
        dmeta = deployment.get("metadata") or {}
        labels = dmeta.get("labels") or {}
        if (labels.get("serving.kserve.io/inferenceservice") == meta.get("name") and labels.get("component") == "predictor"
                and dmeta.get("name") not in wanted):
            reasons.append("Deployment %s is still there" % dmeta.get("name"))
    reported = dict((c.get("name"), c.get("trafficPercent")) for c in status.get("canaryStatuses") or [])
    for canary in (isvc.get("spec") or {}).get("canary") or []:
        cname = (canary.get("predictor") or {}).get("name")
        if reported.get(cname) != canary.get("trafficPercent"):
            reasons.append("KServe reports canary %s at %s%%, not %s%% yet" % (cname, reported.get(cname), canary.get("trafficPercent")))
    return {"settled": not reasons, "reason": "; ".join(reasons) or "settled"}


def rollout_gate_answer(item):
    """One gate check from (check, result of the canary's query, result of the main's query) as the ``uri`` module
    registers them (``json``: Prometheus' answer; a skipped baseline query has none)."""
    check, canary, main = item
    return {"name": check.get("name"), "canary": (canary or {}).get("json"),
            "main": None if not main or main.get("skipped") else main.get("json"),
            "max": check.get("max"), "max_ratio": check.get("max_ratio")}
