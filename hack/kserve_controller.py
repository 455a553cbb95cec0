#!/usr/bin/env python
"""Run KServe's real controller manager as a host process against the local cluster (hack/cluster.py).

    hack/kserve_controller.py start [--namespace kserve] [--config FILE] [--timeout 120]
    hack/kserve_controller.py stop [--keep-finalizers]
    hack/kserve_controller.py status

The binary is KServe's own ``cmd/manager`` at the pinned version, built by ``hack/bootstrap.sh go`` from the
wrapper module hack/tools/kserve (``$LLMOPS_CACHE/bin/kserve-manager``). ``start``:

1. checks that the ``inferenceservice-config`` ConfigMap exists in the controller namespace (``--config FILE``
   applies one first; the manager exits at startup without it);
2. generates a throw-away CA and a serving certificate for 127.0.0.1 (the CA key is never written to disk);
3. starts the manager with POD_NAMESPACE=<namespace>, leader election off, metrics and health probes on
   127.0.0.1 and its webhook server on ``LLMOPS_KSERVE_WEBHOOK_PORT`` (the manager has no flag for the webhook
   listen address: it listens on every interface of this host, which is why the port is not a well-known one);
4. once /readyz answers, writes the MutatingWebhookConfiguration / ValidatingWebhookConfigurations of KServe's
   chart (same names, paths, rules and selectors) with ``clientConfig.url: https://127.0.0.1:<port>/<path>`` and
   our CA as ``caBundle``, each marked with the annotation ``llmops.kserve/webhook-harness``. A configuration of
   one of these names that lacks the marker (another KServe install's) is never replaced: ``start`` fails naming
   it before it changes anything;
5. waits until the API server really calls the webhook (a server-side dry-run InferenceService comes back
   defaulted by KServe's defaulter).

``stop`` deletes every webhook configuration that this harness created and that points at it (with
``failurePolicy: Fail`` a dangling one would block every InferenceService in the cluster), stops the process and
checks that its ports are free. Unless ``--keep-finalizers`` is given it then removes KServe's
``inferenceservice.finalizers`` from the InferenceServices where this harness's manager added it (the API server's
managedFields name the field manager that set it: the manager binary's file name): nothing would ever process them
without the controller, and a namespace holding such an object could not be deleted. A finalizer someone else set
is left alone.

Every command runs only against the local cluster of hack/cluster.py: the kubeconfig ($LLMOPS_KUBECONFIG, else
the one hack/cluster.py wrote) must point at ``https://127.0.0.1:<LLMOPS_APISERVER_PORT>`` and trust that cluster's
certificate authority; any other API server is refused before a single request is sent to it.

State (pid, log, certificates) lives in ``$LLMOPS_CACHE/kserve-controller/`` (or ``$LLMOPS_KSERVE_STATE_DIR``).
Every external command runs with an argument list and a timeout. Standard library only; ``cryptography`` is used
for the certificates when it is importable (it is in .venv, ansible-core depends on it), otherwise the ``openssl``
CLI.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster  # noqa: E402  pylint: disable=wrong-import-position
import kube_wait  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
BIN = CACHE / "bin"
STATE_DIR = Path(os.environ.get("LLMOPS_KSERVE_STATE_DIR", CACHE / "kserve-controller"))
PID_FILE = STATE_DIR / "manager.pid"
LOG_FILE = STATE_DIR / "manager.log"
STATE_FILE = STATE_DIR / "state.json"
# controller-runtime's default webhook CertDir is $TMPDIR/k8s-webhook-server/serving-certs: the manager has no
# flag for it, so the harness points TMPDIR at its own directory.
TMP_DIR = STATE_DIR / "tmp"
CERT_DIR = TMP_DIR / "k8s-webhook-server" / "serving-certs"
CA_FILE = STATE_DIR / "ca.crt"

# Below Linux's ephemeral range (32768-60999): a fixed port inside it can be held, at the moment the manager
# binds it, by any outgoing connection's local end (the API server alone keeps hundreds to etcd); seen in CI as
# "listen tcp 127.0.0.1:39080: bind: address already in use" minutes after the port check had passed.
WEBHOOK_PORT = int(os.environ.get("LLMOPS_KSERVE_WEBHOOK_PORT", "29443"))
METRICS_PORT = int(os.environ.get("LLMOPS_KSERVE_METRICS_PORT", "29080"))
HEALTH_PORT = int(os.environ.get("LLMOPS_KSERVE_HEALTH_PORT", "29081"))
DEFAULT_NAMESPACE = os.environ.get("LLMOPS_KSERVE_NAMESPACE", "kserve")
MANAGER_BIN = Path(os.environ.get("KSERVE_MANAGER_BIN", BIN / "kserve-manager"))
CONFIGMAP = "inferenceservice-config"
FINALIZER = "inferenceservice.finalizers"
FIELD_MANAGER = "llmops-kserve-controller"
HARNESS_ANNOTATION = {"llmops.kserve/webhook-harness": "hack/kserve_controller.py"}
# CRDs the manager watches unconditionally (KServe's own; Knative, Istio, KEDA, OpenTelemetry and Gateway API
# are optional: it checks discovery and skips them). A CRD created moments before the manager starts is not in
# its REST mapping yet and its controller waits ~10s to retry, hence the Established wait before the start.
REQUIRED_CRDS = tuple(f"{plural}.serving.kserve.io" for plural in (
    "inferenceservices", "servingruntimes", "clusterservingruntimes", "trainedmodels", "inferencegraphs"))
CONTROLLERS = ("inferenceservice", "trainedmodel", "inferencegraph")


class HarnessError(Exception):
    pass


class ForeignCluster(HarnessError):
    """The kubeconfig does not lead to the local cluster of hack/cluster.py: nothing is done there."""


def log(msg: str) -> None:
    sys.stderr.write(f"[kserve-controller {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def webhook_base_url() -> str:
    return f"https://127.0.0.1:{WEBHOOK_PORT}"


# --------------------------------------------------------------------------------------------- kubectl helpers


def kubeconfig_path() -> str:
    """The kubeconfig to use ($LLMOPS_KUBECONFIG, else the local cluster's), checked by check_local_cluster()."""
    explicit = os.environ.get("LLMOPS_KUBECONFIG")
    if explicit:
        check_local_cluster(explicit)
        return explicit
    proc = subprocess.run([sys.executable, str(ROOT / "hack" / "cluster.py"), "kubeconfig"], capture_output=True,
                          text=True, timeout=60, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise HarnessError(f"local cluster is not up ({proc.stderr.strip()}); run `make cluster-up`")
    path = proc.stdout.strip().splitlines()[-1]
    check_local_cluster(path)
    return path


def current_cluster(kubeconfig: str) -> dict:
    """The cluster entry of the kubeconfig's current context, CA inlined (kubectl reads the file; no request)."""
    kubectl = BIN / "kubectl"
    if not kubectl.exists():
        raise HarnessError(f"{kubectl} is missing: run `make tools`")
    proc = subprocess.run([str(kubectl), "config", "view", "--kubeconfig", kubeconfig, "--minify", "--flatten", "--raw",
                           "-o", "json"], capture_output=True, text=True, timeout=30, check=False)
    clusters = json.loads(proc.stdout).get("clusters") or [] if proc.returncode == 0 else []
    if len(clusters) != 1:
        raise ForeignCluster(f"kubeconfig {kubeconfig} has no current context with a cluster "
                             f"({proc.stderr.strip() or 'none'}): refusing it, it is not the local cluster")
    return clusters[0].get("cluster") or {}


def check_local_cluster(kubeconfig: str) -> None:
    """Refuse (before any request) an API server that is not the local cluster of hack/cluster.py: the current
    context must point at https://127.0.0.1:<LLMOPS_APISERVER_PORT> and trust exactly the certificate authority of the
    kubeconfig hack/cluster.py wrote for that cluster (another cluster on that port has another CA)."""
    expected = f"https://127.0.0.1:{cluster.API_PORT}"
    given = current_cluster(kubeconfig)
    server = given.get("server")
    if server != expected:
        raise ForeignCluster(f"API server {server} (kubeconfig {kubeconfig}) is not the local cluster "
                             f"'{cluster.NAME}' of hack/cluster.py ({expected}); the harness runs only there")
    if not cluster.KUBECONFIG.exists():
        raise ForeignCluster(f"the local cluster '{cluster.NAME}' is not up (no {cluster.KUBECONFIG}): API server "
                             f"{server} of kubeconfig {kubeconfig} is not the local cluster; run `make cluster-up`")
    local = current_cluster(str(cluster.KUBECONFIG))
    if given.get("insecure-skip-tls-verify") or not given.get("certificate-authority-data") or \
            given.get("certificate-authority-data") != local.get("certificate-authority-data"):
        raise ForeignCluster(f"API server {server} (kubeconfig {kubeconfig}) is not the local cluster "
                             f"'{cluster.NAME}': its certificate authority is not the one of {cluster.KUBECONFIG}")


class Kube:
    def __init__(self, kubeconfig: str):
        self.kubeconfig = kubeconfig
        kubectl = BIN / "kubectl"
        if not kubectl.exists():
            raise HarnessError(f"{kubectl} is missing: run `make tools`")
        self.base = [str(kubectl), "--kubeconfig", kubeconfig]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 60,
            check: bool = True) -> subprocess.CompletedProcess:
        try:
            proc = subprocess.run([*self.base, *args], input=stdin, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"kubectl {' '.join(args[:3])} timed out after {timeout:.0f}s") from exc
        if check and proc.returncode != 0:
            raise HarnessError(f"kubectl {' '.join(args[:4])} failed: {proc.stderr.strip()[-1500:]}")
        return proc

    def get_json(self, *args: str, check: bool = True) -> dict | None:
        proc = self.run("get", *args, "-o", "json", check=check)
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout)

    def create_or_replace(self, obj: dict) -> None:
        """Create obj, or replace an object of that name that this harness created (a left-over of a run that did
        not stop). One it did not create (no HARNESS_ANNOTATION) is never replaced: HarnessError."""
        existing = self.get_json(obj["kind"], obj["metadata"]["name"], check=False)
        if existing is None:
            self.run("create", "-f", "-", stdin=json.dumps(obj))
            return
        if not made_here(existing):
            raise HarnessError(not_ours_message([existing]))
        existing["metadata"].update(labels=obj["metadata"]["labels"], annotations=obj["metadata"]["annotations"])
        existing["webhooks"] = obj["webhooks"]
        self.run("replace", "-f", "-", stdin=json.dumps(existing))


