"""Prices for the models people use today: the price database, its dated overrides, tiers
applied per request, and the user's price file.

The expected rows are the model pages of platform.claude.com as read on 2026-12-06
(Opus 5.5, Opus 5, Sonnet 5.5, Sonnet 5, Haiku 5.5, Fable 5.1) and the pricing page of
2026-08-21 (API_FACTS section 2) for the older ones: input, output, 5m write, 1h write,
cache read, in USD per million tokens.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.price_database import lookup
from engine.price_file import PriceFileError, parse_price_toml
from engine.pricing import _STUDY_ERA, OFFICIAL, ModelPrice, UnpricedModelError
from engine.usage import Usage
from tests.conftest import run_cli

AFTER_CUT = datetime(2026, 12, 6, tzinfo=UTC)
PAGE = {
    "claude-opus-5-5": (4, 20, 5, 8, 0.2),
    "claude-opus-5": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-8": (5, 25, 6.25, 10, 0.5),
    "claude-sonnet-5-5": (2, 10, 2.5, 4, 0.1),
    "claude-sonnet-5": (2, 10, 2.5, 4, 0.2),
    "claude-haiku-5-5": (0.1, 0.5, 0.125, 0.2, 0.01),
    "claude-fable-5-1": (10, 50, 12.5, 20, 0.25),
    "claude-opus-4-7": (5, 25, 6.25, 10, 0.5),
    "claude-haiku-4-5": (1, 5, 1.25, 2, 0.1),
    "claude-sonnet-4-20250514": (3, 15, 3.75, 6, 0.3),
    "claude-opus-4-20250514": (15, 75, 18.75, 30, 1.5),
    "claude-3-5-haiku-20241022": (0.8, 4, 1, 1.6, 0.08),
}


def rates(price: ModelPrice) -> tuple[float, ...]:
    return (
        price.input,
        price.output,
        price.cache_write_5m,
        price.cache_write_1h,
        price.cache_read,
    )


@pytest.mark.parametrize("model", list(PAGE))
def test_every_model_on_the_pricing_page_prices_as_listed(model: str) -> None:
    assert rates(OFFICIAL.price(model, "anthropic", AFTER_CUT)) == pytest.approx(PAGE[model])


def test_a_model_released_after_the_hand_kept_card_was_unknown_before() -> None:
    """The hand-kept card of 2026-08-21 listed seven models; Opus 5.5 was not one."""
    assert "claude-opus-5-5" not in _STUDY_ERA
    usage = Usage.of(input_tokens=1_000, output_tokens=1_000, cache_read=10_000)
    assert OFFICIAL.price("claude-opus-5-5", "anthropic").cost(usage) == pytest.approx(
        (1_000 * 4 + 1_000 * 20 + 10_000 * 0.2) / 1e6
    )


def test_the_kept_rows_agree_with_the_database() -> None:
    """The seven rows kept for comparability must not drift from the list prices."""
    for model, kept in _STUDY_ERA.items():
        found = lookup(model, "anthropic", AFTER_CUT)
        assert found is not None, model
        assert rates(found) == pytest.approx(rates(kept)), model


def test_a_tiered_price_applies_per_request_across_its_threshold() -> None:
    """Haiku 5.5: a prompt (input + cache reads + writes) over 100,000 tokens bills every
    token of that request, output included, at 5x."""
    price = OFFICIAL.price("claude-haiku-5-5", "anthropic", AFTER_CUT)
    at_threshold = Usage.of(input_tokens=10_000, cache_read=90_000, output_tokens=1_000)
    over = Usage.of(input_tokens=10_001, cache_read=90_000, output_tokens=1_000)
    assert price.cost(at_threshold) == pytest.approx(
        (10_000 * 0.1 + 90_000 * 0.01 + 1_000 * 0.5) / 1e6
    )
    assert price.cost(over) == pytest.approx((10_001 * 0.5 + 90_000 * 0.05 + 1_000 * 2.5) / 1e6)
    # Two requests are priced each on its own prompt, not on their sum.
    small = Usage.of(input_tokens=60_000)
    assert price.cost(small) + price.cost(small) == pytest.approx(2 * 60_000 * 0.1 / 1e6)


def test_a_1h_write_is_billed_at_its_own_rate() -> None:
    usage = Usage.of(cache_write_5m=1_000_000, cache_write_1h=1_000_000)
    assert OFFICIAL.price("claude-opus-5", "anthropic").cost(usage) == pytest.approx(6.25 + 10)


def test_a_price_follows_the_date_of_the_request() -> None:
    """Sonnet 5.5's cache reads went from $0.20 to $0.10 on 2026-10-07; the database has
    only the new rate, the override table the old one."""
    before = datetime(2026, 9, 15, tzinfo=UTC)
    assert OFFICIAL.price("claude-sonnet-5-5", "anthropic", before).cache_read == 0.2
    assert OFFICIAL.price("claude-sonnet-5-5", "anthropic", AFTER_CUT).cache_read == 0.1


def test_a_dated_model_id_prices_as_its_model() -> None:
    dated = OFFICIAL.price("claude-haiku-4-5-20251001", "anthropic")
    assert dated == OFFICIAL.price("claude-haiku-4-5", "anthropic")
    assert rates(OFFICIAL.price("claude-haiku-5-5-20261014", "anthropic", AFTER_CUT)) == (
        pytest.approx(PAGE["claude-haiku-5-5"])
    )


def test_a_session_keeps_the_prices_it_ran_at() -> None:
    """The header stores its models' prices, tiers included, so a database upgrade never
    moves a recorded figure."""
    pinned = OFFICIAL.pinned([("claude-haiku-5-5", "anthropic"), ("qwen3.5:9b", "ollama")])
    again = type(pinned).from_dict(pinned.to_dict())
    assert again.prices["claude-haiku-5-5"] == OFFICIAL.price("claude-haiku-5-5", "anthropic")
    assert again.prices["claude-haiku-5-5"].tiers[0].above == 100_000
    assert "qwen3.5:9b" not in again.prices
    assert "genai-prices" in again.description


def test_an_unknown_model_says_how_to_price_it() -> None:
    with pytest.raises(UnpricedModelError, match=r"add it to a price file \(--prices FILE"):
        OFFICIAL.price("claude-unreleased-9", "anthropic")


PRICE_FILE = """\
[models."acme-coder"]
provider = "anthropic"
input = 2.0
output = 8.0
source = "our contract, 2026-11"

