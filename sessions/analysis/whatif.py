"""What-if re-pricing: what a saved trial would have cost under other terms.

The terms: another rate card, prompt caching off, 1-hour instead of 5-minute cache writes,
or executor summaries capped at N tokens. A session keeps every model call's prompt size
and time, so each conversation (the lead's, and each delegation's executor) is rebuilt as a
sequence of prompt segments and run again through the same cache model the simulator uses
(engine/caching.py): a cap shortens the segments that carried summaries and every later
turn re-reads less, rather than scaling a total.

Assumption, stated wherever the numbers are shown: the trial takes the same turns. A shorter
summary could change what the orchestrator does next; that is not modelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engine.billing import price_factor
from engine.caching import PromptBlock, PromptCache
from engine.pricing import RateCard, get_rate_card
from engine.usage import Usage
from sessions.header import LEAD_ROLES
from sessions.index_cache import open_index
from sessions.timeline import Timeline


@dataclass(frozen=True)
class WhatIf:
    rate_card: str | None = None  # None: the card the session was priced with
    caching: bool = True
    write_ttl: Literal["5m", "1h"] = "5m"
    summary_cap: int | None = None

    @property
    def changes_usage(self) -> bool:
        """Whether the tokens themselves change (caching, TTL, a summary cap), not only
        their prices."""
        return not self.caching or self.write_ttl != "5m" or self.summary_cap is not None

    def label(self) -> str:
        parts = [f"{self.rate_card} card"] if self.rate_card else []
        if not self.caching:
            parts.append("caching off")
        elif self.write_ttl == "1h":
            parts.append("1h cache writes")
        if self.summary_cap is not None:
            parts.append(f"summaries capped at {self.summary_cap:,} tokens")
        return ", ".join(parts) or "as recorded"


@dataclass(frozen=True)
class RoleCost:
    model: str
    usage: Usage
    cost_usd: float


@dataclass(frozen=True)
class Repriced:
    """One session under one what-if. `resimulated_usd` runs the recorded terms through the
    same model: the difference to `whatif_usd` is the what-if's effect, free of model error."""

    whatif: WhatIf
    recorded_usd: float
    resimulated_usd: float
    whatif_usd: float
    lead_cache_read: int
    whatif_lead_cache_read: int
    roles: dict[str, RoleCost] = field(default_factory=dict)
    # The re-simulation as recorded differs from the record: the what-if is the recorded
    # figure plus the re-simulated change.
    estimate: bool = False

    @property
    def change(self) -> float:
        """Relative change against the baseline (-0.25 is 25% cheaper): the re-simulation
        as recorded, or the record itself for an estimate."""
        base = self.recorded_usd if self.estimate else self.resimulated_usd
        if base == 0:
            return 0.0
        return self.whatif_usd / base - 1.0


@dataclass(frozen=True)
class _Call:
    role: str
    model: str
    provider: str
    conversation: tuple[str, int | None]
    turn: int
    start_s: float
    usage: Usage
    # What the response said changes its price (engine/billing.py), kept under any card.
    billing: dict[str, str]

    def cost(self, card: RateCard, usage: Usage) -> float:
        price = card.price(self.model, self.provider)
        return price.cost(usage, price_factor(self.model, self.billing))


def reprice_file(path: Path, whatif: WhatIf) -> Repriced:
    """`reprice` on a session file, read through its index (kept beside it)."""
    return reprice(open_index(path).timeline, whatif)


