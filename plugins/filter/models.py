# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the model list (see plugins/module_utils/models.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible.errors import AnsibleFilterError
from ansible_collections.llmops.kserve.plugins.module_utils.autoscaling import keda_problems, uses_keda
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


def autoscaling_keda_problems(models, keda_installed):
    """Problems of the models that use KEDA when KEDA is not installed (module_utils/autoscaling.py)."""
    return keda_problems(models, _chart_values, keda_installed)


def autoscaling_uses_keda(models):
    """True when a present model of the list makes KServe create a KEDA ScaledObject."""
    return any(uses_keda(_chart_values(m)) for m in models or []
               if isinstance(m, dict) and m.get("state", "present") == "present")


class FilterModule:
    """llmops.kserve model list filters."""

    def filters(self):
        return {
            "model_problems": model_problems,
            "autoscaling_keda_problems": autoscaling_keda_problems,
            "autoscaling_uses_keda": autoscaling_uses_keda,
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