[models."tiny-model"]
input = 0.5
output = 1.0
cache_read = 0.01
"""


def test_a_price_file_prices_what_the_database_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICE_FILE)
    monkeypatch.setenv("FEP_PRICES_FILE", str(prices))
    acme = OFFICIAL.price("acme-coder", "anthropic")
    assert rates(acme) == pytest.approx((2.0, 8.0, 2.5, 4.0, 0.2))  # defaults from input
    assert OFFICIAL.price("tiny-model", "anthropic").cache_read == 0.01
    with pytest.raises(UnpricedModelError):
        OFFICIAL.price("acme-coder", "openai")  # priced for its provider only


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[models.x]\ninput = 1\n", "prices.toml:1: models.x needs output"),
        ('[models.x]\ninput = 1\noutput = "lots"\n', "prices.toml:3: models.x.output must be"),
        ("[models.x]\ninput = -1\noutput = 2\n", "prices.toml:2: models.x.input must be"),
        (
            "[models.x]\ninput = 1\noutput = 2\nouput = 3\n",
            "prices.toml:4: models.x has unknown key 'ouput'",
        ),
        ("[model.x]\ninput = 1\n", "prices.toml:1: unknown key 'model'"),
        ("[models.x\n", "prices.toml: not valid TOML"),
        ("", 'prices.toml: no [models."MODEL"] tables found'),
        ('[models]\n"m" = 3\n', "prices.toml:2: models.m must be a table"),
    ],
)
def test_a_price_file_with_an_error_names_its_line_and_key(text: str, message: str) -> None:
    with pytest.raises(PriceFileError) as raised:
        parse_price_toml(text, "prices.toml")
    assert str(raised.value).startswith(message), raised.value


def test_a_bad_price_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."m"]\ninput = 1\noutput = true\n')
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    args = ["run", "--arm", "A", "--task", "tiny", "--headless", "--prices", str(prices)]
    done = run_cli(*args, "--sessions-dir", str(tmp_path), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"fep-tui: error: {prices}:3: models.m.output must be a number of dollars per million "
        "tokens, 0 or more; got True"
    ]


def test_a_price_written_into_a_header_keeps_every_rate_and_tier() -> None:
    """A session's header pins its models' prices (ModelPrice.to_dict, written field by
    field); a rate left out would re-price the session with the database's on reading."""
    from dataclasses import fields

    from engine.model_price import ModelPrice, PriceTier

    tiered = ModelPrice(1.0, 2.0, 3.0, 4.0, 5.0, (PriceTier(200_000, ModelPrice(6, 7, 8, 9, 10)),))
    written = tiered.to_dict()
    assert set(written) == {f.name for f in fields(ModelPrice)}
    assert ModelPrice.from_dict(written) == tiered
