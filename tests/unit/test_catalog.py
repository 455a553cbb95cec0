# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform catalog (plugins/module_utils/catalog.py) and its generated copies (hack/gen_contracts.py).

- the catalog agrees with the files it names (values files, runtime entries of charts/kserve-runtimes);
- every copy is what the generator writes (``make lint`` runs the same check), and the check names a copy that drifts;
- adding a platform is one catalog entry + one values file + one runtime entry: in a copy of the collection, with
  only those three edits and the generator run, the model list, sizing, playbook contracts (Ansible's own argument
  validator), AWX surveys, serving_runtimes' detection rules and both charts (the real ``helm template``) accept it.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

import harness
from ansible_collections.llmops.kserve.plugins.module_utils import catalog, models, sizing

ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "hack" / "gen_contracts.py"
HELM = harness.helm_path()
RUNTIMES = yaml.safe_load((ROOT / "charts" / "kserve-runtimes" / "values.yaml").read_text())["catalog"]


def gen(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GEN), "--root", str(root), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_catalog_names_existing_values_files_and_runtimes():
    cat = catalog.catalog()
    for name, profile in cat["profiles"].items():
        values = yaml.safe_load((ROOT / "charts" / "kserve-model" / profile["values_file"]).read_text())
        assert values["platform"] == profile["platform"], f"{profile['values_file']} is not a values file of {profile['platform']}"
    for name, platform in cat["platforms"].items():
        for runtime in platform["runtimes"]:
            assert RUNTIMES[runtime]["platform"] == name, runtime
    # every runtime entry's platform is a catalog platform, and every values file a catalog profile
    assert {entry["platform"] for entry in RUNTIMES.values()} == set(cat["platforms"])
    files = {p.name for p in (ROOT / "charts" / "kserve-model").glob("values-*.yaml")}
    assert files == {p["values_file"] for p in cat["profiles"].values()}


