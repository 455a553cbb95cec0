#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check vLLM command lines with the pinned vLLM's own parser (test harness; run with the serving venv).

    <serving venv>/bin/python hack/vllm_args_check.py < cases.json > results.json

Input: a JSON list of {"id": str, "command": [..], "args": [..], "env": {NAME: value}}. For each case it does
what `python -m vllm.entrypoints.openai.api_server` does before it loads a model
(vllm/entrypoints/launchers/api_server/entry.py: main): build `FlexibleArgumentParser` +
`make_arg_parser` (vllm.entrypoints.common.cli_args in 0.33, .launchers. in 0.32, .openai. before),
`parse_args(args)`, `validate_parsed_serve_args`. It also checks that the `-m` module of the command exists
in this vLLM, and that every `VLLM_*` env name is one vLLM reads (`vllm.envs.environment_variables`). Nothing is loaded or served.

Output: a JSON object {"vllm_version": str, "results": {id: {"ok": bool, "errors": [str]}}}; an unknown
flag's error carries argparse's message, e.g. "unrecognized arguments: --no-such-flag=1".
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import sys


def check(case: dict, make_parser, validate, known_env: set[str]) -> list[str]:
    errors: list[str] = []
    command = list(case.get("command") or [])
    if "-m" in command:
        module = command[command.index("-m") + 1] if command.index("-m") + 1 < len(command) else ""
        if not module or importlib.util.find_spec(module) is None:
            errors.append(f"command module {module!r} does not exist in this vLLM")
    parser = make_parser()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parser.parse_args(list(case.get("args") or []))
        validate(args)
    except SystemExit:
        lines = [line for line in stderr.getvalue().splitlines() if line.strip()]
        errors.append(lines[-1] if lines else "argument parsing failed")
    except Exception as exc:  # noqa: BLE001 - vLLM raises ValueError/TypeError for inconsistent flags
        errors.append(f"{type(exc).__name__}: {exc}")
    for name in sorted(case.get("env") or {}):
        if name.startswith("VLLM_") and name not in known_env:
            errors.append(f"env {name} is not read by vLLM (not in vllm.envs.environment_variables)")
    return errors


def main() -> int:
    import vllm
    import vllm.envs
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    # Where the API server's parser lives moved between releases (0.33: common, 0.32: launchers, older: openai).
    for name in ("vllm.entrypoints.common.cli_args", "vllm.entrypoints.launchers.cli_args",
                 "vllm.entrypoints.openai.cli_args"):
        if importlib.util.find_spec(name) is not None:
            cli_args = importlib.import_module(name)
            break
    else:
        raise SystemExit("no make_arg_parser in vLLM %s" % vllm.__version__)
    make_arg_parser, validate_parsed_serve_args = cli_args.make_arg_parser, cli_args.validate_parsed_serve_args

    def make_parser():
        return make_arg_parser(FlexibleArgumentParser(description="vLLM OpenAI-Compatible RESTful API server."))

    cases = json.load(sys.stdin)
    known_env = set(vllm.envs.environment_variables)
    results = {}
    for case in cases:
        errors = check(case, make_parser, validate_parsed_serve_args, known_env)
        results[case["id"]] = {"ok": not errors, "errors": errors}
    json.dump({"vllm_version": vllm.__version__, "results": results}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
