"""A prompt-cache model that follows Anthropic's documented rules (API_FACTS section 1).

- The prefix is tools, then system, then messages, block by block; a hit needs the whole
  prefix identical, so each position is keyed by a running hash of every block up to it.
- Writes happen only at breakpoints (blocks with `cache_control`, or the last block when
  the request carries a top-level `cache_control`); at most 4 breakpoints.
- A read walks back from each breakpoint at most 20 positions, counting the breakpoint
  itself, looking for an entry a prior request wrote.
- A breakpoint whose prefix is shorter than the model's minimum cacheable length is not
  cached, and no error is returned.
- Entries live 5 minutes or 1 hour from the start of the request that wrote or last read
  them; a hit refreshes the lifetime.
- Billing: A = tokens at the highest hit, B = tokens at the highest 1h breakpoint after A,
  C = tokens at the last breakpoint: read A, 1h-write B-A, 5m-write C-B, `input_tokens` is
  the uncached tail after C.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.usage import Usage

LOOKBACK_BLOCKS = 20
MAX_BREAKPOINTS = 4
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}

# Minimum cacheable prompt length per model (prompt-caching docs, 2026-08-21, for Opus 5,
# Fable 5, Opus 4.8 and Sonnet 5 too). The 5.5 models and Fable 5.1 are not in the copies
# of the docs we could read: they take the default.
MIN_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-opus-5": 512,
    "claude-fable-5": 512,
    "claude-opus-4-8": 1024,
    "claude-sonnet-5": 1024,
    "claude-opus-4-7": 2048,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-opus-4-1": 1024,
    "claude-sonnet-4-6": 1024,
    "claude-sonnet-4-5": 1024,
    "claude-haiku-4-5": 4096,
}
DEFAULT_MIN_CACHEABLE = 1024


class CacheRuleError(ValueError):
    """A request the real API rejects with 400 invalid_request_error."""


@dataclass(frozen=True)
class PromptBlock:
    """One cacheable position: its tokens, its content hash, and its breakpoint TTL if any."""

    tokens: int
    content_hash: str
    ttl: str | None = None


def content_hash(block: dict[str, Any]) -> str:
    stripped = {k: v for k, v in block.items() if k != "cache_control"}
    return hashlib.sha256(json.dumps(stripped, sort_keys=True).encode()).hexdigest()


@dataclass
class _Entry:
    expires_at: float
    ttl: str


class PromptCache:
    """Cache entries of one workspace, shared by every model served (keyed per model)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}

    def process(
        self, model: str, blocks: Sequence[PromptBlock], automatic_ttl: str | None = None
    ) -> Usage:
        """Bill one request's input side and update the cache; output tokens are left 0."""
        breakpoints = [i for i, b in enumerate(blocks) if b.ttl is not None]
        ttls: dict[int, str] = {i: b.ttl for i, b in enumerate(blocks) if b.ttl is not None}
        if automatic_ttl is not None and blocks:
            last = len(blocks) - 1
            if last in ttls and ttls[last] != automatic_ttl:
                raise CacheRuleError("automatic cache_control TTL differs from the last block's")
            if last not in ttls:
                if len(breakpoints) >= MAX_BREAKPOINTS:
                    raise CacheRuleError("automatic caching needs a free breakpoint slot (max 4)")
                breakpoints.append(last)
                ttls[last] = automatic_ttl
        if len(breakpoints) > MAX_BREAKPOINTS:
            raise CacheRuleError(
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided"
            )
        _check_ttl_order(breakpoints, ttls)

        keys = _prefix_keys(model, blocks)
        prefix = _prefix_tokens(blocks)
        total = prefix[-1] if prefix else 0
        now = self._clock()
        minimum = MIN_CACHEABLE_TOKENS.get(model, DEFAULT_MIN_CACHEABLE)
        eligible = [b for b in breakpoints if prefix[b] >= minimum]
        if not eligible:
            return Usage.of(input_tokens=total)

        hit = self._find_hit(keys, breakpoints, now)
        read_tokens = prefix[hit] if hit is not None else 0
        last = eligible[-1]
        one_hour = [b for b in eligible if ttls[b] == "1h" and (hit is None or b > hit)]
        b_tokens = prefix[one_hour[-1]] if one_hour else read_tokens
        c_tokens = max(prefix[last], read_tokens)
        for b in eligible:
            self._entries[keys[b]] = _Entry(now + TTL_SECONDS[ttls[b]], ttls[b])
        return Usage.of(
            input_tokens=total - c_tokens,
            cache_write_1h=max(0, b_tokens - read_tokens),
            cache_write_5m=max(0, c_tokens - max(b_tokens, read_tokens)),
            cache_read=read_tokens,
        )

    def _find_hit(
        self, keys: list[tuple[str, str]], breakpoints: list[int], now: float
    ) -> int | None:
        best: int | None = None
        for bp in breakpoints:
            for position in range(bp, max(-1, bp - LOOKBACK_BLOCKS), -1):
                entry = self._entries.get(keys[position])
                if entry is not None and entry.expires_at > now:
                    if best is None or position > best:
                        best = position
                    break
        if best is not None:
            entry = self._entries[keys[best]]
            entry.expires_at = now + TTL_SECONDS[entry.ttl]
        return best


def _prefix_keys(model: str, blocks: Sequence[PromptBlock]) -> list[tuple[str, str]]:
    running = hashlib.sha256(model.encode())
    keys = []
    for block in blocks:
        running.update(block.content_hash.encode())
        keys.append((model, running.hexdigest()))
    return keys


def _prefix_tokens(blocks: Sequence[PromptBlock]) -> list[int]:
    total, out = 0, []
    for block in blocks:
        total += block.tokens
        out.append(total)
    return out


def _check_ttl_order(breakpoints: list[int], ttls: dict[int, str]) -> None:
    seen_5m = False
    for bp in sorted(breakpoints):
        if ttls[bp] == "5m":
            seen_5m = True
        elif ttls[bp] == "1h" and seen_5m:
            raise CacheRuleError("a ttl='1h' cache entry must come before any ttl='5m' entry")
