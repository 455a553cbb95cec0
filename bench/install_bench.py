#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of playbooks/install.yml against a plain helm/kubectl script doing the same KServe install.

    python bench/install_bench.py [--repeat 3] [--namespace llmops-kserve-bench] [--keep]

Targets: full install <= 1.5x the script; no-op re-run of the playbook <= 8 s and 0 changed.

Both sides install KServe v0.20.0 in Standard mode (no Knative needed) from the test charts in the local OCI
registry (hack/test_charts.py pushes them) into their own namespace, and do the same work:

  script:   helm template kserve-crd | kubectl apply --server-side (the CRDs) -> kubectl wait Established ->
            kubectl create/label namespace -> helm upgrade --install kserve-resources --atomic --wait --skip-crds
            (same values as the role) -> kubectl wait Available -> webhook Service endpoints ready -> server-side
            dry-run InferenceService -> read inferenceservice-config -> write the install record ConfigMap
  playbook: ansible-playbook playbooks/install.yml (install_cert_manager=false, kserve_deployment_mode=Standard)

Before each timed playbook install the CRDs are made "not ours" (label and digest annotation removed), so the role
applies all of them, as the script always does (the CRDs themselves are shared by the whole test cluster and are
not deleted). cert-manager is not part of the measurement (it is another role, and another test may install or
remove it on the shared cluster meanwhile): both sides install the controller chart without its cert-manager
objects (chart values createSharedResources=false, inferenceServiceConfig.enabled=true; kserve_require_cert_manager
false for the role).

Prints the medians and two ratios: playbook install / script install, and playbook no-op re-run / script re-run
(the script re-applies everything), and the peak memory of the playbook runs: VmHWM of the ansible-playbook process
(polled) and the largest max RSS of its process tree (modules, helm; from wait4). External commands run with argument lists. Results also go to
bench/results/install_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hack"))
import kube_wait  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
BIN = CACHE / "bin"
VENV_BIN = ROOT / ".venv" / "bin"

VERSION = "v0.20.0"
RELEASE = "kserve"
TARGET_RATIO = 1.5
TARGET_NOOP_S = 8.0
CRDS = [
    "clusterservingruntimes.serving.kserve.io",
    "clusterstoragecontainers.serving.kserve.io",
    "inferencegraphs.serving.kserve.io",
    "inferenceservices.serving.kserve.io",
    "servingruntimes.serving.kserve.io",
    "trainedmodels.serving.kserve.io",
]
MANAGED_BY = "app.kubernetes.io/managed-by"
DIGEST = "llmops.kserve/manifest-sha256"


class BenchError(Exception):
    pass


