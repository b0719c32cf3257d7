"""Ollama chat through the official async client, streaming, tools on.

The client drops tool-call ids (API_FACTS 6.2), so ids are made here; tool results go
back with `tool_name`. Tokens and durations are recorded; a local model is priced at $0.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import httpx
import ollama

from engine.backends.base import BackendError, TextSink, ToolInputSink
from engine.messages import (
    ModelReply,
    ModelRequest,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from engine.tokens import count_text
from engine.tool_text import tool_call_in_text
from engine.usage import Usage

_NS = 1_000_000_000


# Waits before each retry of a busy (503) Ollama; the reply that follows is billed nothing
# extra (local), only the wall time grows.
BUSY_RETRY_WAITS_S = (1.0, 2.0)


# ollama-python's client has no timeout of its own (httpx's is switched off): a server that
# stops answering would hang the trial for ever. Between two streamed chunks it may wait
# this long: loading a model from a slow disk and evaluating a long prompt on a CPU come
# before the first chunk.
READ_TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 10.0


def ollama_client(host: str) -> ollama.AsyncClient:
    return ollama.AsyncClient(
        host=host, timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    )


class _Busy(Exception):
    """Ollama's request queue was full (HTTP 503) before anything streamed."""


class OllamaBackend:
    provider = "ollama"

    def __init__(self, client: ollama.AsyncClient, host: str) -> None:
        self.client = client
        self.host = host
        self._calls = 0

    async def complete(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None = None
    ) -> ModelReply:
        # ollama-python never retries (_client.py). A 503 is Ollama's full request queue,
        # which it asks to be tried again; a 500 (a runner crash, or its parser rejecting
        # the model's tool-call text, which repeats for the same conversation) is not.
        for wait_s in BUSY_RETRY_WAITS_S:
            try:
                return await self._complete_once(request, on_text, on_tool_input)
            except _Busy:
                await asyncio.sleep(wait_s)
        try:
            return await self._complete_once(request, on_text, on_tool_input)
        except _Busy as busy:
            raise BackendError(
                f"ollama: HTTP 503: {busy.args[0]} (still busy after "
                f"{len(BUSY_RETRY_WAITS_S)} retries)"
            ) from busy

    async def _complete_once(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None
    ) -> ModelReply:
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolUseBlock] = []
        final: Any = None
        messages = build_messages(request)
        if request.num_ctx is not None:
            # Past num_ctx, Ollama drops the oldest messages without a word (server/
            # prompt.go, logged at debug level): the executor would lose its instruction.
            size = prompt_tokens(messages, request)
            if size > request.num_ctx:
                raise BackendError(
                    f"ollama: the prompt is about {size:,} tokens, over num_ctx "
                    f"{request.num_ctx:,}; Ollama would drop the oldest messages silently. "
                    "Raise --num-ctx (or num_ctx in the arms file)"
                )
        try:
            stream = await self.client.chat(
                model=request.model,
                messages=messages,
                tools=build_tools(request),
                stream=True,
                options=options(request),
            )
            async for chunk in stream:
                # Thinking-capable models think by default and stream it apart from content.
                if chunk.message.thinking:
                    thinking.append(chunk.message.thinking)
                if chunk.message.content:
                    content.append(chunk.message.content)
                    on_text(chunk.message.content)
                for call in chunk.message.tool_calls or ():
                    self._calls += 1
                    arguments = dict(call.function.arguments or {})
                    calls.append(
                        ToolUseBlock(f"ollama_call_{self._calls}", call.function.name, arguments)
                    )
                if chunk.done:
                    final = chunk
        except ollama.ResponseError as exc:
            if exc.status_code == 503 and not content and not calls:
                raise _Busy(exc.error) from exc
            where = "mid-stream error" if exc.status_code == -1 else f"HTTP {exc.status_code}"
            raise BackendError(f"ollama: {where}: {exc.error}") from exc
        except httpx.TimeoutException as exc:
            # Not "cannot reach": it answered once, then went quiet (a stuck runner).
            raise BackendError(
                f"ollama: {self.host} sent nothing for {READ_TIMEOUT_S:g} s (timed out); "
                "is the model still loading or the server stuck?"
            ) from exc
        except (ConnectionError, httpx.HTTPError) as exc:
            raise BackendError(
                f"ollama: cannot reach {self.host} (set OLLAMA_HOST): {exc}"
            ) from exc
        if final is None:
            raise BackendError("ollama: the stream ended without a final `done` chunk")
        blocks: list[ThinkingBlock | TextBlock | ToolUseBlock] = []
        if thinking:
            blocks.append(ThinkingBlock("".join(thinking)))
        if content:
            blocks.append(TextBlock("".join(content)))
        blocks += calls
        usage = Usage.of(
            input_tokens=int(final.prompt_eval_count or 0), output_tokens=int(final.eval_count or 0)
        )
        # omitempty: an absent count was not taken; it is not a zero.
        unknown = tuple(
            bucket
            for bucket, value in (
                ("input_tokens", final.prompt_eval_count),
                ("output_tokens", final.eval_count),
            )
            if value is None
        )
        extra = {
            "total_s": (final.total_duration or 0) / _NS,
            "prompt_eval_s": (final.prompt_eval_duration or 0) / _NS,
            "eval_s": (final.eval_duration or 0) / _NS,
            "load_s": (final.load_duration or 0) / _NS,
        }
        # done_reason "length", or nothing at all, is a reply cut short, not a finish. A
        # model that thought and then stopped (done_reason "stop", thinking only) was not
        # cut: it is an empty end of turn, which the loop asks to continue.
        if final.done_reason == "length" or not (content or calls or thinking):
            stop = "max_tokens"
        elif not (content or calls):
            stop = "end_turn"
        else:
            stop = "tool_use" if calls else str(final.done_reason or "stop")
        return ModelReply(tuple(blocks), stop, usage, extra, unknown=unknown)

    def cache_read_sources(self, request: ModelRequest, usage: Usage) -> dict[str, int]:
        # Ollama reports no cache reads (a reused KV prefix is not billed or counted).
        return {}

    def call_in_text(self, text: str, tools: Collection[str]) -> str | None:
        return tool_call_in_text(text, tools)

    async def aclose(self) -> None:
        # ollama-python leaves `close` unannotated; give it its real type once, here.
        close: Callable[[], Awaitable[None]] = self.client.close
        await close()


