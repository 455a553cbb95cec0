# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render tests for charts/kserve-runtimes (the ClusterServingRuntime catalog).

They run the real helm binary (env HELM_BIN, else $LLMOPS_CACHE/bin/helm; missing: the tests fail) over
`helm lint --strict` and `helm template`, and assert per runtime what matters on its platform: devices, env, capabilities, seccomp,
selectors/affinity, tolerations, volumes, ports, probes, model formats and protocols; plus the catalog mechanics
(platform filter, registry mirror, add-a-platform as data) and the bad values the chart must reject.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

import harness

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kserve-runtimes"
README = CHART / "README.md"
HELM = harness.helm_path()
pytestmark = pytest.mark.usefixtures("helm_bin")  # fails every test, naming `make tools`, when helm is missing

ALL_RUNTIMES = {
    "llmops-vllm-xeon",
    "llmops-vllm-gaudi",
    "llmops-vllm-gaudi3",
    "llmops-vllm-nvidia",
    "llmops-hf-xeon",
    "llmops-hf-nvidia",
}
VLLM = ["llmops-vllm-xeon", "llmops-vllm-gaudi", "llmops-vllm-gaudi3", "llmops-vllm-nvidia"]
HF = ["llmops-hf-xeon", "llmops-hf-nvidia"]
GAUDI = {"llmops-vllm-gaudi": "2", "llmops-vllm-gaudi3": "3"}
PINNED = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$")


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120, check=False)


def values_file(tmp_path: Path, values: dict, name: str = "values.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return str(path)


def render(*args: str) -> dict[str, dict]:
    proc = helm("template", "rt", str(CHART), *args)
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    out = {}
    for doc in docs:
        assert doc["apiVersion"] == "serving.kserve.io/v1alpha1"
        assert doc["kind"] == "ClusterServingRuntime"
        assert "namespace" not in doc["metadata"], "ClusterServingRuntimes are cluster-scoped"
        out[doc["metadata"]["name"]] = doc
    assert len(out) == len(docs), "duplicate runtime names"
    return out


def render_error(*args: str) -> str:
    proc = helm("template", "rt", str(CHART), *args)
    assert proc.returncode != 0, f"helm template should have failed:\n{proc.stdout[:2000]}"
    return proc.stderr


def container(doc: dict) -> dict:
    containers = doc["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env(doc: dict) -> dict[str, str]:
    items = container(doc).get("env", [])
    names = [e["name"] for e in items]
    assert len(names) == len(set(names)), "duplicate env names"
    return {e["name"]: e.get("value") for e in items}


def caps(doc: dict) -> dict:
    return container(doc)["securityContext"].get("capabilities", {})


@pytest.fixture(scope="module")
def default() -> dict[str, dict]:
    return render()


# ---------------------------------------------------------------------------------------------------------------
# chart hygiene
# ---------------------------------------------------------------------------------------------------------------
def test_helm_lint_strict():
    proc = helm("lint", "--strict", str(CHART))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_default_renders_the_whole_catalog(default):
    assert set(default) == ALL_RUNTIMES


def test_common_runtime_contract(default):
    """What every runtime must satisfy for KServe and Knative."""
    for name, doc in default.items():
        spec = doc["spec"]
        assert spec["disabled"] is False and spec["multiModel"] is False, name
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["llmops.kserve/platform"] == spec["labels"]["llmops.kserve/platform"]
        c = container(doc)
        assert c["name"] == "kserve-container", name
        assert PINNED.match(c["image"]), f"{name}: image {c['image']} is not pinned"
        # Knative: one port, named http1 (or h2c)
        assert c["ports"] == [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}], name
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert c[probe]["httpGet"]["port"] == 8080, f"{name}.{probe}"
            assert "health" in c[probe]["httpGet"]["path"], f"{name}.{probe}"
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["privileged"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert sc["seccompProfile"]["type"] in ("RuntimeDefault", "Unconfined", "Localhost"), name
        assert spec["hostIPC"] is False, name
        # env values must be strings for the Kubernetes API
        for e in c.get("env", []):
            assert isinstance(e.get("value"), str) or "valueFrom" in e, f"{name}: env {e}"
        # prometheus scraping of the serving port
        assert spec["annotations"]["prometheus.kserve.io/port"] == "8080", name
        formats = spec["supportedModelFormats"]
        assert {"name": "huggingface", "version": "1", "autoSelect": True} == {k: formats[0][k] for k in ("name", "version", "autoSelect")}
        assert isinstance(formats[0]["priority"], int) and formats[0]["priority"] > 1, f"{name}: priority 1 collides with KServe's own runtime"


def test_auto_select_priorities_are_unique_and_vllm_wins_on_each_platform(default):
    prio = {name: doc["spec"]["supportedModelFormats"][0]["priority"] for name, doc in default.items()}
    assert len(set(prio.values())) == len(prio), prio
    assert prio["llmops-vllm-xeon"] > prio["llmops-hf-xeon"]
    assert prio["llmops-vllm-nvidia"] > prio["llmops-hf-nvidia"]


def test_kserve_placeholder_is_emitted_literally():
    proc = helm("template", "rt", str(CHART))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("--served-model-name={{.Name}}") == len(VLLM)
    assert proc.stdout.count("--model_name={{.Name}}") == len(HF)


def test_no_server_type_annotation_so_kserve_keeps_the_pinned_tags(default):
    for name, doc in default.items():
        assert "serving.kserve.io/server-type" not in (doc["metadata"].get("annotations") or {}), name


# ---------------------------------------------------------------------------------------------------------------
# per platform
# ---------------------------------------------------------------------------------------------------------------
def test_vllm_xeon(default):
    doc = default["llmops-vllm-xeon"]
    c = container(doc)
    assert "/vllm-openai-cpu:" in c["image"]
    e = env(doc)
    assert int(e["VLLM_CPU_KVCACHE_SPACE"]) > 0
    assert e["VLLM_CPU_OMP_THREADS_BIND"]
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" in e
    assert "--dtype=bfloat16" in c["args"]
    assert caps(doc) == {"drop": ["ALL"], "add": ["SYS_NICE"]}
    assert c["securityContext"]["seccompProfile"] == {"type": "Unconfined"}
    # NUMA binding wants Guaranteed QoS: requests == limits, no accelerators
    res = c["resources"]
    assert res["requests"] == res["limits"]
    assert not any("/" in k for k in res["limits"]), res
    node_affinity = doc["spec"]["affinity"]["nodeAffinity"]
    required = node_affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "feature.node.kubernetes.io/cpu-model.vendor_id", "operator": "In", "values": ["Intel"]} in required
    preferred = [expr for p in node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] for expr in p["preference"]["matchExpressions"]]
    assert {"key": "feature.node.kubernetes.io/cpu-cpuid.AMXBF16", "operator": "In", "values": ["true"]} in preferred
    assert "tolerations" not in doc["spec"]


