# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the canary rollout (see plugins/module_utils/rollout.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.errors import AnsibleFilterError
from ansible_collections.llmops.kserve.plugins.module_utils.models import model_capacity_request
from ansible_collections.llmops.kserve.plugins.module_utils.rollout import (
    RolloutError,
    canary_capacity_requests,
    rollout_gate,
    rollout_gate_answer,
    rollout_rows,
    rollout_settled,
    rollout_values,
)


def _values(values, action, canary=None, schedule=(10, 50, 100), percent=None, model="the model"):
    try:
        return rollout_values(values, action, canary, schedule, percent, model)
    except RolloutError as exc:
        raise AnsibleFilterError("Nothing was changed: %s" % exc)


def _gate(answers):
    try:
        return rollout_gate(answers)
    except RolloutError as exc:
        raise AnsibleFilterError(str(exc))


def _capacity(isvc):
    return canary_capacity_requests(isvc, model_capacity_request)


class FilterModule:
    """llmops.kserve canary rollout filters."""

    def filters(self):
        return {
            "rollout_values": _values,
            "rollout_rows": rollout_rows,
            "rollout_settled": rollout_settled,
            "rollout_gate": _gate,
            "rollout_gate_answer": rollout_gate_answer,
            "canary_capacity_requests": _capacity,
        }
