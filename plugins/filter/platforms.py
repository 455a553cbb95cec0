# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the platform catalog (see plugins/module_utils/catalog.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

from ansible_collections.llmops.kserve.plugins.module_utils.catalog import detect_platforms


def _plain(value):
    """Ansible's lazy/tagged containers as plain dicts and lists."""
    return json.loads(json.dumps(value, default=str))


def _detect(nodes, rules):
    return detect_platforms(_plain(nodes), _plain(rules))


class FilterModule:
    """llmops.kserve platform catalog filters."""

    def filters(self):
        return {"detect_platforms": _detect}