# ------------------------------------------------------------------------------------------------ certificates


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)


def make_certs_cryptography() -> tuple[bytes, bytes, bytes]:
    # pylint: disable-next=import-outside-toplevel
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=30)

    def usage(**enabled: bool) -> x509.KeyUsage:
        flags = {k: False for k in ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                                    "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")}
        flags.update(enabled)
        return x509.KeyUsage(**flags)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "llmops-kserve webhook CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kserve-webhook-server (127.0.0.1)")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(digital_signature=True, key_encipherment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_cert.public_bytes(pem), cert.public_bytes(pem), key_pem


def make_certs_openssl() -> tuple[bytes, bytes, bytes]:
    openssl = shutil.which("openssl")
    if not openssl:
        raise HarnessError("neither the Python 'cryptography' package nor the openssl CLI is available")
    with tempfile.TemporaryDirectory(prefix="kserve-webhook-ca-") as tmp:
        d = Path(tmp)

        def run(*args: str) -> None:
            proc = subprocess.run([openssl, *args], capture_output=True, text=True, timeout=60, check=False, cwd=tmp)
            if proc.returncode != 0:
                raise HarnessError(f"openssl {args[0]} failed: {proc.stderr.strip()}")

        (d / "ext.cnf").write_text(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n", encoding="utf-8")
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
            "-subj", "/CN=llmops-kserve webhook CA", "-keyout", "ca.key", "-out", "ca.crt",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign")
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=kserve-webhook-server (127.0.0.1)", "-keyout", "tls.key", "-out", "tls.csr")
        run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
            "-extfile", "ext.cnf", "-out", "tls.crt")
        return (d / "ca.crt").read_bytes(), (d / "tls.crt").read_bytes(), (d / "tls.key").read_bytes()


def make_certs() -> bytes:
    """Write tls.crt/tls.key into the manager's cert dir and ca.crt into the state dir; return the CA PEM."""
    try:
        ca_pem, cert_pem, key_pem = make_certs_cryptography()
    except ImportError:
        ca_pem, cert_pem, key_pem = make_certs_openssl()
    _write(CA_FILE, ca_pem)
    _write(CERT_DIR / "tls.crt", cert_pem)
    _write(CERT_DIR / "tls.key", key_pem, 0o600)
    return ca_pem


# ------------------------------------------------------------------------------------------ webhook manifests


def _rules(group: str, version: str, resource: str, operations: tuple[str, ...] = ("CREATE", "UPDATE")) -> list:
    return [{"apiGroups": [group], "apiVersions": [version], "operations": list(operations), "resources": [resource]}]


def _webhook(name: str, path: str, rules: list, ca_b64: str, **extra) -> dict:
    hook = {
        "name": name,
        "clientConfig": {"url": webhook_base_url() + path, "caBundle": ca_b64},
        "admissionReviewVersions": ["v1beta1"],
        "failurePolicy": "Fail",
        "sideEffects": "None",
        "timeoutSeconds": 10,
        "rules": rules,
    }
    hook.update(extra)
    return hook


def webhook_configurations(ca_pem: bytes) -> list[dict]:
    """KServe v0.20.0's webhook configurations (charts/kserve-resources: names, paths, rules, selectors), with
    clientConfig.url pointing at this host process instead of clientConfig.service."""
    ca_b64 = base64.b64encode(ca_pem).decode()
    group = "serving.kserve.io"
    meta_labels = {"app.kubernetes.io/name": "kserve", "app.kubernetes.io/component": "kserve"}

    def config(kind: str, name: str, hooks: list) -> dict:
        return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
                "metadata": {"name": name, "labels": meta_labels, "annotations": HARNESS_ANNOTATION},
                "webhooks": hooks}

    mutating = config("MutatingWebhookConfiguration", "inferenceservice.serving.kserve.io", [
        _webhook("inferenceservice.kserve-webhook-server.defaulter", "/mutate-serving-kserve-io-v1beta1-inferenceservice",
                 _rules(group, "v1beta1", "inferenceservices"), ca_b64),
        _webhook("inferenceservice.kserve-webhook-server.pod-mutator", "/mutate-pods",
                 _rules("", "v1", "pods", ("CREATE",)), ca_b64,
                 namespaceSelector={"matchExpressions": [{"key": "control-plane", "operator": "DoesNotExist"}]},
                 objectSelector={"matchExpressions": [{"key": "serving.kserve.io/inferenceservice",
                                                       "operator": "Exists"}]},
                 reinvocationPolicy="IfNeeded"),
    ])
    validating = [
        ("clusterservingruntime", "v1alpha1", "clusterservingruntimes"),
        ("inferencegraph", "v1alpha1", "inferencegraphs"),
        ("inferenceservice", "v1beta1", "inferenceservices"),
        ("servingruntime", "v1alpha1", "servingruntimes"),
        ("trainedmodel", "v1alpha1", "trainedmodels"),
    ]
    return [mutating] + [
        config("ValidatingWebhookConfiguration", f"{kind}.serving.kserve.io", [
            _webhook(f"{kind}.kserve-webhook-server.validator", f"/validate-serving-kserve-io-{version}-{kind}",
                     _rules(group, version, plural), ca_b64),
        ])
        for kind, version, plural in validating
    ]


