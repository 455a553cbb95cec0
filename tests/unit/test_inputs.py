# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks moved from Jinja into Python (plugins/module_utils/inputs.py, filters in plugins/filter/inputs.py):
every bad input gives one sentence naming the field, the value and what is allowed; good inputs give none.
The roles' own defaults are the baseline (roles/kserve/defaults/main.yml, vars/main.yml)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.llmops.kserve.plugins.filter.inputs import FilterModule

ROOT = Path(__file__).resolve().parents[2]
FILTERS = FilterModule().filters()


def kserve_inputs(**overrides):
    defaults = yaml.safe_load((ROOT / "roles" / "kserve" / "defaults" / "main.yml").read_text())
    role_vars = yaml.safe_load((ROOT / "roles" / "kserve" / "vars" / "main.yml").read_text())
    v = {k: val for k, val in defaults.items() if not (isinstance(val, str) and "{{" in val)}
    v.update(kserve_chart_source="oci", kserve_chart_repo="oci://ghcr.io/kserve/charts", kserve_image_registry="")
    v["kserve__mode_aliases"] = role_vars["kserve__mode_aliases"]
    v["kserve__ingress_defaults"] = role_vars["kserve__ingress_defaults"]
    v.update(overrides)
    v["kserve__compat"] = v["kserve_compat"].get(str(v["kserve_version"]), {}) if isinstance(v["kserve_compat"], dict) else {}
    ingress = v["kserve_ingress"] if isinstance(v["kserve_ingress"], dict) else {}
    v["kserve__ingress"] = dict(v["kserve__ingress_defaults"], **ingress)
    v.setdefault("kserve__chart_refs", {})
    return v


def test_role_defaults_are_valid():
    assert FILTERS["kserve_input_problems"](kserve_inputs()) == []


@pytest.mark.parametrize("overrides, expected", [
    ({"kserve_state": "gone"}, "kserve_state: unknown state 'gone'; allowed: present, absent"),
    ({"kserve_version": "v0.99.0"}, "kserve_version: unknown version 'v0.99.0'; known versions: v0.19.0, v0.20.0"),
    ({"kserve_compat": "x"}, 'kserve_compat: must be a mapping of KServe version to its requirements, got "x"'),
    ({"kserve_deployment_mode": "Fast"}, "kserve_deployment_mode: unknown mode 'Fast'; allowed: Knative, Standard"),
    ({"kserve_chart_source": "git"}, "kserve_chart_source: unknown source 'git'; allowed: oci, local"),
    ({"kserve_chart_repo": "ghcr.io/kserve/charts"}, "kserve_chart_repo: 'ghcr.io/kserve/charts' is not an OCI location"),
    ({"kserve_chart_source": "local", "kserve_chart_dir": "/nonexistent/charts"},
     "kserve_chart_dir: '/nonexistent/charts' is not a directory"),
    ({"kserve_namespace": "Kserve"}, "kserve_namespace: 'Kserve' is not a valid namespace name"),
    ({"kserve_namespace": "a" * 64}, "at most 63 characters"),
    ({"kserve_release_name": "a" * 54}, "kserve_release_name: '" + "a" * 54 + "' is not a valid Helm release name"),
    ({"kserve_image_registry": "https://mirror.example.com"},
     "kserve_image_registry: 'https://mirror.example.com' is not a registry host[:port][/path]"),
    ({"kserve_image_repositories": {"controller": "x"}}, "kserve_image_repositories: must map controller, storage_initializer"),
    ({"kserve_wait_timeout": 5}, "kserve_wait_timeout: '5' is not a number of seconds of at least 10"),
    ({"kserve_force": "maybe"}, 'kserve_force: must be true or false (or yes/no), got "maybe"'),
    ({"kserve_ingress": {"url_scheme": "ftp"}}, "kserve_ingress.url_scheme: unknown scheme 'ftp'; allowed: http, https"),
    ({"kserve_ingress": {"colour": "red"}}, "kserve_ingress: unknown key(s) colour; allowed:"),
    ({"kserve_ingress": {"enable_gateway_api": "perhaps"}}, 'kserve_ingress.enable_gateway_api: must be true or false'),
    ({"kserve_ingress": {"domain": ""}}, 'kserve_ingress.domain: must be a non-empty string, got ""'),
    ({"kserve_chart_values": {"kserve": {"controller": {"tag": "x"}}}},
     "kserve_chart_values: sets kserve.controller.tag, which the role manages"),
])
def test_kserve_bad_input_names_field_value_and_allowed(overrides, expected):
    problems = FILTERS["kserve_input_problems"](kserve_inputs(**overrides))
    assert len(problems) == 1 and expected in problems[0], problems


def test_kserve_release_name_follows_helm_limit():
    assert FILTERS["kserve_input_problems"](kserve_inputs(kserve_release_name="a" * 53)) == []


def test_kserve_booleans_work_as_strings():
    v = kserve_inputs(kserve_force="false", kserve_plain_http="yes", kserve_ingress={"enable_gateway_api": "true"})
    assert FILTERS["kserve_input_problems"](v) == []


