"""Two sessions stepped together, aligned by the lead's turn number.

Each lead turn is reduced to what a reader compares across arms: what the lead said, the
tools it called (a delegation with the size of the summary that came back), and the
running cost and re-read after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.events import ExecutorSummary, TextDelta, ToolCall, TurnUsage
from sessions.panes import describe_call
from sessions.reader import load_session


@dataclass
class LeadTurn:
    turn: int
    text: str = ""
    calls: list[str] = field(default_factory=list)
    cache_read: int = 0
    cost_after: float = 0.0
    reread_after: int = 0


@dataclass(frozen=True)
class SessionTurns:
    label: str
    simulated: bool
    turns: dict[int, LeadTurn]

    @property
    def last_turn(self) -> int:
        return max(self.turns, default=0)


def lead_turns(path: Path) -> SessionTurns:
    session = load_session(path)
    header = session.header
    lead = header.lead_role
    label = f"{header.arm} · {header.task} · seed {header.seed}"
    turns: dict[int, LeadTurn] = {}

    def at(turn: int) -> LeadTurn:
        return turns.setdefault(turn, LeadTurn(turn))

    for event in session.events:
        role = getattr(event, "role", None)
        if isinstance(event, TextDelta) and role == lead:
            at(event.turn).text += event.text
        elif isinstance(event, ToolCall) and role == lead:
            at(event.turn).calls.append(describe_call(event.name, event.input))
        elif isinstance(event, ExecutorSummary):
            at(event.turn).calls.append(f"  ← summary of {event.tokens:,} tokens")
        elif isinstance(event, TurnUsage) and role == lead:
            turn = at(event.turn)
            turn.cache_read = event.usage["cache_read"]
            turn.cost_after = event.total_cost_usd
            turn.reread_after = event.role_cache_read
    return SessionTurns(label, session.header.origin == "simulated", turns)