def made_here(config: dict) -> bool:
    """True when this harness created the webhook configuration (it carries HARNESS_ANNOTATION)."""
    annotations = config.get("metadata", {}).get("annotations") or {}
    return all(annotations.get(key) == value for key, value in HARNESS_ANNOTATION.items())


def ours(config: dict) -> bool:
    """True when a webhook configuration was created by this harness and points at this harness's URL."""
    return made_here(config) and any(str(h.get("clientConfig", {}).get("url", "")).startswith(webhook_base_url() + "/")
                                     for h in config.get("webhooks") or [])


def not_ours_message(configs: list[dict]) -> str:
    names = ", ".join(f"{c['kind']} {c['metadata']['name']}" for c in configs)
    marker = ", ".join(f"{k}={v}" for k, v in HARNESS_ANNOTATION.items())
    return (f"{names} exist(s) and {'was' if len(configs) == 1 else 'were'} not created by this harness (no annotation "
            f"{marker}): another KServe install owns {'it' if len(configs) == 1 else 'them'}; the harness never "
            "replaces a webhook configuration it did not create. Remove that install (or the configuration) first; "
            "nothing was changed")


def refuse_foreign_webhooks(kube: Kube) -> None:
    """Before any change: fail when a webhook configuration of KServe's names exists that this harness did not make."""
    foreign = []
    for obj in webhook_configurations(b""):
        existing = kube.get_json(obj["kind"], obj["metadata"]["name"], check=False)
        if existing is not None and not made_here(existing):
            foreign.append(existing)
    if foreign:
        raise HarnessError(not_ours_message(foreign))


