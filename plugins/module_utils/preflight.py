# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight problems from what the cluster answered (pure: the roles read the cluster, these functions judge).

One sentence per problem, naming what is wrong and the way out. The kserve role's tasks/preflight.yml calls them
through the filters of plugins/filter/inputs.py and adds the sentences to the one preflight report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import re

from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.llmops.kserve.plugins.module_utils.inputs import is_bool_like

# What ansible.builtin.bool reads as true (the roles' `| bool`).
TRUE_WORDS = ("y", "yes", "on", "1", "true", "t")
PLAIN_HTTP_HINT = "server gave HTTP response to HTTPS client"


def to_bool(value):
    """``value | bool`` as Ansible reads it (true, yes, on, 1, ... in any case)."""
    if isinstance(value, (bool, int, float)):
        return value == 1
    return str(value).lower() in TRUE_WORDS


def _plain_version(value):
    """'v1.34.4-kwok+abc' -> '1.34.4' (a leading v and any pre-release or build suffix dropped)."""
    return re.sub(r"[-+].*$", "", re.sub(r"^v", "", str(value or "")))


def _minor(value):
    """'v1.21.3' -> '1.21'."""
    return ".".join(re.sub(r"^v", "", str(value)).split(".")[:2])


def _version_lt(left, right):
    return LooseVersion(str(left)) < LooseVersion(str(right))


def truncate(text, length=400, end="...", leeway=5):
    """Jinja's ``truncate(length)`` (words kept whole, Ansible's leeway of 5)."""
    if len(text) <= length + leeway:
        return text
    return text[:length - len(end)].rsplit(" ", 1)[0] + end


def kserve_cluster_problems(v):
    """Problems of the KServe install on this cluster. ``v``: ``cluster`` (k8s_cluster_info's result), ``inputs_valid``,
    ``compat`` (the kserve_compat entry of ``version``), ``version``, ``deployment_mode``, ``mode`` (resolved),
    ``require_cert_manager``, ``allow_version_skew``, ``plain_http``, ``components`` / ``versions`` (what this run
    installs), ``record`` (data of the install record), ``namespace``, ``crd_render`` (helm_template's result),
    ``crd_chart`` (``ref``, ``version``) and ``crds`` (the rendered CRDs)."""
    p = []
    cluster = v.get("cluster") or {}
    if "version" not in cluster:
        p.append("cannot read the cluster (%s); check the kubeconfig (kserve_kubeconfig / K8S_AUTH_KUBECONFIG) and that "
                 "the API server is reachable" % cluster.get("msg", "no answer"))
        return p
    if not to_bool(v["inputs_valid"]):
        return p
    compat, version = v["compat"], v["version"]
    server = _plain_version((((cluster.get("version") or {}).get("server") or {}).get("kubernetes") or {}).get("gitVersion"))
    apis = cluster.get("apis") or {}
    components, versions = v.get("components") or {}, v.get("versions") or {}
    if _version_lt(server, str(compat["kubernetes_min"])):
        p.append("Kubernetes %s is not supported by KServe %s (needs Kubernetes >= %s, kserve_compat); upgrade the cluster "
                 "or pick another kserve_version" % (server, version, compat["kubernetes_min"]))
    if (to_bool(v["require_cert_manager"]) and "cert-manager.io/v1" not in apis
            and not to_bool(components.get("cert_manager", False))):
        p.append("cert-manager is not installed (the cluster serves no cert-manager.io/v1 API) and is not part of this "
                 "run; KServe %s needs it for its webhook certificate: set install_cert_manager=true or install "
                 "cert-manager %s first" % (version, compat["cert_manager"]))
    if (v["mode"] == "Knative" and "serving.knative.dev/v1" not in apis
            and not to_bool(components.get("knative_serving", False))):
        p.append("kserve_deployment_mode %s needs Knative Serving, which is not installed (no serving.knative.dev/v1 API) "
                 "and not part of this run: set install_knative=true, or choose kserve_deployment_mode=Standard"
                 % v["deployment_mode"])
    if not to_bool(v["allow_version_skew"]):
        knative = re.sub(r"^v", "", str(versions.get("knative_serving", "")))
        if v["mode"] == "Knative" and knative and _minor(knative) != str(compat["knative_serving"]):
            p.append("Knative Serving %s is not the version KServe %s is tested with (%s.x); pin knative_serving_version "
                     "accordingly or set kserve_allow_version_skew=true" % (knative, version, compat["knative_serving"]))
        cert_manager = re.sub(r"^v", "", str(versions.get("cert_manager", "")))
        if cert_manager and _version_lt(_minor(cert_manager), str(compat["cert_manager"])):
            p.append("cert-manager %s is older than the version KServe %s is tested with (%s); pin cert_manager_version "
                     "accordingly or set kserve_allow_version_skew=true" % (cert_manager, version, compat["cert_manager"]))
    record = v.get("record") or {}
    installed = re.sub(r"^v", "", str(record.get("version", "")))
    if installed and _version_lt(re.sub(r"^v", "", str(version)), installed):
        p.append("KServe %s is installed in namespace %s; downgrading to %s is not supported (uninstall first, or keep "
                 "kserve_version=%s)" % (record["version"], v["namespace"], version, record["version"]))
    render, chart = v.get("crd_render") or {}, v["crd_chart"]
    if render.get("rc", 1) != 0:
        stderr = render.get("stderr") or ""
        detail = truncate(re.sub(r"\s+", " ", (stderr or str(render.get("msg", ""))).strip()))
        hint = (" (a plain-HTTP registry needs kserve_plain_http=true)"
                if not to_bool(v["plain_http"]) and PLAIN_HTTP_HINT in stderr else "")
        p.append("cannot render chart kserve-crd from %s%s: %s%s"
                 % (chart["ref"], (" version %s" % chart["version"]) if chart.get("version") else "", detail, hint))
    elif not v.get("crds"):
        p.append("chart kserve-crd from %s renders no CustomResourceDefinition" % chart["ref"])
    return p


