"""The backend protocol the agent loop talks to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from engine.messages import ModelReply, ModelRequest

TextSink = Callable[[str], None]
# (tool_use id, tool name, partial JSON of its input) as the stream delivers it.
ToolInputSink = Callable[[str, str, str], None]


@dataclass(frozen=True)
class FailedAttempt:
    """One failed API attempt, as an SDK hook saw it."""

    status: int
    attempt: int
    will_retry: bool
    retry_after_s: float | None
    message: str


class BackendError(RuntimeError):
    """A model call that failed for good (after the SDK's own retries); one clear line.

    The agent loop fills in `role` and `turn` where the call was made, so an executor
    failure is reported as the executor's even after it passes up through a delegation.
    """

    role: str | None = None
    turn: int | None = None


class ModelBackend(Protocol):
    provider: str

    async def complete(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None = None
    ) -> ModelReply:
        """Send one request; stream text (and, where the API streams it, tool input) as it
        arrives; return the whole reply."""
        ...

    async def aclose(self) -> None:
        """Release connections; called once when the trial ends."""
        ...
