"""Unit tests of KServe's node-local model cache checks (plugins/module_utils/local_model.py), the model list key
local_model_cache (module_utils/models.py) and the chart's localModelCache template and checks (helm template)."""
from __future__ import annotations

import subprocess

import pytest
import yaml

import harness
from ansible_collections.llmops.kserve.plugins.module_utils import local_model as lm
from ansible_collections.llmops.kserve.plugins.module_utils import models as m

CHART = harness.ROOT / "charts" / "kserve-model"
GROUP_SPEC_PV = {"capacity": {"storage": "100Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/models"},
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                     {"key": "llmops.kserve/platform", "operator": "In", "values": ["xeon"]}]}]}}}


def group(name="cpu-nodes", limit="100Gi", pvc="100Gi"):
    spec = {"storageLimit": limit, "persistentVolumeSpec": GROUP_SPEC_PV,
            "persistentVolumeClaimSpec": {"accessModes": ["ReadWriteOnce"]}}
    if pvc is not None:
        spec["persistentVolumeClaimSpec"]["resources"] = {"requests": {"storage": pvc}}
    return {"apiVersion": lm.API_VERSION, "kind": "LocalModelNodeGroup", "metadata": {"name": name}, "spec": spec}


def cache(name, size, groups=("cpu-nodes",), model="qwen"):
    return {"model": model, "cache": {"apiVersion": lm.API_VERSION, "kind": "LocalModelCache", "metadata": {"name": name},
                                      "spec": {"sourceModelUri": "hf://o/" + name, "modelSize": size,
                                               "nodeGroups": list(groups)}}}


@pytest.mark.parametrize("text, expected", [
    ("20Gi", 20 * 2 ** 30), ("500M", 500 * 10 ** 6), ("1e9", 10 ** 9), ("1.5Gi", 3 * 2 ** 29), (".5Ki", 512),
    (1073741824, 2 ** 30), ("0", 0), ("12", 12), ("1Ti", 2 ** 40),
])
def test_parse_quantity(text, expected):
    assert lm.parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "20GB", "big", "-1Gi", None, True, "1.2.3Gi", "Gi", -5])
def test_parse_quantity_rejects(text):
    assert lm.parse_quantity(text) is None


def test_fits():
    assert lm.local_model_cache_problems([cache("a", "20Gi")], [group()], [], crds=list(lm.CRDS),
                                         config={"enabled": True}) == []


def test_no_caches_nothing_checked():
    assert lm.local_model_cache_problems([], [], [], crds=[], config={"enabled": False}) == []


def test_model_larger_than_storage_limit_names_model_field_value_and_allowed():
    problems = lm.local_model_cache_problems([cache("a", "120Gi")], [group(limit="100Gi", pvc="200Gi")])
    assert problems == ["model qwen: localModelCache.modelSize=120Gi does not fit LocalModelNodeGroup cpu-nodes: its "
                        "spec.storageLimit is 100Gi; allowed: a modelSize of at most 100Gi, or a node group with more "
                        "storage"]


def test_model_larger_than_pvc_request():
    problems = lm.local_model_cache_problems([cache("a", "60Gi")], [group(limit="500Gi", pvc="50Gi")])
    assert len(problems) == 1
    assert "spec.persistentVolumeClaimSpec.resources.requests.storage is 50Gi" in problems[0]
    assert "modelSize=60Gi" in problems[0]


def test_caches_together_with_live_ones_exceed_the_group():
    live = [cache("other", "70Gi", model=None)["cache"], cache("a", "999Gi")["cache"]]  # "a" is ours: replaced
    problems = lm.local_model_cache_problems([cache("a", "40Gi")], [group(limit="100Gi", pvc=None)], live)
    assert len(problems) == 1
    assert problems[0].startswith("LocalModelNodeGroup cpu-nodes: the caches on it need 110Gi together")
    assert "qwen 40Gi, LocalModelCache other 70Gi" in problems[0]
    assert "allowed: at most 100Gi in all" in problems[0]