STACK_NAMES = {"cert_manager": ("cert-manager", "cert-manager"), "knative_serving": ("knative-serving", "Knative Serving")}


def stack_cluster_check(v, role):
    """The cluster check of the cert_manager or knative_serving role (``role``): ``{"problems", "notes",
    "reachable"}``. ``v``: ``cluster`` (k8s_cluster_info's result), ``version`` (``<role>_version``) and
    ``compat_matrix`` (``<role>_compat_matrix``: ``kubernetes_min``, ``kubernetes_tested_max`` per version). An
    unreachable cluster is one problem; a Kubernetes older than the version needs is another; cert-manager notes a
    Kubernetes minor newer than it was tested on."""
    label, product = STACK_NAMES[role]
    cluster = v.get("cluster") or {}
    matrix = v.get("compat_matrix")
    entry = matrix.get(str(v["version"]), {}) if isinstance(matrix, dict) else {}
    entry = entry if isinstance(entry, dict) else {}
    server = _plain_version((((cluster.get("version") or {}).get("server") or {}).get("kubernetes") or {}).get("gitVersion"))
    reachable = not cluster.get("failed", False) and bool(server)
    problems, notes = [], []
    if not reachable:
        problems.append("%s: cannot reach the Kubernetes API (%s)" % (label, cluster.get("msg", "no version reported")))
    elif "kubernetes_min" in entry and _version_lt(server, entry["kubernetes_min"]):
        problems.append("%s_version: %s %s needs Kubernetes >= %s, the cluster runs %s"
                        % (role, product, v["version"], entry["kubernetes_min"], server))
    if (role == "cert_manager" and server and "kubernetes_tested_max" in entry
            and _version_lt("%s.999" % entry["kubernetes_tested_max"], server)):
        notes.append("cert-manager %s was tested up to Kubernetes %s; the cluster runs %s"
                     % (v["version"], entry["kubernetes_tested_max"], server))
    return {"problems": problems, "notes": notes, "reachable": reachable}


def unlabelled(resources, key, value):
    """``namespace/name`` of the ``resources`` whose label ``key`` is not ``value`` (someone else's objects)."""
    return ["%s/%s" % (r["metadata"].get("namespace"), r["metadata"]["name"]) for r in resources or []
            if (r["metadata"].get("labels") or {}).get(key, "") != value]


