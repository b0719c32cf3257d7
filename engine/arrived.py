"""What has arrived of a trial that runs elsewhere, enough to end its session here.

A remote trial ends its own session when it can. When its worker dies, or the user stops
the batch, the head writes the trial_end itself from the last figures that came home: the
role totals of each role's last usage event, and the time of the last event.
"""

from __future__ import annotations

from engine.events import Event, RoleTotals, TrialEnded, TrialStarted, TurnUsage


class Arrived:
    """An event sink that keeps the running totals of the events it has seen."""

    def __init__(self) -> None:
        self.started: TrialStarted | None = None
        self.ended = False
        self._last_t = 0.0
        self._usage: dict[str, TurnUsage] = {}
        # The ledger counts a role's model calls, one usage event each.
        self._calls: dict[str, int] = {}

    def emit(self, event: Event) -> None:
        self._last_t = max(self._last_t, event.t)
        if isinstance(event, TrialStarted):
            self.started = event
        elif isinstance(event, TurnUsage):
            self._usage[event.role] = event
            self._calls[event.role] = self._calls.get(event.role, 0) + 1
        elif isinstance(event, TrialEnded):
            self.ended = True

    @property
    def total_cost_usd(self) -> float:
        return round(sum(u.role_cost_usd for u in self._usage.values()), 6)

    @property
    def turns(self) -> int:
        return sum(self._calls.values())

    def ending(self, status: str, reason: str) -> TrialEnded:
        """The trial_end this trial would have written had it stopped here."""
        return TrialEnded(
            self._last_t,
            status,
            False,
            self.turns,
            self._last_t,
            self.roles(),
            self.total_cost_usd,
            reason,
        )

    def roles(self) -> dict[str, RoleTotals]:
        """Role totals as engine/ledger.py gives them."""
        providers = self.started.providers if self.started is not None else {}
        return {
            role: RoleTotals(
                model=usage.model,
                provider=providers.get(role, ""),
                turns=self._calls[role],
                usage=usage.role_usage,
                cost_usd=round(usage.role_cost_usd, 6),
                cache_read_usd=round(usage.role_cache_read_usd, 6),
            )
            for role, usage in self._usage.items()
        }
