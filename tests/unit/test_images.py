# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image-reference rule (plugins/module_utils/images.py): the llmops.kserve.image_mirror / image_parts filters,
the roles that use them, and the runtimes chart's ``kserve-runtimes.image`` helper giving the same result for a
table of cases (the chart through the real ``helm template``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

import harness
from ansible_collections.llmops.kserve.plugins.filter.images import FilterModule
from ansible_collections.llmops.kserve.plugins.module_utils import images

ROOT = Path(__file__).resolve().parents[2]
HELM = harness.helm_path()
DIGEST = "sha256:" + "a" * 64

# (image, mirror, expected)
CASES = [
    ("docker.io/vllm/vllm-openai-cpu:v0.32.0", "", "docker.io/vllm/vllm-openai-cpu:v0.32.0"),
    ("docker.io/vllm/vllm-openai-cpu:v0.32.0", "mirror.example.com", "mirror.example.com/vllm/vllm-openai-cpu:v0.32.0"),
    ("vllm/vllm-openai:v0.32.0", "mirror.example.com:5000", "mirror.example.com:5000/vllm/vllm-openai:v0.32.0"),
    ("busybox:1.36", "mirror.example.com", "mirror.example.com/library/busybox:1.36"),
    ("docker.io/busybox:1.36", "mirror.example.com", "mirror.example.com/library/busybox:1.36"),
    ("index.docker.io/busybox:1.36", "m.example.com/hub", "m.example.com/hub/library/busybox:1.36"),
    ("quay.io/jetstack/cert-manager-controller:v1.17.2", "mirror.example.com/", "mirror.example.com/jetstack/cert-manager-controller:v1.17.2"),
    ("gcr.io/knative-releases/knative.dev/serving/cmd/queue@" + DIGEST, "reg.local:5000/mirror",
     "reg.local:5000/mirror/knative-releases/knative.dev/serving/cmd/queue@" + DIGEST),
    ("localhost:35000/kserve/kserve-controller:v0.20.0", "mirror.example.com", "mirror.example.com/kserve/kserve-controller:v0.20.0"),
    ("localhost/kserve/agent:v0.20.0", "mirror.example.com", "mirror.example.com/kserve/agent:v0.20.0"),
    ("kserve/storage-initializer:v0.20.0@" + DIGEST, "mirror.example.com", "mirror.example.com/kserve/storage-initializer:v0.20.0@" + DIGEST),
    ("registry.k8s.io/pause:3.10", "localhost:5000", "localhost:5000/pause:3.10"),
]


@pytest.mark.parametrize("image,mirror,expected", CASES)
def test_image_mirror(image, mirror, expected):
    assert FilterModule().filters()["image_mirror"](image, mirror) == expected


def test_images_mirror_maps_dicts_and_lists():
    mirror = FilterModule().filters()["images_mirror"]
    assert mirror({"a": "busybox:1", "b": "quay.io/x/y:2"}, "m.io") == {"a": "m.io/library/busybox:1", "b": "m.io/x/y:2"}
    assert mirror(["busybox:1"], "") == ["busybox:1"]
    assert mirror(["busybox:1"], None) == ["busybox:1"]


@pytest.mark.parametrize("image,parts", [
    ("kserve/kserve-controller:v0.20.0", ("kserve/kserve-controller", "v0.20.0", "", "kserve/kserve-controller", "v0.20.0")),
    ("localhost:5000/kserve/agent", ("localhost:5000/kserve/agent", "", "", "localhost:5000/kserve/agent", "")),
    ("quay.io/x/y@" + DIGEST, ("quay.io/x/y", "", DIGEST, "quay.io/x/y@sha256", "a" * 64)),
    ("host:5000/x/y:v1@" + DIGEST, ("host:5000/x/y", "v1", DIGEST, "host:5000/x/y:v1@sha256", "a" * 64)),
])
def test_image_parts(image, parts):
    got = images.image_parts(image)
    assert (got["repository"], got["tag"], got["digest"], got["chart_image"], got["chart_tag"]) == parts
    assert got["ref"] == image
    # charts that render "<image>:<tag>" get the reference back
    assert got["chart_image"] + (":" + got["chart_tag"] if got["chart_tag"] else "") == image


@pytest.mark.parametrize("value,ok", [
    ("", True), (None, True), ("registry.example.com", True), ("registry.example.com:5000/mirror/", True),
    ("localhost:5000", True), ("reg.local/a/b-c.d", True),
    ("https://registry.example.com", False), ("registry.example.com/UPPER", False), ("-bad.example.com", False),
    ("registry.example.com:5000//x", False), ("registry example", False),
])
def test_registry_problem_names_field_value_and_rule(value, ok):
    problem = images.registry_problem("kserve_image_registry", value)
    assert (problem == "") is ok
    if not ok:
        assert f"kserve_image_registry: '{value}' is not a registry host[:port][/path]" in problem


def _chart_image(image: str, mirror: str) -> str:
    proc = subprocess.run(
        [HELM, "template", "rt", str(ROOT / "charts" / "kserve-runtimes"), "--set", "platforms={xeon}",
         "--set-string", f"catalog.llmops-vllm-xeon.image={image}", "--set-string", f"global.imageRegistry={mirror}",
         "--set", "catalog.llmops-hf-xeon=null"],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    (runtime,) = [d for d in docs if d["metadata"]["name"] == "llmops-vllm-xeon"]
    return runtime["spec"]["containers"][0]["image"]


@pytest.mark.usefixtures("helm_bin")  # fails, naming `make tools`, when helm is missing
def test_runtimes_chart_follows_the_same_rule():
    """Every case of the table through the chart's helper gives what the filter gives (the chart's schema requires a
    tag or digest, so every case has one)."""
    got = {(image, mirror): _chart_image(image, mirror) for image, mirror, _expected in CASES}
    assert got == {(image, mirror): expected for image, mirror, expected in CASES}


# Pinned catalog images (serving_runtimes validate.yml and the kserve-runtimes chart schema: one regex, PINNED_IMAGE).
DIGEST = "@sha256:" + "a" * 64


def test_unpinned_images():
    catalog = {
        "b-tag": {"image": "vllm/vllm-openai:v0.11.0"},
        "a-digest": {"image": "quay.io/x/y" + DIGEST},
        "tag-and-digest": {"image": "registry.example.com:5000/x/y:v1" + DIGEST},
        "no-tag": {"image": "vllm/vllm-openai"},
        "port-only": {"image": "localhost:5000/vllm"},
        "empty": {},
        "not-a-mapping": "vllm/vllm-openai:v1",
        "number": {"image": 7},
        "short-digest": {"image": "x@sha256:abc"},
    }
    assert FilterModule().filters()["unpinned_images"](catalog) == [
        "catalog entry 'empty': image ''",
        "catalog entry 'no-tag': image 'vllm/vllm-openai'",
        "catalog entry 'not-a-mapping': image ''",
        "catalog entry 'number': image '7'",
        # a registry port is not a tag
        "catalog entry 'port-only': image 'localhost:5000/vllm'",
        "catalog entry 'short-digest': image 'x@sha256:abc'",
    ]
    assert images.unpinned_images({}) == []


def test_pinned_image_pattern_is_the_chart_schema_pattern():
    schema = yaml.safe_load((ROOT / "charts" / "kserve-runtimes" / "values.schema.json").read_text())
    assert schema["definitions"]["entry"]["properties"]["image"]["pattern"] == images.PINNED_IMAGE.pattern
