"""Faults the simulator can inject, scheduled by request attempt number per API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "rate_limit",  # 429 with retry-after
    "overloaded",  # 529 overloaded_error
    "server_error",  # 500 api_error
    "mid_stream_error",  # an `error` event (or NDJSON error line) after some output
    "drop_connection",  # the socket closes mid-stream
    "slow_stream",  # every event is delayed by `delay_s`
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "rate_limit",
    "overloaded",
    "server_error",
    "mid_stream_error",
    "drop_connection",
    "slow_stream",
)


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    # 1-based attempt number on `api`; retries by the SDK are new attempts.
    attempt: int
    api: Literal["anthropic", "ollama"] = "anthropic"
    retry_after_s: float = 0.2
    delay_s: float = 0.05