def reprice(timeline: Timeline, whatif: WhatIf) -> Repriced:
    recorded_card = timeline.header.card
    card = get_rate_card(whatif.rate_card) if whatif.rate_card else recorded_card
    calls = _calls(timeline)
    if whatif.changes_usage:
        baseline = _simulate(calls, WhatIf(), {})
        changed = _simulate(calls, whatif, _summary_cuts(timeline, whatif.summary_cap))
    else:
        # Nothing changes what was sent or cached (another card at most): the recorded
        # usage is the answer. A re-simulation of an import can differ by a few tokens
        # (24,155 -> 24,164 on a fixture), and a no-op must print the recorded figures.
        baseline = changed = [call.usage for call in calls]
    roles: dict[str, RoleCost] = {}
    resimulated = whatif_usd = 0.0
    for call, before, after in zip(calls, baseline, changed, strict=True):
        resimulated += call.cost(recorded_card, before)
        cost = call.cost(card, after)
        whatif_usd += cost
        held = roles.get(call.role)
        roles[call.role] = RoleCost(
            call.model,
            after if held is None else held.usage + after,
            cost + (held.cost_usd if held else 0.0),
        )
    end = timeline.snapshot().end
    recorded = end.total_cost_usd if end is not None else resimulated
    lead = [i for i, c in enumerate(calls) if c.role in LEAD_ROLES]
    recorded_lead = sum(calls[i].usage.cache_read for i in lead)
    baseline_lead = sum(baseline[i].cache_read for i in lead)
    whatif_lead = sum(changed[i].cache_read for i in lead)
    # Where the re-simulation does not reproduce the record (an import: its own client's
    # caching, not ours), the what-if is the recorded figure plus the re-simulated change,
    # and is called an estimate. Our own trials re-simulate exactly.
    estimate = abs(resimulated - recorded) > 1e-6 or baseline_lead != recorded_lead
    if estimate:
        whatif_usd = max(0.0, recorded + (whatif_usd - resimulated))
        # In proportion, not by difference: caching off leaves no re-read at all, where
        # the recorded figure minus the re-simulated one gave -9 tokens.
        whatif_lead = (
            round(recorded_lead * whatif_lead / baseline_lead) if baseline_lead else whatif_lead
        )
    return Repriced(
        whatif,
        recorded,
        resimulated,
        whatif_usd,
        recorded_lead,
        whatif_lead,
        roles,
        estimate,
    )


def _calls(timeline: Timeline) -> list[_Call]:
    providers = timeline.header.providers
    calls = []
    for event in timeline.model_calls():
        # Each delegation starts its executor on a fresh conversation.
        key = (event.role, event.delegation if event.role not in LEAD_ROLES else None)
        calls.append(
            _Call(
                event.role,
                event.model,
                providers.get(event.role, "anthropic"),
                key,
                event.turn,
                event.t - event.duration_s,
                event.usage,
                event.billing,
            )
        )
    return calls


def _summary_cuts(timeline: Timeline, cap: int | None) -> dict[int, int]:
    """Tokens removed from the lead's prompt by lead turn that first carries them."""
    cuts: dict[int, int] = defaultdict(int)
    if cap is None:
        return cuts
    for event in timeline.summaries():
        if event.tokens > cap:
            cuts[event.turn + 1] += event.tokens - cap
    return cuts


def _simulate(calls: Sequence[_Call], whatif: WhatIf, cuts: dict[int, int]) -> list[Usage]:
    """Every call's usage under `whatif`; calls the cache model does not apply to (a local
    model, an advisor's sub-inference) keep their recorded usage."""
    clock = [0.0]
    cache = PromptCache(lambda: clock[0])
    segments: dict[tuple[str, int | None], list[PromptBlock]] = defaultdict(list)
    previous: dict[tuple[str, int | None], int] = {}
    out = []
    for index, call in enumerate(calls):
        if call.provider != "anthropic" or call.role == "advisor":
            out.append(call.usage)
            continue
        total = call.usage.total_input
        blocks = segments[call.conversation]
        if total < previous.get(call.conversation, 0) and blocks:
            # The prompt shrank: the context was compacted. Only the conversation's first
            # segment (system prompt, tools, first message) can still be a cached prefix.
            kept = blocks[:1] if blocks[0].tokens <= total else []
            blocks[:] = kept
            previous[call.conversation] = sum(b.tokens for b in kept)
        grown = max(0, total - previous.get(call.conversation, 0))
        previous[call.conversation] = total
        if call.role in LEAD_ROLES:
            grown = max(0, grown - cuts.get(call.turn, 0))
        blocks.append(PromptBlock(grown, f"{call.conversation}:{index}"))
        clock[0] = call.start_s
        if not whatif.caching:
            usage = Usage.of(input_tokens=sum(b.tokens for b in blocks))
        else:
            request = [*blocks[:-1], PromptBlock(grown, blocks[-1].content_hash, whatif.write_ttl)]
            usage = cache.process(call.model, request)
        out.append(
            Usage(
                usage.input_tokens,
                call.usage.output_tokens,
                usage.cache_write_5m,
                usage.cache_write_1h,
                usage.cache_read,
            )
        )
    return out
