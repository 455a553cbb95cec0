# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model list: validation and mapping of one entry to kserve-model chart values (pure, no I/O).

One entry of ``llmops_models`` / ``model_deploy_models``::

    name: qwen-tiny                  # Helm release and InferenceService name (DNS label)
    model_id: Qwen/Qwen2.5-0.5B-Instruct
    revision: main                   # optional: branch, tag or commit
    platform: xeon                   # a platform of module_utils/catalog.py: xeon | gaudi | gaudi3 | nvidia
    profile: cpu-tiny                # optional values-<profile>.yaml of that platform (catalog); default: the platform
    deployment_mode: Standard        # Knative | Standard (Serverless / RawDeployment accepted)
    replicas: 1
    max_replicas: 1                  # optional; default: replicas
    tensor_parallel_size: 1          # optional; default: the profile's
    local_model_cache: {}            # optional: KServe LocalModelCache (model_size, node_groups; module_utils/local_model.py)
    autoscaling: {}                  # optional: class, min/max replicas, metrics... (module_utils/autoscaling.py)
    values: {}                       # free-form chart values merged last
    state: present                   # present | absent
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

from ansible.module_utils.six.moves.collections_abc import Mapping

from ansible_collections.llmops.kserve.plugins.module_utils.autoscaling import (
    autoscaling_value_problems,
    inventory_chart_values,
    inventory_problems,
)
from ansible_collections.llmops.kserve.plugins.module_utils.catalog import LIMITS, catalog
from ansible_collections.llmops.kserve.plugins.module_utils.inputs import DNS1035_LABEL
from ansible_collections.llmops.kserve.plugins.module_utils import local_model

MODES = {"Knative": "Knative", "Standard": "Standard", "Serverless": "Knative", "RawDeployment": "Standard"}
STATES = ("present", "absent")
KNOWN_KEYS = ("name", "model_id", "revision", "platform", "profile", "deployment_mode", "replicas", "max_replicas",
              "tensor_parallel_size", "values", "state", "flavour", "autoscaling",
              "local_model_cache")
MODEL_NAME_MAX = LIMITS["model_name_max"]
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{10,}")
# A 40-hex commit, or a branch / tag name KServe's hf://owner/model:revision parser accepts (no '/' or ':').
REVISION = re.compile(r"^([0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$")


def _walk_strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk_strings(item)
    elif isinstance(value, str):
        yield value


def known_profiles(platforms=None):
    """(platforms, {profile: its platform}) allowed by ``platforms``: None -> every platform of the catalog.

    A name in ``platforms`` that the catalog knows as a profile of another platform (``cpu-tiny``) is a profile, not a
    platform (older role defaults listed profiles among the platforms); a name the catalog does not know is a platform
    of its own (a values-<name>.yaml the user added to a chart of their own).
    """
    cat = catalog()
    names = cat["platform_names"] if platforms is None else [str(name) for name in platforms]
    plats = [n for n in names if n not in cat["profiles"] or cat["profiles"][n]["platform"] == n]
    profiles = dict((name, entry["platform"]) for name, entry in cat["profiles"].items()
                    if entry["platform"] in plats or name in names)
    for name in plats:
        profiles.setdefault(name, name)
    return plats, profiles