def run(args: list[str], *, timeout: int = 600, env: dict | None = None, check: bool = True,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, input=stdin, check=False)
    if check and proc.returncode != 0:
        raise BenchError(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise BenchError(f"{path} is missing: run `make tools`")
    return str(path)


class Bench:
    def __init__(self, kubeconfig: str, registry: str, namespace: str):
        self.kubeconfig = kubeconfig
        self.repo = registry.rstrip("/") + "/kserve/charts"
        self.ns = namespace
        self.helm = os.environ.get("HELM_BIN", tool("helm"))
        self.kubectl = [tool("kubectl"), "--kubeconfig", kubeconfig]
        self.env = dict(os.environ, KUBECONFIG=kubeconfig, K8S_AUTH_KUBECONFIG=kubeconfig,
                        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
                        PATH=os.pathsep.join([str(VENV_BIN), str(BIN), os.environ.get("PATH", "")]))
        self.tmp = Path(tempfile.mkdtemp(prefix="llmops-install-bench-"))
        self.peak_rss = (0, 0)

    # -- helpers -------------------------------------------------------------------------------------------------
    def chart_values(self) -> dict:
        """The values the kserve role computes for Standard mode with the default images and ingress."""
        values = {
            "kserve": {
                "version": VERSION,
                "controller": {
                    "deploymentMode": "Standard",
                    "image": "kserve/kserve-controller", "tag": VERSION,
                    "rbacProxyImage": "quay.io/brancz/kube-rbac-proxy:v0.18.0",
                    "gateway": {
                        "domain": "example.com", "urlScheme": "http",
                        "disableIngressCreation": False, "disableIstioVirtualHost": False,
                        "localGateway": {"gateway": "knative-serving/knative-local-gateway",
                                         "gatewayService": "knative-local-gateway.istio-system.svc.cluster.local"},
                        "ingressGateway": {"className": "istio", "enableGatewayApi": False,
                                           "kserveGateway": "kserve/kserve-ingress-gateway",
                                           "gateway": "knative-serving/knative-ingress-gateway"},
                    },
                },
                "storage": {"image": "kserve/storage-initializer", "tag": VERSION},
                "agent": {"image": "kserve/agent", "tag": VERSION},
                "router": {"image": "kserve/router", "tag": VERSION},
            }
        }
        values["kserve"].update(self.extra_values()["kserve"])
        return values

    @staticmethod
    def extra_values() -> dict:
        """Without cert-manager: no Issuer/Certificate, but still inferenceservice-config."""
        return {"kserve": {"createSharedResources": False, "inferenceServiceConfig": {"enabled": True}}}

    def teardown(self) -> None:
        run([self.helm, "uninstall", RELEASE, "-n", self.ns, "--wait", "--kubeconfig", self.kubeconfig],
            check=False, timeout=300)
        run([*self.kubectl, "delete", "namespace", self.ns, "--ignore-not-found", "--wait=true", "--timeout=300s"],
            check=False, timeout=320)

    def disown_crds(self) -> None:
        """Remove the role's label and digest from the CRDs: the next playbook run applies all of them."""
        existing = run([*self.kubectl, "get", "crd", *CRDS, "--ignore-not-found", "-o", "name"], check=False).stdout.split()
        if existing:
            run([*self.kubectl, "label", *existing, f"{MANAGED_BY}-"], check=False)
            run([*self.kubectl, "annotate", *existing, f"{DIGEST}-"], check=False)

    # -- the plain script ------------------------------------------------------------------------------------------
    def script(self) -> None:
        rendered = run([self.helm, "template", "kserve-crd", f"{self.repo}/kserve-crd", "--version", VERSION,
                        "--plain-http", "--namespace", self.ns]).stdout
        crd_file = self.tmp / "crds.yaml"
        crd_file.write_text(rendered, encoding="utf-8")
        run([*self.kubectl, "apply", "--server-side", "--force-conflicts", "--field-manager", "llmops-bench-script",
             "-f", str(crd_file)])
        kube_wait.crds_established(self.kubeconfig, names=list(CRDS), timeout=300)
        if run([*self.kubectl, "get", "namespace", self.ns], check=False).returncode != 0:
            run([*self.kubectl, "create", "namespace", self.ns])
            run([*self.kubectl, "label", "namespace", self.ns, f"{MANAGED_BY}=llmops-kserve"])
        values_file = self.tmp / "values.json"
        values_file.write_text(json.dumps(self.chart_values()), encoding="utf-8")
        run([self.helm, "upgrade", "--install", RELEASE, f"{self.repo}/kserve-resources", "--version", VERSION,
             "--plain-http", "-n", self.ns, "--skip-crds", "--atomic", "--wait", "--timeout", "300s",
             "-f", str(values_file), "--kubeconfig", self.kubeconfig])
        run([*self.kubectl, "-n", self.ns, "wait", "--for=condition=Available", "--timeout=300s",
             "deployment/kserve-controller-manager"])
        deadline = time.monotonic() + 300
        while True:
            slices = json.loads(run([*self.kubectl, "-n", self.ns, "get", "endpointslices", "-l",
                                     "kubernetes.io/service-name=kserve-webhook-server-service", "-o", "json"]).stdout)
            ready = [ep for item in slices["items"] for ep in item.get("endpoints") or []
                     if (ep.get("conditions") or {}).get("ready")]
            if ready:
                break
            if time.monotonic() > deadline:
                raise BenchError("script: no ready webhook endpoint")
            time.sleep(5)
        probe = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                 "metadata": {"name": "llmops-kserve-webhook-probe", "namespace": self.ns,
                              "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
                 "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                                                  "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}}}
        run([*self.kubectl, "create", "--dry-run=server", "-f", "-", "-o", "name"], stdin=json.dumps(probe))
        config = json.loads(run([*self.kubectl, "-n", self.ns, "get", "configmap", "inferenceservice-config",
                                 "-o", "json"]).stdout)
        if json.loads(config["data"]["deploy"]).get("defaultDeploymentMode") != "Standard":
            raise BenchError("script: inferenceservice-config has another deployment mode")
        record = run([*self.kubectl, "-n", self.ns, "create", "configmap", "llmops-kserve-install",
                      f"--from-literal=version={VERSION}", "--from-literal=deployment_mode=Standard",
                      f"--from-literal=release={RELEASE}", "--dry-run=client", "-o", "yaml"]).stdout
        run([*self.kubectl, "apply", "--server-side", "--field-manager", "llmops-bench-script", "-f", "-"], stdin=record)

    # -- the playbook ------------------------------------------------------------------------------------------------
    def playbook(self) -> str:
        extra = {
            "install_cert_manager": False,
            "install_knative": False,
            "kserve_deployment_mode": "Standard",
            "kserve_namespace": self.ns,
            "kserve_version": VERSION,
            "kserve_chart_repo": self.repo,
            "kserve_plain_http": True,
            "kserve_require_cert_manager": False,
            "kserve_chart_values": self.extra_values(),
            # the CRDs were disowned above (and the script applied them): the role takes them over deliberately
            "kserve_adopt": True,
        }
        vars_file = self.tmp / "vars.json"
        vars_file.write_text(json.dumps(extra), encoding="utf-8")
        output, rss = measured([str(VENV_BIN / "ansible-playbook"), str(ROOT / "playbooks" / "install.yml"),
                                "-e", f"@{vars_file}"], env=self.env)
        self.peak_rss = (max(self.peak_rss[0], rss[0]), max(self.peak_rss[1], rss[1]))
        recap = [line for line in output.splitlines() if line.startswith("localhost")]
        return recap[-1] if recap else ""