def test_unknown_node_group():
    problems = lm.local_model_cache_problems([cache("a", "1Gi", groups=("gpu-nodes",))], [group()])
    assert problems == ["model qwen: localModelCache.nodeGroups names 'gpu-nodes', but no LocalModelNodeGroup of that "
                        "name exists; existing: cpu-nodes (kserve role: kserve_local_model_node_groups)"]


def test_missing_crds_and_disabled_feature():
    problems = lm.local_model_cache_problems([cache("a", "1Gi")], [group()], crds=[lm.CRDS[1]])
    assert len(problems) == 1 and "localmodelcaches.serving.kserve.io, localmodelnodes.serving.kserve.io" in problems[0]
    problems = lm.local_model_cache_problems([cache("a", "1Gi")], [group()], crds=list(lm.CRDS),
                                             config={"enabled": False})
    assert problems == ["models qwen set localModelCache.enabled=true, but KServe's inferenceservice-config has "
                        "localModel.enabled=False: KServe would ignore the caches; set kserve_local_model_enabled=true "
                        "(kserve role)"]


def test_cache_docs_from_rendered():
    docs = [{"kind": "InferenceService"}, cache("a", "1Gi")["cache"], None]
    assert lm.local_model_cache_docs([{"name": "qwen", "docs": docs}]) == [cache("a", "1Gi")]


@pytest.mark.parametrize("values, words", [
    ({"localModelCache": {"enabled": True, "modelSize": "2Gi", "nodeGroups": ["g"]}, "modelCache": {"enabled": True}},
     ["localModelCache.enabled=true and modelCache.enabled=true cannot be combined", "enable one of them"]),
    ({"localModelCache": {"enabled": True, "modelSize": "2GB", "nodeGroups": ["g"]}},
     ["localModelCache.modelSize='2GB' is not allowed", "e.g. 20Gi"]),
    ({"localModelCache": {"enabled": "true", "modelSize": "2Gi", "nodeGroups": []}},
     ["localModelCache.nodeGroups=[] is not allowed", "non-empty list"]),
    ({"localModelCache": {"enabled": True, "modelSize": "2Gi", "nodeGroups": ["g"]},
      "model": {"storageUri": "pvc://claim/x"}}, ["model.storageUri='pvc://claim/x' already is a PVC"]),
])
def test_values_problems(values, words):
    problems = lm.local_model_values_problems("qwen", values)
    assert len(problems) == 1, problems
    assert problems[0].startswith("model qwen: ")
    for word in words:
        assert word in problems[0]


def test_values_problems_off():
    assert lm.local_model_values_problems("qwen", {"localModelCache": {"enabled": False}, "modelCache": {"enabled": True}}) == []
    assert lm.local_model_values_problems("qwen", {"localModelCache": {"enabled": "false"}}) == []


def test_node_groups_checked_and_turned_into_objects():
    good = {"name": "cpu-nodes", "storage_limit": "100Gi", "persistent_volume_spec": GROUP_SPEC_PV,
            "persistent_volume_claim_spec": {"accessModes": ["ReadWriteOnce"],
                                             "resources": {"requests": {"storage": "100Gi"}}}}
    assert lm.node_group_problems([good]) == []
    objs = lm.node_group_objects([good], {"app.kubernetes.io/managed-by": "llmops-kserve"})
    assert objs[0]["kind"] == "LocalModelNodeGroup" and objs[0]["spec"]["storageLimit"] == "100Gi"
    assert objs[0]["metadata"] == {"name": "cpu-nodes", "labels": {"app.kubernetes.io/managed-by": "llmops-kserve"}}
    bad = dict(good, name="Bad_Name", storage_limit="lots", extra=1)
    del bad["persistent_volume_spec"]
    problems = lm.node_group_problems([bad, good, good])
    assert any("name='Bad_Name' is not allowed" in p for p in problems)
    assert any("storage_limit='lots' is not allowed" in p for p in problems)
    assert any("persistent_volume_spec is required" in p for p in problems)
    assert any("unknown key(s) extra" in p for p in problems)
    assert any("name='cpu-nodes' is used twice" in p for p in problems)
    assert lm.node_group_problems("x") == ["kserve_local_model_node_groups must be a list of LocalModelNodeGroup "
                                           "definitions, got str"]


