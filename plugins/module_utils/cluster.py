# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only cluster reads for the capacity module, through kubernetes.core's client.

Connection options and ``K8S_AUTH_*`` environment variables are exactly those of kubernetes.core
(``get_api_client`` with ``AUTH_ARG_SPEC``). Nodes and pods are read with one list each (pods
filtered server-side to non-terminal phases), paged with ``limit``/``continue`` (500 a page, like kubectl) so
memory stays flat on large clusters; each page is decoded as raw JSON (no model objects) and
handed to :mod:`capacity` as plain dicts. DRA devices are looked for by listing
``resource.k8s.io`` ResourceSlices.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import gc
import json

from ansible_collections.llmops.kserve.plugins.module_utils.capacity import compute_capacity

POD_FIELD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"
DEFAULT_PAGE_SIZE = 500


class ClusterReadError(Exception):
    """A read failed; the message says which and why."""


def _status_of(exc):
    return getattr(exc, "status", None) or getattr(getattr(exc, "response", None), "status", None)


def response_json(response):
    """The JSON body of a raw (serialize=False) kubernetes client response."""
    data = getattr(response, "data", None)
    if data is None and hasattr(response, "read"):
        data = response.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data)


def list_pages(client, path, what, page_size=DEFAULT_PAGE_SIZE, **params):
    """Yield the ``items`` of a (paged) list call. ``client`` is kubernetes.core's K8SClient."""
    dynamic = client.client
    token = None
    while True:
        query = dict(params)
        if page_size:
            query["limit"] = page_size
        if token:
            query["_continue"] = token
        try:
            response = dynamic.request("get", path, serialize=False, **query)
            body = response_json(response)
        except Exception as exc:  # pylint: disable=broad-except
            status = _status_of(exc)
            reason = getattr(exc, "reason", None) or type(exc).__name__
            summary = getattr(exc, "summary", None)
            detail = summary() if callable(summary) else str(exc).splitlines()[0] if str(exc) else reason
            raise ClusterReadError("could not list %s (%s): %s%s" % (
                what, path, "%s " % status if status else "", detail), status)
        yield from body.get("items") or ()
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return


def detect_dra(client):
    """Report DRA ResourceSlices (devices not visible in node allocatable)."""
    result = {"api_available": False, "api_version": None, "resource_slices": 0, "devices": 0, "drivers": [],
              "nodes": [], "counted": False, "message": None}
    try:
        group = response_json(client.client.request("get", "/apis/resource.k8s.io", serialize=False))
    except Exception as exc:  # pylint: disable=broad-except
        status = _status_of(exc)
        if status == 404:
            result["message"] = "the resource.k8s.io API (DRA) is not served by this cluster"
        else:
            result["message"] = "could not check for DRA (resource.k8s.io): %s" % (status or type(exc).__name__)
        return result
    version = ((group.get("preferredVersion") or {}).get("groupVersion")
               or ((group.get("versions") or [{}])[0]).get("groupVersion"))
    if not version:
        result["message"] = "the resource.k8s.io API group lists no version"
        return result
    result["api_available"] = True
    result["api_version"] = version
    drivers = set()
    nodes = set()
    try:
        for item in list_pages(client, "/apis/%s/resourceslices" % version, "ResourceSlices", page_size=500):
            spec = item.get("spec") or {}
            result["resource_slices"] += 1
            result["devices"] += len(spec.get("devices") or ())
            if spec.get("driver"):
                drivers.add(spec["driver"])
            if spec.get("nodeName"):
                nodes.add(spec["nodeName"])
    except ClusterReadError as exc:
        result["message"] = "could not list DRA ResourceSlices: %s" % exc
        return result
    result["drivers"] = sorted(drivers)
    result["nodes"] = sorted(nodes)
    if result["resource_slices"]:
        result["message"] = ("%d DRA device(s) in %d ResourceSlice(s) (drivers: %s) were NOT counted: DRA devices are "
                             "not in node allocatable, and their claims are not pod resource requests"
                             % (result["devices"], result["resource_slices"], ", ".join(result["drivers"]) or "?"))
    else:
        result["message"] = "DRA API present, no ResourceSlices: nothing left uncounted"
    return result


def read_capacity(client, resources=None, page_size=DEFAULT_PAGE_SIZE, check_dra=True):
    """One list of nodes, one (paged, phase-filtered) list of pods -> capacity.compute_capacity().

    The cyclic garbage collector is paused while the pages are decoded: JSON makes only acyclic
    objects, and on 10,000 pods the repeated full collections cost more than the decoding itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        nodes = list(list_pages(client, "/api/v1/nodes", "nodes", page_size=page_size))
        pods = list_pages(client, "/api/v1/pods", "pods", page_size=page_size, field_selector=POD_FIELD_SELECTOR)
        capacity = compute_capacity(nodes, pods, resources)
    finally:
        if was_enabled:
            gc.enable()
    capacity["dra"] = detect_dra(client) if check_dra else None
    return capacity
