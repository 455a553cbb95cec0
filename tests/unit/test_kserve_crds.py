# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/kserve_crds.py: which rendered CRDs a server-side apply would change (content digest first)."""
from __future__ import annotations

import copy

import yaml

from ansible_collections.llmops.kserve.plugins.module_utils.kserve_crds import (
    DIGEST_ANNOTATION,
    is_ours,
    metadata_only,
    outdated_crds,
    prepare_crds,
)

LABELS = {"app.kubernetes.io/managed-by": "llmops-kserve"}
CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgets.example.com"},
       "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced"}}
OTHER = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-a-crd"}}


def live_of(crd: dict) -> dict:
    """The CRD as the API server holds it after the apply: defaults added, Established."""
    live = copy.deepcopy(crd)
    live["spec"]["conversion"] = {"strategy": "None"}
    live["metadata"]["managedFields"] = [{"manager": "llmops-kserve"}]
    live["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
    return live


def rendered() -> list[dict]:
    return prepare_crds(yaml.safe_dump_all([CRD, OTHER]), LABELS)


def test_prepare_labels_and_records_the_digest_of_the_chart_content():
    crds = rendered()
    assert [c["metadata"]["name"] for c in crds] == ["widgets.example.com"]
    assert crds[0]["metadata"]["labels"] == LABELS
    assert len(crds[0]["metadata"]["annotations"][DIGEST_ANNOTATION]) == 64
    changed = dict(CRD, spec=dict(CRD["spec"], scope="Cluster"))
    assert prepare_crds(yaml.safe_dump(changed), LABELS)[0]["metadata"]["annotations"][DIGEST_ANNOTATION] != \
        crds[0]["metadata"]["annotations"][DIGEST_ANNOTATION]


def test_up_to_date_crd_is_not_applied():
    crds = rendered()
    assert outdated_crds(crds, [live_of(crds[0])]) == []


def test_missing_not_established_other_digest_or_edited_spec_is_applied():
    crds = rendered()
    missing = outdated_crds(crds, [])
    not_established = live_of(crds[0])
    not_established["status"]["conditions"][0]["status"] = "False"
    other_digest = live_of(crds[0])
    other_digest["metadata"]["annotations"][DIGEST_ANNOTATION] = "stale"
    edited = live_of(crds[0])
    edited["spec"]["scope"] = "Cluster"
    for live in ([], [not_established], [other_digest], [edited]):
        assert outdated_crds(crds, live) == crds, live
    assert missing == crds


def test_someone_elses_crd_is_not_ours_and_comes_back_as_metadata_only():
    theirs = live_of(CRD)
    theirs["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm"}
    assert not is_ours(theirs, LABELS)
    assert is_ours(live_of(rendered()[0]), LABELS)
    meta = metadata_only(theirs)
    assert set(meta) == {"apiVersion", "kind", "metadata"} and "managedFields" not in meta["metadata"]
