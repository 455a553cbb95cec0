#!/usr/bin/env python
"""Local control plane for llmops.kserve: etcd + kube-apiserver + controller-manager + scheduler + kwok
(through kwokctl's binary runtime, loopback only, TLS, RBAC) with fake accelerator nodes, plus a local
OCI registry for Helm charts.

    hack/cluster.py up | down | status | kubeconfig | registry-url | version | bin-dir

Binaries come from hack/bootstrap.sh: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl of
the Kubernetes version LLMOPS_K8S_VERSION (one of hack/kubernetes-versions, as v1.34.4, 1.34.4 or 1.34; unset: the
first line, the newest) from ``$LLMOPS_CACHE/k8s/<version>/bin``, kwok, kwokctl and the registry from
``$LLMOPS_CACHE/bin``. Every external command is run with an argument list and a timeout; nothing waits forever.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
BIN = CACHE / "bin"
NAME = os.environ.get("LLMOPS_CLUSTER_NAME", "llmops")
WORKDIR = CACHE / "kwok"
CLUSTER_DIR = WORKDIR / "clusters" / NAME
KUBECONFIG = CLUSTER_DIR / "kubeconfig.yaml"
API_PORT = int(os.environ.get("LLMOPS_APISERVER_PORT", "36443"))
REGISTRY_PORT = int(os.environ.get("LLMOPS_REGISTRY_PORT", os.environ.get("LLMOPS_REGISTRY", "127.0.0.1:35000").rsplit(":", 1)[-1]))
REGISTRY_DIR = CACHE / "registry" / NAME
NODES_FILE = ROOT / "hack" / "cluster" / "nodes.yaml"
KWOKCTL_CONFIG = ROOT / "hack" / "cluster" / "kwokctl.yaml"
TOOLS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwokctl", "registry")
K8S_TOOLS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
K8S_VERSIONS_FILE = ROOT / "hack" / "kubernetes-versions"


class ClusterError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def k8s_versions() -> list[str]:
    """The Kubernetes versions of hack/kubernetes-versions, newest (the default) first."""
    lines = K8S_VERSIONS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.lstrip().startswith("#")]


def k8s_version(wanted: str | None = None) -> str:
    """The version LLMOPS_K8S_VERSION selects (v1.34.4, 1.34.4, v1.34 or 1.34); unset or empty: the default."""
    versions = k8s_versions()
    wanted = (os.environ.get("LLMOPS_K8S_VERSION", "") if wanted is None else wanted).strip()
    if not wanted:
        return versions[0]
    want = wanted if wanted.startswith("v") else "v" + wanted
    for version in versions:
        if version == want or version.startswith(want + "."):
            return version
    raise ClusterError(f"LLMOPS_K8S_VERSION={wanted!r} is not a version of {K8S_VERSIONS_FILE.relative_to(ROOT)}; "
                       f"allowed: {', '.join(versions)} (or their minors, e.g. {versions[-1].rsplit('.', 1)[0]})")


def k8s_bin() -> Path:
    return CACHE / "k8s" / k8s_version() / "bin"


def tool(name: str) -> str:
    if name in K8S_TOOLS:
        path = k8s_bin() / name
        if not path.exists():
            raise ClusterError(f"{path} is missing: run `make tools` (or `hack/bootstrap.sh k8s {k8s_version()}`) "
                               "first (it builds the local cluster binaries)")
        return str(path)
    path = BIN / name
    if not path.exists():
        raise ClusterError(f"{path} is missing: run `make tools` first (it builds the local cluster binaries)")
    return str(path)


def run(args: list[str], timeout: float = 120, check: bool = True, quiet: bool = False,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, KWOK_WORKDIR=str(WORKDIR))
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False, input=stdin)
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"timed out after {timeout:.0f}s: {' '.join(args[:3])} ...") from exc
    if check and proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise ClusterError(f"{' '.join(args[:4])} ... failed (rc={proc.returncode}):\n" + "\n".join(tail))
    if not quiet and proc.returncode == 0 and proc.stdout.strip():
        pass
    return proc


def kubectl(*args: str, timeout: float = 60, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run([tool("kubectl"), "--kubeconfig", str(KUBECONFIG), *args], timeout=timeout, check=check, stdin=stdin)


def server_version() -> str | None:
    """gitVersion of the running API server, or None when it does not answer."""
    proc = kubectl("get", "--raw", "/version", "--request-timeout=5s", timeout=15, check=False)
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout)["gitVersion"]
    except (ValueError, KeyError):
        return None


def check_version() -> None:
    """The running cluster must be the version asked for: one data dir never runs two versions."""
    running, want = server_version(), k8s_version()
    if running and running != want:
        raise ClusterError(f"cluster '{NAME}' runs Kubernetes {running}, LLMOPS_K8S_VERSION asks for {want}: run "
                           "`make cluster-down` first (or use another slot: source hack/isolated-env.sh SLOT)")


def port_owner(port: int) -> str | None:
    """Return a description of who listens on 127.0.0.1:port, or None when it is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return None
    ss = shutil.which("ss")
    if ss:
        out = subprocess.run([ss, "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=10, check=False).stdout
        if out.strip():
            return out.split()[-1]
    return "another process"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def component_pids() -> dict[str, int]:
    pids = {}
    pid_dir = CLUSTER_DIR / "pids"
    if pid_dir.is_dir():
        for f in pid_dir.glob("*.pid"):
            try:
                pids[f.stem] = int(f.read_text().strip())
            except ValueError:
                continue
    reg = REGISTRY_DIR / "registry.pid"
    if reg.exists():
        try:
            pids["registry"] = int(reg.read_text().strip())
        except ValueError:
            pass
    return pids


def api_healthy() -> bool:
    if not KUBECONFIG.exists():
        return False
    proc = run([tool("kubectl"), "--kubeconfig", str(KUBECONFIG), "get", "--raw", "/readyz", "--request-timeout=3s"],
               timeout=10, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "ok"


def registry_healthy() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{REGISTRY_PORT}/v2/", timeout=2) as resp:  # noqa: S310 (loopback)
            return resp.status == 200
    except OSError:
        return False


def kwokctl_args() -> list[str]:
    return [
        "--etcd-binary", tool("etcd"),
        "--kube-apiserver-binary", tool("kube-apiserver"),
        "--kube-controller-manager-binary", tool("kube-controller-manager"),
        "--kube-scheduler-binary", tool("kube-scheduler"),
        "--kwok-controller-binary", tool("kwok"),
    ]


def kwokctl_config() -> Path:
    """hack/cluster/kwokctl.yaml with the selected version as kubeVersion (kwokctl picks its flags by it)."""
    text = KWOKCTL_CONFIG.read_text(encoding="utf-8")
    if f"kubeVersion: {k8s_versions()[0]}\n" not in text:
        raise ClusterError(f"{KWOKCTL_CONFIG} must say kubeVersion: {k8s_versions()[0]} (the default of {K8S_VERSIONS_FILE})")
    path = WORKDIR / f"kwokctl-{NAME}.yaml"
    path.write_text(text.replace(f"kubeVersion: {k8s_versions()[0]}\n", f"kubeVersion: {k8s_version()}\n"), encoding="utf-8")
    return path


def start_registry() -> None:
    if registry_healthy():
        return
    owner = port_owner(REGISTRY_PORT)
    if owner:
        raise ClusterError(f"registry port 127.0.0.1:{REGISTRY_PORT} is busy ({owner}); "
                           "stop that process or set LLMOPS_REGISTRY_PORT to a free port")
    REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    config = REGISTRY_DIR / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {REGISTRY_DIR / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{REGISTRY_PORT}\n",
        encoding="utf-8",
    )
    env = dict(os.environ, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")
    with open(REGISTRY_DIR / "registry.log", "ab") as out:
        proc = subprocess.Popen([tool("registry"), "serve", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    (REGISTRY_DIR / "registry.pid").write_text(str(proc.pid))
    deadline = time.time() + 20
    while time.time() < deadline:
        if registry_healthy():
            log(f"OCI registry on 127.0.0.1:{REGISTRY_PORT} (oci://127.0.0.1:{REGISTRY_PORT}, plain HTTP)")
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise ClusterError(f"registry did not start; see {REGISTRY_DIR / 'registry.log'}")


def stop_registry() -> None:
    pid_file = REGISTRY_DIR / "registry.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.killpg(pid, signal.SIGTERM)
            for _attempt in range(50):
                if not pid_alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
        pid_file.unlink(missing_ok=True)


def apply_nodes() -> None:
    # kwok's fake kubelets report the control plane's version (nodes.yaml says the default's)
    nodes = NODES_FILE.read_text(encoding="utf-8").replace(f"{k8s_versions()[0]}-kwok", f"{k8s_version()}-kwok")
    kubectl("apply", "-f", "-", stdin=nodes)
    deadline = time.time() + 60
    while time.time() < deadline:
        out = kubectl("get", "nodes", "-o", "json").stdout
        nodes = json.loads(out)["items"]
        ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))]
        if nodes and len(ready) == len(nodes):
            log(f"{len(nodes)} fake nodes Ready")
            return
        time.sleep(0.5)
    raise ClusterError("fake nodes did not become Ready within 60s (is the kwok controller running? see "
                       f"{CLUSTER_DIR / 'logs'})")


@contextlib.contextmanager
def machine_lock(name: str):
    """Held by one process at a time on this machine, whatever its slot (~/.cache/llmops-kserve-NAME.lock)."""
    path = Path.home() / ".cache" / f"llmops-kserve-{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create_lock():
    """One local cluster (of any slot) starts at a time on this machine. kwokctl picks its components' ports as "free
    at this moment", so concurrent creates can pick the same one (seen: two kwok controllers on one server port, and
    a cluster whose nodes never became Ready); make test's lanes start up to six clusters at once."""
    return machine_lock("cluster-create")


def start_or_create() -> None:
    """Restart a stopped cluster or create one, until its API server answers and its fake nodes are Ready."""
    if CLUSTER_DIR.exists():
        alive = {k: v for k, v in component_pids().items() if k != "registry" and pid_alive(v)}
        if alive:
            raise ClusterError(f"cluster data at {CLUSTER_DIR} has live processes {alive} but the API server does not "
                               "answer; run `make cluster-down` and then `make cluster-up`")
        if not KUBECONFIG.exists():
            raise ClusterError(f"stale cluster data dir {CLUSTER_DIR} (no kubeconfig: a create was interrupted); "
                               "run `make cluster-down` to remove it")
        log(f"restarting the stopped cluster from {CLUSTER_DIR}")
        owner = port_owner(API_PORT)
        if owner:
            raise ClusterError(f"API server port 127.0.0.1:{API_PORT} is busy ({owner}); stop that process or "
                               "`make cluster-down`")
        try:
            run([tool("kwokctl"), "start", "cluster", "--name", NAME, "--timeout", "60s"], timeout=90)
        except ClusterError as exc:
            raise ClusterError(f"stale cluster data dir {CLUSTER_DIR} could not be restarted ({exc}); "
                               "run `make cluster-down` to remove it") from exc
    else:
        owner = port_owner(API_PORT)
        if owner:
            raise ClusterError(f"API server port 127.0.0.1:{API_PORT} is busy ({owner}); stop that process or set "
                               "LLMOPS_APISERVER_PORT to a free port")
        log(f"creating cluster '{NAME}' (Kubernetes {k8s_version()}, kube-apiserver on https://127.0.0.1:{API_PORT})")
        WORKDIR.mkdir(parents=True, exist_ok=True)
        run([tool("kwokctl"), "create", "cluster", "--name", NAME, "-c", str(kwokctl_config()),
             "--kubeconfig", str(WORKDIR / "kubeconfig-merged.yaml"),
             "--kube-apiserver-port", str(API_PORT), "--wait", "60s", "--timeout", "90s", *kwokctl_args()], timeout=150)
    deadline = time.time() + 60
    while not api_healthy():
        if time.time() > deadline:
            raise ClusterError(f"API server not ready within 60s; logs in {CLUSTER_DIR / 'logs'}")
        time.sleep(0.5)
    check_version()
    apply_nodes()


def up() -> None:
    start = time.time()
    for name in TOOLS:
        tool(name)
    if CLUSTER_DIR.exists() and api_healthy():
        check_version()
        start_registry()
        log(f"cluster '{NAME}' (Kubernetes {k8s_version()}) is already up (no-op); kubeconfig: {KUBECONFIG}")
        return
    with create_lock():
        start_or_create()
    start_registry()
    log(f"cluster '{NAME}' (Kubernetes {k8s_version()}) up in {time.time() - start:.1f}s; kubeconfig: {KUBECONFIG}")


def down() -> None:
    ours = [API_PORT] + ([REGISTRY_PORT] if (REGISTRY_DIR / "registry.pid").exists() else [])
    stop_registry()
    if CLUSTER_DIR.exists():
        pids = component_pids()
        run([tool("kwokctl"), "delete", "cluster", "--name", NAME, "--kubeconfig", str(WORKDIR / "kubeconfig-merged.yaml")],
            timeout=60, check=False)
        for name, pid in pids.items():
            if pid_alive(pid):
                log(f"stopping leftover {name} (pid {pid})")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
    shutil.rmtree(REGISTRY_DIR, ignore_errors=True)
    deadline = time.time() + 10
    busy = [p for p in ours if port_owner(p)]
    while busy and time.time() < deadline:
        time.sleep(0.5)
        busy = [p for p in ours if port_owner(p)]
    if busy:
        raise ClusterError(f"ports still listening after cluster-down: {busy}")
    log(f"cluster '{NAME}' is down (no processes; ports {', '.join(map(str, ours))} free)")


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def status() -> int:
    if not CLUSTER_DIR.exists():
        log(f"cluster '{NAME}' does not exist (run `make cluster-up`)")
        return 1
    total = 0
    for name, pid in sorted(component_pids().items()):
        alive = pid_alive(pid)
        rss = rss_kib(pid) if alive else 0
        total += rss
        print(f"  {name:<26} pid {pid:<8} {'running' if alive else 'STOPPED':<8} rss {rss / 1024:7.1f} MiB")
    print(f"  {'total':<26} {'':<12} {'':<8} rss {total / 1024:7.1f} MiB")
    if not api_healthy():
        log("API server is NOT ready")
        return 1
    print(kubectl("get", "nodes", "-o",
                  "custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=='Ready')].status,"
                  "SCHEDULABLE:.spec.unschedulable,CPU:.status.allocatable.cpu,MEMORY:.status.allocatable.memory,"
                  "NVIDIA:.status.allocatable.nvidia\\.com/gpu,GAUDI:.status.allocatable.habana\\.ai/gaudi").stdout)
    print(f"  registry: {'up' if registry_healthy() else 'DOWN'} on 127.0.0.1:{REGISTRY_PORT}")
    print(f"  Kubernetes: {server_version()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "kubeconfig", "registry-url", "version", "bin-dir"])
    args = parser.parse_args()
    try:
        if args.command == "up":
            up()
        elif args.command == "down":
            down()
        elif args.command == "status":
            return status()
        elif args.command == "kubeconfig":
            if not KUBECONFIG.exists():
                raise ClusterError(f"cluster '{NAME}' is not up (no {KUBECONFIG}); run `make cluster-up`")
            print(KUBECONFIG)
        elif args.command == "registry-url":
            print(f"oci://127.0.0.1:{REGISTRY_PORT}")
        elif args.command == "version":
            print(k8s_version())
        elif args.command == "bin-dir":
            print(k8s_bin())
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
