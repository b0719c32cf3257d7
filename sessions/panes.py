"""The text side of a trial for the panes: lead turns as they stream, tool calls and results.

A fold over events. Live it takes every event; a replay folds only a window of events before
the current position, so a seek reads a bounded slice of the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.events import (
    ApiRetry,
    Event,
    HarnessRun,
    JudgeVerdict,
    ReplyCut,
    TextDelta,
    ThinkingText,
    ToolCall,
    ToolRefused,
    ToolResult,
    TrialError,
    TurnStarted,
)
from engine.roles import EXECUTOR


def describe_call(name: str, args: Mapping[str, object], limit: int = 90) -> str:
    """A tool call in one line, the same on every screen and printer: a delegation by its
    instruction's first line, an edit or view by its command and path, bash by its command."""
    if name == "delegate_to_executor" or "instruction" in args:
        lines = str(args.get("instruction", "")).splitlines()
        # An arm with several executors names which one; the first is left unsaid.
        to = args.get("executor")
        who = f" to {to}" if isinstance(to, str) and to != EXECUTOR else ""
        text = f"delegate{who}: {lines[0] if lines else ''}"
    elif "path" in args:
        text = f"{args.get('command', '')} {args['path']}".strip()
    elif "command" in args:
        text = str(args["command"])
    else:
        text = json.dumps(args)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class TurnText:
    role: str
    turn: int
    text: str = ""
    # Bumped when the call is made again after its reply was cut (mid-stream error, or no
    # room): the text so far is dropped, since the new reply streams from its start.
    attempt: int = 1


@dataclass
class ToolEntry:
    position: int
    role: str
    turn: int
    call_id: str
    name: str
    input: dict[str, object]
    output: str | None = None
    is_error: bool = False
    refused: str | None = None


@dataclass
class PaneFold:
    lead_role: str
    turns: list[TurnText] = field(default_factory=list)
    tools: list[ToolEntry] = field(default_factory=list)
    _by_call: dict[str, ToolEntry] = field(default_factory=dict)

    def apply(self, position: int, event: Event) -> None:
        if isinstance(event, TurnStarted):
            if event.role == self.lead_role:
                self.turns.append(TurnText(event.role, event.turn))
        elif isinstance(event, TextDelta):
            if event.role == self.lead_role:
                if not self.turns or self.turns[-1].turn != event.turn:
                    self.turns.append(TurnText(event.role, event.turn))
                self.turns[-1].text += event.text
        elif isinstance(event, ToolCall):
            entry = ToolEntry(
                position, event.role, event.turn, event.call_id, event.name, event.input
            )
            self.tools.append(entry)
            self._by_call[event.call_id] = entry
        elif isinstance(event, ToolResult):
            found = self._by_call.get(event.call_id)
            if found is not None:
                found.output, found.is_error = event.output, event.is_error
        elif isinstance(event, TrialError):
            # A turn cut off by a failed stream keeps the text that arrived, marked so.
            if event.role == self.lead_role and self.turns and self.turns[-1].turn == event.turn:
                self.turns[-1].text += f"\n[turn aborted: {event.message}]"
        elif isinstance(event, ToolRefused):
            found = self._by_call.get(event.call_id)
            if found is not None:
                found.refused = event.reason
        elif isinstance(event, ApiRetry) and event.status == 200 and event.will_retry:
            self._asked_again(event.role, event.turn, event.message)
        elif isinstance(event, ReplyCut) and event.retry_max_tokens is not None:
            self._asked_again(event.role, event.turn, f"stopped at {event.stop_reason}")
        elif isinstance(event, ThinkingText) and self._is_current_lead_turn(event.role, event.turn):
            self.turns[-1].text += f"\n[thought first, {event.tokens:,} tokens]"
        elif isinstance(event, HarnessRun) and self._is_current_lead_turn(event.role, event.turn):
            # The breakdown of a harness run the lead made, where its turn is read.
            self.turns[-1].text += f"\n[harness: {event.summary}]"
        elif isinstance(event, JudgeVerdict) and self.turns:
            # Why the header says RED: a protected file the agent changed, the verifier's
            # findings. The counters have room for the colour only.
            problems = [str(p) for p in event.result.get("verifier_problems", [])][:3]
            self.turns[-1].text += "".join(
                f"\n{line}" for line in [f"[judge: {event.summary}]", *problems]
            )

    def _asked_again(self, role: str, turn: int, why: str) -> None:
        """The reply streamed so far was cut and the call is made again: keep one line
        saying so instead of the cut text, which the new reply streams again."""
        if self._is_current_lead_turn(role, turn):
            current = self.turns[-1]
            current.text = f"[reply {current.attempt} cut ({why}); asked again]\n"
            current.attempt += 1

    def _is_current_lead_turn(self, role: str, turn: int) -> bool:
        return role == self.lead_role and bool(self.turns) and self.turns[-1].turn == turn
