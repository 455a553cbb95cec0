# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the model list (see plugins/module_utils/models.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.errors import AnsibleFilterError
from ansible_collections.llmops.kserve.plugins.module_utils.models import (
    format_table,
    model_capacity_request,
    model_chart_values,
    model_problems,
    model_profile,
    helm_revisions,
    model_readiness,
    model_rollback_plan,
    model_rollouts,
    model_rows,
)


def _chart_values(model):
    try:
        return model_chart_values(model)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("model_chart_values: invalid model entry %r: %s" % (model, exc))


class FilterModule:
    """llmops.kserve model list filters."""

    def filters(self):
        return {
            "model_problems": model_problems,
            "model_chart_values": _chart_values,
            "model_profile": model_profile,
            "model_readiness": model_readiness,
            "model_rollouts": model_rollouts,
            "model_rollback_plan": model_rollback_plan,
            "helm_revisions": helm_revisions,
            "model_rows": model_rows,
            "format_table": format_table,
            "model_capacity_request": model_capacity_request,
        }
