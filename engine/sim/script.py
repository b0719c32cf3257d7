"""A scripted agent: tool calls a person wrote, played by the simulator in place of its own.

For task authors and for testing the judge and the sandbox against an agent you write:
`fep-tui run --backend sim --script PLAN.json`. The wire, the tools, the sandbox, the judge
and the accounting are the ones every trial uses; only the choice of tool calls is yours.

PLAN.json maps a role to its turns: `{"ROLE": [[{"name": TOOL, "input": {...}}, ...], ...]}`
with ROLE one of `solo`, `orchestrator`, `executor`. Each inner list is one model turn's
tool calls; after its list a role ends its turn with a short final text. A role the plan
leaves out is played by the simulated agent. An executor's plan is played again for each
delegation it is given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from engine.errors import FepError
from engine.sim.agents import DELEGATE, EDITOR, PlannedCall, PlannedTurn, Role
from engine.user_files import read_user_text

FINAL_TEXT = "Done with the scripted plan."
_TOOLS: dict[str, tuple[str, ...]] = {
    "solo": (EDITOR, "bash"),
    "orchestrator": (EDITOR, "bash", DELEGATE),
    "executor": (EDITOR, "bash"),
}


class PlanError(FepError, ValueError):
    """A plan that cannot run; the message names the file, the place and the fix."""


@dataclass(frozen=True)
class ScriptPlan:
    turns: Mapping[Role, tuple[tuple[PlannedCall, ...], ...]]

    def turn(self, role: Role, index: int) -> PlannedTurn | None:
        """The role's turn `index` (0-based): its calls, or the final text after the last;
        None for a role the plan leaves to the simulated agent."""
        planned = self.turns.get(role)
        if planned is None:
            return None
        if index < len(planned):
            return PlannedTurn(f"Scripted turn {index + 1}.", planned[index])
        return PlannedTurn(FINAL_TEXT)


def load_plan(path: Path) -> ScriptPlan:
    raw = read_user_text(path, "plan file", PlanError, "check the path given to --script")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise PlanError(f"{path} is not JSON ({exc}); see --script in the README") from None
    return parse_plan(data, str(path))


def parse_plan(data: Any, where: str = "plan") -> ScriptPlan:
    roles = get_args(Role)
    if not isinstance(data, dict) or not data:
        raise PlanError(f'{where}: expected an object of roles, e.g. {{"solo": [[...]]}}')
    turns: dict[Role, tuple[tuple[PlannedCall, ...], ...]] = {}
    for role, planned in data.items():
        if role not in roles:
            raise PlanError(f"{where}: unknown role {role!r}; use one of {', '.join(roles)}")
        if not isinstance(planned, list):
            raise PlanError(f"{where}: {role} must be a list of turns (lists of tool calls)")
        parsed = []
        for t, turn in enumerate(planned, 1):
            if not isinstance(turn, list) or not turn:
                raise PlanError(f"{where}: {role} turn {t} must be a non-empty list of calls")
            parsed.append(tuple(_call(call, role, t, c, where) for c, call in enumerate(turn, 1)))
        turns[role] = tuple(parsed)
    return ScriptPlan(turns)


def _call(call: Any, role: str, turn: int, number: int, where: str) -> PlannedCall:
    place = f"{where}: {role} turn {turn} call {number}"
    if not isinstance(call, dict) or set(call) - {"name", "input"} or "name" not in call:
        raise PlanError(f'{place}: expected {{"name": TOOL, "input": {{...}}}}')
    name, arguments = call["name"], call.get("input", {})
    if name not in _TOOLS[role]:
        raise PlanError(f"{place}: unknown tool {name!r} for {role}; use {', '.join(_TOOLS[role])}")
    if not isinstance(arguments, dict):
        raise PlanError(f"{place}: input must be an object")
    return PlannedCall(name, arguments)
