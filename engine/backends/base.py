"""The backend protocol the agent loop talks to. A backend builds its own wire requests
and says what only it can know (where a call's cache reads came from, whether its model
writes tool calls out as text), so the loop never asks which provider it has."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

from engine.messages import ModelReply, ModelRequest
from engine.usage import Usage

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

    def cache_read_sources(self, request: ModelRequest, usage: Usage) -> dict[str, int]:
        """This call's cache reads by where their tokens came from (base, task, own,
        tool_results, summary:N), summing to `usage.cache_read`; {} for a service with no
        prompt cache to attribute."""
        ...

    def call_in_text(self, text: str, tools: Collection[str]) -> str | None:
        """The shape of a tool call the model wrote out as text instead of making it
        (`<function=bash>`), or None. Only some local models do this."""
        ...
