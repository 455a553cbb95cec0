# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-field input checks of the roles, in Python (pure, no cluster access): one sentence per problem, naming the
field, the value and what is allowed. The roles call them through the filters of plugins/filter/inputs.py and fail
(or report in their preflight) before any change. One regex per concept lives here and in module_utils/images.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import os
import re

from ansible_collections.llmops.kserve.plugins.module_utils.catalog import LIMITS
from ansible_collections.llmops.kserve.plugins.module_utils.images import registry_problem

# A DNS-1123 label (namespaces, Helm release names); the length limit is checked on its own.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A DNS-1035 label (Service names, hence InferenceService and canary names: starts with a letter); length on its own.
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
VERSION = re.compile(r"^[0-9]+\.[0-9]+")
SECONDS = re.compile(r"^[0-9]+$")
# What a boolean extra variable may be as a string: -e kserve_force=false must work like false.
BOOL_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def _json(value):
    return json.dumps(value, default=str, sort_keys=False)


def is_bool_like(value):
    return isinstance(value, bool) or str(value).lower() in BOOL_WORDS


def namespace_problem(field, value):
    """A Kubernetes namespace: DNS-1123 label of at most 63 characters."""
    text = str(value)
    if DNS_LABEL.match(text) and len(text) <= LIMITS["namespace_max"]:
        return ""
    return ("%s: '%s' is not a valid namespace name (lowercase letters, digits and '-', at most %d characters)"
            % (field, value, LIMITS["namespace_max"]))


def release_name_problem(field, value):
    """A Helm release name: DNS-1123 label of at most 53 characters (Helm's own limit)."""
    text = str(value)
    if isinstance(value, str) and DNS_LABEL.match(text) and len(text) <= LIMITS["release_name_max"]:
        return ""
    return ("%s: '%s' is not a valid Helm release name (lowercase letters, digits and '-', at most %d characters)"
            % (field, value, LIMITS["release_name_max"]))


KSERVE_MANAGED_VALUES = ("kserve.version", "kserve.controller.deploymentMode", "kserve.controller.image",
                         "kserve.controller.tag", "kserve.controller.rbacProxyImage", "kserve.controller.gateway",
                         "kserve.storage.image", "kserve.storage.tag")
KSERVE_INGRESS_BOOLS = ("enable_gateway_api", "disable_ingress_creation", "disable_istio_virtual_host")
KSERVE_BOOLS = ("kserve_plain_http", "kserve_force", "kserve_remove_crds", "kserve_allow_version_skew",
                "kserve_require_cert_manager")
KSERVE_IMAGES = ("controller", "storage_initializer", "agent", "router")


