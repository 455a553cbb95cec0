# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of model_rollouts, helm_revisions and model_rollback_plan (plugins/module_utils/models.py): a finished rollout of the current spec versus
KServe's Ready, which stays True while old Pods serve. The Deployment objects below have the shape the Deployment
controller gives them; the end-to-end proof with KServe's controller is tests/e2e/test_deploy_failure.py."""

from __future__ import annotations

from ansible_collections.llmops.kserve.plugins.module_utils.models import helm_revisions, model_rollback_plan, model_rollouts


def isvc(name, checksum="abc", mode="Standard"):
    annotations = {"serving.kserve.io/deploymentMode": mode}
    if checksum:
        annotations["llmops.kserve/pod-checksum"] = checksum
    return {"metadata": {"name": name, "annotations": annotations}}


def deployment(name, checksum="abc", replicas=1, generation=2, observed=2, updated=1, total=1, available=1, component="predictor"):
    return {"metadata": {"name": name + "-predictor", "generation": generation,
                         "labels": {"serving.kserve.io/inferenceservice": name, "component": component}},
            "spec": {"replicas": replicas, "template": {"metadata": {"annotations": {"llmops.kserve/pod-checksum": checksum}}}},
            "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available,
                       "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}}


def reasons(result):
    return dict((r["name"], r["reason"]) for r in result["not_ready"])


def test_finished_rollout_of_the_current_spec_is_ready():
    assert model_rollouts([deployment("a")], [isvc("a")], ["a"]) == {"ready": ["a"], "not_ready": []}


def test_deployment_with_the_previous_pod_spec_is_not_ready():
    result = model_rollouts([deployment("a", checksum="old")], [isvc("a", checksum="new")], ["a"])
    assert "does not have the current pod spec yet" in reasons(result)["a"]


def test_old_pod_still_serving_while_the_new_one_is_pending_is_not_ready():
    # one replica: the new Pod is Pending (updated, not available), the old one still serves (KServe says Ready)
    result = model_rollouts([deployment("a", updated=1, total=2, available=1)], [isvc("a")], ["a"])
    assert "1 old replica(s) left" in reasons(result)["a"]
    assert "Progressing=True (ReplicaSetUpdated)" in reasons(result)["a"]


def test_unobserved_generation_and_missing_replicas_are_not_ready():
    assert "not observed yet" in reasons(model_rollouts([deployment("a", observed=1)], [isvc("a")], ["a"]))["a"]
    assert "0 available" in reasons(model_rollouts([deployment("a", available=0)], [isvc("a")], ["a"]))["a"]


def test_no_deployment_yet():
    assert reasons(model_rollouts([], [isvc("a")], ["a"]))["a"] == "no predictor Deployment yet"


def test_knative_models_and_unknown_names_are_not_checked_here():
    assert model_rollouts([], [isvc("k", mode="Knative"), isvc("s")], ["k", "x"]) == {"ready": ["k", "x"], "not_ready": []}


def test_release_without_checksum_still_needs_a_finished_rollout():
    assert model_rollouts([deployment("a", checksum="any")], [isvc("a", checksum=None)], ["a"])["ready"] == ["a"]
    assert model_rollouts([deployment("a", total=2)], [isvc("a", checksum=None)], ["a"])["ready"] == []


def test_other_components_are_ignored():
    result = model_rollouts([deployment("a"), deployment("a", component="transformer", available=0)], [isvc("a")], ["a"])
    assert result["ready"] == ["a"]


def info(name, revision=None, state="deployed", chart="kserve-model-0.1.0"):
    """One result of a kubernetes.core.helm_info loop (status.revision is a string there)."""
    result = {"item": {"name": name}, "changed": False}
    if revision is not None:
        result["status"] = {"name": name, "revision": str(revision), "status": state, "chart": chart}
    return result


def test_helm_revisions_keeps_existing_releases_only():
    revisions = helm_revisions([info("a", 3), info("b"), info("c", 2, state="uninstalled"), info("d", 1, state="failed")])
    assert revisions == {"a": {"revision": 3, "chart": "kserve-model-0.1.0", "status": "deployed"},
                         "d": {"revision": 1, "chart": "kserve-model-0.1.0", "status": "failed"}}


def test_plan_after_a_helm_error_undoes_every_change_of_the_run():
    recorded = helm_revisions([info("a", 1), info("b"), info("c"), info("d", 4)])
    # a upgraded, b's install failed (atomic: Helm removed it), c installed after b's failure, d unchanged
    current = helm_revisions([info("a", 2), info("b"), info("c", 1), info("d", 4)])
    plan = model_rollback_plan(["a", "b", "c", "d"], recorded, current)
    assert plan == {"rollback": [{"name": "a", "revision": 1, "chart": "kserve-model-0.1.0"}], "uninstall": ["c"],
                    "unchanged": ["b", "d"]}


def test_plan_after_a_wait_timeout_undoes_only_the_models_that_are_not_ready():
    recorded = helm_revisions([info("a", 1), info("b", 5)])
    current = helm_revisions([info("a", 2), info("b", 6), info("n", 1)])
    plan = model_rollback_plan(["a", "b", "n"], recorded, current, only=["b", "n"])
    assert plan == {"rollback": [{"name": "b", "revision": 5, "chart": "kserve-model-0.1.0"}], "uninstall": ["n"],
                    "unchanged": []}


def test_plan_never_touches_a_release_this_run_did_not_change():
    recorded = helm_revisions([info("a", 7, state="failed")])
    assert model_rollback_plan(["a"], recorded, recorded) == {"rollback": [], "uninstall": [], "unchanged": ["a"]}