@pytest.mark.parametrize("name", sorted(GAUDI))
def test_vllm_gaudi(default, name):
    doc = default[name]
    c = container(doc)
    # Intel names its vLLM images habanalabs/vllm-<vllm>-pt<fork|upstream>-<pt> (Gaudi 1.24+; vllm-plugin-<pt> before)
    assert c["image"].startswith("vault.habana.ai/gaudi-docker/") and "/habanalabs/vllm-" in c["image"]
    res = c["resources"]
    assert res["limits"]["habana.ai/gaudi"] == res["requests"]["habana.ai/gaudi"] == "1"
    # hugepages: requests must equal limits, and memory must be requested alongside
    assert res["limits"]["hugepages-2Mi"] == res["requests"]["hugepages-2Mi"]
    assert "memory" in res["requests"]
    e = env(doc)
    assert e["PT_HPU_ENABLE_LAZY_COLLECTIVES"] == "true"
    assert "HABANA_VISIBLE_DEVICES" not in e
    # minimal capabilities: SYS_NICE only, nothing privileged
    assert caps(doc) == {"drop": ["ALL"], "add": ["SYS_NICE"]}
    assert c["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert doc["spec"]["nodeSelector"]["habana.ai/gaudi.generation"] == GAUDI[name]
    assert {"key": "habana.ai/gaudi", "operator": "Exists", "effect": "NoSchedule"} in doc["spec"]["tolerations"]
    assert not any(k.startswith("nvidia.com/") for k in res["limits"])


def test_gaudi_generations_do_not_overlap(default):
    sel2 = default["llmops-vllm-gaudi"]["spec"]["nodeSelector"]
    sel3 = default["llmops-vllm-gaudi3"]["spec"]["nodeSelector"]
    assert sel2 != sel3


@pytest.mark.parametrize("name", ["llmops-vllm-nvidia", "llmops-hf-nvidia"])
def test_nvidia(default, name):
    doc = default[name]
    c = container(doc)
    res = c["resources"]
    assert res["limits"]["nvidia.com/gpu"] == "1"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in doc["spec"]["tolerations"]
    assert doc["spec"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    shm = [v for v in doc["spec"]["volumes"] if v["name"] == "devshm"]
    assert shm and shm[0]["emptyDir"]["medium"] == "Memory"
    assert {"name": "devshm", "mountPath": "/dev/shm"} in c["volumeMounts"]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert caps(doc) == {"drop": ["ALL"]}
    assert "HABANA_VISIBLE_DEVICES" not in env(doc) and "NVIDIA_VISIBLE_DEVICES" not in env(doc)


def test_vllm_nvidia_image(default):
    assert container(default["llmops-vllm-nvidia"])["image"].startswith("docker.io/vllm/vllm-openai:")


def test_hf_server_protocols_and_openai_path(default):
    for name in HF:
        doc = default[name]
        assert set(doc["spec"]["protocolVersions"]) == {"v1", "v2"}, name
        assert doc["metadata"]["annotations"]["llmops.kserve/openai-base-path"] == "/openai/v1"
        assert container(doc)["securityContext"]["runAsNonRoot"] is True
        assert "/huggingfaceserver:" in container(doc)["image"]
    assert container(default["llmops-hf-nvidia"])["image"].endswith("-gpu")
    assert not container(default["llmops-hf-xeon"])["image"].endswith("-gpu")
    assert "nvidia.com/gpu" not in container(default["llmops-hf-xeon"])["resources"]["limits"]


def test_vllm_runtimes_are_openai_only(default):
    for name in VLLM:
        doc = default[name]
        # KServe has no OpenAI protocol constant: no protocol filter, OpenAI advertised by annotation.
        assert "protocolVersions" not in doc["spec"], name
        assert doc["metadata"]["annotations"]["llmops.kserve/openai-base-path"] == "/v1"
        assert container(doc)["command"][-1] == "vllm.entrypoints.openai.api_server"
        assert "--model=/mnt/models" in container(doc)["args"]


# ---------------------------------------------------------------------------------------------------------------
# catalog mechanics
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        (["gaudi3"], {"llmops-vllm-gaudi3"}),
        (["xeon", "nvidia"], {"llmops-vllm-xeon", "llmops-hf-xeon", "llmops-vllm-nvidia", "llmops-hf-nvidia"}),
        (["gaudi", "gaudi3"], {"llmops-vllm-gaudi", "llmops-vllm-gaudi3"}),
    ],
)
def test_platform_filter(tmp_path, platforms, expected):
    assert set(render("-f", values_file(tmp_path, {"platforms": platforms}))) == expected


