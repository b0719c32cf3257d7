"""Short role names for narrow columns, shared by the headless printer and the widgets."""

from __future__ import annotations

from engine.roles import EXECUTOR, executor_number

_SHORT = {"orchestrator": "orch", "executor": "exec", "solo": "solo", "advisor": "advr"}


def executor_named(role: str) -> str:
    """An executor as a sentence names it: "the executor" for an arm's only or first one,
    else by its role (`executor-2`)."""
    return "the executor" if role == EXECUTOR else role


def short_role(role: str) -> str:
    """`executor-2` is `exec2`; `executor-Explore` (a Claude Code subagent type) is shown
    by its type."""
    number = executor_number(role)
    if number is not None and number > 1:
        return f"exec{number}"
    if role.startswith("executor-"):
        return role.removeprefix("executor-")[:12]
    return _SHORT.get(role, role)
