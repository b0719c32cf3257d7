"""Running totals per role: usage, dollars, and the re-read (cache-read) tokens and dollars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.billing import price_factor
from engine.pricing import ModelPrice, RateCard
from engine.usage import Usage


@dataclass
class RoleTotals:
    model: str
    provider: str
    price: ModelPrice
    usage: Usage = field(default_factory=Usage.of)
    cost_usd: float = 0.0
    turns: int = 0
    # Summed per request: a tiered model reads the cache at its request's tier.
    cache_read_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "provider": self.provider,
            "turns": self.turns,
            "usage": self.usage.to_dict(),
            "cost_usd": round(self.cost_usd, 6),
            "cache_read_usd": round(self.cache_read_usd, 6),
        }


@dataclass
class Ledger:
    roles: dict[str, RoleTotals] = field(default_factory=dict)
    # Prices a role that first appears inside a call (a fallback model that served it).
    card: RateCard | None = None

    def register(self, role: str, model: str, provider: str, price: ModelPrice) -> None:
        self.roles[role] = RoleTotals(model, provider, price)

    def ensure(self, role: str, model: str) -> None:
        """Register `role` at `model`'s price on the card if it is not yet registered."""
        if role not in self.roles and self.card is not None:
            self.register(role, model, "anthropic", self.card.price(model, "anthropic"))

    def record(
        self, role: str, usage: Usage, billing: Mapping[str, str] | None = None
    ) -> tuple[float, RoleTotals]:
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

    def to_dict(self) -> dict[str, Any]:
        return {role: totals.to_dict() for role, totals in self.roles.items()}
