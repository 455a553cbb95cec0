"""AWX / Automation Controller integration: execution environment, job templates, surveys, playbook contracts.

What runs here without an AWX server or a container engine:
- `ansible-builder create` renders a complete build context from execution-environment.yml, llmops.kserve installs
  from that context the way the Containerfile's galaxy step does, and ansible-builder's introspection finds the
  collection's dependencies through meta/execution-environment.yml;
- the helm installer of the image (awx/ee/install_helm.py) installs a pinned archive and refuses a wrong checksum;
- every job template of awx/vars/main.yml runs an existing playbook, and every survey question is accepted by
  that playbook's input contract (playbooks/specs/<playbook>.yml), checked with Ansible's own argument validator;
- awx/configure.yml passes `ansible-playbook --syntax-check`; nothing AWX runs prompts or pauses.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import re
import stat
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "awx"
SPECS = ROOT / "playbooks" / "specs"
EE_FILE = ROOT / "execution-environment.yml"
AWX_VARS = yaml.safe_load((AWX / "vars" / "main.yml").read_text())
JOB_TEMPLATES = AWX_VARS["llmops_awx_job_templates"]
SURVEYED = [t for t in JOB_TEMPLATES if "survey" in t]
PLAYBOOKS = sorted({t["playbook"] for t in JOB_TEMPLATES})

# What each AWX survey question type puts into extra_vars, and the argument-spec types that accept it.
SURVEY_TYPES = {
    "text": {"str", "raw", "path"},
    "textarea": {"str", "raw", "path"},
    "password": {"str", "raw"},
    "integer": {"int", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "raw", "bool"},
    "multiselect": {"list", "raw"},
}
HELM_ARCHIVE_PINNED = re.compile(r"^ARG HELM_SHA256_(AMD64|ARM64)=([0-9a-f]{64})$", re.M)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300, check=False, **kwargs)


def _spec_options(playbook: str) -> dict:
    path = SPECS / f"{Path(playbook).stem}.yml"
    assert path.is_file(), f"{playbook} has no input contract {path.relative_to(ROOT)}"
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


def _survey(template: dict) -> dict:
    return json.loads((AWX / "surveys" / template["survey"]).read_text())


def _tid(template: dict) -> str:
    return template["name"].replace(" ", "_")


# --------------------------------------------------------------------------- execution environment


def test_requirements_split_runtime_from_test_deps():
    runtime = (ROOT / "requirements.txt").read_text().lower()
    for tool in ("pytest", "ansible-lint", "molecule", "yamllint", "ansible-builder"):
        assert not re.search(rf"^{re.escape(tool)}\b", runtime, re.M), f"requirements.txt (the EE's) lists test tool {tool}"
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^-r requirements\.txt$", dev, re.M), "requirements-dev.txt must include requirements.txt"


def test_ee_definition():
    ee = yaml.safe_load(EE_FILE.read_text())
    assert ee["version"] == 3
    deps = ee["dependencies"]
    assert (deps["python"], deps["galaxy"], deps["system"]) == ("requirements.txt", "requirements.yml", "bindep.txt")
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for entry in ee["additional_build_files"]:
        assert list(ROOT.glob(entry["src"])), f"additional_build_files src {entry['src']} does not exist"


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    context = tmp_path_factory.mktemp("ee") / "context"
    result = _run([sys.executable, "-m", "ansible_builder", "create", "-f", str(EE_FILE), "--context", str(context),
                   "--output-filename", "Containerfile"])
    assert result.returncode == 0, f"ansible-builder create failed:\n{result.stdout}\n{result.stderr}"
    return context


def test_ansible_builder_create_gives_complete_context(build_context):
    containerfile = (build_context / "Containerfile").read_text()
    build = build_context / "_build"
    for name in ("requirements.txt", "requirements.yml", "bindep.txt"):
        assert (build / name).read_text() == (ROOT / name).read_text(), f"context {name} differs from the repository's"
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "--user-pip=requirements.txt" in containerfile and "--user-bindep=bindep.txt" in containerfile
    # Every COPY from the context names a file the context has (a missing one fails only at build time).
    sources = re.findall(r"^COPY (?!--from)(\S+) ", containerfile, re.M)
    assert "_build/llmops/install_helm.py" in sources
    missing = [src for src in sources if not (build_context / src).exists()]
    assert not missing, f"Containerfile copies files the build context lacks: {missing}"
    # The helm step: pinned version and checksums, installed by the checksum-verifying script, smoke-tested.
    assert re.search(r"^ARG HELM_VERSION=3\.\d+\.\d+$", containerfile, re.M)
    assert {match[0] for match in HELM_ARCHIVE_PINNED.findall(containerfile)} == {"AMD64", "ARM64"}
    assert re.search(r"^RUN \$PYCMD /tmp/install_helm\.py .*--sha256 \"amd64=\$HELM_SHA256_AMD64\".*helm version", containerfile, re.M)
    # The helm step runs in the final image, before ansible-builder removes /output and drops root.
    final = containerfile.split("FROM base AS final", 1)[1]
    assert final.index("install_helm.py") < final.index("USER 1000")


def test_collection_installs_from_context_and_declares_its_deps(build_context, tmp_path):
    """The galaxy stage's command, run here: llmops.kserve installs offline; introspection reads its meta file."""
    containerfile = (build_context / "Containerfile").read_text()
    step = re.search(r"^RUN (ansible-galaxy collection install --offline --no-deps .*) (/build/llmops/collection)$",
                     containerfile, re.M)
    assert step, "the galaxy stage does not install llmops.kserve from /build/llmops/collection"
    collections = tmp_path / "collections"
    source = build_context / "_build" / "llmops" / "collection"
    args = step.group(1).split()
    args[args.index("--collections-path") + 1] = str(collections)
    # As in the image: no ansible.cfg, and no other llmops.kserve on the collections path.
    env = {k: v for k, v in _env().items() if not k.startswith("ANSIBLE_")} | {"ANSIBLE_COLLECTIONS_PATH": str(collections)}
    result = subprocess.run([str(Path(sys.executable).parent / args[0]), *args[1:], str(source)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert result.returncode == 0 and f"llmops.kserve:{version} was installed successfully" in result.stdout, result.stdout + result.stderr
    installed = collections / "ansible_collections" / "llmops" / "kserve"
    for path in ("roles/serving_runtimes/tasks/main.yml", "charts/kserve-runtimes/Chart.yaml", "meta/execution-environment.yml"):
        assert (installed / path).is_file(), f"{path} is missing from the collection installed in the EE"

    result = _run([sys.executable, str(build_context / "_build" / "scripts" / "introspect.py"), "introspect", str(collections)])
    assert result.returncode == 0, result.stderr
    found = yaml.safe_load(result.stdout)
    python = " ".join(found["python"]).lower()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name = re.split(r"[<>=!~ ;\[]", line.strip(), maxsplit=1)[0].lower()
        if name and not name.startswith("#") and name != "pyyaml":  # ansible-builder leaves PyYAML to ansible-core
            assert name in python, f"introspection did not find {name} from llmops.kserve's meta/execution-environment.yml"
    assert any("git" in line and "llmops.kserve" in line for line in found["system"])


# --------------------------------------------------------------------------- helm installer of the image


def _load_install_helm():
    spec = importlib.util.spec_from_file_location("install_helm", AWX / "ee" / "install_helm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _helm_archive(directory: Path, version: str, arch: str, member: str | None = None) -> str:
    payload = b"#!/bin/sh\necho fake helm\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in ((member or f"linux-{arch}/helm", payload), (f"linux-{arch}/LICENSE", b"license")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = directory / f"helm-v{version}-linux-{arch}.tar.gz"
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def test_install_helm_installs_pinned_archive(tmp_path, capsys):
    install_helm = _load_install_helm()
    digest = _helm_archive(tmp_path, "3.21.4", "amd64")
    dest = tmp_path / "bin" / "helm"
    rc = install_helm.main(["--version", "v3.21.4", "--sha256", f"amd64={digest}", "--sha256", f"arm64={'0' * 64}",
                            "--base-url", tmp_path.as_uri(), "--arch", "x86_64", "--dest", str(dest)])
    assert rc == 0, capsys.readouterr().err
    assert dest.read_bytes() == b"#!/bin/sh\necho fake helm\n"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o755
    assert sorted(p.name for p in dest.parent.iterdir()) == ["helm"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sha256", "amd64=" + "a" * 64], "checksum mismatch"),
        (["--sha256", "arm64=" + "a" * 64], "no --sha256 pinned for architecture amd64"),
        (["--sha256", "amd64=abc"], "--sha256 'amd64=abc': expected ARCH=<64 hex digits>"),
        (["--sha256", "amd64=GOOD", "--arch", "s390x"], "architecture 's390x' has no helm build pinned here"),
        (["--sha256", "amd64=GOOD", "--version", "latest"], "--version 'latest': expected MAJOR.MINOR.PATCH"),
        (["--sha256", "amd64=GOOD", "--version", "3.0.0"], "cannot download"),
        (["--sha256", "amd64=EMPTY", "--version", "3.9.9"], "the helm archive has no linux-amd64/helm"),
    ],
    ids=["wrong-checksum", "arch-not-pinned", "malformed-pin", "unknown-arch", "bad-version", "no-archive", "no-binary"],
)
def test_install_helm_refuses_bad_input(tmp_path, capsys, args, message):
    install_helm = _load_install_helm()
    good = _helm_archive(tmp_path, "3.21.4", "amd64")
    empty = _helm_archive(tmp_path, "3.9.9", "amd64", member="linux-amd64/not-helm")
    args = [a.replace("GOOD", good).replace("EMPTY", empty) for a in args]
    if "--version" not in args:
        args += ["--version", "3.21.4"]
    if "--arch" not in args:
        args += ["--arch", "amd64"]
    dest = tmp_path / "bin" / "helm"
    rc = install_helm.main([*args, "--base-url", tmp_path.as_uri(), "--dest", str(dest)])
    assert rc == 1
    assert message in capsys.readouterr().err
    assert not dest.exists(), "nothing may be installed when the input is refused"


def test_ee_helm_version_matches_local_toolchain():
    """The EE pins the helm the tests run with (hack/bootstrap.sh builds it for the local cluster)."""
    pinned = re.search(r"^ARG HELM_VERSION=(\S+)$", "\n".join(
        yaml.safe_load(EE_FILE.read_text())["additional_build_steps"]["append_final"]), re.M).group(1)
    local = re.search(r"helm/v3/internal/version\.version=v(\d+\.\d+\.\d+)", (ROOT / "hack" / "bootstrap.sh").read_text())
    assert local, "hack/bootstrap.sh no longer shows the helm version it builds; update this test"
    assert pinned == local.group(1), f"execution-environment.yml pins helm {pinned}, hack/bootstrap.sh builds {local.group(1)}"


# --------------------------------------------------------------------------- job templates and surveys


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=_tid)
def test_job_template_runs_an_existing_playbook(template):
    playbook = template["playbook"]
    assert "{{" not in playbook, "the playbook path must be literal so it can be checked"
    assert (ROOT / playbook).is_file(), f"job template '{template['name']}' runs {playbook}, which does not exist"
    _spec_options(playbook)


def _validation_problems(playbook: Path) -> list[str]:
    """Why a playbook does not validate its inputs before anything else runs (empty: it does).

    Its first play's first task must be ansible.builtin.validate_argument_spec naming specs/<playbook>.yml, or import
    playbooks/tasks/inputs.yml (which validates against specs/<llmops__playbook>.yml) with the play variable
    llmops__playbook set to the playbook's name. A playbook that starts by importing another one would validate
    only part of its inputs before that one runs (site.yml would install the stack before finding a bad model).
    """
    if not playbook.is_file():
        return [f"{playbook.relative_to(ROOT)} does not exist"]
    shared = ROOT / "playbooks" / "tasks" / "inputs.yml"
    shared_ok = shared.is_file() and re.search(
        r"validate_argument_spec:\s*\n\s+argument_spec:.*'/specs/' ~ llmops__playbook ~ '\.yml'", shared.read_text())
    play = (yaml.safe_load(playbook.read_text()) or [{}])[0]
    where = f"{playbook.relative_to(ROOT)}: first play '{play.get('name')}'"
    if play.get("ansible.builtin.import_playbook") or play.get("import_playbook"):
        return [f"{where} imports a playbook; validate against specs/{playbook.stem}.yml first"]
    first = (play.get("pre_tasks") or play.get("tasks") or [{}])[0]
    direct = first.get("ansible.builtin.validate_argument_spec")
    if direct and f"specs/{playbook.stem}.yml" in json.dumps(direct):
        return []
    included = first.get("ansible.builtin.import_tasks") or first.get("ansible.builtin.include_tasks")
    if included == "tasks/inputs.yml" and shared_ok and (play.get("vars") or {}).get("llmops__playbook") == playbook.stem:
        return []
    return [f"{where} does not validate against specs/{playbook.stem}.yml in its first task"]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_validates_its_input_contract(playbook):
    """The contract is enforced: the playbook's first task validates against playbooks/specs/<playbook>.yml."""
    problems = _validation_problems(ROOT / playbook)
    assert not problems, problems


def _survey_problems(survey: dict) -> list[str]:
    """The checks AWX applies when a survey spec is saved, plus min/max on defaults."""
    problems = [f"'{key}' missing" for key in ("name", "description", "spec") if key not in survey]
    seen = set()
    for q in survey.get("spec", []):
        var = q.get("variable", "?")
        for key in ("question_name", "variable", "type", "required"):
            if key not in q:
                problems.append(f"{var}: '{key}' missing")
        if q.get("type") not in SURVEY_TYPES:
            problems.append(f"{var}: unknown type {q.get('type')!r}")
        if not isinstance(q.get("required"), bool):
            problems.append(f"{var}: 'required' must be a boolean")
        if var in seen:
            problems.append(f"{var}: asked twice")
        seen.add(var)
        choices = q.get("choices")
        if q.get("type") in ("multiplechoice", "multiselect"):
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
                problems.append(f"{var}: choices must be a non-empty list of strings")
            elif "default" in q:
                wanted = q["default"].split("\n") if q["type"] == "multiselect" else [q["default"]]
                if any(d not in choices for d in wanted if d):
                    problems.append(f"{var}: default {q['default']!r} is not one of {choices}")
        if q.get("type") in ("text", "textarea", "password") and "default" in q:
            if not isinstance(q["default"], str):
                problems.append(f"{var}: default must be a string")
            elif not q.get("min", 0) <= len(q["default"]) <= q.get("max", 1024):
                problems.append(f"{var}: default {q['default']!r} is outside min/max length")
        if q.get("type") == "integer" and "default" in q:
            if not isinstance(q["default"], int) or not q.get("min", q["default"]) <= q["default"] <= q.get("max", q["default"]):
                problems.append(f"{var}: default must be an integer within min/max")
    return problems


def _answers(q: dict) -> list:
    """Values AWX can put into extra_vars for this question."""
    kind, values = q["type"], []
    if "default" in q and q["default"] != "":
        values.append(q["default"] if kind != "multiselect" else q["default"].split("\n"))
    if kind == "multiplechoice":
        values += list(q["choices"])
    elif kind == "multiselect":
        values += [[c] for c in q["choices"]] + [list(q["choices"])]
    elif kind == "integer":
        values += [q[k] for k in ("min", "max") if k in q]
    elif kind == "float":
        values += [float(q[k]) for k in ("min", "max") if k in q]
    elif not values:
        values.append("x" * max(q.get("min", 1), 1))
    if not q["required"] and kind in ("text", "textarea", "password"):
        values.append("")  # an optional text question left blank
    return values


@pytest.mark.parametrize("template", SURVEYED, ids=_tid)
def test_survey_is_accepted_by_the_playbook_contract(template):
    survey = _survey(template)
    assert not _survey_problems(survey), _survey_problems(survey)
    options = _spec_options(template["playbook"])
    problems = []
    for q in survey["spec"]:
        var = q["variable"]
        if var not in options:
            problems.append(f"{var}: not an option of specs/{Path(template['playbook']).stem}.yml")
            continue
        option = options[var]
        spec_type = option.get("type", "str")
        if spec_type not in SURVEY_TYPES[q["type"]]:
            problems.append(f"{var}: survey type {q['type']} gives what type {spec_type} does not take")
        if q["type"] in ("text", "textarea", "password") and option.get("choices"):
            problems.append(f"{var}: free text cannot guarantee one of {option['choices']}")
        if option.get("elements") == "dict" or (spec_type == "list" and option.get("elements") not in (None, "str")):
            problems.append(f"{var}: a survey cannot produce a list of {option.get('elements')}")
        validator = ArgumentSpecValidator({var: option})
        for answer in _answers(q):
            errors = validator.validate({var: answer}).error_messages
            if errors:
                problems.append(f"{var}={answer!r}: {'; '.join(errors)}")
        if "default" in q and "default" in option:
            default = q["default"].split("\n") if q["type"] == "multiselect" else q["default"]
            converted = validator.validate({var: default}).validated_parameters.get(var)
            if converted != option["default"]:
                problems.append(f"{var}: survey default {q['default']!r} differs from the playbook default {option['default']!r}")
    assert not problems, f"{template['survey']} vs specs: " + "; ".join(problems)


def test_survey_checks_catch_mistakes():
    """The checks above fail on the mistakes they exist for."""
    bad = {"name": "x", "spec": [
        {"question_name": "a", "variable": "v", "type": "multiplechoice", "required": True, "choices": ["a"], "default": "b"},
        {"question_name": "a", "variable": "v", "type": "checkbox", "required": "yes"},
    ]}
    problems = _survey_problems(bad)
    assert "'description' missing" in problems
    assert "v: default 'b' is not one of ['a']" in problems
    assert "v: unknown type 'checkbox'" in problems and "v: asked twice" in problems
    validator = ArgumentSpecValidator({"v": {"type": "int"}})
    assert validator.validate({"v": "three"}).error_messages
    assert _answers({"type": "text", "required": False, "variable": "v"}) == ["x", ""]


def test_every_survey_file_is_used():
    used = {t["survey"] for t in SURVEYED}
    assert {p.name for p in (AWX / "surveys").glob("*.json")} == used


def test_survey_for_each_playbook_matches_its_file_name():
    for template in SURVEYED:
        assert template["survey"] == f"{Path(template['playbook']).stem}.json", template["name"]


def test_site_contract_is_the_union_of_its_parts():
    union = {}
    for part in ("install", "register_runtimes", "deploy_models"):
        union.update(_spec_options(f"playbooks/{part}.yml"))
    assert _spec_options("playbooks/site.yml") == union


def test_deploy_contract_includes_the_preflight_contract():
    preflight, deploy = _spec_options("playbooks/preflight.yml"), _spec_options("playbooks/deploy_models.yml")
    assert {name: deploy.get(name) for name in preflight} == preflight
    assert set(deploy) - set(preflight) == {"llmops_preflight"}


def test_default_deployment_mode_is_the_tested_one():
    """Standard is the default everywhere a user meets the setting, and the e2e inventory does not override it, so
    tests/e2e (KServe's real controller, Standard mode) runs the default path (issue 13 item 7)."""
    role = yaml.safe_load((ROOT / "roles" / "kserve" / "defaults" / "main.yml").read_text())
    assert role["kserve_deployment_mode"] == "Standard"
    spec = yaml.safe_load((ROOT / "roles" / "kserve" / "meta" / "argument_specs.yml").read_text())
    assert spec["argument_specs"]["main"]["options"]["kserve_deployment_mode"]["default"] == "Standard"
    for playbook in ("install", "site"):
        assert _spec_options(f"playbooks/{playbook}.yml")["kserve_deployment_mode"]["default"] == "Standard"
        question = next(q for q in json.loads((AWX / "surveys" / f"{playbook}.json").read_text())["spec"]
                        if q["variable"] == "kserve_deployment_mode")
        assert question["default"] == "Standard" and question["choices"][0] == "Standard"
    local = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all" / "main.yml").read_text())
    assert "kserve_deployment_mode" not in local, "inventory/local (used by tests/e2e) must run the default mode"
    for inventory in sorted((ROOT / "inventory").glob("*/group_vars/all/main.yml")):
        example = yaml.safe_load(inventory.read_text())
        assert example.get("kserve_deployment_mode", "Standard") == "Standard", inventory
        assert {m.get("deployment_mode", "Standard") for m in example.get("llmops_models", [])} == {"Standard"}, inventory


def test_contract_defaults_match_role_defaults():
    """A playbook option that is also a role variable has the role's default (one value, not two)."""
    role_defaults = {}
    for path in sorted(ROOT.glob("roles/*/defaults/main.yml")):
        for key, value in (yaml.safe_load(path.read_text()) or {}).items():
            role_defaults.setdefault(key, (path.relative_to(ROOT), value))
    problems = []
    for spec in sorted(SPECS.glob("*.yml")):
        for name, option in yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"].items():
            if "default" in option and name in role_defaults:
                where, value = role_defaults[name]
                if not (isinstance(value, str) and "{{" in value) and value != option["default"]:
                    problems.append(f"{spec.name}: {name} default {option['default']!r}, {where}: {value!r}")
    assert not problems, problems


def test_surveys_offer_no_lists_of_dicts_and_no_secrets():
    for template in SURVEYED:
        for q in _survey(template)["spec"]:
            assert q["variable"] != "llmops_models", "llmops_models is an inventory list, not a survey answer"
            assert q["type"] != "password" and "token" not in q["variable"], "secrets come from AWX credentials"


def test_job_template_credentials():
    """Only the playbooks that read the Hugging Face token get the Hugging Face credential."""
    token_readers = {"playbooks/preflight.yml", "playbooks/deploy_models.yml", "playbooks/site.yml"}
    for template in JOB_TEMPLATES:
        assert bool(template.get("hf_credential", False)) == (template["playbook"] in token_readers), template["name"]


# --------------------------------------------------------------------------- configure playbook


def test_configure_playbook_syntax_check():
    result = _run([str(Path(sys.executable).parent / "ansible-playbook"), "--syntax-check", "awx/configure.yml"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hf_injector_reaches_awx_literally():
    """AWX renders {{ hf_token }} when a job starts; Ansible must pass it through unrendered."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    loader = DataLoader()
    play = loader.load_from_file(str(AWX / "configure.yml"))[0]
    tasks = {t["name"]: t for t in play["tasks"]}
    templar = Templar(loader=loader, variables={"hf_token": "LEAKED", "ansible_playbook_python": "LEAKED"})
    injector = tasks['Create the "Hugging Face token" credential type']["awx.awx.credential_type"]["injectors"]
    assert templar.template(injector) == {"env": {"HF_TOKEN": "{{ hf_token }}"}}
    host_vars = tasks["Add localhost to the inventory"]["awx.awx.host"]["variables"]
    assert templar.template(host_vars) == {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    field = tasks['Create the "Hugging Face token" credential type']["awx.awx.credential_type"]["inputs"]["fields"][0]
    assert field["secret"] is True and field["id"] == "hf_token"
    for name, task in tasks.items():
        if any("hf_token" in str(v) or "bearer_token" in str(v) for v in task.values()) and "credential_type" not in str(task):
            assert task.get("no_log") is True, f"task '{name}' handles a secret without no_log"


# --------------------------------------------------------------------------- configure playbook, for real


class FakeAWX(ThreadingHTTPServer):
    """The part of AWX's REST API (/api/v2/) that the awx.awx modules of awx/configure.yml use, in memory.

    List views filter on exact field values (name, organization, inventory, credential_type); POST creates, PATCH
    updates, related survey_spec / credentials / update endpoints behave like AWX's. Secret credential inputs are
    stored (for the assertions) and read back as "$encrypted$", as AWX does. It is a stand-in for the API shape,
    not for AWX's validation: what only a real AWX checks is listed in awx/README.md.
    """

    SINGULAR = {"organizations": "organization", "credential_types": "credential_type", "credentials": "credential",
                "execution_environments": "execution_environment", "projects": "project", "inventories": "inventory",
                "hosts": "host", "job_templates": "job_template", "project_updates": "project_update"}
    SECRET_INPUTS = {"hf_token", "bearer_token"}

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _FakeAWXHandler)
        self.lock = threading.Lock()
        self.next_id = 100
        self.tokens = set()
        self.objects = {name: {} for name in self.SINGULAR}
        self.surveys, self.associations, self.secrets = {}, {}, {}
        self._add("organizations", {"name": "Default"})
        self._add("credential_types", {"name": "OpenShift or Kubernetes API Bearer Token", "kind": "kubernetes", "managed": True})

    def _add(self, collection, data):
        self.next_id += 1
        oid = self.next_id
        url = f"/api/v2/{collection}/{oid}/"
        obj = dict(data, id=oid, url=url, type=self.SINGULAR[collection], summary_fields={},
                   related={"survey_spec": url + "survey_spec/", "credentials": url + "credentials/", "update": url + "update/"})
        if collection == "projects":
            update = self._add("project_updates", {"name": data.get("name"), "status": "successful", "failed": False,
                                                   "finished": "2026-01-01T00:00:00Z", "scm_revision": "0123abc"})
            obj.update(scm_revision="0123abc", summary_fields={"current_update": {"id": update["id"]}})
        if collection == "credentials":
            self.secrets[oid] = dict(obj.get("inputs") or {})
            obj["inputs"] = {k: "$encrypted$" if k in self.SECRET_INPUTS else v for k, v in (obj.get("inputs") or {}).items()}
        self.objects[collection][oid] = obj
        return obj

    def by_name(self, collection, name):
        found = [o for o in self.objects[collection].values() if o.get("name") == name]
        assert len(found) == 1, f"{len(found)} {collection} named {name!r}"
        return found[0]


class _FakeAWXHandler(BaseHTTPRequestHandler):
    server: FakeAWX

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _reply(self, status, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-API-Product-Name", "AWX")
        self.send_header("X-API-Product-Version", "24.6.1")
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method):
        if self.headers.get("Authorization") not in {f"Bearer {t}" for t in self.server.tokens}:
            return self._reply(401, {"detail": "Authentication credentials were not provided."})
        split = urlsplit(self.path)
        parts = [p for p in split.path.split("/") if p]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        if parts[:2] != ["api", "v2"] or len(parts) < 3 or parts[2] not in self.server.objects:
            return self._reply(404, {"detail": f"fake AWX has no {split.path}"})
        collection, rest = parts[2], parts[3:]
        store = self.server.objects[collection]
        with self.server.lock:
            if not rest and method == "GET":
                query = {k: v for k, v in parse_qsl(split.query) if k not in ("page_size", "page")}
                results = [o for o in store.values() if all(str(o.get(k)) == v for k, v in query.items())]
                return self._reply(200, {"count": len(results), "next": None, "previous": None, "results": results})
            if not rest and method == "POST":
                return self._reply(201, self.server._add(collection, body))
            oid = int(rest[0])
            if oid not in store:
                return self._reply(404, {"detail": "Not found."})
            obj, sub = store[oid], rest[1:]
            if not sub and method == "GET":
                return self._reply(200, obj)
            if not sub and method == "PATCH":
                if collection == "credentials" and "inputs" in body:
                    self.server.secrets[oid] = dict(body["inputs"])
                    body["inputs"] = {k: "$encrypted$" if k in FakeAWX.SECRET_INPUTS else v for k, v in body["inputs"].items()}
                obj.update(body)
                return self._reply(200, obj)
            if sub == ["survey_spec"]:
                if method == "GET":
                    return self._reply(200, self.server.surveys.get(oid, {}))
                if method == "POST":
                    self.server.surveys[oid] = body
                    return self._reply(200)
                if method == "DELETE":
                    self.server.surveys.pop(oid, None)
                    return self._reply(200)
            if sub == ["credentials"]:
                linked = self.server.associations.setdefault(oid, [])
                if method == "GET":
                    results = [self.server.objects["credentials"][i] for i in linked]
                    return self._reply(200, {"count": len(results), "next": None, "previous": None, "results": results})
                if method == "POST":
                    if body.get("disassociate"):
                        linked.remove(body["id"])
                    elif body["id"] in self.server.objects["credentials"]:
                        linked.append(body["id"])
                    else:
                        return self._reply(400, {"detail": "no such credential"})
                    return self._reply(204)
            if sub == ["update"] and method == "POST" and collection == "projects":
                update = self.server._add("project_updates", {"name": obj["name"], "status": "successful", "failed": False,
                                                              "finished": "2026-01-01T00:00:01Z", "scm_revision": obj["scm_revision"]})
                return self._reply(202, {"id": update["id"], "url": update["url"]})
        return self._reply(405, {"detail": f"{method} {split.path} is not supported by the fake AWX"})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PATCH(self):
        self._route("PATCH")

    def do_DELETE(self):
        self._route("DELETE")


HF_SECRET = "hf_FAKEtoken0123456789abcdefghijklmnop"
K8S_SECRET = "k8s-FAKE-bearer-token-0123456789"
AWX_TOKEN = "awx-FAKE-oauth-token-0123456789"


@pytest.fixture
def fake_awx():
    server = FakeAWX()
    server.tokens.add(AWX_TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _configure(server: FakeAWX, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in _env().items() if not k.startswith(("CONTROLLER_", "TOWER_", "K8S_AUTH_", "HF_"))}
    env.update(CONTROLLER_HOST=f"http://127.0.0.1:{server.server_address[1]}", CONTROLLER_OAUTH_TOKEN=AWX_TOKEN,
               HF_TOKEN=HF_SECRET, K8S_AUTH_HOST="https://127.0.0.1:6443", K8S_AUTH_API_KEY=K8S_SECRET,
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "awx/configure.yml", "-vvv",
         "-e", "llmops_awx_project_scm_url=https://git.example.invalid/platform/llmops-kserve.git",
         "-e", "llmops_awx_execution_environment_image=registry.example.invalid/llmops-kserve-ee:0.1.0", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    start = result.stdout.find("{")
    report = json.loads(result.stdout[start:]) if start >= 0 else {}
    return result, report


def _changed_tasks(report: dict) -> list[str]:
    return [t["task"]["name"] for play in report.get("plays", []) for t in play["tasks"]
            if t["hosts"].get("localhost", {}).get("changed")]


def test_configure_against_fake_awx(fake_awx):
    result, report = _configure(fake_awx)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for secret in (HF_SECRET, K8S_SECRET, AWX_TOKEN):
        assert secret not in result.stdout + result.stderr, "a secret reached the playbook output"

    ctype = fake_awx.by_name("credential_types", "Hugging Face token")
    assert ctype["kind"] == "cloud"
    assert ctype["injectors"] == {"env": {"HF_TOKEN": "{{ hf_token }}"}}
    assert ctype["inputs"]["required"] == ["hf_token"]
    assert [(f["id"], f["type"], f["secret"]) for f in ctype["inputs"]["fields"]] == [("hf_token", "string", True)]

    hf = fake_awx.by_name("credentials", "llmops-kserve Hugging Face")
    k8s = fake_awx.by_name("credentials", "llmops-kserve cluster")
    org = fake_awx.by_name("organizations", "Default")["id"]
    assert (hf["credential_type"], hf["organization"]) == (ctype["id"], org)
    assert fake_awx.secrets[hf["id"]] == {"hf_token": HF_SECRET}
    assert k8s["credential_type"] == fake_awx.by_name("credential_types", "OpenShift or Kubernetes API Bearer Token")["id"]
    assert fake_awx.secrets[k8s["id"]] == {"host": "https://127.0.0.1:6443", "bearer_token": K8S_SECRET, "verify_ssl": True}

    ee = fake_awx.by_name("execution_environments", "llmops-kserve EE")
    assert ee["image"] == "registry.example.invalid/llmops-kserve-ee:0.1.0"
    project = fake_awx.by_name("projects", "llmops-kserve")
    assert (project["scm_type"], project["scm_url"], project["default_environment"]) == (
        "git", "https://git.example.invalid/platform/llmops-kserve.git", ee["id"])
    inventory = fake_awx.by_name("inventories", "llmops-kserve")
    host = fake_awx.by_name("hosts", "localhost")
    assert host["inventory"] == inventory["id"]
    assert json.loads(host["variables"]) == {"ansible_connection": "local",
                                             "ansible_python_interpreter": "{{ ansible_playbook_python }}"}

    templates = fake_awx.objects["job_templates"]
    assert len(templates) == len(JOB_TEMPLATES)
    for wanted in JOB_TEMPLATES:
        jt = fake_awx.by_name("job_templates", f"llmops-kserve {wanted['name']}")
        assert (jt["playbook"], jt["project"], jt["inventory"], jt["execution_environment"]) == (
            wanted["playbook"], project["id"], inventory["id"], ee["id"])
        assert sorted(fake_awx.associations[jt["id"]]) == sorted([k8s["id"]] + ([hf["id"]] if wanted.get("hf_credential") else []))
        assert jt["survey_enabled"] is ("survey" in wanted)
        assert fake_awx.surveys.get(jt["id"], {}) == (_survey(wanted) if "survey" in wanted else {})
        # the launcher answers the survey and nothing else (issue 13 item 5): no extra variables, no other inventory
        asked = sorted(key for key, value in jt.items() if key.startswith("ask_") and value is True)
        assert asked == sorted(LAUNCH_PROMPTS_ALLOWED), f"{wanted['name']}: prompts on launch for {asked}"
        assert jt["ask_variables_on_launch"] is False and jt["ask_inventory_on_launch"] is False
        assert not jt.get("extra_vars"), f"{wanted['name']}: fixed extra_vars {jt.get('extra_vars')!r}"

    # A second run changes nothing but the secrets, which awx.awx always rewrites (AWX never returns them).
    result, report = _configure(fake_awx)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert _changed_tasks(report) == ["Create or update the Hugging Face credential", "Create or update the Kubernetes credential"]
    assert len(fake_awx.objects["job_templates"]) == len(JOB_TEMPLATES)


def test_configure_refuses_missing_settings_and_credentials(fake_awx):
    result = _configure(fake_awx, "-e", "llmops_awx_project_scm_url=")[0]
    assert result.returncode != 0 and "llmops_awx_project_scm_url (got '')" in result.stdout
    assert not fake_awx.objects["job_templates"], "nothing may be created when the settings are wrong"

    # No token given and no such credential in AWX: one clear message naming the credential.
    result = _configure(fake_awx, "-e", "llmops_awx_hf_token=")[0]
    assert result.returncode != 0
    assert "Credential 'llmops-kserve Hugging Face' does not exist in AWX" in result.stdout
    assert not fake_awx.objects["job_templates"]


# --------------------------------------------------------------------------- templates accept only their survey


# What a launcher may still choose: check mode, diff and verbosity only show more or change nothing.
LAUNCH_PROMPTS_ALLOWED = {"ask_job_type_on_launch", "ask_diff_mode_on_launch", "ask_verbosity_on_launch"}


class _PlaybookLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads a playbook's YAML, with Ansible's !unsafe tag as a plain string."""


_PlaybookLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _job_template_task() -> dict:
    tasks = yaml.load((AWX / "configure.yml").read_text(), Loader=_PlaybookLoader)[0]["tasks"]  # noqa: S506
    found = [t for t in tasks if "awx.awx.job_template" in t]
    assert len(found) == 1, "awx/configure.yml must create the job templates in one awx.awx.job_template task"
    return found[0]["awx.awx.job_template"]


def test_templates_accept_only_their_survey():
    """Job templates run with a cluster-admin credential: no launch-time extra variables, inventory or tags.

    Every ask_*_on_launch option of awx.awx.job_template is set literally (not from a variable a user could flip),
    and only check mode, diff and verbosity are true. No template entry may ask for variables, and none has fixed
    extra_vars; a template without a survey takes no input at launch at all.
    """
    from ansible_collections.awx.awx.plugins.modules import job_template as awx_job_template  # pylint: disable=import-outside-toplevel

    options = yaml.safe_load(awx_job_template.DOCUMENTATION)["options"]
    prompts = {name for name in options if name.startswith("ask_") and name.endswith("_on_launch")}
    args = _job_template_task()
    missing = sorted(prompts - set(args))
    assert not missing, f"awx/configure.yml leaves these launch prompts to AWX's default: {missing}"
    for name in sorted(prompts):
        assert args[name] is (name in LAUNCH_PROMPTS_ALLOWED), f"{name}: {args[name]!r}"
    assert "extra_vars" not in args
    assert args["survey_enabled"] == "{{ item.survey is defined }}"
    offenders = [t["name"] for t in JOB_TEMPLATES if set(t) - {"name", "description", "playbook", "survey", "hf_credential"}]
    assert not offenders, f"job templates with keys configure.yml does not know (ask_variables?): {offenders}"


def test_configure_refuses_a_template_asking_for_variables(fake_awx, tmp_path):
    """An old vars file that still sets ask_variables is refused before anything is created in AWX."""
    templates = [dict(JOB_TEMPLATES[0], ask_variables=True)]
    extra = tmp_path / "templates.yml"
    extra.write_text(yaml.safe_dump({"llmops_awx_job_templates": templates}))
    result = _configure(fake_awx, "-e", f"@{extra}")[0]
    assert result.returncode != 0
    assert "take no ask_variables" in result.stdout, result.stdout[-3000:]
    assert not fake_awx.objects["job_templates"]


# --------------------------------------------------------------------------- nothing prompts


PROMPT = re.compile(r"^\s*(?:-\s+)?(?:vars_prompt|(?:ansible\.(?:builtin|legacy)\.)?pause)\s*:", re.M)


def test_prompt_pattern():
    assert PROMPT.search("- hosts: all\n  vars_prompt:\n")
    assert PROMPT.search("    - ansible.builtin.pause:\n        seconds: 1\n")
    assert PROMPT.search("  pause:\n")
    assert not PROMPT.search("    - name: no pause here\n      ansible.builtin.debug:\n")


def test_nothing_awx_runs_prompts_or_pauses():
    files = [p for d in ("playbooks", "roles", "awx") for p in (ROOT / d).rglob("*") if p.suffix in (".yml", ".yaml")]
    assert files
    offenders = [str(p.relative_to(ROOT)) for p in files if PROMPT.search(p.read_text())]
    assert not offenders, f"vars_prompt/pause in {offenders}: an AWX job cannot answer a prompt"
