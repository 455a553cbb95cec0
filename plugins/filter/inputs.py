# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of the roles (see plugins/module_utils/inputs.py and images.py): lists of problem sentences."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json

from ansible_collections.llmops.kserve.plugins.module_utils.images import registry_problem
from ansible_collections.llmops.kserve.plugins.module_utils.inputs import (
    kserve_input_problems,
    namespace_problem,
    release_name_problem,
    stack_input_problems,
)
from ansible_collections.llmops.kserve.plugins.module_utils.preflight import (
    kserve_cluster_problems,
    kserve_takeover,
    stack_cluster_check,
    stack_presence_problems,
    service_webhooks,
    unlabelled,
)


def _plain(value):
    """Ansible's lazy/tagged containers as plain dicts and lists."""
    return json.loads(json.dumps(value, default=str))


def _one(check):
    def run(value, field):
        problem = check(field, value)
        return [problem] if problem else []
    return run


class FilterModule:
    """llmops.kserve input check filters."""

    def filters(self):
        return {
            "kserve_input_problems": lambda v: kserve_input_problems(_plain(v)),
            "stack_input_problems": lambda v, role: stack_input_problems(_plain(v), role),
            "registry_problems": _one(registry_problem),
            "namespace_problems": _one(namespace_problem),
            "release_name_problems": _one(release_name_problem),
            "kserve_cluster_problems": lambda v: kserve_cluster_problems(_plain(v)),
            "kserve_takeover": lambda v: kserve_takeover(_plain(v)),
            "stack_cluster_check": lambda v, role: stack_cluster_check(_plain(v), role),
            "stack_presence_problems": lambda v, role: stack_presence_problems(_plain(v), role),
            "service_webhooks": lambda results, service, namespace, per="config": service_webhooks(
                _plain(results), service, namespace, per),
            "unlabelled": lambda resources, key, value: unlabelled(_plain(resources), key, value),
        }