def test_kserve_compat_entry_needs_versions():
    compat = copy.deepcopy(kserve_inputs()["kserve_compat"])
    compat["v0.20.0"].pop("cert_manager")
    problems = FILTERS["kserve_input_problems"](kserve_inputs(kserve_compat=compat))
    assert problems == ["kserve_compat['v0.20.0'].cert_manager: must be a version such as 1.32, got \"nothing\""]


@pytest.mark.parametrize("name, value, ok", [
    ("release_name_problems", "a" * 53, True), ("release_name_problems", "a" * 54, False),
    ("release_name_problems", "Bad", False), ("namespace_problems", "a" * 63, True), ("namespace_problems", "a" * 64, False),
    ("registry_problems", "", True), ("registry_problems", "reg.example.com:5000/m", True),
    ("registry_problems", "http://reg", False),
])
def test_single_field_filters(name, value, ok):
    problems = FILTERS[name](value, "my_field")
    assert (problems == []) is ok
    if not ok:
        assert problems[0].startswith("my_field: '%s'" % value)


def stack_inputs(role, **overrides):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    role_vars = yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text())
    v = dict(defaults)
    v.update(overrides)
    v[role + "__known_versions"] = sorted(str(k) for k in v[role + "_compat_matrix"])
    if role == "knative_serving":
        v["knative_serving__ingresses"] = role_vars["knative_serving__ingresses"]
    return v


@pytest.mark.parametrize("role", ["cert_manager", "knative_serving"])
def test_stack_role_defaults_are_valid(role):
    assert FILTERS["stack_input_problems"](stack_inputs(role), role) == []


@pytest.mark.parametrize("role, overrides, expected", [
    ("cert_manager", {"cert_manager_state": "gone"}, "cert_manager_state: 'gone' is not allowed; use present or absent"),
    ("cert_manager", {"cert_manager_namespace": "Cert_Manager"}, "cert_manager_namespace: 'Cert_Manager' is not a valid namespace name"),
    ("cert_manager", {"cert_manager_release_name": "a" * 54}, "is not a valid Helm release name (lowercase letters, digits and '-', at most 53"),
    ("cert_manager", {"cert_manager_version": "v1.99.0"}, "cert_manager_version: 'v1.99.0' is not a known version; known versions: v1.17"),
    ("cert_manager", {"cert_manager_chart_source": "git"}, "cert_manager_chart_source: 'git' is not allowed; use oci, repo or local"),
    ("cert_manager", {"cert_manager_chart_source": "oci", "cert_manager_chart_oci_url": "quay.io/x"},
     "cert_manager_chart_oci_url: 'quay.io/x' must start with oci://"),
    ("cert_manager", {"cert_manager_chart_source": "repo", "cert_manager_chart_repo_url": "ftp://x"},
     "cert_manager_chart_repo_url: 'ftp://x' must be an http(s):// URL"),
    ("cert_manager", {"cert_manager_chart_source": "local"}, "cert_manager_chart_path: empty, but cert_manager_chart_source is local"),
    ("cert_manager", {"cert_manager_image_registry": "https://mirror.example.com"},
     "cert_manager_image_registry: 'https://mirror.example.com' is not a registry host[:port][/path]"),
    ("cert_manager", {"cert_manager_wait_timeout": "0"}, "cert_manager_wait_timeout: '0' must be a positive number of seconds"),
    ("cert_manager", {"cert_manager_images": {"controller": "x"}}, None),
    ("knative_serving", {"knative_serving_cr_name": "Bad_Name"}, "knative_serving_cr_name: 'Bad_Name' is not a valid name (DNS-1123 label)"),
    ("knative_serving", {"knative_serving_operator_release_name": "a" * 54}, "knative_serving_operator_release_name: '"),
    ("knative_serving", {"knative_serving_ingress": "nginx"}, "knative_serving_ingress: 'nginx' is not allowed; use kourier or istio"),
    ("knative_serving", {"knative_serving_domain": "Example..com"}, "knative_serving_domain: 'Example..com' is not a valid DNS domain"),
    ("knative_serving", {"knative_serving_features": {"kubernetes.podspec-affinity": True}},
     "knative_serving_features: 'kubernetes.podspec-affinity' is 'True'; allowed: enabled, disabled, allowed"),
    ("knative_serving", {"knative_serving_operator_chart_source": "svn"},
     "knative_serving_operator_chart_source: 'svn' is not allowed; use repo, oci or local"),
])
def test_stack_bad_input_names_field_value_and_allowed(role, overrides, expected):
    problems = FILTERS["stack_input_problems"](stack_inputs(role, **overrides), role)
    if expected is None:  # cert_manager_images without four of the five images: one sentence per missing image
        assert len(problems) == 4 and all(p.startswith("cert_manager_images: no image for '") for p in problems), problems
        return
    assert len(problems) == 1 and expected in problems[0], problems


def test_stack_absent_checks_only_names():
    v = stack_inputs("cert_manager", cert_manager_state="absent", cert_manager_version="v0.0.1")
    assert FILTERS["stack_input_problems"](v, "cert_manager") == []
