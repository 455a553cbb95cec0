# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Installed like users install it: the built tarball, a user's inventory outside the checkout, charts from OCI.

Module setup, once:
- `make publish-charts REGISTRY=oci://$LLMOPS_REGISTRY/llmops/charts` pushes kserve-model and kserve-runtimes (at
  the collection's version) to the local cluster's OCI registry (plain HTTP on 127.0.0.1);
- `ansible-galaxy collection build` builds the tarball from the checkout, and `ansible-galaxy collection install
  --offline` installs it into an empty collections path that holds only kubernetes.core, copied from the test venv's
  ansible package (the dependency resolves offline against that copy);
- the charts bundled in the installed collection are then deleted: the roles can only get the charts from the
  registry, through their own settings (model_deploy_chart_ref / _version / _plain_http, serving_runtimes_chart_*;
  the preflight follows model_deploy's).

Every run is `ansible-playbook -i <inventory> llmops.kserve.<playbook>` from a temporary directory outside the
checkout, with no ansible.cfg, ANSIBLE_COLLECTIONS_PATH = that path only and ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
(neither the checkout nor the venv's own collections can be used). The inventory is a user's (hosts.yml +
group_vars/all/main.yml): the stack settings of inventory/local, so that install.yml finds the stack the e2e session
installed and leaves it as it is, the two charts as oci:// references, and one public cpu-tiny model in a namespace of
its own. KServe's real controller reconciles the InferenceService; its pod is on a kwok node, which kwok marks
Running/Ready without running it. The Hub is not contacted (HF_HUB_OFFLINE=1: the preflight skips the Hub check with a
warning; the model is public and needs no token).

Also here: an inventory without models, and one that does not parse (or does not exist, as `-i inventory/nvidia` from
outside a checkout), stop with a clear message before any change.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "tests"))
from cluster_fixtures import BIN  # noqa: E402  pylint: disable=wrong-import-position

RECAP = re.compile(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
NAMESPACE = "llmops-installed"
MODEL = {"name": "installed-tiny", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
         "deployment_mode": "Standard", "replicas": 1}
HOSTS = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                         "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=kwargs.pop("timeout", 300), check=False, **kwargs)


class Installed:
    """The installed collection and a user's working directory outside the checkout."""

    def __init__(self, home: Path, collections: Path, kubeconfig: str):
        self.home = home
        self.collections = collections
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("ANSIBLE_") and k not in ("HF_TOKEN", "HF_ENDPOINT")}
        self.env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                        ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", HF_HUB_OFFLINE="1", K8S_AUTH_KUBECONFIG=kubeconfig,
                        PATH=os.pathsep.join([str(VENV_BIN), str(BIN), os.environ.get("PATH", "")]))

    def inventory(self, name: str, group_vars: dict | None, hosts: str | None = None) -> Path:
        path = self.home / name
        (path / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        (path / "hosts.yml").write_text(yaml.safe_dump(HOSTS) if hosts is None else hosts)
        if group_vars is not None:
            (path / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(group_vars))
        return path

    def playbook(self, inventory: str | Path, playbook: str, *args: str, timeout: int = 900) -> tuple[int, str, int]:
        proc = _run([str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), f"llmops.kserve.{playbook}", *args],
                    cwd=self.home, env=self.env, timeout=timeout)
        output = proc.stdout + proc.stderr
        return proc.returncode, output, sum(int(r[1]) for r in RECAP.findall(output))


