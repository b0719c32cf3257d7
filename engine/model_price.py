"""A model's price: USD per million tokens in the four buckets plus the 1h write, and the
prompt-length tiers some models are billed by. The one place a request's cost is computed
(`ModelPrice.cost`); rate cards (engine/pricing.py) and the price database
(engine/price_database.py) only say which price applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.usage import Usage

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    # Prices for requests whose prompt (input + cache reads + cache writes) is over a
    # number of tokens, lowest first; every token of such a request, output included, is
    # billed at the tier's rates (Haiku 5.5 over 100,000 tokens, say).
    tiers: tuple[PriceTier, ...] = ()

    @classmethod
    def from_base(cls, input_price: float, output_price: float) -> ModelPrice:
        """Anthropic's multipliers: 5m write 1.25x, 1h write 2x, read 0.1x of input."""
        return cls(
            input_price, output_price, input_price * 1.25, input_price * 2, input_price * 0.1
        )

    def for_prompt(self, prompt_tokens: int) -> ModelPrice:
        """The flat rates a request with a prompt of `prompt_tokens` is billed at."""
        for tier in reversed(self.tiers):
            if prompt_tokens > tier.above:
                return tier.price
        return self

    def cost(self, usage: Usage, factor: float = 1.0) -> float:
        """One request's cost: `usage` must be one request's, since tiers apply per request.
        `factor`: what the response said changes its price (engine/billing.py)."""
        rates = self.for_prompt(usage.input_tokens + usage.cache_read + usage.cache_write)
        return (
            (
                usage.input_tokens * rates.input
                + usage.output_tokens * rates.output
                + usage.cache_write_5m * rates.cache_write_5m
                + usage.cache_write_1h * rates.cache_write_1h
                + usage.cache_read * rates.cache_read
            )
            * factor
            / PER_MILLION
        )

    def cache_read_cost(self, tokens: int, prompt_tokens: int = 0, factor: float = 1.0) -> float:
        return tokens * self.for_prompt(prompt_tokens).cache_read * factor / PER_MILLION

    def to_dict(self) -> dict[str, Any]:
        # Field by field: asdict deep-copies, and an import writes every session's prices.
        rates: dict[str, Any] = {
            "input": self.input,
            "output": self.output,
            "cache_write_5m": self.cache_write_5m,
            "cache_write_1h": self.cache_write_1h,
            "cache_read": self.cache_read,
        }
        if self.tiers:
            rates["tiers"] = [
                {"above": tier.above, "price": tier.price.to_dict()} for tier in self.tiers
            ]
        return rates

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelPrice:
        tiers = tuple(
            PriceTier(int(t["above"]), ModelPrice.from_dict(t["price"]))
            for t in data.get("tiers", ())
        )
        rates = {k: float(v) for k, v in data.items() if k != "tiers"}
        return cls(**rates, tiers=tiers)


@dataclass(frozen=True)
class PriceTier:
    above: int
    price: ModelPrice


FREE = ModelPrice(0.0, 0.0, 0.0, 0.0, 0.0)
