# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster side of KServe's CRDs, shared by llmops.kserve.kserve_crds_info (compare) and llmops.kserve.kserve_crds
(compare, then apply): render the CRD chart with ``helm template`` (an argument list), read the live CRDs by name, apply
a CRD server-side and wait until it is Established, all through kubernetes.core's client (``get_api_client``), so the
connection options and ``K8S_AUTH_*`` variables are exactly those of kubernetes.core.

The CRDs (several MB for KServe) stay inside the module process: only names and metadata go back to Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import time

from ansible_collections.llmops.kserve.plugins.module_utils.cluster import response_json
from ansible_collections.llmops.kserve.plugins.module_utils.kserve_crds import (
    CrdError,
    established,
    is_ours,
    is_outdated,
    metadata_only,
    prepare_crds,
)

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"


class CrdClusterError(Exception):
    """A read, an apply or a wait failed; the message says which CRD and why."""


def chart_options():
    """The options both modules take to render the chart (their argument_spec adds kubernetes.core's auth options)."""
    return dict(
        chart_ref=dict(type="str", required=True),
        chart_version=dict(type="str"),
        plain_http=dict(type="bool", default=False),
        release_name=dict(type="str", default="kserve-crd"),
        release_namespace=dict(type="str", default="default"),
        binary_path=dict(type="path"),
        labels=dict(type="dict", default={}),
    )


def render(base, params):
    """(rc, stdout, stderr) of ``helm template`` of the chart; ``base`` is the AnsibleModule (its run_command)."""
    helm = params["binary_path"] or base.get_bin_path("helm")
    if not helm:
        return 127, "", "cannot find the helm binary on the PATH (set binary_path)"
    args = [helm, "template", params["release_name"], params["chart_ref"], "--namespace", params["release_namespace"]]
    if params["chart_version"]:
        args += ["--version", params["chart_version"]]
    if params["plain_http"]:
        args.append("--plain-http")
    return base.run_command(args)


def rendered_crds(base, params):
    """(labels, CRDs, rc, error) of the chart: rendered, parsed, labelled and digested (prepare_crds); the CRDs are
    None, with rc and the error, when helm template fails or its output cannot be parsed."""
    labels = dict((str(k), str(v)) for k, v in (params["labels"] or {}).items())
    rc, out, err = render(base, params)
    if rc != 0:
        return labels, None, rc, (err or out or "").strip()
    try:
        return labels, prepare_crds(out, labels), 0, ""
    except CrdError as exc:
        return labels, None, 1, str(exc)


def _status(exc):
    return getattr(exc, "status", None)


def read_crd(client, name):
    """The live CRD ``name`` as a plain dict, or None when it does not exist. ``client``: kubernetes.core's K8SClient."""
    try:
        response = client.client.request("get", CRD_PATH + name, serialize=False)
    except Exception as exc:  # pylint: disable=broad-except
        if _status(exc) == 404:
            return None
        raise CrdClusterError("could not read CustomResourceDefinition %s: %s %s" % (name, _status(exc) or "", exc))
    return response_json(response)


def compare(client, crds, labels):
    """(outdated CRDs, names of the up-to-date ones, metadata of the live ones without ``labels``)."""
    outdated, up_to_date, foreign = [], [], []
    for crd in crds:
        live = read_crd(client, crd["metadata"]["name"])
        if live is not None and not is_ours(live, labels):
            foreign.append(metadata_only(live))
        if is_outdated(crd, live):
            outdated.append(crd)
        else:
            up_to_date.append(crd["metadata"]["name"])
    return outdated, up_to_date, foreign


def apply_crd(client, crd, field_manager):
    """Server-side apply of one CRD, taking over conflicting fields (``force``): an upgrade owns what earlier installs
    set. Returns the live object."""
    name = crd["metadata"]["name"]
    try:
        response = client.client.request(
            "patch", CRD_PATH + name, body=crd, serialize=False, content_type="application/apply-patch+yaml",
            field_manager=field_manager, force_conflicts=True)
    except Exception as exc:  # pylint: disable=broad-except
        raise CrdClusterError("could not apply CustomResourceDefinition %s: %s %s" % (name, _status(exc) or "", exc))
    return response_json(response)


def wait_established(client, names, timeout, interval=1.0, clock=time.monotonic, sleep=time.sleep):
    """Wait until every CRD of ``names`` is Established; CrdClusterError naming those that are not after ``timeout``
    seconds."""
    deadline = clock() + timeout
    waiting = list(names)
    while True:
        waiting = [name for name in waiting if not established(read_crd(client, name) or {})]
        if not waiting:
            return
        if clock() >= deadline:
            raise CrdClusterError("not Established after %ss: %s" % (timeout, ", ".join(waiting)))
        sleep(interval)
