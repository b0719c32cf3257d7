"""What a trial looked like at any point: counters, the re-read chart, delegations, verdict.

A `Timeline` holds the light "skeleton" events of a trial (usage, turn starts, delegations,
summaries, judge, errors, the end) in append-only lists keyed by event position, so the state
at position p is a few bisections, whether the events came live or from an index of a file.
Live and replay therefore show exactly the same numbers.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from engine.events import (
    Delegation,
    Event,
    EventFormatError,
    ExecutorSummary,
    JudgeVerdict,
    TrialEnded,
    TrialError,
    TurnStarted,
    TurnUsage,
    decode_event,
)
from engine.messages import SUMMARY_PREFIX
from engine.usage import Usage
from sessions.header import SessionHeader
from sessions.line_layout import ROLE_TURN_HEAD, SKELETON_KINDS

# Chart groups, in stacking order: what was in the prompt before the work started, the
# lead's own turns, the tool results it read, and what executors sent back.
CHART_GROUPS = ("base", "own", "tool_results", "summaries")


@dataclass(frozen=True)
class ChartRow:
    """One lead turn: its cache read and where it came from, and the trial's running cost
    and the lead's running re-read after it. Charts, growth curves and side by side read
    these rows; nothing re-folds the events."""

    position: int
    turn: int
    cache_read: int
    groups: dict[str, int]
    attribution: dict[str, int]
    cost_usd: float = 0.0
    reread: int = 0


@dataclass(frozen=True)
class Reread:
    """What one executor summary has cost the lead up to a point: the cache write that
    first stored it, and every later turn's re-read of it."""

    tokens: int
    turns: int
    usd: float
    write_tokens: int = 0
    write_usd: float = 0.0

    @property
    def total_usd(self) -> float:
        return self.write_usd + self.usd


@dataclass(frozen=True)
class SummaryShare:
    """The executor summaries' part of everything the lead re-read from cache so far."""

    tokens: int
    of: int
    usd: float

    @property
    def percent(self) -> float:
        return 100.0 * self.tokens / self.of if self.of else 0.0

    @property
    def percent_text(self) -> str:
        """Whole percent, but never "0%" for a share that is there."""
        return "<1%" if 0 < self.percent < 0.5 else f"{self.percent:.0f}%"


@dataclass(frozen=True)
class RoleCounters:
    role: str
    model: str
    usage: Usage
    cache_read_usd: float
    cost_usd: float
    turns: int


@dataclass(frozen=True)
class DelegationView:
    number: int
    lead_turn: int
    instruction: str
    summary_position: int | None
    summary_tokens: int | None
    truncated: bool
    executor_turns: int | None
    # The executor it went to (`executor`, `executor-2`, ...).
    executor: str = "executor"


@dataclass(frozen=True)
class Snapshot:
    position: int
    t: float
    lead_role: str
    lead_turn: int
    roles: dict[str, RoleCounters]
    total_cost_usd: float
    chart: list[ChartRow]
    delegations: list[DelegationView]
    judge: JudgeVerdict | None
    end: TrialEnded | None
    errors: list[str]
    summaries: SummaryShare = SummaryShare(0, 0, 0.0)

    @property
    def status(self) -> str:
        return self.end.status if self.end is not None else "running"


class UsageColumn:
    """One role's usage events by position. An event may be held as its stored line and is
    decoded when first read: re-opening a long session decodes the few a screen shows, not
    the tens of thousands it holds."""

    __slots__ = ("_items", "positions")

    def __init__(self) -> None:
        self.positions: list[int] = []
        self._items: list[TurnUsage | bytes] = []

    def __len__(self) -> int:
        return len(self.positions)

    def append(self, position: int, item: TurnUsage | bytes) -> None:
        self.positions.append(position)
        self._items.append(item)

    def at(self, i: int) -> TurnUsage:
        item = self._items[i]
        if isinstance(item, bytes):
            # Only lines that decoded when the index was built are held raw.
            event = decode_event(item)
            if not isinstance(event, TurnUsage):
                raise EventFormatError(f"event {self.positions[i]} is not a usage event")
            self._items[i] = item = event
        return item


