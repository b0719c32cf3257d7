"""An agent's model calls, read from its trace, as a fep-tui trial: the part every
single-agent importer shares (sessions/analysis/importers.py).

The importer reads its format into `TracedCall`s (when, which model, the usage, what the
call wrote and called, and how its cache read splits by source) and the events between
them (tool results, compactions); this prices each call at the card (dated prices, a model
no card prices named and never $0), keeps the role's and the trial's running totals, and
writes the header with the prices pinned, so the figures never move with the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from engine.events import (
    Event,
    RoleTotals,
    TextDelta,
    ToolCall,
    TrialEnded,
    TurnStarted,
    TurnUsage,
)
from engine.pricing import RateCard, UnpricedModelError
from engine.usage import Usage
from engine.version import ENGINE_VERSION
from sessions.analysis.claude_code.convert import Converted
from sessions.analysis.claude_code.transcript import ReadStats
from sessions.format import FORMAT_NAME, SCHEMA_VERSION
from sessions.header import SessionHeader, TraceOrigin, fingerprint
from sessions.outcome import TRACE_STATUS

LEAD = "lead"


@dataclass
class TracedCall:
    t: float
    turn: int
    model: str
    usage: Usage
    texts: list[str] = field(default_factory=list)
    tools: list[ToolCall] = field(default_factory=list)
    # The call's cache read by source (base, task, own, tool_results): estimated.
    attribution: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceInfo:
    """What the header says of the trace."""

    path: Path
    source: str  # the importer's name: the session's source
    tool_label: str  # the agent as people call it
    provider: str
    session_id: str
    cwd: str = ""
    tool_version: str = ""
    started: datetime | None = None


def trial_from_calls(
    info: TraceInfo,
    calls: Sequence[TracedCall],
    between: Sequence[tuple[float, Event]],
    card: RateCard,
    stats: ReadStats,
) -> Converted:
    timed: list[tuple[float, int, Event]] = [(t, i, e) for i, (t, e) in enumerate(between)]

    def at(t: float, event: Event) -> None:
        timed.append((t, len(timed), event))

    unpriced: set[str] = set()
    role_usage = Usage.of()
    role_cost = total_cost = read_usd = 0.0
    for call in calls:
        t = call.t
        at(t, TurnStarted(t, LEAD, call.turn, call.model))
        for text in call.texts:
            at(t, TextDelta(t, LEAD, call.turn, text))
        for tool in call.tools:
            at(t, tool)
        when = info.started + timedelta(seconds=t) if info.started else None
        try:
            price = card.price(call.model, info.provider, when)
            cost, read_price = price.cost(call.usage), price.cache_read
        except UnpricedModelError:
            unpriced.add(call.model)
            cost = read_price = 0.0
        role_usage = role_usage + call.usage
        role_cost += cost
        total_cost += cost
        read_usd += call.usage.cache_read * read_price / 1e6
        at(
            t,
            TurnUsage(
                t,
                LEAD,
                call.turn,
                call.model,
                call.usage,
                role_usage,
                round(cost, 8),
                role_usage.cache_read,
                round(read_usd, 8),
                round(role_cost, 8),
                round(total_cost, 8),
                0.0,
                call.attribution,
            ),
        )
    timed.sort(key=lambda item: (item[0], item[1]))
    events = [event for _, _, event in timed]
    end_t = max((t for t, _, _ in timed), default=0.0)
    model = calls[-1].model if calls else ""
    roles = {
        LEAD: RoleTotals(
            model=model,
            provider=info.provider,
            turns=len(calls),
            usage=role_usage,
            cost_usd=round(role_cost, 6),
            cache_read_usd=round(read_usd, 6),
        )
    }
    said = f"a {info.tool_label} session: measured, not judged"
    events.append(
        TrialEnded(end_t, TRACE_STATUS, False, len(calls), end_t, roles, round(total_cost, 6), said)
    )
    models = sorted({c.model for c in calls} - unpriced)
    header = _header(info, card.pinned((m, info.provider) for m in models), model, unpriced, stats)
    return Converted(header, events, stats)


def _header(
    info: TraceInfo, card: RateCard, model: str, unpriced: set[str], stats: ReadStats
) -> SessionHeader:
    path = info.path
    origin = TraceOrigin(
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        size=path.stat().st_size,
        session_id=info.session_id or path.stem,
        project=Path(info.cwd).name if info.cwd else "",
        cwd=info.cwd,
        skipped=dict(stats.skipped),
        tool=info.source,
        tool_version=info.tool_version,
        tool_label=info.tool_label,
    )
    draft = SessionHeader(
        format=FORMAT_NAME,
        schema=SCHEMA_VERSION,
        trial_id=f"{info.source}-{origin.session_id}",
        arm=info.source,
        arm_spec={"name": info.source, "lead": model},
        task=origin.project or path.stem,
        models={LEAD: model},
        providers={LEAD: info.provider},
        backend=info.source,
        simulated=False,
        rate_card=card.to_dict(),
        seed=0,
        engine_version=ENGINE_VERSION,
        started_at=info.started.isoformat() if info.started else "",
        source=info.source,
        unpriced=sorted(unpriced),
        trace=origin,
    )
    return msgspec.structs.replace(draft, fingerprint=fingerprint(draft.configuration))
