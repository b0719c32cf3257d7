"""The backend protocol the agent loop talks to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.messages import ModelReply, ModelRequest

TextSink = Callable[[str], None]


class BackendError(RuntimeError):
    """A model call that failed for good (after the SDK's own retries); one clear line."""


class ModelBackend(Protocol):
    provider: str

    async def complete(self, request: ModelRequest, on_text: TextSink) -> ModelReply:
        """Send one request; stream text to `on_text` as it arrives; return the whole reply."""
        ...

    async def aclose(self) -> None:
        """Release connections; called once when the trial ends."""
        ...
