"""`delegate_to_executor`: runs the executor's own loop and returns its capped summary.

The return policy is the published one: the executor's free-form final text, cut to
`return_cap_chars`. Whatever comes back sits in the orchestrator's prompt for every later
turn, which is where the re-read cost comes from. An arm with more than one executor offers
the same tool with an `executor` argument naming which (the first when left out); an arm
with one offers the published tool unchanged, so its requests are byte for byte as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from engine.backends.base import BackendError
from engine.bounded_return import bounded_result, snapshot_tree
from engine.bus import EventBus
from engine.events import Delegation, ExecutorSummary, TrialError
from engine.ledger import Ledger
from engine.loop import AgentOutcome, RoleRuntime, run_agent
from engine.messages import EXECUTOR_FAILED, ToolSpec, ToolUseBlock, summary_source
from engine.prompts import DELEGATE_DESCRIPTION
from engine.roles import EXECUTOR
from engine.tokens import count_text
from engine.tools import ToolOutcome

DELEGATE_SPEC = ToolSpec(
    name="delegate_to_executor",
    description=DELEGATE_DESCRIPTION,
    input_schema={
        "type": "object",
        "properties": {
            "instruction": {"type": "string", "description": "What the executor should do."}
        },
        "required": ["instruction"],
    },
)


def delegate_spec(executors: Mapping[str, str]) -> ToolSpec:
    """The tool for executors by role name and model; with one, the published tool."""
    if len(executors) <= 1:
        return DELEGATE_SPEC
    listed = "; ".join(f"{role}: {model}" for role, model in executors.items())
    schema = dict(DELEGATE_SPEC.input_schema)
    schema["properties"] = {
        **schema["properties"],
        "executor": {
            "type": "string",
            "enum": list(executors),
            "description": f"Which executor does it (default {EXECUTOR}). {listed}.",
        },
    }
    return ToolSpec(
        DELEGATE_SPEC.name,
        f"{DELEGATE_DESCRIPTION} This team has {len(executors)} executors: {listed}.",
        schema,
    )


def apply_return_cap(text: str, cap_chars: int) -> str:
    if len(text) <= cap_chars:
        return text
    return (
        text[:cap_chars]
        + f"\n[... executor summary truncated: {len(text) - cap_chars} more characters]"
    )


StatusLine = Callable[[], Awaitable[str]]


class DelegateTool:
    def __init__(
        self,
        lead: RoleRuntime,
        executors: Sequence[RoleRuntime],
        bus: EventBus,
        ledger: Ledger,
        workspace: Path,
        status_line: StatusLine,
    ) -> None:
        self.lead = lead
        self.executors = {runtime.role: runtime for runtime in executors}
        self.spec = delegate_spec({r.role: r.spec.model for r in executors})
        self.bus = bus
        self.ledger = ledger
        self.workspace = workspace
        self.status_line = status_line
        self.delegations = 0

    async def run(self, call: ToolUseBlock) -> ToolOutcome:
        instruction = call.input.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            return ToolOutcome("Error: delegate_to_executor needs a non-empty instruction", True)
        role = call.input.get("executor", EXECUTOR)
        executor = self.executors.get(role) if isinstance(role, str) else None
        if executor is None:
            known = ", ".join(self.executors)
            return ToolOutcome(f"Error: no executor named {role!r} (this team has: {known})", True)
        self.delegations += 1
        number = self.delegations
        turn = self.lead.turns
        self.bus.emit(Delegation(self.bus.now(), turn, call.id, number, instruction, executor.role))
        spec = executor.spec
        bounded = spec.return_policy == "bounded"
        before = await asyncio.to_thread(snapshot_tree, self.workspace) if bounded else {}
        try:
            outcome = await run_agent(
                executor, instruction, self.bus, self.ledger, delegation=number
            )
        except BackendError as exc:
            # The executor's service failed (Ollama 500/503 after its retries, a tool-call
            # parse error, a timeout): the orchestrator hears it as this delegation's result
            # and decides what to do, instead of the whole trial ending. What the executor
            # spent before it failed is already on the ledger.
            self.bus.emit(TrialError(self.bus.now(), str(exc), executor.role, exc.turn, False))
            outcome = AgentOutcome(f"{EXECUTOR_FAILED} {exc}", executor.turns, False,
                                   "failed", stop="error")  # fmt: skip
        text = outcome.text.strip() or "(the executor returned no summary)"
        if not outcome.completed and outcome.stop != "error":
            text += f"\n[executor {outcome.reason}]"
        if bounded:
            after = await asyncio.to_thread(snapshot_tree, self.workspace)
            status = await self.status_line()
            returned = bounded_result(before, after, status, spec.return_cap_tokens)
            if outcome.stop == "error":
                returned = f"{text}\n{returned}"
        else:
            returned = apply_return_cap(text, spec.return_cap_chars)
        self.bus.emit(
            ExecutorSummary(
                self.bus.now(),
                turn,
                call.id,
                number,
                returned,
                count_text(returned),
                len(text),
                returned != text,
                outcome.turns,
                executor.role,
            )
        )
        return ToolOutcome(returned, not outcome.completed, source=summary_source(number))
