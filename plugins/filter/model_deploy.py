# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the model_deploy role's ownership check and failure report (see plugins/module_utils/models.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.llmops.kserve.plugins.module_utils.models import (
    model_failure_causes,
    model_failure_report,
    release_ownership,
)


class FilterModule:
    """llmops.kserve model_deploy filters."""

    def filters(self):
        return {
            "model_failure_causes": model_failure_causes,
            "model_failure_report": model_failure_report,
            "release_ownership": release_ownership,
        }