def delete_webhook_configurations(kube: Kube) -> list[str]:
    deleted = []
    for kind in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
        items = (kube.get_json(kind, check=False) or {}).get("items", [])
        for item in items:
            if ours(item):
                name = item["metadata"]["name"]
                kube.run("delete", kind, name, "--ignore-not-found", "--wait=false")
                deleted.append(f"{kind}/{name}")
    return deleted


# ---------------------------------------------------------------------------------------------------- process


def read_pid() -> int | None:
    try:
        return int(PID_FILE.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def is_manager(pid: int) -> bool:
    """The pid is alive, not a zombie, and runs the kserve manager binary (guards against pid reuse)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":
                return False
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(cmdline[0].decode(errors="replace")).name == MANAGER_BIN.name


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ready() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{HEALTH_PORT}/readyz", timeout=2) as resp:  # noqa: S310 (loopback)
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def webhook_tls_ok() -> bool:
    """The webhook port answers TLS with a certificate our CA signed for 127.0.0.1."""
    if not CA_FILE.exists():
        return False
    ctx = ssl.create_default_context(cafile=str(CA_FILE))
    try:
        with socket.create_connection(("127.0.0.1", WEBHOOK_PORT), timeout=2) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                return True
    except (OSError, ssl.SSLError):
        return False


def started_controllers(offset: int) -> set[str]:
    """Controllers whose workers started (caches synced), from the manager's JSON log after byte offset."""
    started = set()
    try:
        with open(LOG_FILE, "rb") as fh:
            fh.seek(offset)
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("msg") == "Starting workers":
                    started.add(str(entry.get("controller")))
    except OSError:
        pass
    return started


def log_tail(lines: int = 25) -> str:
    try:
        return "\n".join(LOG_FILE.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def probe_isvc(namespace: str) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "llmops-webhook-probe", "namespace": namespace,
                     "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"},
                                         "storageUri": "hf://llmops/webhook-probe"}}},
    }


