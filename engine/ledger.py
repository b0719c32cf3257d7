"""Running totals per role: usage, dollars, and the re-read (cache-read) tokens and dollars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.billing import price_factor
from engine.events import RoleTotals
from engine.pricing import ModelPrice, RateCard
from engine.usage import Usage


@dataclass
class RoleAccount:
    """A role's running totals while the trial runs, with the price it is billed at."""

    model: str
    provider: str
    price: ModelPrice
    usage: Usage = field(default_factory=Usage.of)
    cost_usd: float = 0.0
    turns: int = 0
    # Summed per request: a tiered model reads the cache at its request's tier.
    cache_read_usd: float = 0.0

    def totals(self) -> RoleTotals:
        return RoleTotals(
            model=self.model,
            provider=self.provider,
            turns=self.turns,
            usage=self.usage,
            cost_usd=round(self.cost_usd, 6),
            cache_read_usd=round(self.cache_read_usd, 6),
        )


@dataclass
class Ledger:
    roles: dict[str, RoleAccount] = field(default_factory=dict)
    # Prices a role that first appears inside a call (a fallback model that served it).
    card: RateCard | None = None

    def register(self, role: str, model: str, provider: str, price: ModelPrice) -> None:
        self.roles[role] = RoleAccount(model, provider, price)

    def ensure(self, role: str, model: str) -> None:
        """Register `role` at `model`'s price on the card if it is not yet registered."""
        if role not in self.roles and self.card is not None:
            self.register(role, model, "anthropic", self.card.price(model, "anthropic"))

    def record(
        self, role: str, usage: Usage, billing: Mapping[str, str] | None = None
    ) -> tuple[float, RoleAccount]:
        """Add one turn's usage; return that turn's cost and the role's new totals.
        `billing`: what the response said changes its price (engine/billing.py)."""
        totals = self.roles[role]
        factor = price_factor(totals.model, billing) if billing else 1.0
        cost = totals.price.cost(usage, factor)
        prompt = usage.input_tokens + usage.cache_read + usage.cache_write
        totals.cache_read_usd += totals.price.cache_read_cost(usage.cache_read, prompt, factor)
        totals.usage = totals.usage + usage
        totals.cost_usd += cost
        totals.turns += 1
        return cost, totals

    @property
    def total_cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.roles.values())

    def totals(self) -> dict[str, RoleTotals]:
        return {role: running.totals() for role, running in self.roles.items()}
