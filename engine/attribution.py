"""Re-read attribution: split a call's cache-read tokens by where the tokens came from.

The cached prefix is the front of the prompt (tools, system, then messages in order). Each
block is counted with tiktoken, the counts are scaled so they add up to the total input the
API reported, and the first `cache_read` tokens of that sequence are credited to their
sources. For the simulator the scale is 1; for live calls it absorbs tokenizer differences.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from engine.tokens import count_wire_block, tool_use_overhead
from engine.usage import Usage


def attribute_cache_read(
    sourced_blocks: Sequence[tuple[str, dict[str, Any]]], model: str, usage: Usage
) -> dict[str, int]:
    if usage.cache_read <= 0 or not sourced_blocks:
        return {}
    counts: list[tuple[str, int]] = []
    for index, (source, block) in enumerate(sourced_blocks):
        tokens = count_wire_block(block)
        if index == 0 and (
            "input_schema" in block or str(block.get("type", "")).startswith("advisor_")
        ):
            tokens += tool_use_overhead(model)
        counts.append((source, tokens))
    return attribute_counts(counts, usage)


def attribute_counts(counts: Sequence[tuple[str, int]], usage: Usage) -> dict[str, int]:
    """Credit `usage.cache_read` to the front of a prompt given as counted blocks
    (source, tokens), after scaling the counts to the input the API reported."""
    if usage.cache_read <= 0 or not counts:
        return {}
    counted = sum(n for _, n in counts)
    scale = usage.total_input / counted if counted else 1.0
    shares: dict[str, float] = {}
    remaining = float(usage.cache_read)
    for source, tokens in counts:
        if remaining <= 0:
            break
        take = min(tokens * scale, remaining)
        shares[source] = shares.get(source, 0.0) + take
        remaining -= take
    if remaining > 0:
        # Counted prefix shorter than reported (tokenizer mismatch): spread the rest pro rata.
        whole = sum(shares.values()) or 1.0
        for source in shares:
            shares[source] += remaining * shares[source] / whole
    return round_to_total(shares, usage.cache_read)


def round_to_total(shares: dict[str, float], total: int) -> dict[str, int]:
    """Integer shares that sum exactly to `total` (largest remainder method)."""
    floors = {k: math.floor(v) for k, v in shares.items()}
    short = total - sum(floors.values())
    by_remainder = sorted(shares, key=lambda k: shares[k] - floors[k], reverse=True)
    for key in by_remainder[: max(0, short)]:
        floors[key] += 1
    return {k: v for k, v in floors.items() if v}


class PromptPrefix:
    """A prompt's blocks (source, tokens) made ready to credit any prefix of it, as
    `attribute_counts` credits that prefix, in time that grows with the sources, not the
    blocks: a long session's calls each read a prefix of one growing prompt, and walking
    every block of every call was quadratic (5 s of a 20 MB session's 6 s import)."""

    def __init__(self, blocks: Sequence[tuple[str, int]]) -> None:
        self.cumulative = [0]
        self.sources: list[str] = []
        # Per source: the block positions it holds and its running total after each.
        self._positions: dict[str, list[int]] = {}
        self._totals: dict[str, list[int]] = {}
        for position, (source, tokens) in enumerate(blocks):
            self.cumulative.append(self.cumulative[-1] + tokens)
            if source not in self._positions:
                self.sources.append(source)
                self._positions[source], self._totals[source] = [], []
            held = self._totals[source]
            self._positions[source].append(position)
            held.append((held[-1] if held else 0) + tokens)

    def _within(self, source: str, blocks: int) -> int:
        """The tokens `source` holds in the first `blocks` blocks."""
        count = bisect.bisect_left(self._positions[source], blocks)
        return self._totals[source][count - 1] if count else 0

    def credit(self, blocks: int, usage: Usage) -> dict[str, int]:
        """`attribute_counts` of the first `blocks` blocks."""
        if usage.cache_read <= 0 or blocks <= 0:
            return {}
        counted = self.cumulative[blocks]
        scale = usage.total_input / counted if counted else 1.0
        # Blocks wholly credited: the first `whole`, where their scaled sum fits the read.
        whole = bisect.bisect_right(self.cumulative, usage.cache_read / scale, 0, blocks + 1) - 1
        shares: dict[str, float] = {}
        for source in self.sources:
            held = self._within(source, whole)
            if held:
                shares[source] = held * scale
        remaining = usage.cache_read - self.cumulative[whole] * scale
        if whole < blocks and remaining > 0:
            cut = self._source_of(whole)
            shares[cut] = shares.get(cut, 0.0) + remaining
        elif remaining > 0:
            # Counted prefix shorter than reported (tokenizer mismatch): the rest pro rata.
            total = sum(shares.values()) or 1.0
            for source in shares:
                shares[source] += remaining * shares[source] / total
        ordered = {s: shares[s] for s in self.sources if s in shares}
        return round_to_total(ordered, usage.cache_read)

    def _source_of(self, position: int) -> str:
        for source in self.sources:
            positions = self._positions[source]
            at = bisect.bisect_left(positions, position)
            if at < len(positions) and positions[at] == position:
                return source
        raise IndexError(position)
