"""Token usage in Anthropic's four billing buckets, with cache writes split by TTL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BUCKETS = ("input_tokens", "output_tokens", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

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
        # Spelled out: dataclasses.asdict deep-copies, and this runs once per model call.
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_5m": self.cache_write_5m,
            "cache_write_1h": self.cache_write_1h,
            "cache_read": self.cache_read,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(**{k: int(data.get(k, 0)) for k in cls.__dataclass_fields__})