def test_cpu_tiny_is_a_profile_of_xeon_not_a_platform():
    cat = catalog.catalog()
    assert "cpu-tiny" not in cat["platform_names"] and cat["profiles"]["cpu-tiny"]["platform"] == "xeon"
    assert cat["public_profiles"] == ["cpu-tiny"]
    entry = {"name": "tiny", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny"}
    assert models.model_problems([entry]) == []
    # an older platform list that names the profile among the platforms keeps working
    assert models.model_problems([entry], ["xeon", "gaudi", "gaudi3", "nvidia", "cpu-tiny"]) == []
    assert models.model_problems([dict(entry, platform="cpu-tiny", profile=None)])


def test_shared_limits_are_the_catalog_s():
    assert models.MODEL_NAME_MAX == catalog.LIMITS["model_name_max"] == 45
    ok = {"name": "a" * 45, "model_id": "o/m", "platform": "xeon"}
    assert models.model_problems([ok]) == []
    assert models.model_problems([dict(ok, name="a" * 46)])
    assert list(sizing.PLATFORMS) == catalog.catalog()["platform_names"]


def test_generated_copies_are_up_to_date():
    proc = gen("--check")
    assert proc.returncode == 0, proc.stderr


def _copy_collection(tmp_path: Path) -> Path:
    dest = tmp_path / "ansible_collections" / "llmops" / "kserve"
    for part in ("plugins", "charts", "playbooks", "roles", "awx"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"))
    shutil.copytree(ROOT / "charts" / "kserve-model" / "templates" / "tests", dest / "charts" / "kserve-model" / "templates" / "tests")
    return dest


def test_drift_check_names_the_copy_that_differs(tmp_path):
    root = _copy_collection(tmp_path)
    survey = root / "awx" / "surveys" / "deploy_models.json"
    survey.write_text(survey.read_text().replace('"max": 45', '"max": 53'))
    proc = gen("--check", root=root)
    assert proc.returncode == 1 and "awx/surveys/deploy_models.json" in proc.stderr
    assert gen(root=root).returncode == 0 and '"max": 45' in survey.read_text()


def _add_fake_platform(root: Path) -> set[str]:
    """The three edits of the documented procedure; returns the edited paths."""
    cat = root / "plugins" / "module_utils" / "catalog.py"
    text = cat.read_text()
    anchor = '    "nvidia": {\n'
    entry = ('    "fakeaccel": {\n'
             '        "description": "Fake accelerator (test)",\n'
             '        "device": "Fake Accel 48GB", "resource": "fake.com/accel", "device_memory_gib": 48.0, "devices_per_node": 4,\n'
             '        "values_file": "values-fakeaccel.yaml", "runtimes": ["llmops-vllm-fakeaccel"],\n'
             '        "detection": {"allocatable": ["fake.com/accel"]},\n'
             '    },\n')
    assert text.count(anchor) == 1
    cat.write_text(text.replace(anchor, entry + anchor))
    values = (root / "charts" / "kserve-model" / "values-nvidia.yaml").read_text()
    (root / "charts" / "kserve-model" / "values-fakeaccel.yaml").write_text(
        values.replace("platform: nvidia", "platform: fakeaccel").replace("nvidia.com/gpu", "fake.com/accel"))
    runtimes = root / "charts" / "kserve-runtimes" / "values.yaml"
    runtime = dict(RUNTIMES["llmops-vllm-nvidia"], platform="fakeaccel", description="vLLM on a fake accelerator")
    block = yaml.safe_dump({"llmops-vllm-fakeaccel": runtime}, sort_keys=False).replace("nvidia.com/gpu", "fake.com/accel")
    text = runtimes.read_text()
    assert text.count("\ncatalog:\n") == 1
    runtimes.write_text(text.replace("\ncatalog:\n", "\ncatalog:\n" + "".join("  " + line + "\n" for line in block.splitlines())))
    return {"plugins/module_utils/catalog.py", "charts/kserve-model/values-fakeaccel.yaml", "charts/kserve-runtimes/values.yaml"}


def _changed(root: Path) -> set[str]:
    changed = set()
    for path in root.rglob("*"):
        rel = str(path.relative_to(root))
        if path.is_file() and "__pycache__" not in rel:
            original = ROOT / rel
            if not original.is_file() or not filecmp.cmp(path, original, shallow=False):
                changed.add(rel)
    return changed


@pytest.mark.usefixtures("helm_bin")  # fails, naming `make tools`, when helm is missing
def test_adding_a_platform_needs_a_catalog_entry_a_values_file_and_a_runtime_entry(tmp_path):
    root = _copy_collection(tmp_path)
    edited = _add_fake_platform(root)
    assert gen("--check", root=root).returncode == 1  # the copies are stale until the generator runs
    proc = gen(root=root)
    assert proc.returncode == 0, proc.stderr
    generated = _changed(root) - edited
    # everything besides the three edits was written by the generator (and is now up to date)
    assert generated and all("catalog" not in rel for rel in generated), generated
    assert gen("--check", root=root).returncode == 0

    # Python: model list, sizing (run from the copy, as Ansible would import it)
    code = (
        "from ansible_collections.llmops.kserve.plugins.module_utils import models, sizing\n"
        "m = {'name': 'fake', 'model_id': 'o/m', 'platform': 'fakeaccel'}\n"
        "assert models.model_problems([m]) == [], models.model_problems([m])\n"
        "t = sizing.platform_table()\n"
        "assert t['fakeaccel']['resource'] == 'fake.com/accel' and t['fakeaccel']['devices_per_node'] == 4, t\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(tmp_path)), capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr

    # playbook contracts (Ansible's validator), AWX surveys, detection rules, role defaults
    for playbook in ("deploy_models", "preflight", "site"):
        spec = yaml.safe_load((root / "playbooks" / "specs" / f"{playbook}.yml").read_text())["argument_specs"]["main"]["options"]
        result = ArgumentSpecValidator(spec).validate({"llmops_platform": "fakeaccel"})
        assert not result.error_messages, (playbook, result.error_messages)
    for survey in ("deploy_models", "preflight", "site"):
        doc = yaml.safe_load((root / "awx" / "surveys" / f"{survey}.json").read_text())
        (question,) = [q for q in doc["spec"] if q["variable"] == "llmops_platform"]
        assert "fakeaccel" in question["choices"]
    detection = yaml.safe_load((root / "roles" / "serving_runtimes" / "defaults" / "main.yml").read_text())
    assert detection["serving_runtimes_platform_detection"]["fakeaccel"] == {"allocatable": ["fake.com/accel"]}
    for role in ("preflight", "model_deploy"):
        defaults = yaml.safe_load((root / "roles" / role / "defaults" / "main.yml").read_text())
        assert "fakeaccel" in defaults[f"{role}_platforms"]

    # both charts, through helm
    proc = subprocess.run([HELM, "template", "fake", str(root / "charts" / "kserve-model"), "-f",
                           str(root / "charts" / "kserve-model" / "values-fakeaccel.yaml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    (isvc,) = [d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == "InferenceService"]
    model = isvc["spec"]["predictor"]["model"]
    assert model["runtime"] == "llmops-vllm-fakeaccel" and "fake.com/accel" in model["resources"]["limits"]
    proc = subprocess.run([HELM, "template", "rt", str(root / "charts" / "kserve-runtimes"), "--set", "platforms={fakeaccel}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(proc.stdout) if d]
    assert names == ["llmops-vllm-fakeaccel"]


# detect_platforms (serving_runtimes_platforms=auto): the rules of the catalog over Node objects.
def _node(labels=None, allocatable=None):
    return {"metadata": {"name": "n", "labels": labels}, "status": {"allocatable": allocatable}}


DETECTION = {name: entry["detection"] for name, entry in catalog.PLATFORMS.items()}


@pytest.mark.parametrize("nodes, expected", [
    ([], []),
    ([_node({"feature.node.kubernetes.io/cpu-model.vendor_id": "Intel"}, {"cpu": "96"})], ["xeon"]),
    ([_node({"feature.node.kubernetes.io/cpu-model.vendor_id": "AMD"}, {"cpu": "96"})], []),
    ([_node({"habana.ai/gaudi.generation": "2"}, {"habana.ai/gaudi": "8"})], ["gaudi"]),
    # a label that matches without the extended resource (or with none allocatable) is not enough
    ([_node({"habana.ai/gaudi.generation": "3"}, {"habana.ai/gaudi": "0"})], []),
    ([_node({"habana.ai/gaudi.generation": "3"}, None)], []),
    ([_node(None, {"nvidia.com/gpu": "8"})], ["nvidia"]),
    ([_node({}, {"nvidia.com/mig-1g.10gb": "7"})], ["nvidia"]),
    ([_node({}, {"nvidia.com/gpu": "0", "nvidia.com/mig-1g.10gb": "0"})], []),
    # several nodes: sorted and unique
    ([_node(None, {"nvidia.com/gpu": "8"}), _node({"feature.node.kubernetes.io/cpu-model.vendor_id": "Intel"}),
      _node(None, {"nvidia.com/gpu": "1"})], ["nvidia", "xeon"]),
])
def test_detect_platforms(nodes, expected):
    assert catalog.detect_platforms(nodes, DETECTION) == expected


def test_detect_platforms_rules_compare_as_strings_and_extra_rules():
    rules = dict(DETECTION, mi300={"allocatable": ["amd.com/gpu"]}, tagged={"labels": {"gen": 2}})
    nodes = [_node({"gen": "2"}, {"amd.com/gpu": "4"}), {"metadata": {}, "status": None}]
    assert catalog.detect_platforms(nodes, rules) == ["mi300", "tagged"]
    # a rule without labels and resources matches any node
    assert catalog.detect_platforms([_node()], {"any": {}}) == ["any"]


def test_detect_platforms_filter():
    from ansible_collections.llmops.kserve.plugins.filter.platforms import FilterModule  # pylint: disable=import-outside-toplevel
    nodes = [_node(None, {"nvidia.com/gpu": "8"})]
    assert FilterModule().filters()["detect_platforms"](nodes, DETECTION) == ["nvidia"]
