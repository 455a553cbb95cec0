# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role entry points (meta/argument_specs.yml) of the task files that the playbooks call with tasks_from.

Ansible validates a role's entry point of the same name as tasks_from as the first task of the include, and that task
fails on its own. Two kinds of task files are called:

- in the preflight play of playbooks/install.yml (``plan``, ``preflight``): every input problem must end up in ONE
  report with the cluster problems ("N preflight problem(s), nothing was changed"; DESIGN.md principle 4,
  tests/integration/test_kserve_role_bad_input.py). An entry point there would stop the run at the first role with a
  bad type or choice, before the other roles' problems are known, so these task files have NO entry point: their
  inputs are checked in Python (plugins/module_utils/inputs.py, preflight.py) into the report, and the same options,
  types and choices are checked by Ansible itself when the role runs (the ``main`` entry point, in the play after the
  preflight, and when the role is used on its own);
- everywhere else (e.g. ``summary`` in playbooks/list_models.yml): an entry point, so Ansible checks the inputs.

This test keeps both rules: a new tasks_from call outside the preflight play needs an entry point, and an entry point
added for a preflight task file (which would break the one report) fails here with the reason.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ONE_REPORT_PLAY = "Preflight of the serving stack"


def _includes(tasks):
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            yield from _includes(task.get(key))
        for action in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            if isinstance(task.get(action), dict) and task[action].get("tasks_from"):
                yield task[action]["name"].split(".")[-1], task[action]["tasks_from"]


def calls():
    """(playbook, role, tasks_from, in the one-report preflight play)."""
    out = []
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(playbook.read_text()) or []:
            for section in ("pre_tasks", "tasks", "post_tasks"):
                for role, tasks_from in _includes(play.get(section)):
                    out.append((playbook.name, role, tasks_from, str(play.get("name", "")).startswith(ONE_REPORT_PLAY)))
    return out


def entry_points(role):
    spec = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    return set((yaml.safe_load(spec.read_text()) or {}).get("argument_specs") or {}) if spec.exists() else set()


def test_the_playbooks_call_task_files():
    found = calls()
    assert ("install.yml", "kserve", "preflight", True) in found and ("list_models.yml", "model_deploy", "summary", False) in found


@pytest.mark.parametrize("playbook, role, tasks_from, one_report", calls())
def test_entry_point_where_it_does_not_break_the_one_report(playbook, role, tasks_from, one_report):
    if one_report:
        assert tasks_from not in entry_points(role), (
            f"roles/{role}/meta/argument_specs.yml has an entry point '{tasks_from}', which {playbook} calls in its "
            f"preflight play: Ansible would fail on it alone, before the one report of every problem")
    else:
        assert tasks_from in entry_points(role), (
            f"{playbook} calls roles/{role} tasks_from={tasks_from}: add that entry point to its meta/argument_specs.yml")
    # the role's main entry point checks the same inputs with Ansible's own validator when the role runs
    assert "main" in entry_points(role)
