"""Waits on Kubernetes conditions through the Kubernetes Python client, with a deadline (harness, not product).

``kubectl wait --for=condition=X`` exits at once with ".status.conditions accessor error: <nil>" when it runs before
the object's controller wrote any condition (a CRD right after its server-side apply, for example), instead of
waiting. Everything in the harness, the tests and the benchmarks that waits right after creating something polls
through these functions instead.
"""
from __future__ import annotations

import time


def _client(kubeconfig: str):
    from kubernetes import config  # pylint: disable=import-outside-toplevel
    return config.new_client_from_config(config_file=kubeconfig)


def crds_established(kubeconfig: str, names: list[str] | None = None, label_selector: str | None = None,
                     timeout: float = 120, interval: float = 0.25) -> list[str]:
    """Poll until every CRD named (or matched by ``label_selector``) has condition Established=True.

    Returns the names that were waited on. Raises TimeoutError naming the CRDs that are still not Established
    (or missing) at the deadline; a selector that matches nothing is an error too (nothing to wait on is a bug).
    """
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    api = client.ApiextensionsV1Api(_client(kubeconfig))
    deadline = time.monotonic() + timeout
    pending: dict[str, str] = {}
    while True:
        pending = {}
        if label_selector is not None:
            items = api.list_custom_resource_definition(label_selector=label_selector).items
            found = {item.metadata.name: item for item in items}
            if not found:
                pending[f"(selector {label_selector})"] = "no CRD matches"
            wanted = list(names or []) + sorted(found)
        else:
            found = {}
            wanted = list(names or [])
        for name in wanted:
            crd = found.get(name)
            if crd is None:
                try:
                    crd = api.read_custom_resource_definition(name)
                except ApiException as exc:
                    if exc.status != 404:
                        raise
                    pending[name] = "not found"
                    continue
            conditions = (crd.status.conditions if crd.status else None) or []
            established = [c for c in conditions if c.type == "Established"]
            if not established or established[0].status != "True":
                pending[name] = "no Established condition yet" if not established else \
                    f"Established={established[0].status} ({established[0].reason})"
        if not pending:
            return wanted
        if time.monotonic() >= deadline:
            raise TimeoutError(f"CRDs not Established after {timeout:.0f}s: "
                               + ", ".join(f"{k}: {v}" for k, v in sorted(pending.items())))
        time.sleep(interval)