def wait_webhook_called(kube: Kube, namespace: str, timeout: float) -> None:
    """The API server calls our defaulter: a dry-run InferenceService with the pre-0.16 deployment mode name
    comes back with the current one (KServe's defaulter normalises RawDeployment to Standard, whatever the
    ConfigMap's default mode)."""
    body = json.dumps(probe_isvc(namespace))
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        proc = kube.run("create", "--dry-run=server", "-o", "json", "-f", "-", stdin=body, check=False)
        if proc.returncode == 0:
            annotations = json.loads(proc.stdout).get("metadata", {}).get("annotations") or {}
            if annotations.get("serving.kserve.io/deploymentMode") == "Standard":
                return
            last = "the dry-run InferenceService came back without KServe's defaults"
        else:
            last = proc.stderr.strip()
        time.sleep(0.5)
    raise HarnessError(f"the API server does not call the KServe webhook at {webhook_base_url()} ({last})")


def start(args: argparse.Namespace) -> int:
    t0 = time.time()
    if not MANAGER_BIN.exists():
        raise HarnessError(f"{MANAGER_BIN} is missing: run `make tools` (hack/bootstrap.sh go builds KServe's manager)")
    kubeconfig = kubeconfig_path()
    kube = Kube(kubeconfig)
    namespace = args.namespace
    pid = read_pid()
    if pid and is_manager(pid):
        state = json.loads(STATE_FILE.read_text(encoding="utf-8")) if STATE_FILE.exists() else {}
        if state.get("namespace") == namespace and state.get("kubeconfig") == kubeconfig and ready():
            log(f"already running (pid {pid}, namespace {namespace}); no-op")
            return 0
        raise HarnessError(f"a KServe manager is already running (pid {pid}, {state}); run `stop` first")
    for port in (WEBHOOK_PORT, METRICS_PORT, HEALTH_PORT):
        if port_busy(port):
            raise HarnessError(f"port 127.0.0.1:{port} is busy; stop that process or set "
                               "LLMOPS_KSERVE_WEBHOOK_PORT / LLMOPS_KSERVE_METRICS_PORT / LLMOPS_KSERVE_HEALTH_PORT")
    refuse_foreign_webhooks(kube)

    if kube.run("get", "namespace", namespace, "-o", "name", check=False).returncode != 0:
        kube.run("create", "namespace", namespace)
    if args.config:
        kube.run("apply", "--server-side", "--force-conflicts", f"--field-manager={FIELD_MANAGER}",
                 "-n", namespace, "-f", str(args.config))
    if kube.run("get", "configmap", CONFIGMAP, "-n", namespace, "-o", "name", check=False).returncode != 0:
        raise HarnessError(f"ConfigMap {namespace}/{CONFIGMAP} does not exist: the kserve role writes it "
                           "(or pass --config FILE); the manager exits at startup without it")

    missing = [crd for crd in REQUIRED_CRDS
               if kube.run("get", "crd", crd, "-o", "name", check=False).returncode != 0]
    if missing:
        raise HarnessError(f"KServe CRDs missing: {', '.join(missing)} (apply the CRDs of hack/gen_crds.py first)")
    try:
        kube_wait.crds_established(kubeconfig, names=list(REQUIRED_CRDS), timeout=90)
    except TimeoutError as exc:
        raise HarnessError(str(exc)) from exc

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    ca_pem = make_certs()
    env = dict(os.environ, KUBECONFIG=kubeconfig, POD_NAMESPACE=namespace, TMPDIR=str(TMP_DIR))
    argv = [str(MANAGER_BIN), f"--kubeconfig={kubeconfig}", f"--metrics-addr=127.0.0.1:{METRICS_PORT}",
            f"--health-probe-addr=127.0.0.1:{HEALTH_PORT}", f"--webhook-port={WEBHOOK_PORT}", "--leader-elect=false",
            f"--zap-log-level={args.log_level}"]
    with open(LOG_FILE, "ab") as out:
        offset = out.tell()
        out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=STATE_DIR, start_new_session=True)
    PID_FILE.write_text(str(proc.pid), encoding="utf-8")
    STATE_FILE.write_text(json.dumps({"pid": proc.pid, "namespace": namespace, "kubeconfig": kubeconfig,
                                      "webhook_url": webhook_base_url(), "metrics_port": METRICS_PORT,
                                      "health_port": HEALTH_PORT}, indent=2), encoding="utf-8")
    log(f"started {MANAGER_BIN.name} (pid {proc.pid}, namespace {namespace}, log {LOG_FILE})")
    try:
        deadline = time.time() + args.timeout
        while not (ready() and webhook_tls_ok()):
            if proc.poll() is not None:
                raise HarnessError(f"the manager exited with code {proc.returncode}; last log lines:\n{log_tail()}")
            if time.time() > deadline:
                raise HarnessError(f"the manager was not ready within {args.timeout:.0f}s; last log lines:\n{log_tail()}")
            time.sleep(0.3)
        for obj in webhook_configurations(ca_pem):
            kube.create_or_replace(obj)
        wait_webhook_called(kube, namespace, max(10.0, deadline - time.time()))
        while set(CONTROLLERS) - started_controllers(offset):
            if proc.poll() is not None:
                raise HarnessError(f"the manager exited with code {proc.returncode}; last log lines:\n{log_tail()}")
            if time.time() > deadline:
                waiting = sorted(set(CONTROLLERS) - started_controllers(offset))
                raise HarnessError(f"controllers {waiting} did not start within {args.timeout:.0f}s; last log lines:\n"
                                   f"{log_tail()}")
            time.sleep(0.3)
    except BaseException:
        _stop(kube, keep_finalizers=True)
        raise
    log(f"ready in {time.time() - t0:.1f}s: webhooks at {webhook_base_url()}, rss {rss_mib(proc.pid):.0f} MiB")
    return 0


