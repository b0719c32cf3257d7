"""Rate cards: USD per million tokens per model, in the four buckets plus the 1h write.

Two cards ship. `official` is the providers' list price, from the price database
(`engine/price_database.py`: genai-prices, with a small dated override table) and the
user's own price file (`engine/price_file.py`). `published` is what the free-executor-paradox
paper priced with: Opus 4.7 at $15/$75 (the Opus 4.1 price, 3x the official Opus 4.7
price), cache write 1.25x and read 0.1x of input; it is the study's data and stays ours.

A session stores the prices of its own models as they were when it ran (`RateCard.pinned`),
so its figures never move when the database is upgraded, and it can be re-priced later.
Some models are billed by prompt length: `ModelPrice.tiers`, applied per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.errors import FepError
from engine.model_price import FREE, PER_MILLION, ModelPrice, PriceTier

# The price types are re-exported: callers price through a card and name them from here.
__all__ = [
    "FREE",
    "OFFICIAL",
    "PER_MILLION",
    "PUBLISHED",
    "RATE_CARDS",
    "ModelPrice",
    "PriceTier",
    "RateCard",
    "UnknownRateCardError",
    "UnpricedModelError",
    "get_rate_card",
    "model_alias",
    "retirement",
]


class UnpricedModelError(FepError, LookupError):
    def __init__(self, card: str, model: str) -> None:
        super().__init__(
            f"rate card {card!r} has no price for model {model!r}; add it to a price file "
            "(--prices FILE, see the README's Prices section)"
        )


@dataclass(frozen=True)
class RateCard:
    name: str
    description: str
    prices: Mapping[str, ModelPrice]
    # Models the card does not list are priced from the price database (the official card).
    database: bool = False

    def price(self, model: str, provider: str, at: datetime | None = None) -> ModelPrice:
        """The price of `model` for a request made at `at` (now if None): the card's own
        row, else the user's price file, else (a database card) the price database."""
        # A local executor costs nothing per token; its tokens and latency are still counted.
        if provider == "ollama":
            return FREE
        alias = model_alias(model)
        listed = self.prices.get(model) or self.prices.get(alias)
        if listed is not None:
            return listed
        from engine.price_file import user_price

        users = user_price(model, provider) or user_price(alias, provider)
        if users is not None:
            return users
        if self.database:
            from engine.price_database import lookup

            found = lookup(model, provider, at) or lookup(alias, provider, at)
            if found is not None:
                return found
        raise UnpricedModelError(self.name, model)

    def pinned(self, models: Iterable[tuple[str, str]], at: datetime | None = None) -> RateCard:
        """This card with the prices of `models` (model, provider) written in, as a session
        stores it: its figures then never change with the database."""
        rows = dict(self.prices)
        for model, provider in models:
            if provider != "ollama" and model not in rows:
                rows[model] = self.price(model, provider, at)
        if not self.database:
            return replace(self, prices=rows)
        from engine.price_database import database_version

        return replace(self, prices=rows, description=f"{self.description}; {database_version()}")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "prices": {model: price.to_dict() for model, price in self.prices.items()},
        }
        if self.database:
            data["database"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateCard:
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            prices={m: ModelPrice.from_dict(p) for m, p in dict(data["prices"]).items()},
            database=bool(data.get("database", False)),
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
    # Release notes of 2026-06-15, which name Sonnet 4.6 and Opus 4.8 as the upgrades.
    "claude-sonnet-4": ("2026-06-15", "claude-sonnet-4-6"),
    "claude-sonnet-4-0": ("2026-06-15", "claude-sonnet-4-6"),
    "claude-opus-4": ("2026-06-15", "claude-opus-4-8"),
    "claude-opus-4-0": ("2026-06-15", "claude-opus-4-8"),
    # API_FACTS section 8 (model-deprecations); its successor at the same price.
    "claude-sonnet-4-5": ("2026-11-30", "claude-sonnet-4-6"),
}


def retirement(model: str) -> str | None:
    """Why a live run cannot use `model`, or None if it is served."""
    retired = RETIRED.get(model_alias(model))
    if retired is None:
        return None
    date, replacement = retired
    return f"{model} was retired on {date}; use {replacement} instead"


# The seven models of the card as it was hand-kept until 2026-12 (pricing page, 2026-08-21,
# API_FACTS section 2). Their rows stay as they were, so sessions of the built-in arms keep
# the configuration (and fingerprint) of those recorded before the database, and compare
# still pools them; a test holds these rows to the database's own base rates. Every other
# model is priced from the database.
_STUDY_ERA = {
    "claude-opus-4-7": ModelPrice.from_base(5.0, 25.0),
    "claude-opus-4-6": ModelPrice.from_base(5.0, 25.0),
    "claude-opus-4-5": ModelPrice.from_base(5.0, 25.0),
    "claude-opus-4-1": ModelPrice.from_base(15.0, 75.0),
    "claude-sonnet-4-6": ModelPrice.from_base(3.0, 15.0),
    "claude-sonnet-4-5": ModelPrice.from_base(3.0, 15.0),
    "claude-haiku-4-5": ModelPrice.from_base(1.0, 5.0),
}

OFFICIAL = RateCard(
    name="official",
    description="list prices (genai-prices database, dated overrides, your price file)",
    prices=_STUDY_ERA,
    database=True,
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
            **_STUDY_ERA,
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
