#!/usr/bin/env python
"""The cluster connection of the roles comes from module_defaults, never from each task (make lint).

1. No task in roles/*/tasks passes a connection argument (kubeconfig, context or their aliases) to a module of the
   group/llmops.kserve.connection action group (meta/runtime.yml; kubernetes.core's groups it extends are read from
   the installed kubernetes.core).
2. Every role entry point - tasks/main.yml and each file a playbook, role or test includes with tasks_from - is one
   block whose module_defaults set group/llmops.kserve.connection from the role's <role>_kubeconfig/<role>_context.
Exit 1 with one line per problem.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONNECTION_ARGS = {"kubeconfig", "kubeconfig_path", "context", "kube_context"}
GROUP = "group/llmops.kserve.connection"


def group_members() -> set[str]:
    meta = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    entries = meta["action_groups"]["connection"]
    members = set()
    for entry in entries:
        if isinstance(entry, dict):
            for group in entry["metadata"].get("extend_group", []):
                ns, name, gname = group.split(".")
                core = next(Path(p) for p in sys.path if (Path(p) / "ansible_collections" / ns / name).is_dir())
                other = yaml.safe_load((core / "ansible_collections" / ns / name / "meta" / "runtime.yml").read_text())
                members |= {f"{ns}.{name}.{m}" for m in other["action_groups"][gname] if isinstance(m, str)}
        else:
            members.add(entry if entry.count(".") == 2 else f"llmops.kserve.{entry}")
    return members


def tasks_of(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks_of(task.get(key))


def entry_points() -> set[Path]:
    entries = set((ROOT / "roles").glob("*/tasks/main.yml"))
    pattern = re.compile(r"name:\s*(?:llmops\.kserve\.)?(\w+)\s*\n(?:\s+\w+:.*\n)*?\s+tasks_from:\s*(\w+)")
    for path in [*ROOT.glob("playbooks/**/*.yml"), *ROOT.glob("roles/**/*.yml"), *ROOT.glob("tests/**/*.yml"),
                 *ROOT.glob("molecule/**/*.yml"), *ROOT.glob("awx/**/*.yml")]:
        if "output" in path.parts:
            continue
        for role, tasks_from in pattern.findall(path.read_text(encoding="utf-8")):
            target = ROOT / "roles" / role / "tasks" / f"{tasks_from}.yml"
            if target.is_file():
                entries.add(target)
    return entries


def reaches(path: Path, uses: set[Path], seen: set[Path] | None = None) -> bool:
    """Whether the task file, or one it includes or imports (transitively, same role), runs a group module."""
    seen = set() if seen is None else seen
    if path in seen or not path.is_file():
        return False
    seen.add(path)
    if path in uses:
        return True
    for task in tasks_of(yaml.safe_load(path.read_text(encoding="utf-8"))):
        for key in ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks"):
            target = task.get(key)
            target = target.get("file") if isinstance(target, dict) else target
            if isinstance(target, str) and "{{" not in target and reaches(path.parent / target, uses, seen):
                return True
    return False


def main() -> int:
    members = group_members()
    problems = []
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        rel = path.relative_to(ROOT)
        for task in tasks_of(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for action in members & set(task):
                args = task[action] if isinstance(task[action], dict) else {}
                for arg in sorted(CONNECTION_ARGS & set(args)):
                    problems.append(f"{rel}: task {task.get('name')!r} passes {arg} to {action}: leave it to module_defaults")
    uses = {p for p in (ROOT / "roles").glob("*/tasks/*.yml")
            if any(members & set(t) for t in tasks_of(yaml.safe_load(p.read_text(encoding="utf-8"))))}
    for path in sorted(entry_points()):
        rel = path.relative_to(ROOT)
        role = path.parts[-3]
        tasks = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not reaches(path, uses):
            continue
        defaults = tasks[0].get("module_defaults", {}) if len(tasks) == 1 and "block" in tasks[0] else {}
        value = defaults.get(GROUP, "") if isinstance(defaults, dict) else ""
        if f"{role}_kubeconfig" not in str(value) or f"{role}_context" not in str(value):
            problems.append(f"{rel}: a role entry point must be one block with module_defaults {GROUP} from "
                            f"{role}_kubeconfig and {role}_context")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
