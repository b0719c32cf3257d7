"""Short role names for narrow columns, shared by the headless printer and the widgets."""

from __future__ import annotations

_SHORT = {"orchestrator": "orch", "executor": "exec", "solo": "solo", "advisor": "advr"}


def short_role(role: str) -> str:
    """`executor-Explore` (a Claude Code subagent type) is shown by its type."""
    if role.startswith("executor-"):
        return role.removeprefix("executor-")[:12]
    return _SHORT.get(role, role)
