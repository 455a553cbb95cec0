# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration tests of roles/serving_runtimes (playbooks/register_runtimes.yml) against the local cluster.

The cluster runs a real kube-apiserver with KServe's CRDs, so every ClusterServingRuntime the role applies goes
through the API server's schema validation. The tests run ansible-playbook as a subprocess (argument lists), in
order: bad input fails before any change, check mode creates nothing, apply, idempotence, InferenceServices per
platform, check mode on a change, removing a platform, auto detection, a platform added as data, removal.
"""
from __future__ import annotations

import copy
import json
import subprocess

import pytest
import yaml

import harness

ROOT = harness.ROOT
PLAYBOOK = "playbooks/register_runtimes.yml"
CHART = ROOT / "charts" / "kserve-runtimes"
HELM = harness.helm_path()  # the env fixture fails when it is missing
RELEASE = "llmops-runtimes"
RELEASE_NS = "kserve"
GROUP, VERSION, PLURAL = "serving.kserve.io", "v1alpha1", "clusterservingruntimes"

ALL_PLATFORMS = ["gaudi", "gaudi3", "nvidia", "xeon"]
RUNTIMES = {
    "xeon": ["llmops-hf-xeon", "llmops-vllm-xeon"],
    "gaudi": ["llmops-vllm-gaudi"],
    "gaudi3": ["llmops-vllm-gaudi3"],
    "nvidia": ["llmops-hf-nvidia", "llmops-vllm-nvidia"],
}
ALL_RUNTIMES = sorted(r for names in RUNTIMES.values() for r in names)
# Device resources an InferenceService asks for on each platform.
DEVICES = {"xeon": {}, "gaudi": {"habana.ai/gaudi": "1"}, "gaudi3": {"habana.ai/gaudi": "2"}, "nvidia": {"nvidia.com/gpu": "1"}}


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin) -> dict[str, str]:
    return harness.ansible_env(kubeconfig, helm_bin)


@pytest.fixture(scope="module")
def api(kubeconfig):
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield client.CustomObjectsApi(api_client)
    api_client.close()


@pytest.fixture(scope="module")
def play(env):
    def _play(extra: dict | None = None, *args: str) -> harness.PlaybookRun:
        extra = {"serving_runtimes_helm_binary": HELM, **(extra or {})}
        return harness.run_playbook(PLAYBOOK, "-e", json.dumps(extra), *args, env=env, timeout=300).with_recap()

    return _play


@pytest.fixture(scope="module", autouse=True)
def clean_catalog(play, kubeconfig):
    """Start from no catalog release and leave none behind (nor the release namespace, when the tests made it)."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    core = client.CoreV1Api(api_client)
    try:
        core.read_namespace(RELEASE_NS)
        namespace_existed = True
    except ApiException as exc:
        assert exc.status == 404, exc
        namespace_existed = False
    before = play({"serving_runtimes_state": "absent"})
    assert before.rc == 0, before
    yield
    after = play({"serving_runtimes_state": "absent"})
    assert after.rc == 0, after
    if not namespace_existed:
        core.delete_namespace(RELEASE_NS)
    api_client.close()


def runtimes(api) -> dict[str, dict]:
    items = api.list_cluster_custom_object(GROUP, VERSION, PLURAL)["items"]
    return {i["metadata"]["name"]: i for i in items if i["metadata"]["name"].startswith("llmops-")}