def _stop(kube: Kube | None, keep_finalizers: bool) -> list[str]:
    problems = []
    if kube is not None:
        for name in delete_webhook_configurations(kube):
            log(f"deleted {name}")
    pid = read_pid()
    if pid and is_manager(pid):
        os.killpg(pid, signal.SIGTERM)
        for _attempt in range(150):
            if not is_manager(pid):
                break
            time.sleep(0.1)
        else:
            log(f"pid {pid} ignored SIGTERM for 15s; SIGKILL")
            os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
        log(f"stopped pid {pid}")
    PID_FILE.unlink(missing_ok=True)
    if kube is not None and not keep_finalizers:
        released = release_finalizers(kube)
        if released:
            log(f"removed {FINALIZER} from {len(released)} InferenceService(s): {', '.join(released)}")
    for _attempt in range(50):
        busy = [p for p in (WEBHOOK_PORT, METRICS_PORT, HEALTH_PORT) if port_busy(p)]
        if not busy:
            break
        time.sleep(0.1)
    else:
        problems.append(f"ports still listening after stop: {busy}")
    return problems


def finalized_here(item: dict) -> bool:
    """True when the API server's managedFields say that our manager binary (field manager: its file name, from
    its user agent) set KServe's finalizer on the object; a finalizer someone else set is not ours to remove."""
    key = f'v:"{FINALIZER}"'
    for entry in item["metadata"].get("managedFields") or []:
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:finalizers") or {}
        if entry.get("manager") == MANAGER_BIN.name and key in fields:
            return True
    return False