def kserve_input_problems(v):
    """Problems of the kserve role's inputs. ``v``: the role variables (``kserve_*``) plus what plan.yml derived:
    ``kserve__mode_aliases``, ``kserve__compat``, ``kserve__chart_refs``, ``kserve__ingress_defaults``,
    ``kserve__ingress``."""
    p = []
    if v["kserve_state"] not in ("present", "absent"):
        p.append("kserve_state: unknown state '%s'; allowed: present, absent" % v["kserve_state"])
    compat, version = v["kserve_compat"], str(v["kserve_version"])
    if not isinstance(compat, dict):
        p.append("kserve_compat: must be a mapping of KServe version to its requirements, got %s" % _json(compat))
    elif version not in compat:
        p.append("kserve_version: unknown version '%s'; known versions: %s (add an entry to kserve_compat to use another)"
                 % (v["kserve_version"], ", ".join(sorted(compat))))
    else:
        entry = v.get("kserve__compat") or {}
        for key in ("kubernetes_min", "knative_serving", "cert_manager"):
            if key not in entry or not VERSION.match(str(entry[key])):
                p.append("kserve_compat['%s'].%s: must be a version such as 1.32, got %s"
                         % (version, key, _json(entry.get(key, "nothing"))))
    if str(v["kserve_deployment_mode"]) not in v["kserve__mode_aliases"]:
        p.append("kserve_deployment_mode: unknown mode '%s'; allowed: Knative, Standard (or their pre-0.16 names "
                 "Serverless, RawDeployment)" % v["kserve_deployment_mode"])
    source = str(v["kserve_chart_source"]).lower()
    chart_dir = v.get("kserve_chart_dir") or ""
    if source not in ("oci", "local"):
        p.append("kserve_chart_source: unknown source '%s'; allowed: oci, local" % v["kserve_chart_source"])
    elif source == "oci":
        if not str(v.get("kserve_chart_repo") or "").startswith("oci://"):
            p.append("kserve_chart_repo: '%s' is not an OCI location; expected oci://<registry>/<path>, "
                     "e.g. oci://ghcr.io/kserve/charts" % v.get("kserve_chart_repo"))
    elif not str(chart_dir) or not os.path.isdir(str(chart_dir)):
        p.append("kserve_chart_dir: '%s' is not a directory; with kserve_chart_source=local it must hold kserve-crd/ and "
                 "kserve-resources/ chart directories or kserve-crd-<version>.tgz and kserve-resources-<version>.tgz "
                 "packages" % chart_dir)
    else:
        for chart, entry in (v.get("kserve__chart_refs") or {}).items():
            if not os.path.exists(str(entry["ref"])):
                p.append("kserve_chart_dir: no chart %s for %s in '%s' (looked for %s/%s/ and %s)"
                         % (chart, v["kserve_version"], chart_dir, chart_dir, chart, entry["ref"]))
    for problem in (namespace_problem("kserve_namespace", v["kserve_namespace"]),
                    release_name_problem("kserve_release_name", str(v["kserve_release_name"])),
                    registry_problem("kserve_image_registry", v.get("kserve_image_registry") or "")):
        if problem:
            p.append(problem)
    repositories = v["kserve_image_repositories"]
    if not isinstance(repositories, dict) or set(KSERVE_IMAGES) - set(repositories):
        p.append("kserve_image_repositories: must map controller, storage_initializer, agent and router to image "
                 "repositories, got %s" % _json(repositories))
    timeout = v["kserve_wait_timeout"]
    if not SECONDS.match(str(timeout)) or int(str(timeout)) < 10:
        p.append("kserve_wait_timeout: '%s' is not a number of seconds of at least 10" % timeout)
    for name in KSERVE_BOOLS:
        if not is_bool_like(v[name]):
            p.append("%s: must be true or false (or yes/no), got %s" % (name, _json(v[name])))
    ingress, defaults = v["kserve_ingress"], v["kserve__ingress_defaults"]
    if not isinstance(ingress, dict):
        p.append("kserve_ingress: must be a mapping, got %s" % _json(ingress))
    else:
        effective = v["kserve__ingress"]
        unknown = sorted(set(ingress) - set(defaults))
        if unknown:
            p.append("kserve_ingress: unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(sorted(defaults))))
        if effective.get("url_scheme") not in ("http", "https"):
            p.append("kserve_ingress.url_scheme: unknown scheme '%s'; allowed: http, https" % effective.get("url_scheme"))
        for key in KSERVE_INGRESS_BOOLS:
            if not is_bool_like(effective.get(key)):
                p.append("kserve_ingress.%s: must be true or false (or yes/no), got %s" % (key, _json(effective.get(key))))
        for key in sorted(set(defaults) - set(KSERVE_INGRESS_BOOLS)):
            if not isinstance(effective.get(key), str) or not effective.get(key):
                p.append("kserve_ingress.%s: must be a non-empty string, got %s" % (key, _json(effective.get(key))))
    values = v["kserve_chart_values"]
    if not isinstance(values, dict):
        p.append("kserve_chart_values: must be a mapping of chart values, got %s" % _json(values))
    else:
        for path in KSERVE_MANAGED_VALUES:
            node, found = values, True
            for key in path.split("."):
                if isinstance(node, dict) and key in node:
                    node = node[key]
                else:
                    found = False
                    break
            if found:
                p.append("kserve_chart_values: sets %s, which the role manages; use kserve_version, kserve_deployment_mode, "
                         "kserve_image_registry, kserve_image_repositories or kserve_ingress instead" % path)
    return p


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
FEATURE_VALUES = ("enabled", "disabled", "allowed")
CERT_MANAGER_IMAGES = ("controller", "webhook", "cainjector", "acmesolver", "startupapicheck")


def _label_problem(field, value):
    if isinstance(value, str) and DNS_LABEL.match(value) and len(value) <= LIMITS["namespace_max"]:
        return ""
    return "%s: '%s' is not a valid name (DNS-1123 label)" % (field, value)


def _chart_source_problems(chart, source, v, allowed_text):
    """The chart location of a stack role: ``<chart>_source`` one of oci/repo/local and its own setting."""
    if source not in ("oci", "repo", "local"):
        return ["%s_source: '%s' is not allowed; use %s" % (chart, source, allowed_text)]
    if source == "oci" and not str(v[chart + "_oci_url"]).startswith("oci://"):
        return ["%s_oci_url: '%s' must start with oci:// (%s_source is oci)" % (chart, v[chart + "_oci_url"], chart)]
    if source == "repo" and not re.match(r"^https?://", str(v[chart + "_repo_url"])):
        return ["%s_repo_url: '%s' must be an http(s):// URL (%s_source is repo)" % (chart, v[chart + "_repo_url"], chart)]
    if source == "local" and not v.get(chart + "_path"):
        return ["%s_path: empty, but %s_source is local; give a chart directory or .tgz" % (chart, chart)]
    return []


def stack_input_problems(v, role):
    """Problems of the inputs of the cert_manager or knative_serving role (``role``); ``v``: the role variables
    (``<role>_*``) plus ``<role>__known_versions`` (and ``knative_serving__ingresses``)."""
    p = []
    state = v[role + "_state"]
    if state not in ("present", "absent"):
        p.append("%s_state: '%s' is not allowed; use present or absent" % (role, state))
    if role == "cert_manager":
        checks = ((namespace_problem, "cert_manager_namespace"), (release_name_problem, "cert_manager_release_name"))
    else:
        checks = ((namespace_problem, "knative_serving_namespace"), (namespace_problem, "knative_serving_operator_namespace"),
                  (release_name_problem, "knative_serving_operator_release_name"), (_label_problem, "knative_serving_cr_name"))
    p += [problem for problem in (check(field, v[field]) for check, field in checks) if problem]
    if state != "present":
        return p
    if str(v[role + "_version"]) not in (v[role + "_compat_matrix"] or {}):
        p.append("%s_version: '%s' is not a known version; known versions: %s (add an entry to %s_compat_matrix for another one)"
                 % (role, v[role + "_version"], ", ".join(v[role + "__known_versions"]), role))
    if role == "knative_serving":
        ingresses = v["knative_serving__ingresses"]
        if v["knative_serving_ingress"] not in ingresses:
            p.append("knative_serving_ingress: '%s' is not allowed; use %s" % (v["knative_serving_ingress"], " or ".join(ingresses)))
        domain = v["knative_serving_domain"]
        if not isinstance(domain, str) or len(domain) > 253 or not DNS_SUBDOMAIN.match(domain):
            p.append("knative_serving_domain: '%s' is not a valid DNS domain (for example example.com)" % domain)
        features = v["knative_serving_features"]
        if not isinstance(features, dict):
            p.append("knative_serving_features: must be a mapping of flag: enabled|disabled|allowed")
        else:
            for flag, value in features.items():
                if not isinstance(value, str) or value not in FEATURE_VALUES:
                    p.append("knative_serving_features: '%s' is '%s'; allowed: enabled, disabled, allowed (quote them in YAML)"
                             % (flag, value))
        p += _chart_source_problems("knative_serving_operator_chart", v["knative_serving_operator_chart_source"], v,
                                    "repo, oci or local")
    else:
        p += _chart_source_problems("cert_manager_chart", v["cert_manager_chart_source"], v, "oci, repo or local")
    problem = registry_problem(role + "_image_registry", v.get(role + "_image_registry") or "")
    if problem:
        p.append(problem)
    timeout = v[role + "_wait_timeout"]
    if not SECONDS.match(str(timeout)) or int(str(timeout)) < 1:
        p.append("%s_wait_timeout: '%s' must be a positive number of seconds" % (role, timeout))
    if role == "cert_manager":
        images = v["cert_manager_images"] or {}
        for name in CERT_MANAGER_IMAGES:
            if not images.get(name):
                p.append("cert_manager_images: no image for '%s' (needed: %s)" % (name, ", ".join(CERT_MANAGER_IMAGES)))
    return p