@pytest.fixture(scope="module")
def installed(tmp_path_factory, kubeconfig, registry_url) -> Installed:
    work = tmp_path_factory.mktemp("installed")
    registry = registry_url.removeprefix("oci://").rstrip("/")  # the local cluster's registry ($LLMOPS_REGISTRY)
    published = _run(["make", "-s", "publish-charts", f"REGISTRY=oci://{registry}/llmops/charts"], cwd=ROOT)
    assert published.returncode == 0, published.stdout + published.stderr
    collections = work / "collections"
    (site_packages,) = (ROOT / ".venv" / "lib").glob("python3*/site-packages")
    shutil.copytree(site_packages / "ansible_collections" / "kubernetes", collections / "ansible_collections" / "kubernetes")
    home = work / "user"
    home.mkdir()
    result = Installed(home, collections, kubeconfig)
    for _attempt in range(2):  # a file edited in the working tree while it is packed fails the install's checksum check
        for old in work.glob("llmops-kserve-*.tar.gz"):
            old.unlink()
        built = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work), str(ROOT)])
        assert built.returncode == 0, built.stdout + built.stderr
        (tarball,) = work.glob("llmops-kserve-*.tar.gz")
        proc = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(collections),
                     str(tarball)], cwd=home, env=result.env)
        if "Checksum mismatch" not in proc.stdout + proc.stderr:
            break
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "list", "--format", "json"], cwd=home, env=result.env)
    assert listed.returncode == 0, listed.stderr
    found = {name for path in json.loads(listed.stdout).values() for name in path if not name.startswith("ansible.")}
    assert found == {"llmops.kserve", "kubernetes.core"}, found
    # the roles must take the charts from the registry: the bundled copies are gone
    shutil.rmtree(collections / "ansible_collections" / "llmops" / "kserve" / "charts")
    result.version = str(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"])
    result.registry = registry
    return result


@pytest.fixture()
def no_namespace(kubectl_bin, kubeconfig):
    """A namespace name that no run may create (checked after the test)."""
    name = "llmops-installed-none"
    yield name
    found = _run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "namespace", name, "-o", "name"], timeout=60)
    assert found.stdout.strip() == "", f"namespace {name} was created"


def user_vars(installed: Installed, **extra) -> dict:
    """A user's group_vars: inventory/local's stack settings, both charts from the OCI registry, the model."""
    local = yaml.safe_load((ROOT / "inventory" / "local" / "group_vars" / "all" / "main.yml").read_text())
    charts = f"oci://{installed.registry}/llmops/charts"
    return {**local,
            "model_deploy_chart_ref": f"{charts}/kserve-model", "model_deploy_chart_version": installed.version,
            "model_deploy_chart_plain_http": True,
            "serving_runtimes_chart_ref": f"{charts}/kserve-runtimes", "serving_runtimes_chart_version": installed.version,
            "serving_runtimes_chart_plain_http": True,
            "llmops_models_namespace": NAMESPACE, "llmops_models": [MODEL], **extra}


def test_site_from_the_installed_collection(installed, kserve_controller, kubectl_bin, kubeconfig, helm_bin):  # noqa: ARG001
    """ansible-playbook -i <user inventory> llmops.kserve.site: the model is Ready, its release is the OCI chart."""
    inventory = installed.inventory("inventory", user_vars(installed))
    try:
        rc, out, _changed = installed.playbook(inventory, "site")
        assert rc == 0, out[-6000:]
        assert "Pull the chart (helm pull --untar)" in out and "installed-tiny" in out, out[-4000:]
        listed = _run([helm_bin, "--kubeconfig", kubeconfig, "list", "-n", NAMESPACE, "-o", "json"], timeout=60)
        charts = {r["name"]: r["chart"] for r in json.loads(listed.stdout)}
        assert charts == {"installed-tiny": f"kserve-model-{installed.version}"}, listed.stdout
        isvc = json.loads(_run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "inferenceservice", "installed-tiny",
                                "-n", NAMESPACE, "-o", "json"], timeout=60).stdout)
        ready = [c for c in isvc["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", isvc["status"]
    finally:
        rc, out, _changed = installed.playbook(inventory, "uninstall_models")
        _run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE, "--ignore-not-found",
              "--timeout=120s"], timeout=180)
    assert rc == 0, out[-4000:]


def test_inventory_without_models_stops(installed, no_namespace):
    inventory = installed.inventory("no-models", user_vars(installed, llmops_models=[], llmops_models_namespace=no_namespace))
    rc, out, changed = installed.playbook(inventory, "site")
    assert rc != 0 and changed == 0, out[-4000:]
    assert "No models: llmops_models is empty or not set" in out, out[-4000:]
    assert "Install the serving stack" not in out


@pytest.mark.parametrize("case", ["does not parse", "does not exist"])
def test_unparsable_inventory_stops(installed, no_namespace, case):
    """ansible-playbook only warns about such an inventory; the playbook stops before any change."""
    if case == "does not parse":
        inventory = installed.inventory("broken", user_vars(installed, llmops_models_namespace=no_namespace),
                                        hosts="all:\n  hosts:\n    localhost: [\n")
    else:
        inventory = installed.home / "inventory" / "nvidia"  # the README's example, run outside a checkout
    rc, out, changed = installed.playbook(inventory, "site")
    assert rc != 0 and changed == 0, out[-4000:]
    assert "gave no hosts: it does not exist or does not parse" in out, out[-4000:]
    assert "Install the serving stack" not in out
