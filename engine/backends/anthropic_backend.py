"""Anthropic Messages API through the official async SDK, streaming by default.

Usage is read from the SDK's accumulated final message, which merges `message_start`
(input side and the `cache_creation` 5m/1h split) with the cumulative `message_delta`
(API_FACTS 3.2). Retries on 408/409/429/5xx/529 are left to the SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

import anthropic
import httpx
import httpx2

from engine.arms import ADVISOR_BETA
from engine.attribution import attribute_cache_read
from engine.backends.anthropic_format import SourcedBlock, build_request
from engine.backends.base import BackendError, FailedAttempt, TextSink, ToolInputSink
from engine.billing import billing_of
from engine.messages import (
    ModelReply,
    ModelRequest,
    RawBlock,
    ReplyBlock,
    SideUsage,
    TextBlock,
    ToolUseBlock,
)
from engine.usage import Usage, cache_writes

TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
MAX_RETRIES = 2
_RETRYABLE = {408, 409, 429}
MID_STREAM_RETRIES = 2
_MID_STREAM_RETRYABLE = {"overloaded_error", "api_error"}
_BACKOFF_S = 0.5


AttemptSink = Callable[[FailedAttempt], None]


class RetryRecorder:
    """An httpx response hook that reports every failed attempt the SDK sees.

    The SDK retries 408/409/429/5xx itself and says which try a request is in the
    `x-stainless-retry-count` header, so the hook knows whether another try follows.
    """

    def __init__(self, max_retries: int = MAX_RETRIES) -> None:
        self.max_retries = max_retries
        self.sink: AttemptSink | None = None

    async def on_response(self, response: Any) -> None:
        status = int(response.status_code)
        if self.sink is None or not (status in _RETRYABLE or status >= 500):
            return
        attempt = int(response.request.headers.get("x-stainless-retry-count", "0")) + 1
        refused = response.headers.get("x-should-retry", "").lower() == "false"
        retry_after = response.headers.get("retry-after")
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None
        self.sink(
            FailedAttempt(
                status, attempt, attempt <= self.max_retries and not refused, wait, f"HTTP {status}"
            )
        )


def make_client(
    base_url: str | None, api_key: str | None, recorder: RetryRecorder
) -> anthropic.AsyncAnthropic:
    http_client = anthropic.DefaultAsyncHttpxClient(
        event_hooks={"response": [recorder.on_response]}
    )
    options: dict[str, Any] = {"http_client": http_client, "max_retries": recorder.max_retries}
    if base_url is not None:
        options.update(base_url=base_url, api_key=api_key)
    return anthropic.AsyncAnthropic(**options)


class _StreamBroke(Exception):
    """A streamed reply that did not reach a known end: the connection dropped after it
    began, or it closed without message_delta and message_stop. `usage`: what its stream
    reported before it broke (message_start's input side), which the API bills."""

    def __init__(self, message: str, usage: Usage) -> None:
        super().__init__(message)
        self.usage = usage


def _reported(stream: Any) -> Usage:
    """The usage a broken stream reported so far, or nothing if it reported none."""
    try:
        return usage_from_sdk(stream.current_message_snapshot.usage)
    except Exception:  # no message_start yet: the SDK has no snapshot to give
        return Usage.of()


class AnthropicBackend:
    provider = "anthropic"

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        streaming: bool = True,
        advisor_model: str | None = None,
    ) -> None:
        self.client = client
        self.streaming = streaming
        self.retries: RetryRecorder | None = None
        # With an advisor the call goes through the beta API with the advisor header.
        self.advisor_model = advisor_model
        # The last request sent and its blocks by source, for cache_read_sources: the
        # loop asks about the call it just made, so the request is not built again.
        self._sent: tuple[ModelRequest, list[SourcedBlock]] | None = None

    async def complete(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None = None
    ) -> ModelReply:
        """One call. An error event mid-stream (`overloaded_error`, `api_error`) comes with
        HTTP 200, so the SDK does not retry it; no tool has run yet, so the call is made
        again, at most MID_STREAM_RETRIES times with backoff, each failure reported."""
        broke_before = False
        spent = Usage.of()
        for attempt in range(1, MID_STREAM_RETRIES + 2):
            try:
                reply = await self._complete_once(request, on_text, on_tool_input)
                return replace(reply, usage=reply.usage + spent) if broke_before else reply
            except _StreamBroke as broke:
                spent = spent + broke.usage
                # SDK 2.17 raises a dropped connection from _streaming.py, outside its own
                # retry loop, and a stream without message_delta/message_stop leaves
                # stop_reason null (API_FACTS section 8): neither is a known end. No tool
                # has run; the partial reply is dropped and the call made once more.
                if self.retries is not None and self.retries.sink is not None:
                    wait = None if broke_before else _BACKOFF_S
                    self.retries.sink(
                        FailedAttempt(200, attempt, not broke_before, wait, str(broke))
                    )
                if broke_before:
                    raise BackendError(f"anthropic: {broke}, again after one retry") from broke
                broke_before = True
                await asyncio.sleep(_BACKOFF_S)
            except anthropic.APIStatusError as exc:
                kind = _error_type(exc)
                retry = (
                    exc.status_code == 200
                    and kind in _MID_STREAM_RETRYABLE
                    and attempt <= MID_STREAM_RETRIES
                )
                if (
                    self.retries is not None
                    and self.retries.sink is not None
                    and exc.status_code == 200
                ):
                    wait = _BACKOFF_S * 2 ** (attempt - 1) if retry else None
                    self.retries.sink(
                        FailedAttempt(200, attempt, retry, wait, f"mid-stream {kind}")
                    )
                if not retry:
                    raise BackendError(_status_line(exc)) from exc
                await asyncio.sleep(_BACKOFF_S * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _complete_once(
        self, request: ModelRequest, on_text: TextSink, on_tool_input: ToolInputSink | None
    ) -> ModelReply:
        kwargs, sourced = build_request(request)
        self._sent = (request, sourced)
        messages: Any = self.client.messages
        if self.advisor_model is not None:
            messages = self.client.beta.messages
            kwargs["betas"] = [ADVISOR_BETA]
        tool = ("", "")
        started = False
        stream: Any = None
        try:
            if self.streaming:
                async with messages.stream(**kwargs) as stream:
                    async for event in stream:
                        started = True
                        if event.type == "text":
                            on_text(event.text)
                        elif event.type == "content_block_start":
                            block = event.content_block
                            if block.type == "tool_use":
                                tool = (block.id, block.name)
                        elif event.type == "input_json" and on_tool_input and event.partial_json:
                            on_tool_input(tool[0], tool[1], event.partial_json)
                    if stream.current_message_snapshot.stop_reason is None:
                        raise _StreamBroke(
                            "the stream ended without its final events (no message_delta "
                            "or message_stop)",
                            _reported(stream),
                        )
                    message = await stream.get_final_message()
            else:
                message = await messages.create(**kwargs)
                for block in message.content:
                    if block.type == "text":
                        on_text(block.text)
        except anthropic.APIConnectionError as exc:
            if started:
                raise _StreamBroke(
                    f"the connection dropped mid-stream ({exc})", _reported(stream)
                ) from exc
            raise BackendError(f"anthropic: cannot reach {self.client.base_url} ({exc})") from exc
        except TRANSPORT_ERRORS as exc:
            # A connection lost mid-stream is not wrapped by the SDK (seen with a dropped
            # socket after the 200): the raw transport error reaches the caller.
            raise _StreamBroke(f"the stream broke off ({exc})", _reported(stream)) from exc
        return reply_from_message(message, self.advisor_model)

    async def aclose(self) -> None:
        await self.client.close()

    def cache_read_sources(self, request: ModelRequest, usage: Usage) -> dict[str, int]:
        # The blocks as this backend sent them, each with the source that put it there.
        sent = self._sent
        sourced = sent[1] if sent is not None and sent[0] is request else build_request(request)[1]
        return attribute_cache_read(sourced, request.model, usage)

    def call_in_text(self, text: str, tools: Collection[str]) -> str | None:
        return None


def reply_from_message(message: Any, advisor_model: str | None = None) -> ModelReply:
    blocks: list[ReplyBlock] = []
    for block in message.content:
        if block.type == "text":
            blocks.append(TextBlock(block.text))
        elif block.type == "tool_use":
            blocks.append(ToolUseBlock(block.id, block.name, dict(block.input)))
        else:
            # server_tool_use / advisor_tool_result: must go back exactly as they came.
            blocks.append(RawBlock(block.model_dump(mode="json", exclude_none=True)))
    usage: Usage = usage_from_sdk(message.usage)
    side: tuple[SideUsage, ...] = ()
    iterations = getattr(message.usage, "iterations", None)
    if iterations:
        usage, side = split_iterations(iterations, usage, advisor_model)
    return ModelReply(
        tuple(blocks),
        str(message.stop_reason),
        usage,
        {"request_id": str(message.id)},
        side,
        billing=billing_of(
            getattr(message.usage, "inference_geo", None),
            getattr(message.usage, "service_tier", None),
        ),
        notes=_split_note(message.usage),
    )


def _split_note(usage: Any) -> tuple[str, ...]:
    """A note when the 5m/1h split of cache writes disagrees with their billed total."""
    split = getattr(usage, "cache_creation", None)
    if split is None:
        return ()
    total = int(usage.cache_creation_input_tokens or 0)
    five = int(split.ephemeral_5m_input_tokens or 0)
    hour = int(split.ephemeral_1h_input_tokens or 0)
    if five + hour == total:
        return ()
    return (
        f"usage: the cache-write split (5m {five:,} + 1h {hour:,}) disagrees with "
        f"cache_creation_input_tokens {total:,}; the total is billed",
    )


def split_iterations(
    iterations: Any, top_level: Usage, advisor_model: str | None
) -> tuple[Usage, tuple[SideUsage, ...]]:
    """Usage summed from `usage.iterations` ourselves, per kind: the documented meaning of
    the top-level fields changed in 2026 (API_FACTS section 4).

    - `message` and `compaction`: the requested model (the executor);
    - `advisor_message`: the advisor, at its own model's rates;
    - `fallback_message`: a fallback model that served the call, at its own rates
      (billed to the `fallback` role).

    Each iteration's own `cache_creation` gives its 5m/1h split; only when none has one is
    the top level's 1h count moved onto the executor's writes."""
    executor, advisor = Usage.of(), Usage.of()
    fallbacks: dict[str, Usage] = {}
    model = advisor_model or "advisor"
    own_split = False
    for item in iterations:
        part, split = _iteration_usage(item)
        own_split = own_split or split
        kind = getattr(item, "type", "")
        if kind == "advisor_message":
            advisor = advisor + part
            model = str(getattr(item, "model", None) or model)
        elif kind == "fallback_message":
            served_by = str(getattr(item, "model", None) or "fallback")
            fallbacks[served_by] = fallbacks.get(served_by, Usage.of()) + part
        else:
            executor = executor + part
    if top_level.cache_write_1h and not own_split:
        # Only the top level carries the TTL split; move that much to the 1h bucket.
        moved = min(top_level.cache_write_1h, executor.cache_write_5m)
        executor = replace(
            executor, cache_write_5m=executor.cache_write_5m - moved, cache_write_1h=moved
        )
    side = [SideUsage("advisor", model, advisor)] if advisor != Usage.of() else []
    side += [SideUsage(FALLBACK_ROLE, m, u) for m, u in fallbacks.items()]
    return executor, tuple(side)


FALLBACK_ROLE = "fallback"


def _iteration_usage(item: Any) -> tuple[Usage, bool]:
    """One iteration's usage, and whether it carried its own cache-write TTL split."""
    written = int(getattr(item, "cache_creation_input_tokens", 0) or 0)
    split = getattr(item, "cache_creation", None)
    one_hour = int(getattr(split, "ephemeral_1h_input_tokens", 0) or 0) if split else 0
    five_min = int(getattr(split, "ephemeral_5m_input_tokens", 0) or 0) if split else written
    usage = Usage(
        input_tokens=int(getattr(item, "input_tokens", 0) or 0),
        output_tokens=int(getattr(item, "output_tokens", 0) or 0),
        cache_write_5m=five_min,
        cache_write_1h=one_hour,
        cache_read=int(getattr(item, "cache_read_input_tokens", 0) or 0),
    )
    return usage, split is not None


def usage_from_sdk(usage: Any) -> Usage:
    written = int(usage.cache_creation_input_tokens or 0)
    split = getattr(usage, "cache_creation", None)
    if split is not None:
        five_min, one_hour = cache_writes(
            written,
            int(split.ephemeral_5m_input_tokens or 0),
            int(split.ephemeral_1h_input_tokens or 0),
        )
    else:
        five_min, one_hour = written, 0
    return Usage(
        input_tokens=int(usage.input_tokens or 0),
        output_tokens=int(usage.output_tokens or 0),
        cache_write_5m=five_min,
        cache_write_1h=one_hour,
        cache_read=int(usage.cache_read_input_tokens or 0),
    )


def _error_type(exc: anthropic.APIStatusError) -> str:
    if isinstance(exc.body, dict):
        error = exc.body.get("error")
        if isinstance(error, dict):
            return str(error.get("type"))
    return "error"


def _status_line(exc: anthropic.APIStatusError) -> str:
    detail = exc.message
    if isinstance(exc.body, dict):
        error = exc.body.get("error")
        if isinstance(error, dict):
            detail = f"{error.get('type')}: {error.get('message')}"
    status = "mid-stream error" if exc.status_code == 200 else f"HTTP {exc.status_code}"
    return f"anthropic: {status}: {detail}"