def options(request: ModelRequest) -> dict[str, int]:
    sent = {"num_predict": request.max_tokens}
    if request.num_ctx is not None:
        sent["num_ctx"] = request.num_ctx
    return sent


def tool_dicts(request: ModelRequest) -> list[dict[str, Any]]:
    """The tools as the Ollama chat API documents them."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
            },
        }
        for t in request.tools
    ]


def prompt_tokens(messages: list[dict[str, Any]], request: ModelRequest) -> int:
    """The prompt's size as tiktoken counts it: an estimate of the model's own count (Qwen's
    tokenizer differs by some percent), enough to catch a prompt that cannot fit."""
    texts = [str(m.get("content", "")) for m in messages]
    texts += [json.dumps(m["tool_calls"]) for m in messages if m.get("tool_calls")]
    texts += [json.dumps(t.input_schema) + t.description for t in request.tools]
    return sum(count_text(text) for text in texts)


def build_tools(request: ModelRequest) -> list[ollama.Tool]:
    """Tools in a form ollama-python sends whole.

    Given dicts, the client re-validates them through its `Tool` model, which keeps only
    type/items/description/enum of each property: nested `properties`, `minimum`,
    `additionalProperties` vanish (API_FACTS 6.2). A `Tool` built without validation is
    passed through untouched and serialised as given.
    """
    return [ollama.Tool.model_construct(**tool) for tool in tool_dicts(request)]


# model_construct leaves `function` a plain dict; pydantic warns when serialising it.
warnings.filterwarnings(
    "ignore", message=r"Pydantic serializer warnings:\s+PydanticSerializationUnexpectedValue"
)


def build_messages(request: ModelRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
    for message in request.messages:
        texts = [b.text for b in message.blocks if isinstance(b, TextBlock)]
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
            thought = "".join(b.text for b in message.blocks if isinstance(b, ThinkingBlock))
            if thought:
                entry["thinking"] = thought
            uses = [b for b in message.blocks if isinstance(b, ToolUseBlock)]
            if uses:
                entry["tool_calls"] = [
                    {"function": {"name": u.name, "arguments": u.input}} for u in uses
                ]
            out.append(entry)
            continue
        for block in message.blocks:
            if isinstance(block, ToolResultBlock):
                out.append({"role": "tool", "tool_name": block.tool_name, "content": block.content})
        if texts:
            out.append({"role": "user", "content": "".join(texts)})
    return out