def stack_presence_problems(v, role):
    """Problems of the cert_manager or knative_serving preflight (``role``) with what is already on the cluster.
    ``v``: ``release_query`` (helm_info's result), ``what`` (the install of someone else, "" when none),
    ``skip_if_present`` (``<role>_skip_if_present``), ``namespaces`` (Namespace objects the role installs into) and
    ``namespace_field`` (the variable a terminating namespace is named by, "" for none)."""
    product = STACK_NAMES[role][1]
    problems = []
    query = v.get("release_query") or {}
    if query.get("failed", False):
        problems.append("%s_helm_binary: cannot query Helm releases (%s)" % (role, query.get("msg", "")))
    if v["what"] and not to_bool(v["skip_if_present"]):
        problems.append("%s_skip_if_present: false, but %s is already installed by something else (%s); remove it, or set "
                        "%s_skip_if_present: true to use it as it is" % (role, product, v["what"], role))
    prefix = "%s: " % v["namespace_field"] if v.get("namespace_field") else ""
    for namespace in v.get("namespaces") or []:
        if ((namespace or {}).get("status") or {}).get("phase", "") == "Terminating":
            problems.append("%snamespace '%s' is being deleted; wait until it is gone" % (prefix, namespace["metadata"]["name"]))
    return problems


def service_webhooks(results, service, namespace, per="config"):
    """The webhook configurations whose webhooks call Service ``namespace/service``. ``results``: the loop results of
    k8s_info over ValidatingWebhookConfiguration and MutatingWebhookConfiguration. ``per="config"``: ``[{"kind",
    "name"}]``, one per configuration; ``per="hook"``: one sentence per calling webhook, ``"<kind> <name> (caBundle
    set)"`` or ``"... (caBundle NOT injected yet)"``. Both without repeats, in the order found."""
    out = []
    for result in results or []:
        for config in result.get("resources") or []:
            for hook in config.get("webhooks") or []:
                client = hook.get("clientConfig") or {}
                svc = client.get("service") or {}
                if svc.get("name", "") != service or svc.get("namespace", "") != namespace:
                    continue
                if per == "hook":
                    entry = "%s %s (caBundle %s)" % (config.get("kind"), config["metadata"]["name"],
                                                     "set" if client.get("caBundle") else "NOT injected yet")
                else:
                    entry = {"kind": config.get("kind"), "name": config["metadata"]["name"]}
                if entry not in out:
                    out.append(entry)
    return out


def _crd_owner(crd):
    annotations = crd["metadata"].get("annotations") or {}
    if "meta.helm.sh/release-name" in annotations:
        return "Helm release %s/%s" % (annotations.get("meta.helm.sh/release-namespace", "?"),
                                       annotations["meta.helm.sh/release-name"])
    return "no Helm release"


def kserve_takeover(v):
    """Someone else's KServe: ``{"problems": [...], "note": "..."}``. ``v``: ``adopt`` (kserve_adopt as given),
    ``record`` (data of the install record), ``release`` (helm_info's status of the release, {} when none),
    ``release_query`` (helm_info's result), ``release_name``, ``namespace``, ``record_name``, ``crds`` (KServe CRDs
    without our label), ``managed_by_key`` / ``managed_by`` (our label)."""
    adopt = v["adopt"]
    adopt_valid = is_bool_like(adopt)
    record, release, crds = v.get("record") or {}, v.get("release") or {}, v.get("crds") or []
    what = []
    if release and record.get("release", "") != v["release_name"]:
        what.append("Helm release %s/%s (chart %s, status %s) is not named by the install record %s/%s of llmops.kserve"
                    % (v["namespace"], v["release_name"], release.get("chart", "?"), release.get("status", "?"),
                       v["namespace"], v["record_name"]))
    if crds:
        what.append("CRDs without the label %s=%s: %s" % (
            v["managed_by_key"], v["managed_by"],
            ", ".join("%s (%s)" % (crd["metadata"]["name"], _crd_owner(crd)) for crd in crds)))
    what = "; ".join(what)
    problems = []
    query = v.get("release_query") or {}
    if query.get("failed", False):
        problems.append("kserve_helm_binary: cannot query Helm releases (%s)" % query.get("msg", ""))
    if not adopt_valid:
        problems.append("kserve_adopt: must be true or false (or yes/no), got %s" % json.dumps(adopt, default=str))
    elif what and not to_bool(adopt):
        problems.append("kserve_adopt: false, but KServe is already installed by something else (%s); remove it, or set "
                        "kserve_adopt: true to take it over (this collection then upgrades that release and labels those "
                        "CRDs as its own, and a later uninstall removes the release, and the CRDs with kserve_remove_crds)"
                        % what)
    note = "Taking over (kserve_adopt: true): %s" % what if adopt_valid and to_bool(adopt) and what else ""
    return {"problems": problems, "note": note}
