"""List prices from a maintained price database, with the few rows it lacks.

The `official` card used to be a table typed in by hand, dated 2026-08-21; every model
released since showed `price unknown`. Prices now come from `genai-prices` (Pydantic's
package): versioned with each release, per provider, with the dates a price starts and the
prompt-length tiers some models are billed by. It is read from the copy installed with
fep-tui, never fetched at run time. A price is turned into our `ModelPrice` once per model
and date, and the ledger applies it per request, so the arithmetic stays ours and in one
place (`ModelPrice.cost`).

`OVERRIDES` holds what the database lacks, each row with its source and the date it was
checked. A row wins over the database for requests on or after its start date.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.model_price import ModelPrice, PriceTier

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice as DatabasePrice

# Providers whose models the database prices for us; Ollama runs locally and is free.
PROVIDERS = {"anthropic": "anthropic", "openai": "openai"}


@dataclass(frozen=True)
class Override:
    model: str
    start: date
    end: date | None
    price: ModelPrice
    source: str


OVERRIDES: tuple[Override, ...] = (
    # genai-prices 0.2.5 has only the current Sonnet 5.5 cache-read rate ($0.10); before
    # Anthropic's cut of 2026-10-07 it was $0.20 (0.10x input), as its model page still said.
    Override(
        "claude-sonnet-5-5",
        date(2026, 6, 1),
        date(2026, 10, 7),
        ModelPrice(2.0, 10.0, 2.5, 4.0, 0.2),
        "platform.claude.com models/sonnet-5-5 (pricing before the 2026-10-07 cache-read cut), "
        "checked 2026-12-06",
    ),
)


@functools.cache
def database_version() -> str:
    # Once a process: reading the package metadata was 1.3 ms a call, once per imported
    # session.
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')}"


def lookup(model: str, provider: str, at: datetime | None = None) -> ModelPrice | None:
    """The list price of `model` at `provider` for a request made at `at` (now if None),
    or None when neither the overrides nor the database know it."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    for row in OVERRIDES:
        if (
            row.model == model
            and row.start <= when.date()
            and (row.end is None or when.date() < row.end)
        ):
            return row.price
    database_provider = PROVIDERS.get(provider)
    if database_provider is None:
        return None
    return _from_database(model, database_provider, when.date())


@functools.cache
def _from_database(model: str, provider: str, day: date) -> ModelPrice | None:
    from genai_prices.data_snapshot import get_snapshot

    try:
        _, info = get_snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    # Prices start on a date (StartDateConstraint compares UTC dates): noon of the day.
    prices = info.get_prices(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    return _converted(prices)


def _converted(prices: DatabasePrice) -> ModelPrice | None:
    fields = {
        "input": getattr(prices, "input_mtok", None),
        "output": getattr(prices, "output_mtok", None),
        "cache_write_5m": getattr(prices, "cache_write_mtok", None),
        "cache_write_1h": getattr(prices, "cache_write_1h_mtok", None),
        "cache_read": getattr(prices, "cache_read_mtok", None),
    }
    if fields["input"] is None or fields["output"] is None:
        return None
    starts = sorted({t.start for value in fields.values() for t in getattr(value, "tiers", [])})

    def flat(above: int | None) -> ModelPrice:
        rates = {name: _rate(value, above) for name, value in fields.items()}
        base = rates["input"]
        assert base is not None and rates["output"] is not None
        return ModelPrice(
            base,
            rates["output"],
            base * 1.25 if rates["cache_write_5m"] is None else rates["cache_write_5m"],
            # Anthropic's 1h write is 2x input (pricing page, prompt caching) where the
            # database gives no rate of its own.
            base * 2 if rates["cache_write_1h"] is None else rates["cache_write_1h"],
            base * 0.1 if rates["cache_read"] is None else rates["cache_read"],
        )

    base = flat(None)
    tiers = tuple(PriceTier(start, flat(start)) for start in starts)
    return ModelPrice(
        base.input, base.output, base.cache_write_5m, base.cache_write_1h, base.cache_read, tiers
    )


def _rate(value: Any, above: int | None) -> float | None:
    """A field's rate for prompts over `above` tokens (None: the base rate)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    rate = value.base
    if above is not None:
        for tier in value.tiers:
            if above >= tier.start:
                rate = tier.price
    return float(rate)
