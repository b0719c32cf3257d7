"""A deterministic fake model for tests: replays a fixed list of replies, records requests."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from engine.backends.base import BackendError, TextSink, ToolInputSink
from engine.messages import ModelReply, ModelRequest, TextBlock, ToolUseBlock
from engine.usage import Usage


def tool_turn(*calls: tuple[str, dict[str, object]], text: str = "Working.") -> ModelReply:
    blocks: list[TextBlock | ToolUseBlock] = [TextBlock(text)]
    blocks += [ToolUseBlock(f"call_{n}", name, dict(args)) for n, (name, args) in enumerate(calls)]
    return ModelReply(tuple(blocks), "tool_use", Usage.of(input_tokens=10, output_tokens=5))


def final_turn(text: str) -> ModelReply:
    return ModelReply((TextBlock(text),), "end_turn", Usage.of(input_tokens=10, output_tokens=5))


class ScriptedBackend:
    provider = "scripted"

    def __init__(self, replies: Sequence[ModelReply]) -> None:
        self._replies = list(replies)
        self.requests: list[ModelRequest] = []

    async def complete(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None = None
    ) -> ModelReply:
        self.requests.append(request)
        if not self._replies:
            raise BackendError("scripted backend ran out of replies")
        reply = self._replies.pop(0)
        if reply.text:
            on_text(reply.text)
        return reply

    def cache_read_sources(self, request: ModelRequest, usage: Usage) -> dict[str, int]:
        return {}

    def call_in_text(self, text: str, tools: Collection[str]) -> str | None:
        return None

    async def aclose(self) -> None:
        pass
