"""Token usage in Anthropic's four billing buckets, with cache writes split by TTL.

A msgspec Struct, so the same type is the engine's arithmetic and a usage event's nested
field: a session line whose usage lacks a bucket, or holds a string, is refused when it is
decoded, naming the field, rather than failing later inside a fold. Every bucket is
required; `Usage.of` builds one from the buckets that are not zero.
"""

from __future__ import annotations

from typing import Any

import msgspec

BUCKETS = ("input_tokens", "output_tokens", "cache_write_5m", "cache_write_1h", "cache_read")


class Usage(msgspec.Struct, frozen=True):
    input_tokens: int
    output_tokens: int
    cache_write_5m: int
    cache_write_1h: int
    cache_read: int

    @classmethod
    def of(
        cls,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_write_5m: int = 0,
        cache_write_1h: int = 0,
        cache_read: int = 0,
    ) -> Usage:
        return cls(input_tokens, output_tokens, cache_write_5m, cache_write_1h, cache_read)

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def total_input(self) -> int:
        """Everything the model read: uncached tail + cache writes + cache reads."""
        return self.input_tokens + self.cache_write + self.cache_read

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_5m + other.cache_write_5m,
            self.cache_write_1h + other.cache_write_1h,
            self.cache_read + other.cache_read,
        )

    def to_dict(self) -> dict[str, int]:
        # Spelled out: this runs once per model call.
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_5m": self.cache_write_5m,
            "cache_write_1h": self.cache_write_1h,
            "cache_read": self.cache_read,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        """From a map that may leave buckets out (published rows, role totals)."""
        return cls(*(int(data.get(bucket, 0)) for bucket in BUCKETS))


def cache_writes(total: int, five_min: int | None, one_hour: int | None) -> tuple[int, int]:
    """The (5m, 1h) cache writes of a response. The billed figure is the total
    (`cache_creation_input_tokens`); where the TTL split disagrees with it, the 1h part is
    kept as reported up to the total and the rest counted at the default TTL, 5 minutes
    (API_FACTS section 8). Without a split, every write is at the default."""
    if five_min is None and one_hour is None:
        return total, 0
    hour = min(max(one_hour or 0, 0), total)
    if (five_min or 0) + (one_hour or 0) == total:
        return five_min or 0, one_hour or 0
    return total - hour, hour
