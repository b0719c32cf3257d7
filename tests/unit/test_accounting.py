"""Rate cards, the per-role ledger and re-read attribution."""

from __future__ import annotations

import pytest

from engine.attribution import attribute_cache_read, round_to_total
from engine.ledger import Ledger
from engine.pricing import FREE, OFFICIAL, PUBLISHED, ModelPrice, UnpricedModelError
from engine.tokens import count_wire_block
from engine.usage import Usage


def test_official_opus_47_prices_per_bucket() -> None:
    price = OFFICIAL.price("claude-opus-4-7", "anthropic")
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_write_5m=1_000_000,
        cache_write_1h=1_000_000,
        cache_read=1_000_000,
    )
    assert price.cost(usage) == pytest.approx(5 + 25 + 6.25 + 10 + 0.5)


def test_published_card_is_three_times_official_for_opus_and_equal_for_haiku() -> None:
    usage = Usage(1000, 2000, 3000, 0, 40_000)
    official, published = (
        OFFICIAL.price("claude-opus-4-7", "anthropic"),
        PUBLISHED.price("claude-opus-4-7", "anthropic"),
    )
    assert published.cost(usage) == pytest.approx(3 * official.cost(usage))
    # One cache-write price on the study's card: 1h writes at the 5m rate.
    assert PUBLISHED.price("claude-haiku-4-5", "anthropic") == ModelPrice(1.0, 5.0, 1.25, 1.25, 0.1)


def test_local_models_are_free_and_unknown_models_are_an_error() -> None:
    assert OFFICIAL.price("qwen3.5:9b", "ollama") == FREE
    with pytest.raises(UnpricedModelError, match="gpt-x"):
        OFFICIAL.price("gpt-x", "anthropic")


def test_ledger_keeps_running_totals_per_role() -> None:
    ledger = Ledger()
    ledger.register(
        "orchestrator",
        "claude-opus-4-7",
        "anthropic",
        OFFICIAL.price("claude-opus-4-7", "anthropic"),
    )
    ledger.register("executor", "qwen3.5:9b", "ollama", FREE)
    ledger.record("orchestrator", Usage.of(cache_read=100_000))
    cost, totals = ledger.record("orchestrator", Usage.of(cache_read=100_000, output_tokens=1000))
    ledger.record("executor", Usage.of(input_tokens=50_000, output_tokens=5_000))
    assert cost == pytest.approx(0.05 + 0.025)
    assert totals.usage.cache_read == 200_000 and totals.cache_read_usd == pytest.approx(0.1)
    assert (
        ledger.roles["executor"].cost_usd == 0
        and ledger.roles["executor"].usage.input_tokens == 50_000
    )
    assert ledger.total_cost_usd == pytest.approx(0.125)


def test_round_to_total_sums_exactly() -> None:
    shares = {"a": 10.4, "b": 20.4, "c": 30.2}
    rounded = round_to_total(shares, 61)
    assert sum(rounded.values()) == 61 and rounded["a"] in (10, 11)


def test_attribution_credits_the_front_of_the_prompt() -> None:
    blocks = [
        ("base", {"type": "text", "text": "system prompt " * 50}),
        ("task", {"type": "text", "text": "the task " * 20}),
        ("summary:1", {"type": "tool_result", "tool_use_id": "t", "content": "summary " * 100}),
        ("own", {"type": "text", "text": "latest turn " * 10}),
    ]
    counts = [count_wire_block(b) for _, b in blocks]
    cached = sum(counts[:3])
    usage = Usage.of(input_tokens=counts[3], cache_read=cached)
    split = attribute_cache_read(blocks, "claude-opus-4-7", usage)
    assert split == {"base": counts[0], "task": counts[1], "summary:1": counts[2]}


def test_attribution_scales_live_counts_to_the_reported_total() -> None:
    blocks = [
        ("base", {"type": "text", "text": "alpha " * 100}),
        ("summary:1", {"type": "text", "text": "beta " * 100}),
    ]
    counted = sum(count_wire_block(b) for _, b in blocks)
    # A live tokenizer that counts 30% more: the whole prompt was read from cache.
    reported = Usage.of(cache_read=round(counted * 1.3))
    split = attribute_cache_read(blocks, "claude-opus-4-7", reported)
    assert sum(split.values()) == reported.cache_read
    assert abs(split["base"] - split["summary:1"]) <= 2


def test_a_dated_model_id_is_priced_as_its_alias() -> None:
    from engine.pricing import OFFICIAL

    dated = OFFICIAL.price("claude-haiku-4-5-20251001", "anthropic")
    assert dated == OFFICIAL.price("claude-haiku-4-5", "anthropic")


def test_the_published_card_prices_1h_writes_like_5m_writes() -> None:
    """The study's costs.py had one cache-write price; re-pricing its trials at our 1h
    rate would invent a cost the study never charged."""
    from engine.pricing import PUBLISHED

    opus = PUBLISHED.price("claude-opus-4-7", "anthropic")
    assert opus.cache_write_1h == opus.cache_write_5m == 15.0 * 1.25
    assert opus.cost(Usage.of(cache_write_1h=1_000_000)) == 18.75


def test_a_retired_model_is_refused_for_live_runs_with_its_replacement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine.arms import ArmSpec, RoleSpec
    from engine.trial import TrialConfig, TrialConfigError, check_config

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-used")
    arm = ArmSpec("old", "Opus 4.1 solo", RoleSpec("claude-opus-4-1", "anthropic"))
    with pytest.raises(
        TrialConfigError,
        match=r"claude-opus-4-1 was retired on 2026-08-05; use claude-opus-4-7 instead",
    ):
        check_config(TrialConfig(arm, "tiny", backend="live"))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("claude-sonnet-4-5", "claude-sonnet-4-5 was retired on 2026-11-30; use claude-sonnet-4-6"),
        ("claude-sonnet-4-20250514", "retired on 2026-06-15; use claude-sonnet-4-6"),
        ("claude-opus-4-0", "claude-opus-4-0 was retired on 2026-06-15; use claude-opus-4-8"),
    ],
)
def test_models_retired_since_august_are_refused_for_live_runs(
    monkeypatch: pytest.MonkeyPatch, model: str, message: str
) -> None:
    """The table named Opus 4.1 only; Sonnet 4.5 went on 2026-11-30, Sonnet 4 and Opus 4
    on 2026-06-15: a live trial on them got a 404 after the checks had passed."""
    from engine.arms import ArmSpec, RoleSpec
    from engine.trial import TrialConfig, TrialConfigError, check_config

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-used")
    arm = ArmSpec("old", "retired solo", RoleSpec(model, "anthropic"))
    with pytest.raises(TrialConfigError, match=message):
        check_config(TrialConfig(arm, "tiny", backend="live"))


def test_a_dated_id_runs_against_the_simulator_through_the_sdk() -> None:
    import asyncio

    from engine.arms import ArmSpec, RoleSpec
    from engine.trial import TrialConfig, run_trial

    arm = ArmSpec(
        "dated", "Haiku by its dated id", RoleSpec("claude-haiku-4-5-20251001", "anthropic")
    )
    outcome = asyncio.run(run_trial(TrialConfig(arm, "tiny"), []))
    assert outcome.status == "completed" and outcome.total_cost_usd > 0