def helm(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def release_values(env) -> dict | None:
    proc = helm(env, "get", "values", RELEASE, "-n", RELEASE_NS, "-o", "json")
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def release_revision(env) -> int | None:
    proc = helm(env, "history", RELEASE, "-n", RELEASE_NS, "-o", "json")
    return max(r["revision"] for r in json.loads(proc.stdout)) if proc.returncode == 0 else None


def is_subset(expected, actual) -> bool:
    """Everything rendered survived the API server (nothing pruned or rewritten)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and is_subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(is_subset(e, a) for e, a in zip(expected, actual))
    return expected == actual


# ---------------------------------------------------------------------------------------------------------------
def test_unknown_platform_fails_before_any_change(play, api, env):
    run = play({"serving_runtimes_platforms": ["xeon", "tpu"]})
    assert run.rc != 0 and run.failed == 1 and run.changed == 0, run
    assert "unknown platform(s) tpu" in run.output
    assert "known platforms: gaudi, gaudi3, nvidia, xeon" in run.output
    assert runtimes(api) == {}
    assert release_values(env) is None


def test_image_without_tag_fails_naming_the_entry(play, api, env):
    overrides = {"catalog": {"llmops-vllm-gaudi3": {"image": "vault.habana.ai/gaudi-docker/vllm-plugin"}}}
    run = play({"serving_runtimes_platforms": ALL_PLATFORMS, "serving_runtimes_catalog_overrides": overrides})
    assert run.rc != 0 and run.changed == 0, run
    assert "catalog entry 'llmops-vllm-gaudi3'" in run.output
    assert "vault.habana.ai/gaudi-docker/vllm-plugin" in run.output
    assert "tag" in run.output
    assert runtimes(api) == {}
    assert release_values(env) is None


def test_bad_registry_mirror_fails_before_any_change(play, api, env):
    run = play({"serving_runtimes_platforms": ["xeon"], "serving_runtimes_image_registry": "https://mirror.example.com"})
    assert run.rc != 0 and run.changed == 0, run
    assert "serving_runtimes_image_registry: 'https://mirror.example.com'" in run.output
    assert runtimes(api) == {}
    assert release_values(env) is None


def test_check_mode_install_reports_a_change_and_creates_nothing(play, api, env):
    run = play({"serving_runtimes_platforms": ALL_PLATFORMS}, "--check")
    assert run.rc == 0 and run.changed == 1, run
    assert runtimes(api) == {}
    assert release_values(env) is None


def test_apply_all_platforms(play, api, env, tmp_path):
    run = play({"serving_runtimes_platforms": ALL_PLATFORMS})
    assert run.rc == 0 and run.changed == 1, run
    stored = runtimes(api)
    assert sorted(stored) == ALL_RUNTIMES
    assert release_values(env)["platforms"] == ALL_PLATFORMS

    # The API server accepted (schema-validated) exactly what the chart rendered: nothing was pruned.
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"platforms": ALL_PLATFORMS}), encoding="utf-8")
    rendered = helm(env, "template", RELEASE, str(CHART), "-f", str(values))
    assert rendered.returncode == 0, rendered.stderr
    docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(rendered.stdout) if d}
    assert sorted(docs) == ALL_RUNTIMES
    for name, doc in docs.items():
        assert is_subset(doc["spec"], stored[name]["spec"]), f"{name}: stored spec differs from the rendered one"
        # and strict field validation finds no unknown or duplicate field either
        probe = copy.deepcopy(doc)
        probe["metadata"] = {"name": f"{name}-strict-check"}
        api.create_cluster_custom_object(GROUP, VERSION, PLURAL, probe, dry_run="All", field_validation="Strict")


def test_second_run_changes_nothing(play, env):
    revision = release_revision(env)
    run = play({"serving_runtimes_platforms": ALL_PLATFORMS})
    assert run.rc == 0 and run.changed == 0, run
    assert release_revision(env) == revision


@pytest.mark.parametrize(("platform", "runtime"), [(p, r) for p, names in sorted(RUNTIMES.items()) for r in names])
def test_inference_service_referencing_the_runtime_is_accepted(api, platform, runtime):
    limits = {"cpu": "8", "memory": "32Gi", **DEVICES[platform]}
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": f"it-{runtime.removeprefix('llmops-')}", "namespace": "default"},
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "huggingface", "version": "1"},
                    "runtime": runtime,
                    "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
                    "args": ["--max-model-len=4096"],
                    "resources": {"requests": limits, "limits": limits},
                }
            }
        },
    }
    created = api.create_namespaced_custom_object(
        "serving.kserve.io", "v1beta1", "default", "inferenceservices", isvc, dry_run="All", field_validation="Strict"
    )
    assert created["spec"]["predictor"]["model"]["runtime"] == runtime
    stored = runtimes(api)[runtime]
    assert stored["metadata"]["labels"]["llmops.kserve/platform"] == platform
    assert {"name": "huggingface", "version": "1"}.items() <= stored["spec"]["supportedModelFormats"][0].items()


def test_inference_service_dry_run_does_validate(api):
    """Control for the test above: the same server-side dry run rejects an unknown field."""
    from kubernetes.client.exceptions import ApiException

    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "it-invalid", "namespace": "default"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"}, "runtime": "llmops-vllm-xeon", "runtimee": "x"}}},
    }
    with pytest.raises(ApiException) as err:
        api.create_namespaced_custom_object(
            "serving.kserve.io", "v1beta1", "default", "inferenceservices", isvc, dry_run="All", field_validation="Strict"
        )
    assert err.value.status in (400, 422)


def test_check_mode_on_a_change_reports_it_and_changes_nothing(play, api, env):
    revision = release_revision(env)
    run = play({"serving_runtimes_platforms": ["xeon", "nvidia"]}, "--check")
    assert run.rc == 0 and run.changed == 1, run
    assert sorted(runtimes(api)) == ALL_RUNTIMES
    assert release_revision(env) == revision


def test_removing_a_platform_removes_its_runtimes(play, api, env):
    run = play({"serving_runtimes_platforms": ["xeon", "gaudi3", "nvidia"]})
    assert run.rc == 0 and run.changed == 1, run
    assert sorted(runtimes(api)) == sorted(set(ALL_RUNTIMES) - {"llmops-vllm-gaudi"})
    assert release_values(env)["platforms"] == ["gaudi3", "nvidia", "xeon"]
    again = play({"serving_runtimes_platforms": ["xeon", "gaudi3", "nvidia"]})
    assert again.rc == 0 and again.changed == 0, again


def test_auto_detects_the_platforms_of_the_nodes(play, api, env):
    run = play({"serving_runtimes_platforms": "auto"})
    assert run.rc == 0 and run.changed == 1, run
    assert "Platforms gaudi, gaudi3, nvidia, xeon" in run.output
    assert release_values(env)["platforms"] == ALL_PLATFORMS
    assert sorted(runtimes(api)) == ALL_RUNTIMES
    again = play({"serving_runtimes_platforms": "auto"})
    assert again.rc == 0 and again.changed == 0, again


def test_auto_follows_the_detection_rules(play, api, env):
    """Detection is data: with rules that no Gaudi node matches, auto drops the Gaudi runtimes."""
    rules = {
        "xeon": {"labels": {"feature.node.kubernetes.io/cpu-model.vendor_id": "Intel"}},
        "gaudi": {"labels": {"habana.ai/gaudi.generation": "2"}, "allocatable": ["habana.ai/gaudi-not-a-resource"]},
        "nvidia": {"allocatable": ["nvidia.com/gpu"], "allocatable_prefixes": ["nvidia.com/mig-"]},
    }
    run = play({"serving_runtimes_platforms": "auto", "serving_runtimes_platform_detection": rules})
    assert run.rc == 0, run
    assert release_values(env)["platforms"] == ["nvidia", "xeon"]
    assert sorted(runtimes(api)) == sorted(RUNTIMES["nvidia"] + RUNTIMES["xeon"])


def test_auto_with_no_matching_node_fails(play, api):
    before = sorted(runtimes(api))
    run = play({"serving_runtimes_platforms": "auto", "serving_runtimes_platform_detection": {"xeon": {"labels": {"no.such/label": "x"}}}})
    assert run.rc != 0 and run.changed == 0, run
    assert "no node of the" in run.output and "List the platforms explicitly" in run.output
    assert sorted(runtimes(api)) == before


def test_a_platform_added_as_data(play, api, env, tmp_path):
    """A new platform = a catalog entry (+ a detection rule for auto), passed as role variables."""
    extra_vars = tmp_path / "mi300.yml"
    extra_vars.write_text(
        """
serving_runtimes_platforms: [mi300, xeon]
serving_runtimes_image_registry: mirror.example.com:5000
serving_runtimes_catalog_overrides:
  catalog:
    llmops-vllm-mi300:
      platform: mi300
      image: registry.example.com/rocm/vllm:0.11.0-rocm7.0
      args: ["--port=8080", "--model=/mnt/models", !unsafe "--served-model-name={{.Name}}"]
      resources:
        limits: {amd.com/gpu: "1"}
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: ["ALL"]}
        seccompProfile: {type: RuntimeDefault}
      probes:
        readiness: {httpGet: {path: /health}}
      supportedModelFormats:
        - {name: huggingface, version: "1", autoSelect: true, priority: 45}
