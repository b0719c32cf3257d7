"""`fep-check`: the judge as a command the agent runs in its workspace.

It prints each tool's verdict and the lines that matter. In a trial the agent's bash tool
answers `fep-check` itself, running the judge from fep-tui, so the session records every
harness run the agent makes with its breakdown, and nothing the agent prints can pass for
one. Run by hand (`python -m tasks.harness ID`) it is only output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tasks.judge import HARNESS_COMMAND, JudgeResult

__all__ = ["HARNESS_COMMAND", "main", "report"]


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
    return "\n".join(blocks)


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