def model_problems(models, platforms=None):
    """Every problem of the model list, as plain sentences naming the field, the value and what is allowed.

    ``platforms``: the allowed platforms (default: the catalog's, module_utils/catalog.py; see known_profiles)."""
    problems = []
    platforms, profiles = known_profiles(platforms)
    if not isinstance(models, list):
        return ["models must be a list of dicts, got %s" % type(models).__name__]
    seen = {}
    for index, model in enumerate(models):
        where = "models[%d]" % index
        if not isinstance(model, dict):
            problems.append("%s must be a dict, got %r" % (where, model))
            continue
        name = model.get("name")
        if name:
            where = "models[%d] (%s)" % (index, name)
        unknown = sorted(set(model) - set(KNOWN_KEYS))
        if unknown:
            problems.append("%s: unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(KNOWN_KEYS)))
        # a DNS-1035 label (what KServe accepts as an InferenceService name) of at most MODEL_NAME_MAX characters
        if not isinstance(name, str) or not DNS1035_LABEL.match(name) or len(name) > MODEL_NAME_MAX:
            problems.append("%s: name=%r is not allowed: use a DNS label of lowercase letters, digits and '-', "
                            "starting with a letter, at most %d characters" % (where, name, MODEL_NAME_MAX))
        elif name in seen:
            problems.append("%s: name=%r is used twice (also models[%d]); each model needs its own name"
                            % (where, name, seen[name]))
        else:
            seen[name] = index
        state = model.get("state", "present")
        if state not in STATES:
            problems.append("%s: state=%r is not allowed; allowed: %s" % (where, state, ", ".join(STATES)))
        if state == "absent":
            continue
        model_id = model.get("model_id")
        if not isinstance(model_id, str) or not REPO_ID.match(model_id):
            problems.append("%s: model_id=%r is not a Hugging Face repo id (owner/name)" % (where, model_id))
        revision = model.get("revision")
        # (a token-like value is reported, without the value, by the token check below)
        if revision is not None and not TOKEN_LIKE.search(str(revision)) and (
                not isinstance(revision, str) or not REVISION.match(revision)):
            problems.append("%s: revision=%r is not allowed: use a 40-hex commit SHA or a branch / tag name of letters, "
                            "digits, '.', '_' and '-' (no '/' or ':')" % (where, revision))
        platform = model.get("platform")
        if platform not in platforms:
            problems.append("%s: platform=%r is unknown; known platforms: %s" % (where, platform, ", ".join(sorted(platforms))))
        profile = model.get("profile")
        if profile is not None and profile not in profiles:
            problems.append("%s: profile=%r has no values-%s.yaml; known: %s" % (where, profile, profile, ", ".join(sorted(profiles))))
        elif profile is not None and platform in platforms and profiles[profile] != platform:
            problems.append("%s: profile=%r is a values file of platform %r, not of platform=%r; profiles of %r: %s"
                            % (where, profile, profiles[profile], platform, platform,
                               ", ".join(sorted(p for p, owner in profiles.items() if owner == platform))))
        mode = model.get("deployment_mode", "Standard")
        if mode not in MODES:
            problems.append("%s: deployment_mode=%r is unknown; allowed: Knative, Standard (old names Serverless, RawDeployment)"
                            % (where, mode))
        for key in ("replicas", "max_replicas", "tensor_parallel_size"):
            if key in model and (not isinstance(model[key], int) or isinstance(model[key], bool) or model[key] < 0):
                problems.append("%s: %s=%r must be a non-negative integer" % (where, key, model[key]))
        problems.extend(local_model.inventory_problems(where, model))
        if "values" in model and not isinstance(model["values"], dict):
            problems.append("%s: values must be a dict of chart values, got %r" % (where, type(model["values"]).__name__))
        scaling = inventory_problems(where, model)
        problems.extend(scaling)
        if not scaling and model_id and mode in MODES and isinstance(model.get("values", {}), dict) and all(
                model.get(key) is None or isinstance(model[key], int) for key in ("replicas", "max_replicas")):
            problems.extend(autoscaling_value_problems(where, model_chart_values(dict(model, platform=platform))))
        for text in _walk_strings(model):
            if TOKEN_LIKE.search(text):
                problems.append("%s: a value looks like a Hugging Face token (hf_...); never put the token in the model "
                                "list: it is read from HF_TOKEN into the Kubernetes Secret" % where)
                break
    return problems


def _plain(value):
    """A copy of nested dicts/lists as plain containers. Not copy.deepcopy: on ansible-core 2.19 a filter's input is a
    lazy container whose deepcopy also copies its templar with every variable of the play (100 models: minutes)."""
    if isinstance(value, Mapping):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _merge(base, override):
    result = _plain(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = _plain(value)
    return result


def model_chart_values(model):
    """Chart values (besides the profile's values file) for one valid model entry."""
    values = {"platform": model["platform"],
              "deploymentMode": MODES.get(model.get("deployment_mode", "Standard"), "Standard"),
              "model": {"id": model["model_id"]}}
    if model.get("revision"):
        # The chart owns the URI: model.revision becomes storageUri hf://<model.id>:<revision>.
        values["model"]["revision"] = model["revision"]
    if model.get("tensor_parallel_size") is not None:
        values["model"]["tensorParallelSize"] = model["tensor_parallel_size"]
    if model.get("flavour"):
        values["runtime"] = {"flavour": model["flavour"]}
    if model.get("replicas") is not None:
        replicas = model["replicas"]
        values["predictor"] = {"minReplicas": replicas, "maxReplicas": model.get("max_replicas", max(replicas, 1))}
    elif model.get("max_replicas") is not None:
        values["predictor"] = {"maxReplicas": model["max_replicas"]}
    values = _merge(values, inventory_chart_values(model))
    values = _merge(values, local_model.inventory_chart_values(model))
    return _merge(values, model.get("values") or {})


def model_profile(model):
    """Name of the chart values file profile (values-<profile>.yaml)."""
    return model.get("profile") or model["platform"]


def model_readiness(isvcs, names):
    """Split the named models into ready / not ready from a list of InferenceService objects.

    Returns ``{"ready": [name, ...], "not_ready": [{"name": ..., "reason": ...}], "rows": [...]}``; a model without
    an InferenceService is not ready ("no InferenceService yet").
    """
    by_name = {}
    for isvc in isvcs or []:
        by_name[isvc.get("metadata", {}).get("name")] = isvc
    ready, not_ready, failed = [], [], []
    for name in names:
        isvc = by_name.get(name)
        if isvc is None:
            not_ready.append({"name": name, "reason": "no InferenceService yet"})
            continue
        conditions = (isvc.get("status") or {}).get("conditions") or []
        ready_cond = [c for c in conditions if c.get("type") == "Ready"]
        if ready_cond and ready_cond[0].get("status") == "True":
            ready.append(name)
            continue
        failure = model_failure(isvc)
        if failure:
            entry = {"name": name, "reason": failure}
            failed.append(entry)
            not_ready.append(entry)
            continue
        pending = ["%s=%s%s" % (c.get("type"), c.get("status"),
                                (" (%s)" % (c.get("message") or c.get("reason"))) if (c.get("message") or c.get("reason")) else "")
                   for c in conditions if c.get("status") != "True"]
        not_ready.append({"name": name, "reason": "; ".join(pending) or "no status reported yet (is the KServe controller running?)"})
    return {"ready": ready, "not_ready": not_ready, "failed": failed}


FAILED_TRANSITIONS = ("BlockedByFailedLoad", "InvalidSpec")


def model_failure(isvc):
    """KServe's own verdict that a model cannot load, as text, or "" while it may still become Ready.

    KServe (v0.20.0, ``PropagateModelStatus``) sets ``status.modelStatus.transitionStatus`` to
    ``BlockedByFailedLoad`` when the predictor Pod's ``storage-initializer`` terminated with an error or waits in
    CrashLoopBackOff, with ``lastFailureInfo`` (reason ``ModelLoadFailed``, the container's termination message and
    exit code); ``InvalidSpec`` when the spec cannot work. Waiting longer does not change either.
    """
    model_status = (isvc.get("status") or {}).get("modelStatus") or {}
    transition = model_status.get("transitionStatus")
    if transition not in FAILED_TRANSITIONS:
        return ""
    info = model_status.get("lastFailureInfo") or {}
    message = " ".join(str(info.get("message") or "").split())
    if len(message) > 600:
        message = "..." + message[-600:]
    detail = ", ".join(p for p in (info.get("reason"), ("exit code %s" % info["exitCode"]) if info.get("exitCode") else "")
                       if p)
    return "%s%s%s" % (transition, " (%s)" % detail if detail else "", ": " + message if message else "")


POD_CHECKSUM = "llmops.kserve/pod-checksum"
STANDARD_MODES = ("Standard", "RawDeployment")


def model_rollouts(deployments, isvcs, names):
    """Whether the predictor Deployment of each named Standard-mode model has finished rolling out its current spec.

    KServe (v0.20.0, ``PropagateRawStatus``) reports an InferenceService Ready while its Deployment still rolls out
    a new pod template, as long as old Pods are Available: Ready alone cannot tell an upgrade that works from one
    whose new Pods never start. A model is rolled out when its predictor Deployment (labels
    ``serving.kserve.io/inferenceservice=<name>``, ``component=predictor``) carries the InferenceService's
    ``llmops.kserve/pod-checksum`` annotation in its pod template (KServe has applied the current spec), the
    Deployment controller has observed its generation, and every replica is updated and available with no old
    replica left. Models in Knative mode, and models not in ``isvcs``, are not checked here (ready).
    Returns ``{"ready": [name, ...], "not_ready": [{"name": ..., "reason": ...}]}``.
    """
    by_name = dict((i.get("metadata", {}).get("name"), i) for i in isvcs or [])
    predictors = {}
    for deployment in deployments or []:
        labels = deployment.get("metadata", {}).get("labels") or {}
        if labels.get("component", "predictor") == "predictor" and labels.get("serving.kserve.io/inferenceservice"):
            predictors.setdefault(labels["serving.kserve.io/inferenceservice"], []).append(deployment)
    ready, not_ready = [], []
    for name in names:
        isvc = by_name.get(name)
        annotations = (isvc or {}).get("metadata", {}).get("annotations") or {}
        if isvc is None or annotations.get("serving.kserve.io/deploymentMode", "Standard") not in STANDARD_MODES:
            ready.append(name)
            continue
        if not predictors.get(name):
            not_ready.append({"name": name, "reason": "no predictor Deployment yet"})
            continue
        reasons = []
        # A canary (KServe v0.20 spec.canary, Deployment <name>-<canary>-predictor) carries its own checksum in its
        # predictor annotations (charts/kserve-model): its Deployment is checked against that one.
        expected = {}
        for canary in (isvc.get("spec") or {}).get("canary") or []:
            predictor = canary.get("predictor") or {}
            if POD_CHECKSUM in (predictor.get("annotations") or {}):
                expected["%s-%s-predictor" % (name, predictor.get("name"))] = predictor["annotations"][POD_CHECKSUM]
        for deployment in predictors[name]:
            meta = deployment.get("metadata") or {}
            spec = deployment.get("spec") or {}
            status = deployment.get("status") or {}
            template = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
            want = spec.get("replicas", 1)
            dname = meta.get("name")
            checksum = expected.get(dname, annotations.get(POD_CHECKSUM))
            if checksum is not None and template.get(POD_CHECKSUM) != checksum:
                reasons.append("Deployment %s does not have the current pod spec yet (KServe has not applied it)" % dname)
            elif status.get("observedGeneration", 0) < meta.get("generation", 0):
                reasons.append("Deployment %s: the new generation is not observed yet" % dname)
            elif (status.get("updatedReplicas", 0) < want or status.get("replicas", 0) > status.get("updatedReplicas", 0)
                  or status.get("availableReplicas", 0) < want):
                conditions = ["%s=%s (%s)" % (c.get("type"), c.get("status"), c.get("message") or c.get("reason"))
                              for c in status.get("conditions") or [] if c.get("type") == "Progressing"]
                reasons.append("Deployment %s rolls out: %d of %d replicas updated, %d available, %d old replica(s) left%s"
                               % (dname, status.get("updatedReplicas", 0), want, status.get("availableReplicas", 0),
                                  max(status.get("replicas", 0) - status.get("updatedReplicas", 0), 0),
                                  ("; " + "; ".join(conditions)) if conditions else ""))
        if reasons:
            not_ready.append({"name": name, "reason": "; ".join(reasons)})
        else:
            ready.append(name)
    return {"ready": ready, "not_ready": not_ready}


def helm_revisions(results):
    """Release name -> {"revision", "chart", "status"} from the results of a ``kubernetes.core.helm_info`` loop over
    the models (each result has ``item.name`` and, when the release exists, ``status``). A release that is
    uninstalled (history kept) counts as absent."""
    revisions = {}
    for result in results or []:
        status = result.get("status") or {}
        if not status or str(status.get("status", "")).lower() in ("uninstalled", "uninstalling"):
            continue
        revisions[result["item"]["name"]] = {"revision": int(status["revision"]), "chart": status.get("chart"),
                                             "status": status.get("status")}
    return revisions


def model_rollback_plan(names, recorded, current, only=None):
    """What a failed deploy undoes. ``recorded``/``current``: ``helm_revisions`` before the apply and now.

    A release this run changed (it exists now, and did not before or has another revision now) is rolled back to
    its recorded revision, or uninstalled when it did not exist before (a first install). ``only``: restrict to
    these names (the models that did not become Ready); None: every changed release (a Helm error stopped the
    apply). Returns ``{"rollback": [{"name", "revision", "chart"}], "uninstall": [name], "unchanged": [name]}``.
    """
    plan = {"rollback": [], "uninstall": [], "unchanged": []}
    for name in names:
        if only is not None and name not in only:
            continue
        before, now = recorded.get(name), current.get(name)
        if now is None or (before is not None and before["revision"] == now["revision"]):
            plan["unchanged"].append(name)
        elif before is None:
            plan["uninstall"].append(name)
        else:
            plan["rollback"].append({"name": name, "revision": before["revision"], "chart": before.get("chart")})
    return plan


def _one_line(text):
    return re.sub(r"\s+", " ", str(text))


def model_failure_causes(helm_failed, not_ready, wait_timeout, failed_task="a task", failed_msg="unknown error"):
    """What made a deploy fail, one sentence each: the Helm error of each release that failed to apply
    (``helm_failed``: helm_releases results with an ``error``), else each model not Ready (``not_ready``: ``name``
    and ``reason``, from model_readiness / model_rollouts); when neither names a cause, the failed task and its
    message (``failed_task``, ``failed_msg``: ansible_failed_task.name and ansible_failed_result.msg)."""
    out = ["Helm error on model %s: %s" % (r["name"], _one_line(r["error"]).strip()) for r in helm_failed or []]
    for n in not_ready or []:
        if re.match(r"(BlockedByFailedLoad|InvalidSpec)", str(n["reason"])):
            out.append("%s cannot load, KServe reports %s" % (n["name"], n["reason"]))
        else:
            out.append("%s not Ready after %s s: %s" % (n["name"], wait_timeout, n["reason"]))
    if not out:
        out.append("%s failed: %s" % (failed_task, _one_line(failed_msg)))
    return out


def model_failure_report(v):
    """The lines of a failed deploy's report: what failed and what was undone. ``v``: ``namespace``, ``causes``
    (model_failure_causes), ``rollback`` (model_deploy_rollback_on_failure, a boolean), ``plan``
    (model_rollback_plan), ``rolled_back`` / ``uninstalled`` (the loop results of helm_rollback and helm
    state=absent), ``still_not_ready`` (``name``, ``reason`` of rolled back models not Ready again), ``waited``
    (whether the run waited for them) and ``leftover_pods`` (Pods of uninstalled models still there)."""
    plan = v["plan"]
    lines = ["Deploy failed in namespace %s:" % v["namespace"]] + list(v["causes"])
    if not v["rollback"]:
        lines.append("Not undone (model_deploy_rollback_on_failure=false): rollback would return %s to their recorded "
                     "revision and uninstall %s" % (", ".join(r["name"] for r in plan["rollback"]) or "none",
                                                    ", ".join(plan["uninstall"]) or "none"))
    else:
        still = v.get("still_not_ready") or []
        for r in v.get("rolled_back") or []:
            if "item" not in r or "skipped" in r:
                continue
            name = r["item"]["name"]
            if r.get("failed", False):
                lines.append("%s: rollback to revision %s FAILED: %s" % (name, r["item"]["revision"], _one_line(r.get("msg", ""))))
                continue
            if name in [s["name"] for s in still]:
                ready = "NOT Ready again: " + "; ".join(s["reason"] for s in still if s["name"] == name)
            else:
                ready = "Ready again" if v["waited"] else "not waited for"
            lines.append("%s: %s; %s" % (name, r.get("reason", ""), ready))
        for u in v.get("uninstalled") or []:
            if "skipped" in u:
                continue
            if u.get("failed", False):
                lines.append("%s: uninstall (first install) FAILED: %s" % (u["item"], _one_line(u.get("msg", ""))))
            else:
                lines.append("%s: uninstalled (first install, no revision to return to)" % u["item"])
        pods = v.get("leftover_pods") or []
        if pods:
            lines.append("Pods of uninstalled models still terminating: " + ", ".join(p["metadata"]["name"] for p in pods))
    if plan["unchanged"]:
        lines.append("left as they were (this run did not change their release): " + ", ".join(plan["unchanged"]))
    return lines


def release_ownership(results, namespace, chart_name, marker_key, marker_value):
    """Which of the releases asked for exist, and which are this collection's models. ``results``: the results of
    llmops.kserve.helm_releases_info (``item.name``, ``status`` when the release exists). A release is ours when it is
    of chart ``chart_name`` and its values carry ``commonLabels`` ``marker_key=marker_value``. Returns ``{"ours":
    [name], "foreign": [one sentence per release that is someone else's], "missing": [name]}``."""
    out = {"ours": [], "foreign": [], "missing": []}
    for result in results or []:
        name = result["item"]["name"]
        if "status" not in result:
            out["missing"].append(name)
            continue
        status = result["status"] or {}
        labels = (status.get("values") or {}).get("commonLabels") or {}
        chart = status.get("chart")
        if not re.match("^%s-v?[0-9]" % re.escape(chart_name), str(chart or "")):
            out["foreign"].append("release %s/%s is chart %s, not a model (chart %s)"
                                  % (namespace, name, chart if "chart" in status else "?", chart_name))
        elif labels.get(marker_key, "") != marker_value:
            out["foreign"].append("release %s/%s (chart %s) was not deployed by llmops.kserve (its values have no "
                                  "commonLabels %s=%s)" % (namespace, name, chart, marker_key, marker_value))
        else:
            out["ours"].append(name)
    return out


def model_rows(isvcs):
    """Summary rows (model, platform, mode, url, status) of InferenceService objects."""
    rows = []
    for isvc in isvcs or []:
        meta = isvc.get("metadata", {})
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        status = isvc.get("status") or {}
        ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
        state = "Ready" if ready and ready[0].get("status") == "True" else (model_failure(isvc) or "NotReady")
        rows.append({"model": meta.get("name"), "namespace": meta.get("namespace"),
                     "platform": labels.get("llmops.kserve/platform", "-"),
                     "mode": annotations.get("serving.kserve.io/deploymentMode", "-"),
                     "url": status.get("url") or "-", "status": state})
    return sorted(rows, key=lambda r: (r["namespace"] or "", r["model"] or ""))


def format_table(rows, columns=("model", "platform", "mode", "url", "status")):
    """Rows as aligned text lines with a header."""
    widths = [max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))]
    for row in rows:
        lines.append("  ".join(str(row.get(c, "")).ljust(w) for c, w in zip(columns, widths)))
    return [line.rstrip() for line in lines]