@dataclass
class Timeline:
    header: SessionHeader
    length: int = 0
    _usage: dict[str, UsageColumn] = field(default_factory=dict)
    _turns: list[tuple[int, int]] = field(default_factory=list)
    _turn_pos: list[int] = field(default_factory=list)
    _chart: list[ChartRow] = field(default_factory=list)
    # Summary tokens the lead re-read, cumulative over `_chart`'s rows.
    _summaries_read: list[int] = field(default_factory=list)
    _delegations: list[tuple[int, Delegation]] = field(default_factory=list)
    _delegation_pos: list[int] = field(default_factory=list)
    _summaries: dict[int, tuple[int, ExecutorSummary]] = field(default_factory=dict)
    _times: list[float] = field(default_factory=list)
    _times_pos: list[int] = field(default_factory=list)
    _judge: tuple[int, JudgeVerdict] | None = None
    _end: tuple[int, TrialEnded] | None = None
    _errors: list[tuple[int, TrialError]] = field(default_factory=list)
    _skeleton: list[int] = field(default_factory=list)

    @property
    def lead_role(self) -> str:
        return self.header.lead_role

    @property
    def ended(self) -> bool:
        return self._end is not None

    @property
    def end(self) -> TrialEnded | None:
        """The trial's end event, or None while it runs or when its file was cut off."""
        return self._end[1] if self._end is not None else None

    def lead_turn_starts(self) -> list[tuple[int, int]]:
        """(position, turn) of every lead-role turn start, in order."""
        return list(self._turns)

    def lead_rows(self) -> list[ChartRow]:
        """Every lead turn's row, in order."""
        return self._chart_rows(len(self._lead_positions))

    def model_calls(self) -> list[TurnUsage]:
        """Every role's model calls in the order they were made."""
        calls = [
            (column.positions[i], column.at(i))
            for column in self._usage.values()
            for i in range(len(column))
        ]
        return [event for _, event in sorted(calls, key=lambda pair: pair[0])]

    def summaries(self) -> list[ExecutorSummary]:
        """Each delegation's executor summary, by delegation number."""
        return [event for _, (_, event) in sorted(self._summaries.items())]

    def skeleton_positions(self) -> list[int]:
        """Positions of every event this timeline holds (what an index cache must keep)."""
        return list(self._skeleton)

    def add_line(self, position: int, line: bytes) -> bool:
        """Hold a usage or turn_start line without decoding it, when its first bytes say
        all a fold needs now (role, turn, time). False: decode it and call `add`."""
        head = ROLE_TURN_HEAD.match(line)
        if head is None:
            return False
        kind, role = head[1], head[3].decode()
        self.length = max(self.length, position + 1)
        self._skeleton.append(position)
        if kind == b"usage":
            column = self._usage.get(role)
            if column is None:
                column = self._usage[role] = UsageColumn()
            column.append(position, line)
            self._stamp(position, float(head[2]))
        elif role == self.lead_role:
            self._turns.append((position, int(head[4])))
            self._turn_pos.append(position)
        return True

    def add(self, position: int, event: Event, line: bytes | None = None) -> None:
        """`line`: the event's stored line, held in its place when it is a usage event, so a
        long session's index does not keep every one as an object."""
        self.length = max(self.length, position + 1)
        if event.kind in SKELETON_KINDS:
            self._skeleton.append(position)
        if isinstance(event, TurnUsage):
            column = self._usage.get(event.role)
            if column is None:
                column = self._usage[event.role] = UsageColumn()
            column.append(position, event if line is None else line)
            self._stamp(position, event.t)
        elif isinstance(event, TurnStarted):
            if event.role == self.lead_role:
                self._turns.append((position, event.turn))
                self._turn_pos.append(position)
        elif isinstance(event, Delegation):
            self._delegations.append((position, event))
            self._delegation_pos.append(position)
        elif isinstance(event, ExecutorSummary):
            self._summaries[event.delegation] = (position, event)
        elif isinstance(event, JudgeVerdict):
            self._judge = (position, event)
        elif isinstance(event, TrialEnded):
            self._end = (position, event)
            self._stamp(position, event.t)
        elif isinstance(event, TrialError):
            self._errors.append((position, event))

    @property
    def _lead_positions(self) -> list[int]:
        column = self._usage.get(self.lead_role)
        return column.positions if column is not None else []

    def _chart_rows(self, count: int) -> list[ChartRow]:
        """The first `count` lead-turn rows, made from the lead's usage events on demand."""
        column = self._usage.get(self.lead_role)
        while column is not None and len(self._chart) < count:
            i = len(self._chart)
            row = _chart_row(column.positions[i], column.at(i))
            before = self._summaries_read[-1] if self._summaries_read else 0
            self._chart.append(row)
            self._summaries_read.append(before + row.groups.get("summaries", 0))
        return self._chart[:count]

    def _summary_share(self, rows: list[ChartRow]) -> SummaryShare:
        if not rows:
            return SummaryShare(0, 0, 0.0)
        tokens = self._summaries_read[len(rows) - 1]
        price = self.header.lead_price("cache_read")
        return SummaryShare(tokens, rows[-1].reread, tokens * price / 1_000_000)

    def _stamp(self, position: int, t: float) -> None:
        self._times.append(t)
        self._times_pos.append(position)

    def lead_turn_at(self, position: int) -> int:
        """The lead's turn under way after the first `position` events (0 before it starts)."""
        started = bisect_left(self._turn_pos, position)
        return self._turns[started - 1][1] if started else 0

    def snapshot(self, position: int | None = None) -> Snapshot:
        """State after the first `position` events (all events when None)."""
        p = self.length if position is None else position
        roles = {}
        for role, column in self._usage.items():
            n = bisect_left(column.positions, p)
            if n:
                roles[role] = self._counters(role, column.at(n - 1), n)
        chart = self._chart_rows(bisect_left(self._lead_positions, p))
        return Snapshot(
            position=p,
            t=self._time_at(p),
            lead_role=self.lead_role,
            lead_turn=self.lead_turn_at(p),
            roles=roles,
            total_cost_usd=sum(c.cost_usd for c in roles.values()),
            chart=chart,
            delegations=self._delegation_views(p),
            judge=self._judge[1] if self._judge and self._judge[0] < p else None,
            end=self._end[1] if self._end and self._end[0] < p else None,
            errors=[e.message for pos, e in self._errors if pos < p],
            summaries=self._summary_share(chart),
        )

    def _counters(self, role: str, last: TurnUsage, turns: int) -> RoleCounters:
        return RoleCounters(
            role, last.model, last.role_usage, last.role_cache_read_usd, last.role_cost_usd, turns
        )

    def _delegation_views(self, p: int) -> list[DelegationView]:
        views = []
        for _, delegation in self._delegations[: bisect_left(self._delegation_pos, p)]:
            summary = self._summaries.get(delegation.delegation)
            seen = summary if summary is not None and summary[0] < p else None
            views.append(
                DelegationView(
                    number=delegation.delegation,
                    lead_turn=delegation.turn,
                    instruction=delegation.instruction,
                    summary_position=seen[0] if seen else None,
                    summary_tokens=seen[1].tokens if seen else None,
                    truncated=bool(seen and seen[1].truncated),
                    executor_turns=seen[1].executor_turns if seen else None,
                    executor=delegation.executor,
                )
            )
        return views

    def reread(self, delegation: int, position: int | None = None) -> Reread:
        """Tokens of summary `delegation` the lead re-read from cache before `position`,
        on how many turns, and what that cost at the session's rate card."""
        p = self.length if position is None else position
        summary = self._summaries.get(delegation)
        if summary is None or summary[0] >= p:
            return Reread(0, 0, 0.0)
        key = f"{SUMMARY_PREFIX}{delegation}"
        leads = self._lead_positions
        first, last = bisect_left(leads, summary[0]), bisect_left(leads, p)
        tokens = turns = 0
        for row in self._chart_rows(last)[first:]:
            read = row.attribution.get(key, 0)
            if read:
                tokens += read
                turns += 1
        # The lead's next call writes the summary into its cached prefix once (5-minute
        # breakpoints: engine/backends/anthropic_format.py); each later call reads it.
        written = summary[1].tokens if first < len(leads) and leads[first] < p else 0
        return Reread(
            tokens,
            turns,
            tokens * self.header.lead_price("cache_read") / 1_000_000,
            written,
            written * self.header.lead_price("cache_write_5m") / 1_000_000,
        )

    def _time_at(self, p: int) -> float:
        n = bisect_left(self._times_pos, p)
        return self._times[n - 1] if n else 0.0


def _chart_row(position: int, event: TurnUsage) -> ChartRow:
    # Every key that is not a named source is an executor summary: one pass over the few
    # named keys instead of one call per summary, which matters on long trials.
    a = event.attribution
    named = {
        "base": a.get("base", 0) + a.get("task", 0),
        "own": a.get("own", 0),
        "tool_results": a.get("tool_results", 0),
    }
    named["summaries"] = sum(a.values()) - sum(named.values())
    groups = {k: v for k, v in named.items() if v}
    return ChartRow(
        position,
        event.turn,
        event.usage.cache_read,
        groups,
        a,
        event.total_cost_usd,
        event.role_cache_read,
    )
