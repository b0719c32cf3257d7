"""`fep-check`: the judge as a command the agent runs in its workspace.

It prints each tool's verdict and the lines that matter, then one machine-readable line.
The agent's bash tool finds that line, so the session records every harness run the agent
makes with its breakdown, not only the final judge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tasks.judge import JudgeResult

MARKER = "FEP-HARNESS "


def report(result: JudgeResult) -> str:
    """What the agent reads: a verdict per tool with its tail, then the marker line."""
    blocks = []
    for verdict in result.tools:
        label = "informational" if verdict.informational else ("ok" if verdict.ok else "FAILED")
        blocks.append(
            f"== {verdict.tool}: exit {verdict.exit_code}, {verdict.errors} error(s) [{label}]\n"
            f"{verdict.tail}"
        )
    for problem in result.verifier_problems:
        blocks.append(f"== verifier: {problem}")
    blocks.append(f"== {result.one_line()}")
    blocks.append(MARKER + json.dumps(result.to_dict(), separators=(",", ":")))
    return "\n".join(blocks)


def find_report(output: str) -> dict[str, Any] | None:
    """The last harness result in a command's output, if it ran the harness."""
    for line in reversed(output.splitlines()):
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER) :])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def main(argv: list[str]) -> int:
    from tasks.catalog import UnknownTaskError, get_task

    if len(argv) != 1:
        print("usage: fep-check (runs the task's judge in the current directory)")
        return 2
    try:
        task = get_task(argv[0])
    except UnknownTaskError as exc:
        print(f"fep-check: {exc}")
        return 2
    result = task.judge(Path.cwd())
    print(report(result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