ACCELERATOR_PREFIXES = ("nvidia.com/", "habana.ai/", "amd.com/", "intel.com/", "gpu.intel.com/")


def model_capacity_request(rendered, name):
    """Capacity request (accelerator_capacity_info format) of a model from its rendered chart manifests.

    ``rendered`` is a list of Kubernetes objects (the chart's output); the InferenceService's predictor gives
    the requests, replicas, node selector and tolerations, so the chart stays the one source of truth.
    """
    isvc = None
    for obj in rendered or []:
        if isinstance(obj, dict) and obj.get("kind") == "InferenceService":
            isvc = obj
            break
    if isvc is None:
        return None
    predictor = isvc.get("spec", {}).get("predictor", {})
    container = predictor.get("model") or (predictor.get("containers") or [{}])[0]
    requests = dict(((container.get("resources") or {}).get("requests") or {}))
    limits = (container.get("resources") or {}).get("limits") or {}
    for key, value in limits.items():
        if key.startswith(ACCELERATOR_PREFIXES) and key not in requests:
            requests[key] = value
    resource, count = "cpu", requests.pop("cpu", "1")
    for key in sorted(requests):
        if key.startswith(ACCELERATOR_PREFIXES):
            resource, count = key, requests.pop(key)
            if "cpu" in dict(((container.get("resources") or {}).get("requests") or {})):
                requests["cpu"] = container["resources"]["requests"]["cpu"]
            break
    replicas = predictor.get("minReplicas")
    if replicas is None:
        replicas = 1
    return {"name": name, "resource": resource, "count": count, "replicas": max(int(replicas), 1),
            "node_selector": predictor.get("nodeSelector") or {}, "tolerations": predictor.get("tolerations") or [],
            "resources": requests}
