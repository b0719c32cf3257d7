"""The simulator's prompt cache against Anthropic's documented rules (API_FACTS section 1)."""

from __future__ import annotations

import pytest

from engine.caching import CacheRuleError, PromptBlock, PromptCache
from engine.usage import Usage

MODEL = "claude-sonnet-4-6"  # minimum cacheable length 1,024


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def blocks(
    count: int, tokens: int = 100, breakpoints: dict[int, str] | None = None
) -> list[PromptBlock]:
    marks = breakpoints or {}
    return [PromptBlock(tokens, f"block-{i}", marks.get(i)) for i in range(count)]


def test_first_request_writes_the_prefix_and_the_tail_is_input() -> None:
    cache = PromptCache(Clock())
    usage = cache.process(MODEL, blocks(15, breakpoints={11: "5m"}))
    assert usage == Usage.of(input_tokens=300, cache_write_5m=1200)


def test_same_prefix_again_is_read_from_cache() -> None:
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(12, breakpoints={11: "5m"}))
    assert cache.process(MODEL, blocks(12, breakpoints={11: "5m"})) == Usage.of(cache_read=1200)


def test_documented_lookback_example() -> None:
    """Turn 2 (breakpoint 15) hits a write at block 10; turn 3 (breakpoint 35) misses block 15."""
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(11, breakpoints={10: "5m"}))
    turn2 = cache.process(MODEL, blocks(16, breakpoints={15: "5m"}))
    assert turn2.cache_read == 1100  # blocks 0..10
    assert turn2.cache_write_5m == 500  # blocks 11..15
    turn3 = cache.process(MODEL, blocks(36, breakpoints={35: "5m"}))
    assert turn3.cache_read == 0, "block 15 is one position outside the 20-block window"
    assert turn3.cache_write_5m == 3600


def test_write_inside_the_window_is_found() -> None:
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(17, breakpoints={16: "5m"}))
    usage = cache.process(MODEL, blocks(36, breakpoints={35: "5m"}))
    assert usage.cache_read == 1700  # block 16 is the 20th position counting block 35


def test_an_earlier_breakpoint_extends_the_search() -> None:
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(16, breakpoints={15: "5m"}))
    usage = cache.process(MODEL, blocks(36, breakpoints={20: "5m", 35: "5m"}))
    assert usage.cache_read == 1600
    assert usage.cache_write_5m == 2000


def test_prefix_below_the_model_minimum_is_not_cached() -> None:
    cache = PromptCache(Clock())
    short = blocks(10, breakpoints={9: "5m"})  # 1,000 tokens < 1,024
    assert cache.process(MODEL, short) == Usage.of(input_tokens=1000)
    assert cache.process(MODEL, short) == Usage.of(input_tokens=1000), "nothing was written"
    haiku = cache.process("claude-haiku-4-5", blocks(30, breakpoints={29: "5m"}))
    assert haiku == Usage.of(input_tokens=3000), "Haiku 4.5 needs 4,096 tokens"


def test_changed_earlier_block_invalidates_everything_after_it() -> None:
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(12, breakpoints={11: "5m"}))
    changed = blocks(12, breakpoints={11: "5m"})
    changed[0] = PromptBlock(100, "a different tool definition")
    assert cache.process(MODEL, changed).cache_read == 0


def test_entries_expire_after_their_ttl_and_hits_refresh_them() -> None:
    clock = Clock()
    cache = PromptCache(clock)
    request = blocks(12, breakpoints={11: "5m"})
    cache.process(MODEL, request)
    clock.now = 299.0
    assert cache.process(MODEL, request).cache_read == 1200
    clock.now = 299.0 + 299.0  # refreshed at 299, so still alive
    assert cache.process(MODEL, request).cache_read == 1200
    clock.now += 301.0
    assert cache.process(MODEL, request).cache_read == 0


def test_one_hour_and_five_minute_writes_are_billed_by_position() -> None:
    cache = PromptCache(Clock())
    usage = cache.process(MODEL, blocks(20, breakpoints={10: "1h", 15: "5m"}))
    assert usage == Usage.of(input_tokens=400, cache_write_1h=1100, cache_write_5m=500)


def test_a_breakpoint_below_the_minimum_is_skipped_but_later_ones_count() -> None:
    cache = PromptCache(Clock())
    usage = cache.process(MODEL, blocks(20, breakpoints={9: "1h", 15: "5m"}))
    assert usage == Usage.of(input_tokens=400, cache_write_5m=1600), "block 9 ends at 1,000 < 1,024"


def test_one_hour_after_five_minutes_is_rejected() -> None:
    with pytest.raises(CacheRuleError):
        PromptCache(Clock()).process(MODEL, blocks(20, breakpoints={9: "5m", 15: "1h"}))


def test_more_than_four_breakpoints_is_rejected() -> None:
    with pytest.raises(CacheRuleError):
        PromptCache(Clock()).process(
            MODEL, blocks(20, breakpoints={i: "5m" for i in (2, 5, 8, 11, 14)})
        )


def test_automatic_caching_uses_the_last_block_and_a_slot() -> None:
    cache = PromptCache(Clock())
    assert cache.process(MODEL, blocks(12), automatic_ttl="5m") == Usage.of(cache_write_5m=1200)
    with pytest.raises(CacheRuleError):
        cache.process(
            MODEL, blocks(20, breakpoints={i: "5m" for i in (2, 5, 8, 11)}), automatic_ttl="5m"
        )


def test_caches_are_per_model() -> None:
    cache = PromptCache(Clock())
    cache.process(MODEL, blocks(12, breakpoints={11: "5m"}))
    assert cache.process("claude-sonnet-4-5", blocks(12, breakpoints={11: "5m"})).cache_read == 0