def release_finalizers(kube: Kube) -> list[str]:
    """Remove KServe's finalizer from the InferenceServices where this harness's manager added it; return them."""
    released, kept = [], []
    items = (kube.get_json("inferenceservices.serving.kserve.io", "-A", "--show-managed-fields",
                           check=False) or {}).get("items", [])
    for item in items:
        meta = item["metadata"]
        finalizers = meta.get("finalizers") or []
        if FINALIZER not in finalizers:
            continue
        if not finalized_here(item):
            kept.append(f"{meta['namespace']}/{meta['name']}")
            continue
        patch = [{"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                 {"op": "replace", "path": "/metadata/finalizers", "value": [f for f in finalizers if f != FINALIZER]}]
        proc = kube.run("patch", "inferenceservices.serving.kserve.io", meta["name"], "-n", meta["namespace"],
                        "--type=json", "-p", json.dumps(patch), check=False)
        if proc.returncode == 0:
            released.append(f"{meta['namespace']}/{meta['name']}")
    if kept:
        log(f"left {FINALIZER} on {len(kept)} InferenceService(s) that the harness's manager did not finalize: "
            f"{', '.join(kept)}")
    return released


def stop(args: argparse.Namespace) -> int:
    try:
        kube: Kube | None = Kube(kubeconfig_path())
    except ForeignCluster:
        raise
    except HarnessError as exc:
        log(f"cluster not reachable ({exc}); stopping the process only")
        kube = None
    problems = _stop(kube, keep_finalizers=args.keep_finalizers)
    if problems:
        raise HarnessError("; ".join(problems))
    log("stopped (no process, webhook configurations removed, ports free)")
    return 0


def status(_args: argparse.Namespace) -> int:
    pid = read_pid()
    state = json.loads(STATE_FILE.read_text(encoding="utf-8")) if STATE_FILE.exists() else {}
    if not (pid and is_manager(pid)):
        print(f"kserve-manager: not running (binary {MANAGER_BIN}{'' if MANAGER_BIN.exists() else ': MISSING'})")
        return 1
    healthy = ready()
    print(f"kserve-manager: pid {pid}, rss {rss_mib(pid):.0f} MiB, readyz {'ok' if healthy else 'FAILING'}, "
          f"namespace {state.get('namespace')}, webhooks {webhook_base_url()}, log {LOG_FILE}")
    try:
        kube = Kube(kubeconfig_path())
        names = [f"{kind}/{item['metadata']['name']}"
                 for kind in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")
                 for item in (kube.get_json(kind, check=False) or {}).get("items", []) if ours(item)]
        print(f"webhook configurations pointing here: {len(names)} ({', '.join(names)})")
    except HarnessError as exc:
        print(f"cluster: {exc}")
        return 1
    return 0 if healthy else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start the manager and register its webhooks")
    p_start.add_argument("--namespace", default=DEFAULT_NAMESPACE,
                         help="namespace the manager reads inferenceservice-config from (POD_NAMESPACE)")
    p_start.add_argument("--config", type=Path, help="apply this inferenceservice-config ConfigMap manifest first")
    p_start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    p_start.add_argument("--log-level", default="info", choices=["debug", "info", "error"])
    p_stop = sub.add_parser("stop", help="remove the webhooks and stop the manager")
    p_stop.add_argument("--keep-finalizers", action="store_true",
                        help=f"leave {FINALIZER} on InferenceServices (they cannot be deleted until a controller runs)")
    sub.add_parser("status", help="show the process and its webhook configurations")
    args = parser.parse_args()
    try:
        return {"start": start, "stop": stop, "status": status}[args.command](args)
    except HarnessError as exc:
        log(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
