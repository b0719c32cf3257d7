"""Two sessions stepped together, aligned by the lead's turn number.

Each lead turn is reduced to what a reader compares across arms: what the lead said, the
tools it called (a delegation with the size of the summary that came back), and the
running cost and re-read after it.

Both sessions are read through their index (kept beside them): the running cost and
re-read of every turn come from the index's usage rows, and a turn's text and calls are
read from that turn's own events when it is shown. A long session opens as fast as a
short one; it used to be decoded whole, twice.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from engine.events import ExecutorSummary, TextDelta, ToolCall
from sessions.index import SessionIndex
from sessions.index_cache import open_index
from sessions.panes import describe_call
from sessions.timeline import ChartRow


@dataclass
class LeadTurn:
    turn: int
    text: str = ""
    calls: list[str] = field(default_factory=list)
    cache_read: int = 0
    cost_after: float = 0.0
    reread_after: int = 0


@dataclass
class SessionTurns:
    label: str
    simulated: bool
    index: SessionIndex
    # Per lead turn, its last usage row (a retried call's replaces the cut one).
    rows: dict[int, ChartRow]
    # (position, turn) of each lead turn's start, in file order.
    starts: list[tuple[int, int]]
    _read: dict[int, LeadTurn] = field(default_factory=dict)

    @property
    def numbers(self) -> list[int]:
        """Every lead turn the session reached, in order."""
        return sorted({turn for _, turn in self.starts} | set(self.rows))

    @property
    def last_turn(self) -> int:
        return max(self.numbers, default=0)

    def after(self, turn: int) -> ChartRow | None:
        """The usage row of the latest turn up to `turn` that has one."""
        reached = [t for t in self.rows if t <= turn]
        return self.rows[max(reached)] if reached else None

    def turn(self, number: int) -> LeadTurn | None:
        """Lead turn `number`: its text and calls read from its own events, once."""
        if number not in self.numbers:
            return None
        if number not in self._read:
            self._read[number] = self._fold(number)
        return self._read[number]

    def _fold(self, number: int) -> LeadTurn:
        lead = self.index.header.lead_role
        positions = [p for p, t in self.starts if t == number]
        start = positions[0] if positions else 0
        later = bisect_right([p for p, _ in self.starts], start)
        stop = self.starts[later][0] if later < len(self.starts) else self.index.length
        turn = LeadTurn(number)
        row = self.rows.get(number)
        if row is not None:
            turn.cache_read, turn.cost_after, turn.reread_after = (
                row.cache_read,
                row.cost_usd,
                row.reread,
            )
        for _, event in self.index.read(start, stop):
            role = getattr(event, "role", None)
            if isinstance(event, TextDelta) and role == lead and event.turn == number:
                turn.text += event.text
            elif isinstance(event, ToolCall) and role == lead and event.turn == number:
                turn.calls.append(describe_call(event.name, event.input))
            elif isinstance(event, ExecutorSummary) and event.turn == number:
                turn.calls.append(f"  ← summary of {event.tokens:,} tokens")
        return turn


def lead_turns(path: Path) -> SessionTurns:
    index = open_index(path)
    header = index.header
    timeline = index.timeline
    return SessionTurns(
        label=f"{header.arm} · {header.task} · seed {header.seed}",
        simulated=header.origin == "simulated",
        index=index,
        rows={row.turn: row for row in timeline.lead_rows()},
        starts=timeline.lead_turn_starts(),
    )