""",
        encoding="utf-8",
    )
    run = play(None, "-e", f"@{extra_vars}")
    assert run.rc == 0 and run.changed == 1, run
    stored = runtimes(api)
    assert sorted(stored) == sorted(["llmops-vllm-mi300", *RUNTIMES["xeon"]])
    mi300 = stored["llmops-vllm-mi300"]["spec"]["containers"][0]
    assert mi300["resources"]["limits"]["amd.com/gpu"] == "1"
    assert "--served-model-name={{.Name}}" in mi300["args"]
    assert mi300["ports"] == [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}]
    # the registry mirror applies to every image, the new platform's included
    images = {name: doc["spec"]["containers"][0]["image"] for name, doc in stored.items()}
    assert images["llmops-vllm-mi300"] == "mirror.example.com:5000/rocm/vllm:0.11.0-rocm7.0"
    assert images["llmops-vllm-xeon"] == "mirror.example.com:5000/vllm/vllm-openai-cpu:v0.32.0"
    assert all(image.startswith("mirror.example.com:5000/") for image in images.values()), images


def test_absent_removes_the_catalog(play, api, env):
    run = play({"serving_runtimes_state": "absent"})
    assert run.rc == 0 and run.changed == 1, run
    assert runtimes(api) == {}
    assert release_values(env) is None
    again = play({"serving_runtimes_state": "absent"})
    assert again.rc == 0 and again.changed == 0, again
