"""Rate cards: USD per million tokens per model, in the four buckets plus the 1h write.

Two cards ship. `official` is Anthropic's list price (API_FACTS section 2, pricing page as of
2026-08-21). `published` is what the free-executor-paradox paper priced with: Opus 4.7 at
$15/$75 (the Opus 4.1 price, 3x the official Opus 4.7 price), cache write 1.25x and read 0.1x
of input. A session stores the card it was priced with, so results can be re-priced later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from engine.errors import FepError
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


class UnpricedModelError(FepError, LookupError):
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
            return self.prices[model_alias(model)]
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


_DATED = re.compile(r"^(claude-[a-z0-9-]+?)-(\d{8})$")


def model_alias(model: str) -> str:
    """A dated model id (`claude-haiku-4-5-20251001`) as its alias, which the cards price;
    the API accepts both and bills them alike."""
    dated = _DATED.match(model)
    return dated[1] if dated else model


# Models the API no longer serves: retirement date and what Anthropic suggests instead
# (model-deprecations.md).
RETIRED: dict[str, tuple[str, str]] = {
    "claude-opus-4-1": ("2026-08-05", "claude-opus-4-7"),
}


def retirement(model: str) -> str | None:
    """Why a live run cannot use `model`, or None if it is served."""
    retired = RETIRED.get(model_alias(model))
    if retired is None:
        return None
    date, replacement = retired
    return f"{model} was retired on {date}; use {replacement} instead"


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


def _one_write_price(price: ModelPrice) -> ModelPrice:
    # The study's costs.py has a single cache-write price (input x 1.25) and no 1h rate.
    return replace(price, cache_write_1h=price.cache_write_5m)


PUBLISHED = RateCard(
    name="published",
    description="Prices used by the free-executor-paradox study (Opus 4.7 at $15/$75; "
    "one cache-write price, 1h writes at the 5m rate)",
    prices={
        model: _one_write_price(price)
        for model, price in {
            **OFFICIAL.prices,
            "claude-opus-4-7": ModelPrice.from_base(15.0, 75.0),
        }.items()
    },
)

RATE_CARDS: dict[str, RateCard] = {card.name: card for card in (OFFICIAL, PUBLISHED)}
DEFAULT_RATE_CARD = "official"


class UnknownRateCardError(FepError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown rate card {name!r} (known: {', '.join(RATE_CARDS)})")


def get_rate_card(name: str) -> RateCard:
    try:
        return RATE_CARDS[name]
    except KeyError:
        raise UnknownRateCardError(name) from None