def measured(args: list[str], env: dict) -> tuple[str, tuple[int, int]]:
    """Runs args (must succeed); returns (output, (VmHWM of the process in KiB, max RSS of its tree in KiB))."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    hwm = [0]

    def poll():
        while proc.returncode is None:
            try:
                with open(f"/proc/{proc.pid}/status", encoding="utf-8") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            hwm[0] = max(hwm[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.2)

    chunks: list[str] = []
    watcher = threading.Thread(target=poll, daemon=True)
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    watcher.start()
    reader.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    if proc.returncode != 0:
        raise BenchError(f"command failed ({proc.returncode}): {' '.join(args)}\n{''.join(chunks)[-4000:]}")
    return "".join(chunks), (hwm[0], usage.ru_maxrss)


def timed(fn) -> tuple[float, object]:
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="rounds (medians are reported)")
    parser.add_argument("--namespace", default="llmops-kserve-bench")
    parser.add_argument("--keep", action="store_true", help="leave the last playbook install in place")
    args = parser.parse_args()

    kubeconfig = run([sys.executable, str(ROOT / "hack" / "cluster.py"), "kubeconfig"]).stdout.strip().splitlines()[-1]
    registry = run([sys.executable, str(ROOT / "hack" / "cluster.py"), "registry-url"]).stdout.strip().splitlines()[-1]
    print("[install-bench] pushing the test charts (hack/test_charts.py)", flush=True)
    run([sys.executable, str(ROOT / "hack" / "test_charts.py"), "--registry", registry.rstrip("/") + "/kserve/charts",
         "--versions", VERSION], timeout=1200)
    bench = Bench(kubeconfig, registry, args.namespace)
    print(f"[install-bench] namespace {args.namespace}", flush=True)

    rows = {"script_install": [], "script_rerun": [], "playbook_install": [], "playbook_noop": []}
    recaps = []
    try:
        bench.teardown()
        for round_no in range(1, args.repeat + 1):
            rows["script_install"].append(timed(bench.script)[0])
            rows["script_rerun"].append(timed(bench.script)[0])
            bench.teardown()
            bench.disown_crds()
            rows["playbook_install"].append(timed(bench.playbook)[0])
            seconds, recap_noop = timed(bench.playbook)
            rows["playbook_noop"].append(seconds)
            recaps.append(recap_noop)
            if "changed=0" not in recap_noop:
                raise BenchError(f"the re-run was not a no-op: {recap_noop}")
            if round_no < args.repeat or not args.keep:
                bench.teardown()
            print(f"[install-bench] round {round_no}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in rows.items()), flush=True)
    finally:
        if not args.keep:
            bench.teardown()

    med = {key: statistics.median(values) for key, values in rows.items()}
    install_ratio = med["playbook_install"] / med["script_install"]
    rerun_ratio = med["playbook_noop"] / med["script_rerun"]
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared; "
          "script and playbook ran alternately in each round)")
    print(f"KServe {VERSION} install, Standard mode, local registry ({args.repeat} round(s), medians)")
    print(f"  plain helm/kubectl script   install {med['script_install']:6.1f} s   re-run {med['script_rerun']:6.1f} s")
    print(f"  playbooks/install.yml       install {med['playbook_install']:6.1f} s   no-op  {med['playbook_noop']:6.1f} s"
          f"   ({recaps[-1].split(':', 1)[-1].strip()})")
    print(f"  install ratio  playbook/script = {install_ratio:.2f}x  (target <= {TARGET_RATIO}x: "
          f"{'met' if install_ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"  re-run ratio   playbook no-op/script re-run = {rerun_ratio:.2f}x; no-op {med['playbook_noop']:.1f} s "
          f"(target <= {TARGET_NOOP_S:.0f} s: {'met' if med['playbook_noop'] <= TARGET_NOOP_S else 'NOT met'})")
    print(f"  peak RSS of the playbook runs: ansible-playbook {bench.peak_rss[0] / 1024:.0f} MiB (VmHWM), largest process "
          f"of its tree {bench.peak_rss[1] / 1024:.0f} MiB (wait4)")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "install_bench.json").write_text(json.dumps({"rounds": rows, "medians": med, "install_ratio": install_ratio,
                                                        "rerun_ratio": rerun_ratio,
                                                        "peak_rss_kib": {"ansible_playbook_vmhwm": bench.peak_rss[0],
                                                                         "process_tree_max": bench.peak_rss[1]}},
                                                       indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"[install-bench] FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
