"""Prices a user adds for models the price database lacks: a TOML file.

`--prices FILE` or `$FEP_PRICES_FILE`. USD per million tokens, one table per model:

    [models."my-finetune"]
    provider = "anthropic"      # optional; the model is priced for any provider otherwise
    input = 3.0
    output = 15.0
    cache_read = 0.30           # optional: 0.1x input
    cache_write_5m = 3.75       # optional: 1.25x input
    cache_write_1h = 6.0        # optional: 2x input
    source = "our contract, 2026-11"   # optional: shown where the price is listed

An error names the file, the line and the key, as the arms file's do.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import FepError
from engine.model_price import ModelPrice
from engine.toml_place import TablePlace
from engine.user_files import parse_toml, read_user_text, section_tables

ENV_VAR = "FEP_PRICES_FILE"
_RATES = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
_KEYS = {*_RATES, "provider", "source"}


class PriceFileError(FepError, ValueError):
    """A malformed price file; the message names the file, line and key."""


@dataclass(frozen=True)
class UserPrice:
    model: str
    provider: str | None
    price: ModelPrice
    source: str


def load_price_file(path: Path) -> dict[str, UserPrice]:
    text = read_user_text(path, "price file", PriceFileError, f"check --prices or ${ENV_VAR}")
    return parse_price_toml(text, str(path))


def prices_from_environment() -> dict[str, UserPrice]:
    named = os.environ.get(ENV_VAR)
    return _loaded(named) if named else {}


@functools.cache
def _loaded(named: str) -> dict[str, UserPrice]:
    return load_price_file(Path(named).expanduser())


def user_price(model: str, provider: str) -> ModelPrice | None:
    """The user's price for `model`, from `$FEP_PRICES_FILE` (`--prices` sets it)."""
    found = prices_from_environment().get(model)
    if found is None or (found.provider is not None and found.provider != provider):
        return None
    return found.price


def parse_price_toml(text: str, origin: str = "<prices>") -> dict[str, UserPrice]:
    data = parse_toml(text, origin, PriceFileError)
    unknown_top = set(data) - {"models"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise PriceFileError(
            f"{TablePlace(text, origin, '', key)()}: unknown key {key!r}; prices go in "
            '[models."MODEL"] tables'
        )
    tables = section_tables(data, text, origin, "models", PriceFileError, '[models."MODEL"]')
    return {model: _price(model, table, where) for model, table, where in tables}


def _price(model: str, table: dict[str, Any], where: TablePlace) -> UserPrice:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise PriceFileError(
            f"{where(unknown[0])}: models.{model} has unknown key {unknown[0]!r} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    for required in ("input", "output"):
        if required not in table:
            raise PriceFileError(
                f"{where()}: models.{model} needs {required} (USD per million tokens)"
            )
    rates: dict[str, float] = {}
    for key in _RATES:
        if key not in table:
            continue
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PriceFileError(
                f"{where(key)}: models.{model}.{key} must be a number of dollars per million "
                f"tokens, 0 or more; got {value!r}"
            )
        rates[key] = float(value)
    provider = table.get("provider")
    if provider is not None and not isinstance(provider, str):
        raise PriceFileError(f"{where('provider')}: models.{model}.provider must be a string")
    base = rates["input"]
    price = ModelPrice(
        base,
        rates["output"],
        rates.get("cache_write_5m", base * 1.25),
        rates.get("cache_write_1h", base * 2),
        rates.get("cache_read", base * 0.1),
    )
    return UserPrice(model, provider, price, str(table.get("source", where.origin)))
