"""Role names: who plays which part of an arm, as events, ledgers and sessions name them.

An arm has one lead (`solo` alone, `orchestrator` with executors), any number of executors
(`executor`, then `executor-2`, `executor-3`, ...) and at most one advisor. An imported
trace names its subagents by type the same way (`executor-Explore`), so anything that asks
"is this an executor?" asks `is_executor`, never compares with the first one's name.
"""

from __future__ import annotations

import re

SOLO = "solo"
ORCHESTRATOR = "orchestrator"
EXECUTOR = "executor"
ADVISOR = "advisor"

_NUMBERED = re.compile(r"executor-([0-9]+)")


def executor_role(index: int) -> str:
    """The name of an arm's executor by its place, from 0: `executor`, `executor-2`, ..."""
    return EXECUTOR if index == 0 else f"{EXECUTOR}-{index + 1}"


def executor_number(role: str) -> int | None:
    """2 for `executor-2`, 1 for `executor`; None for any other role (a Claude Code
    subagent type such as `executor-Explore` included)."""
    if role == EXECUTOR:
        return 1
    match = _NUMBERED.fullmatch(role)
    return int(match.group(1)) if match and int(match.group(1)) >= 2 else None


def is_executor(role: str) -> bool:
    return role == EXECUTOR or role.startswith(f"{EXECUTOR}-")


def is_arm_executor(role: str) -> bool:
    """One of an arm's executors (`executor`, `executor-2`, ...), not a trace's subagent
    type: an arm's exist from the start, a trace's only once called."""
    return executor_number(role) is not None
