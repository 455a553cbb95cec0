# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for KServe's node-local model cache (see plugins/module_utils/local_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from ansible_collections.llmops.kserve.plugins.module_utils.local_model import (
    local_model_cache_docs,
    local_model_cache_problems,
    local_model_values_problems,
    node_group_objects,
    node_group_problems,
)


class FilterModule:
    """llmops.kserve local model cache filters."""

    def filters(self):
        return {
            "local_model_cache_docs": local_model_cache_docs,
            "local_model_cache_problems": local_model_cache_problems,
            "local_model_values_problems": local_model_values_problems,
            "local_model_node_group_problems": node_group_problems,
            "local_model_node_groups": node_group_objects,
        }
