"""Short role names for narrow columns, shared by the headless printer and the widgets."""

from __future__ import annotations

_SHORT = {"orchestrator": "orch", "executor": "exec", "solo": "solo", "advisor": "advr"}


def short_role(role: str) -> str:
    return _SHORT.get(role, role)