# --- the model list key local_model_cache ----------------------------------------------------------------------


def entry(**kw):
    base = {"name": "qwen", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon",
            "local_model_cache": {"model_size": "2Gi", "node_groups": ["cpu-nodes"]}}
    base.update(kw)
    return base


def test_inventory_key_maps_to_chart_values():
    assert m.model_problems([entry()]) == []
    values = m.model_chart_values(entry())
    assert values["localModelCache"] == {"enabled": True, "modelSize": "2Gi", "nodeGroups": ["cpu-nodes"]}


@pytest.mark.parametrize("lmc, words", [
    ({"model_size": "2Gi"}, ["local_model_cache.node_groups=None is not allowed"]),
    ({"model_size": "two", "node_groups": ["g"]}, ["local_model_cache.model_size='two' is not allowed"]),
    ({"model_size": "2Gi", "node_groups": ["g"], "size": 1}, ["local_model_cache: unknown key(s) size"]),
    ("yes", ["local_model_cache must be a dict"]),
])
def test_inventory_key_problems(lmc, words):
    problems = m.model_problems([entry(local_model_cache=lmc)])
    assert problems, lmc
    for word in words:
        assert any(word in p and p.startswith("models[0] (qwen)") for p in problems), problems


def test_inventory_key_with_pvc_cache_is_one_clear_error():
    problems = m.model_problems([entry(values={"modelCache": {"enabled": True}})])
    assert problems == ["models[0] (qwen): localModelCache.enabled=true and modelCache.enabled=true cannot be combined: "
                        "KServe's LocalModelCache caches the weights on the nodes, modelCache downloads them into a PVC; "
                        "enable one of them"]


# --- the chart ------------------------------------------------------------------------------------------------------

BASE = ["-f", str(CHART / "values-xeon.yaml"), "--set", "model.id=Qwen/Qwen2.5-0.5B-Instruct"]
LMC = ["--set", "localModelCache.enabled=true", "--set", "localModelCache.modelSize=2Gi",
       "--set", "localModelCache.nodeGroups={cpu-nodes}"]


def template(*args):
    return subprocess.run([harness.helm_path(), "template", "qwen", str(CHART), "-n", "team-a", *BASE, *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.usefixtures("helm_bin")
def test_chart_renders_local_model_cache():
    proc = template(*LMC)
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    caches = [d for d in docs if d["kind"] == "LocalModelCache"]
    assert len(caches) == 1
    assert caches[0]["metadata"]["name"] == "qwen-team-a" and "namespace" not in caches[0]["metadata"]
    assert caches[0]["spec"] == {"sourceModelUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "modelSize": "2Gi",
                                 "nodeGroups": ["cpu-nodes"]}
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    # the predictor keeps the source URI: KServe's webhook matches it against the cache's sourceModelUri
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "hf://Qwen/Qwen2.5-0.5B-Instruct"
    assert not [d for d in docs if d["kind"] in ("PersistentVolumeClaim", "Job")]
    off = template()
    assert "LocalModelCache" not in off.stdout


@pytest.mark.usefixtures("helm_bin")
@pytest.mark.parametrize("args, words", [
    (LMC + ["--set", "modelCache.enabled=true"], ["localModelCache.enabled=true and modelCache.enabled=true cannot"]),
    (["--set", "localModelCache.enabled=true", "--set", "localModelCache.nodeGroups={g}"],
     ["localModelCache.modelSize is required"]),
    (["--set", "localModelCache.enabled=true", "--set", "localModelCache.modelSize=1Gi"],
     ["localModelCache.nodeGroups is required"]),
    (LMC + ["--set", "model.storageUri=pvc://c/x"], ["model.storageUri=\"pvc://c/x\" already is a PVC"]),
    (LMC + ["--set", "localModelCache.modelSize=lots"], ["/localModelCache/modelSize", "'lots' does not match"]),
])
def test_chart_refuses(args, words):
    proc = template(*args)
    assert proc.returncode != 0
    for word in words:
        assert word in proc.stderr, proc.stderr
