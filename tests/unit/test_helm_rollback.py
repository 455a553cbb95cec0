# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the pure logic of plugins/modules/helm_rollback.py (history parsing, the decision, the argument
list). The module's run against Helm and a cluster is tested in tests/e2e/test_deploy_failure.py."""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.llmops.kserve.plugins.modules import helm_rollback as hr

# the shape of `helm history NAME -o json` (Helm 3)
HISTORY = [
    {"revision": 2, "updated": "2026-11-30T22:00:01Z", "status": "superseded", "chart": "kserve-model-0.1.0",
     "app_version": "0.20.0", "description": "Upgrade complete"},
    {"revision": 1, "updated": "2026-11-30T21:00:00Z", "status": "superseded", "chart": "kserve-model-0.1.0",
     "app_version": "0.20.0", "description": "Install complete"},
    {"revision": 3, "updated": "2026-11-30T22:10:00Z", "status": "deployed", "chart": "kserve-model-0.2.0",
     "app_version": "0.20.0", "description": "Upgrade complete"},
]


def history(entries=None):
    return hr.parse_history(json.dumps(HISTORY if entries is None else entries))


def test_parse_history_sorts_and_keeps_the_documented_keys():
    parsed = history()
    assert [e["revision"] for e in parsed] == [1, 2, 3]
    assert set(parsed[0]) == set(hr.HISTORY_KEYS)
    assert hr.parse_history("") == []


def test_parse_history_refuses_something_else():
    with pytest.raises(ValueError):
        hr.parse_history(json.dumps({"revision": 1}))


def test_rollback_to_an_older_revision():
    rollback, previous, target, reason = hr.plan_rollback("m", history(), 2)
    assert rollback is True
    assert previous["revision"] == 3 and target["revision"] == 2
    assert "from revision 3 (deployed) to revision 2 (kserve-model-0.1.0)" in reason


def test_nothing_to_do_when_the_revision_is_deployed():
    rollback, _previous, _target, reason = hr.plan_rollback("m", history(), 3)
    assert rollback is False
    assert "nothing to roll back" in reason


def test_nothing_to_do_after_helm_already_rolled_back_to_it():
    entries = HISTORY + [{"revision": 4, "status": "superseded", "chart": "kserve-model-0.2.0", "description": "Upgrade failed"},
                         {"revision": 5, "status": "deployed", "chart": "kserve-model-0.2.0", "description": "Rollback to 3"}]
    assert hr.plan_rollback("m", history(entries), 3)[0] is False
    # but a rollback to another revision is still a change
    assert hr.plan_rollback("m", history(entries), 2)[0] is True


def test_a_failed_newest_revision_is_rolled_back_even_to_its_own_number():
    entries = [dict(HISTORY[1]), {"revision": 2, "status": "failed", "chart": "kserve-model-0.1.0", "description": "Upgrade failed"}]
    assert hr.plan_rollback("m", history(entries), 2)[0] is True
    assert hr.plan_rollback("m", history(entries), 1)[0] is True


BAD_REVISIONS = [
    (0, "revision=0 is not a Helm revision"),
    (-1, "allowed: an integer >= 1"),
    (7, "revision 7 of release m is not in its history (revisions kept: 1, 2, 3)"),
]


@pytest.mark.parametrize("revision, message", BAD_REVISIONS)
def test_bad_revisions_are_refused_with_the_reason(revision, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        hr.plan_rollback("m", history(), revision)


def test_empty_history_is_refused():
    with pytest.raises(ValueError, match="no history"):
        hr.plan_rollback("m", [], 1)


def test_command_is_an_argument_list():
    assert hr.rollback_command("/bin/helm", "m", 2) == ["/bin/helm", "rollback", "m", "2"]
    assert hr.rollback_command("/bin/helm", "m", 2, wait=True, wait_timeout="90s") == [
        "/bin/helm", "rollback", "m", "2", "--wait", "--timeout", "90s"]


def test_argument_spec_has_kubernetes_core_auth_options():
    spec = hr.argument_spec()
    for key in ("kubeconfig", "context", "host", "api_key", "ca_cert", "validate_certs", "binary_path"):
        assert key in spec
    assert spec["revision"] == {"type": "int", "required": True}
