"""Rate cards: USD per million tokens per model, in the four buckets plus the 1h write.

Two cards ship. `official` is Anthropic's list price (API_FACTS section 2, pricing page as of
2026-08-21). `published` is what the free-executor-paradox paper priced with: Opus 4.7 at
$15/$75 (the Opus 4.1 price, 3x the official Opus 4.7 price), cache write 1.25x and read 0.1x
of input. A session stores the card it was priced with, so results can be re-priced later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
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

    @classmethod
    def from_base(cls, input_price: float, output_price: float) -> ModelPrice:
        """Anthropic's multipliers: 5m write 1.25x, 1h write 2x, read 0.1x of input."""
        return cls(
            input_price, output_price, input_price * 1.25, input_price * 2, input_price * 0.1
        )

    def cost(self, usage: Usage) -> float:
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_write_5m * self.cache_write_5m
            + usage.cache_write_1h * self.cache_write_1h
            + usage.cache_read * self.cache_read
        ) / PER_MILLION

    def cache_read_cost(self, tokens: int) -> float:
        return tokens * self.cache_read / PER_MILLION


FREE = ModelPrice(0.0, 0.0, 0.0, 0.0, 0.0)


class UnpricedModelError(LookupError):
    def __init__(self, card: str, model: str) -> None:
        super().__init__(
            f"rate card {card!r} has no price for model {model!r}; pick a model the card lists"
        )


@dataclass(frozen=True)
class RateCard:
    name: str
    description: str
    prices: Mapping[str, ModelPrice]

    def price(self, model: str, provider: str) -> ModelPrice:
        # A local executor costs nothing per token; its tokens and latency are still counted.
        if provider == "ollama":
            return FREE
        try:
            return self.prices[model]
        except KeyError:
            raise UnpricedModelError(self.name, model) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "prices": {model: asdict(price) for model, price in self.prices.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateCard:
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            prices={m: ModelPrice(**p) for m, p in dict(data["prices"]).items()},
        )


_OPUS_45_PLUS = ModelPrice.from_base(5.0, 25.0)
_SONNET = ModelPrice.from_base(3.0, 15.0)
_HAIKU_45 = ModelPrice.from_base(1.0, 5.0)

OFFICIAL = RateCard(
    name="official",
    description="Anthropic list prices (platform.claude.com pricing page, 2026-08-21)",
    prices={
        "claude-opus-4-7": _OPUS_45_PLUS,
        "claude-opus-4-6": _OPUS_45_PLUS,
        "claude-opus-4-5": _OPUS_45_PLUS,
        "claude-opus-4-1": ModelPrice.from_base(15.0, 75.0),
        "claude-sonnet-4-6": _SONNET,
        "claude-sonnet-4-5": _SONNET,
        "claude-haiku-4-5": _HAIKU_45,
    },
)

PUBLISHED = RateCard(
    name="published",
    description="Prices used by the free-executor-paradox study (Opus 4.7 at $15/$75)",
    prices={
        **OFFICIAL.prices,
        "claude-opus-4-7": ModelPrice.from_base(15.0, 75.0),
    },
)

RATE_CARDS: dict[str, RateCard] = {card.name: card for card in (OFFICIAL, PUBLISHED)}
DEFAULT_RATE_CARD = "official"


class UnknownRateCardError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown rate card {name!r} (known: {', '.join(RATE_CARDS)})")


def get_rate_card(name: str) -> RateCard:
    try:
        return RATE_CARDS[name]
    except KeyError:
        raise UnknownRateCardError(name) from None
