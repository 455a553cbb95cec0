# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What llmops.kserve.helm_releases and helm_releases_info share: the module with kubernetes.core's Helm options and a
concurrency, one ``helm list`` for many releases of a namespace, and ``helm get values`` of one release.

Built on kubernetes.core's Helm module utilities (the same connection options, environment variables and Helm
binary lookup as kubernetes.core.helm); Helm runs as an argument list, never through a shell.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import re

from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
    HELM_AUTH_MUTUALLY_EXCLUSIVE,
)


def helm_batch_module(**options):
    """The module with ``options``, a ``concurrency`` (at least 1) and kubernetes.core's Helm connection options."""
    argument_spec = dict(options, concurrency=dict(type="int", default=4))
    argument_spec.update(HELM_AUTH_ARG_SPEC)
    module = AnsibleHelmModule(argument_spec=argument_spec, mutually_exclusive=HELM_AUTH_MUTUALLY_EXCLUSIVE,
                               supports_check_mode=True)
    if module.params["concurrency"] < 1:
        module.fail_json(msg="concurrency must be 1 or more, got {0}".format(module.params["concurrency"]))
    return module


class Helm(object):
    """Runs the Helm binary of ``module`` with the module's environment (kubeconfig, context, ...)."""

    def __init__(self, module):
        self.module = module
        self.helm = module.get_helm_binary()

    def run(self, args):
        return self.module.run_command([self.helm] + args, environ_update=self.module.env_update)

    def list_named(self, namespace, names):
        """``(ok, {name: row of helm list}, error)`` of the named releases of ``namespace``, any state (--all), in one
        ``helm list`` for all of them."""
        if not names:
            return True, {}, ""
        rc, out, err = self.run(["list", "--namespace", namespace, "--all", "--max", "100000", "--filter",
                                 "^({0})$".format("|".join(re.escape(n) for n in names)), "--output", "json"])
        if rc != 0:
            return False, {}, (err or out).strip()
        return True, dict((r["name"], r) for r in json.loads(out or "[]") if r.get("name") in names), ""

    def values(self, name, namespace):
        """``(ok, user-supplied values, error)`` of release ``name`` (``helm get values``)."""
        rc, out, err = self.run(["get", "values", name, "--namespace", namespace, "--output", "json"])
        if rc != 0:
            return False, None, (err or out).strip()
        return True, json.loads(out or "null") or {}, ""
