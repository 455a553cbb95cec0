# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a failed model deploy, moved from Jinja into Python (plugins/module_utils/models.py, filters
model_failure_causes and model_failure_report): the causes, then what was undone; roles/model_deploy/tasks/rollback.yml
passes the loop results of its rollback and uninstall tasks as they are (skipped items included)."""
from __future__ import annotations

from ansible_collections.llmops.kserve.plugins.filter.model_deploy import FilterModule

FILTERS = FilterModule().filters()
causes = FILTERS["model_failure_causes"]
report = FILTERS["model_failure_report"]


def test_causes_helm_errors_then_not_ready():
    helm = [{"name": "a", "error": "  Error: UPGRADE FAILED:\n  timed   out "}]
    assert causes(helm, [{"name": "b", "reason": "x"}], 600) == ["Helm error on model a: Error: UPGRADE FAILED: timed out",
                                                                 "b not Ready after 600 s: x"]


def test_causes_not_ready():
    not_ready = [{"name": "a", "reason": "BlockedByFailedLoad: no such model"}, {"name": "b", "reason": "InvalidSpec"},
                 {"name": "c", "reason": "Pending: 0/1 nodes"}]
    assert causes([], not_ready, "600") == [
        "a cannot load, KServe reports BlockedByFailedLoad: no such model",
        "b cannot load, KServe reports InvalidSpec",
        "c not Ready after 600 s: Pending: 0/1 nodes"]


def test_causes_the_failed_task_when_nothing_else():
    assert causes([], [], 600, "Apply the models", "boom\n  at  line 3") == ["Apply the models failed: boom at line 3"]
    assert causes([], [], 600) == ["a task failed: unknown error"]


PLAN = {"rollback": [{"name": "a", "revision": 2, "chart": "kserve-model-0.2.0"}, {"name": "b", "revision": 5, "chart": "c"}],
        "uninstall": ["n", "m"], "unchanged": ["u"]}


def inputs(**overrides):
    v = {"namespace": "llmops-models", "causes": ["Helm error on model a: boom"], "rollback": True, "plan": PLAN,
         "rolled_back": [], "uninstalled": [], "still_not_ready": [], "waited": True, "leftover_pods": []}
    v.update(overrides)
    return v


def test_not_undone():
    assert report(inputs(rollback=False)) == [
        "Deploy failed in namespace llmops-models:", "Helm error on model a: boom",
        "Not undone (model_deploy_rollback_on_failure=false): rollback would return a, b to their recorded revision and "
        "uninstall n, m",
        "left as they were (this run did not change their release): u"]
    empty = {"rollback": [], "uninstall": [], "unchanged": []}
    assert report(inputs(rollback=False, plan=empty))[-1].endswith("would return none to their recorded revision and uninstall none")


def test_undone():
    rolled = [{"item": PLAN["rollback"][0], "reason": "rolled back to revision 2", "changed": True},
              {"item": PLAN["rollback"][1], "failed": True, "msg": "helm rollback\n failed"},
              {"skipped": True, "item": {"name": "x", "revision": 1}}, {"msg": "no item"}]
    removed = [{"item": "n", "changed": True}, {"item": "m", "failed": True, "msg": "gone\twrong"}, {"item": "s", "skipped": True}]
    pods = [{"metadata": {"name": "n-predictor-1"}}, {"metadata": {"name": "n-predictor-2"}}]
    assert report(inputs(rolled_back=rolled, uninstalled=removed, leftover_pods=pods, plan=dict(PLAN, unchanged=[]))) == [
        "Deploy failed in namespace llmops-models:", "Helm error on model a: boom",
        "a: rolled back to revision 2; Ready again",
        "b: rollback to revision 5 FAILED: helm rollback failed",
        "n: uninstalled (first install, no revision to return to)",
        "m: uninstall (first install) FAILED: gone wrong",
        "Pods of uninstalled models still terminating: n-predictor-1, n-predictor-2"]


def test_rolled_back_but_not_ready_again_or_not_waited():
    rolled = [{"item": PLAN["rollback"][0], "reason": "r"}, {"item": PLAN["rollback"][1]}]
    still = [{"name": "a", "reason": "Pending"}, {"name": "a", "reason": "again"}]
    assert report(inputs(rolled_back=rolled, still_not_ready=still))[2:4] == ["a: r; NOT Ready again: Pending; again",
                                                                              "b: ; Ready again"]
    assert report(inputs(rolled_back=rolled, waited=False))[2:4] == ["a: r; not waited for", "b: ; not waited for"]


def test_release_ownership():
    marker = {"commonLabels": {"llmops.kserve/managed-by": "llmops-kserve"}}
    results = [
        {"item": {"name": "ours"}, "status": {"chart": "kserve-model-0.2.0", "values": marker}},
        {"item": {"name": "ours-v"}, "status": {"chart": "kserve-model-v1.0.0", "values": marker}},
        {"item": {"name": "gone"}},
        {"item": {"name": "other-chart"}, "status": {"chart": "nginx-1.0.0", "values": marker}},
        {"item": {"name": "no-chart"}, "status": {"values": None}},
        {"item": {"name": "unmarked"}, "status": {"chart": "kserve-model-0.2.0", "values": {"commonLabels": None}}},
        {"item": {"name": "prefix"}, "status": {"chart": "kserve-models-0.2.0", "values": marker}},
    ]
    assert FILTERS["release_ownership"](results, "ns", "kserve-model", "llmops.kserve/managed-by", "llmops-kserve") == {
        "ours": ["ours", "ours-v"], "missing": ["gone"], "foreign": [
            "release ns/other-chart is chart nginx-1.0.0, not a model (chart kserve-model)",
            "release ns/no-chart is chart ?, not a model (chart kserve-model)",
            "release ns/unmarked (chart kserve-model-0.2.0) was not deployed by llmops.kserve (its values have no "
            "commonLabels llmops.kserve/managed-by=llmops-kserve)",
            "release ns/prefix is chart kserve-models-0.2.0, not a model (chart kserve-model)"]}