def test_disabled_entry_is_not_rendered(tmp_path):
    out = render("-f", values_file(tmp_path, {"catalog": {"llmops-hf-xeon": {"enabled": False}}}))
    assert set(out) == ALL_RUNTIMES - {"llmops-hf-xeon"}


def test_registry_mirror_applies_to_every_image(tmp_path, default):
    mirror = "mirror.example.com:5000/proxy"
    out = render("-f", values_file(tmp_path, {"global": {"imageRegistry": mirror}}))
    assert set(out) == set(default)
    for name, doc in out.items():
        original = container(default[name])["image"]
        mirrored = container(doc)["image"]
        # the registry host is replaced, repository path and tag are kept
        assert mirrored == f"{mirror}/{original.split('/', 1)[1]}", name


def test_registry_mirror_handles_docker_hub_short_names(tmp_path):
    values = {
        "global": {"imageRegistry": "mirror.local"},
        "catalog": {
            "llmops-vllm-xeon": {"image": "busybox:1.36"},
            "llmops-hf-xeon": {"image": "vllm/vllm-openai-cpu:v0.11.0"},
        },
    }
    out = render("-f", values_file(tmp_path, values))
    assert container(out["llmops-vllm-xeon"])["image"] == "mirror.local/library/busybox:1.36"
    assert container(out["llmops-hf-xeon"])["image"] == "mirror.local/vllm/vllm-openai-cpu:v0.11.0"


def test_image_digest_is_accepted_and_kept(tmp_path):
    digest = "docker.io/vllm/vllm-openai@sha256:" + "a" * 64
    out = render("-f", values_file(tmp_path, {"catalog": {"llmops-vllm-nvidia": {"image": digest}}}))
    assert container(out["llmops-vllm-nvidia"])["image"] == digest


