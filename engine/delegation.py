"""`delegate_to_executor`: runs the executor's own loop and returns its capped summary.

The return policy is the published one: the executor's free-form final text, cut to
`return_cap_chars`. Whatever comes back sits in the orchestrator's prompt for every later
turn, which is where the re-read cost comes from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from engine.backends.base import BackendError
from engine.bounded_return import bounded_result, snapshot_tree
from engine.bus import EventBus
from engine.events import Delegation, ExecutorSummary, TrialError
from engine.ledger import Ledger
from engine.loop import AgentOutcome, RoleRuntime, run_agent
from engine.messages import EXECUTOR_FAILED, ToolSpec, ToolUseBlock, summary_source
from engine.prompts import DELEGATE_DESCRIPTION
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


def apply_return_cap(text: str, cap_chars: int) -> str:
    if len(text) <= cap_chars:
        return text
    return (
        text[:cap_chars]
        + f"\n[... executor summary truncated: {len(text) - cap_chars} more characters]"
    )


StatusLine = Callable[[], Awaitable[str]]


class DelegateTool:
    spec = DELEGATE_SPEC

    def __init__(
        self,
        lead: RoleRuntime,
        executor: RoleRuntime,
        bus: EventBus,
        ledger: Ledger,
        workspace: Path,
        status_line: StatusLine,
    ) -> None:
        self.lead = lead
        self.executor = executor
        self.bus = bus
        self.ledger = ledger
        self.workspace = workspace
        self.status_line = status_line
        self.delegations = 0

    async def run(self, call: ToolUseBlock) -> ToolOutcome:
        instruction = call.input.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            return ToolOutcome("Error: delegate_to_executor needs a non-empty instruction", True)
        self.delegations += 1
        number = self.delegations
        turn = self.lead.turns
        self.bus.emit(Delegation(self.bus.now(), turn, call.id, number, instruction))
        spec = self.executor.spec
        bounded = spec.return_policy == "bounded"
        before = await asyncio.to_thread(snapshot_tree, self.workspace) if bounded else {}
        try:
            outcome = await run_agent(
                self.executor, instruction, self.bus, self.ledger, delegation=number
            )
        except BackendError as exc:
            # The executor's service failed (Ollama 500/503 after its retries, a tool-call
            # parse error, a timeout): the orchestrator hears it as this delegation's result
            # and decides what to do, instead of the whole trial ending. What the executor
            # spent before it failed is already on the ledger.
            self.bus.emit(TrialError(self.bus.now(), str(exc), "executor", exc.turn, False))
            outcome = AgentOutcome(f"{EXECUTOR_FAILED} {exc}", self.executor.turns, False,
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
            )
        )
        return ToolOutcome(returned, not outcome.completed, source=summary_source(number))