def test_env_overrides_and_secret_refs(tmp_path):
    values = {
        "catalog": {
            "llmops-vllm-xeon": {
                "env": {
                    "VLLM_CPU_KVCACHE_SPACE": 80,
                    "HF_TOKEN": {"valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "HF_TOKEN"}}},
                }
            }
        }
    }
    doc = render("-f", values_file(tmp_path, values))["llmops-vllm-xeon"]
    items = {e["name"]: e for e in container(doc)["env"]}
    assert items["VLLM_CPU_KVCACHE_SPACE"]["value"] == "80"
    assert items["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "HF_TOKEN"}
    assert items["VLLM_CPU_OMP_THREADS_BIND"]["value"] == "auto"  # untouched defaults survive the merge


def _readme_example(marker: str) -> dict:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {re.escape(marker)} -->\s*```yaml\n(.*?)```", text, re.S)
    assert match, f"README.md has no yaml block after <!-- {marker} -->"
    return yaml.safe_load(match.group(1))


def test_adding_a_platform_is_data_only(tmp_path):
    """The README's AMD MI300 example entry renders as a runtime with no template change."""
    example = _readme_example("example: add-a-platform")
    out = render("-f", values_file(tmp_path, example))
    new = set(out) - ALL_RUNTIMES
    assert new == {"llmops-vllm-mi300"}
    doc = out["llmops-vllm-mi300"]
    assert doc["metadata"]["labels"]["llmops.kserve/platform"] == "mi300"
    assert container(doc)["resources"]["limits"]["amd.com/gpu"] == "1"
    assert container(doc)["ports"][0]["name"] == "http1"
    # and it can be selected alone, like any built-in platform
    only = render("-f", values_file(tmp_path, example), "--set", "platforms={mi300}")
    assert set(only) == {"llmops-vllm-mi300"}


# ---------------------------------------------------------------------------------------------------------------
# bad values
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("image", ["vllm/vllm-openai", "localhost:5000/vllm/vllm-openai", "docker.io/vllm/vllm-openai:", ""])
def test_image_without_tag_is_rejected(tmp_path, image):
    err = render_error("-f", values_file(tmp_path, {"catalog": {"llmops-vllm-gaudi": {"image": image}}}))
    assert "/catalog/llmops-vllm-gaudi/image" in err


def test_unknown_platform_lists_the_known_ones(tmp_path):
    err = render_error("-f", values_file(tmp_path, {"platforms": ["xeon", "tpu"]}))
    assert 'unknown platform "tpu"' in err
    assert "gaudi, gaudi3, nvidia, xeon" in err


@pytest.mark.parametrize("var", ["HABANA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "PYTHONPATH"])
def test_env_owned_by_device_plugins_or_kserve_is_rejected(tmp_path, var):
    err = render_error("-f", values_file(tmp_path, {"catalog": {"llmops-vllm-gaudi3": {"env": {var: "all"}}}}))
    assert f"catalog.llmops-vllm-gaudi3.env.{var}" in err


def test_duplicate_auto_select_priority_is_rejected(tmp_path):
    formats = [{"name": "huggingface", "version": "1", "autoSelect": True, "priority": 40}]
    err = render_error("-f", values_file(tmp_path, {"catalog": {"llmops-vllm-xeon": {"supportedModelFormats": formats}}}))
    assert "llmops-vllm-nvidia" in err and "llmops-vllm-xeon" in err and "priority 40" in err


def test_duplicate_priority_is_fine_when_one_side_is_not_rendered(tmp_path):
    formats = [{"name": "huggingface", "version": "1", "autoSelect": True, "priority": 40}]
    values = {"platforms": ["xeon"], "catalog": {"llmops-vllm-xeon": {"supportedModelFormats": formats}}}
    assert "llmops-vllm-xeon" in render("-f", values_file(tmp_path, values))


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"portName": "http"}, "/catalog/llmops-vllm-xeon/portName"),
        ({"protocolVersions": ["openai"]}, "/catalog/llmops-vllm-xeon/protocolVersions/0"),
        ({"platfrom": "xeon"}, "/catalog/llmops-vllm-xeon"),
        ({"supportedModelFormats": []}, "/catalog/llmops-vllm-xeon/supportedModelFormats"),
    ],
)
def test_schema_rejects_malformed_entries(tmp_path, entry, path):
    err = render_error("-f", values_file(tmp_path, {"catalog": {"llmops-vllm-xeon": entry}}))
    assert path in err


def test_new_entry_without_platform_is_rejected(tmp_path):
    err = render_error("-f", values_file(tmp_path, {"catalog": {"llmops-new": {"image": "a/b:1", "supportedModelFormats": [{"name": "x"}]}}}))
    assert "/catalog/llmops-new" in err and "platform" in err
