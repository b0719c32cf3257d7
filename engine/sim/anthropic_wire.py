"""The Anthropic Messages wire format, as the simulator reads and writes it.

Shapes follow the streaming and API reference pages (API_FACTS section 3): every SSE event
has an `event:` line and a `data:` line whose `type` matches; usage is in `message_start`
(input side, cache fields, `cache_creation` split) and, cumulative, in `message_delta`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.arms import ADVISOR_TOOL_TYPE
from engine.billing import INFERENCE_GEOS, accepts_inference_geo
from engine.caching import PromptBlock, content_hash
from engine.claude_models import claude_version
from engine.sim.agents import (
    PlannedTurn,
    ToolResultView,
    Transcript,
)
from engine.tokens import count_text, count_wire_block, tool_use_overhead
from engine.usage import Usage

_DELTA_WORDS = 3


class WireError(ValueError):
    """A request the real API answers with 400 invalid_request_error."""


@dataclass(frozen=True)
class ParsedRequest:
    model: str
    stream: bool
    max_tokens: int
    blocks: tuple[PromptBlock, ...]
    automatic_ttl: str | None
    transcript: Transcript
    # The id of the advisor call a `pause_turn` left pending: the request ends with that
    # assistant turn, sent back unchanged, and the reply continues it.
    paused_call: str | None = None
    # Where the request asked inference to run ("global" when it did not say).
    inference_geo: str = "global"


# Every top-level field of a Messages request (api/messages/create.md); anything else is
# refused, as the API refuses it.
_REQUEST_FIELDS = frozenset(
    {
        "model", "messages", "max_tokens", "system", "tools", "tool_choice", "stream",
        "metadata", "stop_sequences", "temperature", "top_p", "top_k", "thinking",
        "cache_control", "service_tier", "container", "mcp_servers", "context_management",
        "output_config", "inference_geo", "speed",
    }
)  # fmt: skip
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# The smallest output limit of the current Claude models (engine/loop.py raises no higher).
MAX_OUTPUT_TOKENS = 64_000


def _check_request(body: dict[str, Any], messages: list[Any], max_tokens: int) -> None:
    """What the real API answers with 400 invalid_request_error, in its words."""
    for name in body:
        if name not in _REQUEST_FIELDS:
            raise WireError(f"{name}: Extra inputs are not permitted")
    if not 1 <= max_tokens <= MAX_OUTPUT_TOKENS:
        raise WireError(
            f"max_tokens: {max_tokens} is outside 1..{MAX_OUTPUT_TOKENS}, the range of "
            f"output tokens allowed for {body.get('model')}"
        )
    for index, tool in enumerate(body.get("tools") or []):
        name = str(tool.get("name", ""))
        if tool.get("type") in (None, "custom") and not _TOOL_NAME.match(name):
            raise WireError(
                f"tools.{index}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            )
    if _no_sampling(str(body.get("model"))):
        # Opus 4.7 and later: "`temperature` is deprecated for this model." (a 400, as
        # reported against the API by LiteLLM #26444 and ComfyUI #13923); the same for
        # top_p and top_k, and thinking other than adaptive.
        for name in ("temperature", "top_p", "top_k"):
            if name in body:
                raise WireError(f"`{name}` is deprecated for this model.")
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") == "enabled":
            raise WireError(
                '"thinking.type.enabled" is not supported for this model. Use '
                '"thinking.type.adaptive" and "output_config.effort" to control thinking '
                "behavior."
            )
    geo = body.get("inference_geo")
    if geo is not None:
        if geo not in INFERENCE_GEOS:
            raise WireError("inference_geo: Input should be 'global' or 'us'")
        if not accepts_inference_geo(str(body.get("model"))):
            # docs manage-claude/data-residency: "Requests with inference_geo on legacy
            # models return a 400 error."
            raise WireError(f"inference_geo: not supported for model {body.get('model')}")
    if messages[0].get("role") != "user":
        raise WireError('messages: first message must use the "user" role')
    for index, message in enumerate(messages):
        content = message.get("content")
        parts = content if isinstance(content, list) else []
        pending = _pending_server_calls(parts)
        if pending and index + 1 < len(messages):
            raise WireError(
                f"messages.{index}: `server_tool_use` ids were found without a result block "
                f"after them: {', '.join(pending)}. After a pause_turn, send the assistant turn "
                "back as the last message, unchanged."
            )
        uses = [p.get("id") for p in parts if p.get("type") == "tool_use"]
        if not uses or message.get("role") != "assistant":
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        answered = {
            p.get("tool_use_id")
            for p in (following or {}).get("content", [])
            if isinstance(p, dict) and p.get("type") == "tool_result"
        }
        missing = [u for u in uses if u not in answered]
        # "tool_result blocks must come FIRST in the content array; any text must come
        # AFTER all tool results" (docs: tool-use/handle-tool-calls): text before them is
        # a 400, worded as the results' absence.
        after = (following or {}).get("content", [])
        first_other = next(
            (
                i
                for i, p in enumerate(after)
                if isinstance(p, dict) and p.get("type") != "tool_result"
            ),
            len(after),
        )
        if any(isinstance(p, dict) and p.get("type") == "tool_result" for p in after[first_other:]):
            missing = missing or [str(u) for u in uses]
        if following is not None and missing:
            raise WireError(
                f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(map(str, missing))}. Each `tool_use` block "
                "must have a corresponding `tool_result` block in the next message."
            )


def _pending_server_calls(parts: list[Any]) -> list[str]:
    """Server tool calls in a message with no result block after them in it."""
    answered = {p.get("tool_use_id") for p in parts if str(p.get("type", "")).endswith("_result")}
    return [
        str(p.get("id"))
        for p in parts
        if p.get("type") == "server_tool_use" and p.get("id") not in answered
    ]


def parse_request(body: dict[str, Any]) -> ParsedRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise WireError("model: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise WireError("messages: at least one message is required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int):
        raise WireError("max_tokens: Field required")
    _check_request(body, messages, max_tokens)
    tools = body.get("tools") or []
    system = body.get("system") or []
    system_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system)

    blocks: list[PromptBlock] = []
    for index, tool in enumerate(tools):
        extra = tool_use_overhead(model) if index == 0 else 0
        blocks.append(_block(tool, count_wire_block(tool) + extra))
    for block in system_blocks:
        blocks.append(_block(block, count_wire_block(block)))
    tool_names: dict[str, str] = {}
    results: list[ToolResultView] = []
    assistant_turns = 0
    for message in messages:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        if message.get("role") == "assistant":
            assistant_turns += 1
        for part in parts:
            if part.get("type") == "text" and not str(part.get("text") or "").strip():
                raise WireError("messages: text content blocks must contain non-whitespace text")
            blocks.append(_block(part, count_wire_block(part)))
            if part.get("type") == "tool_use":
                tool_names[str(part.get("id"))] = str(part.get("name"))
            elif part.get("type") == "tool_result":
                text = part.get("content", "")
                if isinstance(text, list):
                    text = "".join(str(p.get("text", "")) for p in text)
                name = tool_names.get(str(part.get("tool_use_id")), "unknown")
                results.append(ToolResultView(name, str(text), bool(part.get("is_error"))))
    advisor = next((t for t in tools if t.get("type") == ADVISOR_TOOL_TYPE), None)
    last = messages[-1]
    paused = (
        _pending_server_calls(last.get("content") or [])
        if last.get("role") == "assistant" and isinstance(last.get("content"), list)
        else []
    )
    if paused:
        # The paused turn is the one being continued, not a finished one.
        assistant_turns -= 1
    top_level = body.get("cache_control")
    automatic_ttl = str(top_level.get("ttl", "5m")) if isinstance(top_level, dict) else None
    system_text = "".join(str(b.get("text", "")) for b in system_blocks)
    first = messages[0].get("content")
    first_text = (
        first
        if isinstance(first, str)
        else "".join(str(p.get("text", "")) for p in first if p.get("type") == "text")
    )
    transcript = Transcript.of_request(
        model,
        system_text,
        {str(t.get("name")): t.get("input_schema") for t in tools},
        first_text,
        assistant_turns,
        tuple(results),
        str(advisor["model"]) if advisor else None,
    )
    prompt = sum(b.tokens for b in blocks)
    window = context_window(model)
    if prompt > window:
        # The API's own words for a prompt past the model's context window (a 400).
        raise WireError(f"prompt is too long: {prompt} tokens > {window} maximum")
    return ParsedRequest(
        model,
        bool(body.get("stream")),
        max_tokens,
        tuple(blocks),
        automatic_ttl,
        transcript,
        paused[0] if paused else None,
        str(body.get("inference_geo") or "global"),
    )


def _block(block: dict[str, Any], tokens: int) -> PromptBlock:
    control = block.get("cache_control")
    ttl = str(control.get("ttl", "5m")) if isinstance(control, dict) else None
    return PromptBlock(tokens, content_hash(block), ttl)


def content_blocks(turn: PlannedTurn, id_prefix: str) -> list[dict[str, Any]]:
    """The reply's blocks. With advice: text, the advisor call and its result, then the
    rest; `advice_split` says where the first executor iteration ends."""
    blocks: list[dict[str, Any]] = []
    if turn.text:
        blocks.append({"type": "text", "text": turn.text})
    if turn.advice:
        server_id = f"srvtoolu_{id_prefix.removeprefix('toolu_')}"
        blocks.append({"type": "server_tool_use", "id": server_id, "name": "advisor", "input": {}})
        blocks.append(
            {
                "type": "advisor_tool_result",
                "tool_use_id": server_id,
                "content": {"type": "advisor_result", "text": turn.advice},
            }
        )
        blocks.append({"type": "text", "text": "Following the advisor's plan."})
    for n, call in enumerate(turn.calls):
        blocks.append(
            {"type": "tool_use", "id": f"{id_prefix}_{n}", "name": call.name, "input": call.input}
        )
    return blocks


def output_tokens(blocks: list[dict[str, Any]]) -> int:
    return max(1, sum(count_wire_block(b) for b in blocks if b["type"] != "advisor_tool_result"))


def paused_and_rest(
    blocks: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """A reply that consults the advisor, split where a `pause_turn` stops it: up to and
    including the advisor call, and the rest (its result onwards); None without advice."""
    at = next((i for i, b in enumerate(blocks) if b["type"] == "server_tool_use"), None)
    if at is None:
        return None
    return blocks[: at + 1], blocks[at + 1 :]


def advice_split(blocks: list[dict[str, Any]]) -> tuple[int, int, int] | None:
    """Output tokens of (executor before the advisor call, advisor, executor after)."""
    at = next((i for i, b in enumerate(blocks) if b["type"] == "advisor_tool_result"), None)
    if at is None:
        return None
    before = sum(count_wire_block(b) for b in blocks[:at])
    advice = count_text(str(blocks[at]["content"].get("text", "")))
    after = sum(count_wire_block(b) for b in blocks[at + 1 :])
    return before, advice, after


def usage_json(usage: Usage, inference_geo: str = "not_available") -> dict[str, Any]:
    """`inference_geo`: where it ran; "not_available" for models that predate the setting,
    as a real capture of an older model shows (API_FACTS section 1)."""
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m,
            "ephemeral_1h_input_tokens": usage.cache_write_1h,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
        "inference_geo": inference_geo,
    }


def message_json(
    message_id: str,
    model: str,
    blocks: list[dict[str, Any]],
    usage: Usage,
    iterations: list[dict[str, Any]] | None = None,
    stop_reason: str | None = None,
    inference_geo: str | None = None,
) -> dict[str, Any]:
    has_tools = any(b["type"] == "tool_use" for b in blocks)
    if inference_geo is None:
        inference_geo = "global" if accepts_inference_geo(model) else "not_available"
    usage_body = usage_json(usage, inference_geo)
    if iterations is not None:
        usage_body["iterations"] = iterations
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason or ("tool_use" if has_tools else "end_turn"),
        "stop_sequence": None,
        "usage": usage_body,
    }


def sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def stream_events(message: dict[str, Any], cut: bool = False) -> Iterator[dict[str, Any]]:
    """The documented event sequence for a finished message. `cut`: the output ran out
    inside the last tool call's input, four fifths of the way through its JSON (so inside
    its last string, as a real max_tokens stop lands), and nothing follows it."""
    last_tool = max(
        (i for i, b in enumerate(message["content"]) if b["type"] == "tool_use"), default=-1
    )
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    yield {
        "type": "message_start",
        "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
    }
    for index, block in enumerate(message["content"]):
        if block["type"] in ("server_tool_use", "advisor_tool_result"):
            # The advisor call streams no deltas; its result arrives whole (API_FACTS 4).
            yield {"type": "content_block_start", "index": index, "content_block": block}
        elif block["type"] == "text":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            if index == 0:
                yield {"type": "ping"}
            for piece in _chunks(block["text"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                }
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield {"type": "content_block_start", "index": index, "content_block": start}
            raw = json.dumps(block["input"])
            if cut and index == last_tool:
                raw = raw[: len(raw) * 4 // 5]
            step = max(1, len(raw) // 4 + 1)
            for offset in range(0, len(raw), step):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": raw[offset : offset + step],
                    },
                }
        yield {"type": "content_block_stop", "index": index}
        if cut and index == last_tool:
            break
    cumulative = {
        k: usage[k]
        for k in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        )
    }
    if "iterations" in usage:
        cumulative["iterations"] = usage["iterations"]
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": cumulative,
    }
    yield {"type": "message_stop"}


def error_json(status: int, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
    }


ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def count_request_tokens(body: dict[str, Any]) -> int:
    parsed = parse_request({**body, "max_tokens": 1})
    return sum(b.tokens for b in parsed.blocks)


def _chunks(text: str) -> Iterator[str]:
    words = text.split(" ")
    for start in range(0, len(words), _DELTA_WORDS):
        piece = " ".join(words[start : start + _DELTA_WORDS])
        yield piece if start + _DELTA_WORDS >= len(words) else piece + " "


def _no_sampling(model: str) -> bool:
    """Models that refuse sampling parameters: Opus 4.7 and later, and the 5 series."""
    read = claude_version(model)
    if read is None:
        return False
    family, version = read
    return version >= (5, 0) or (family == "opus" and version >= (4, 7))


def context_window(model: str) -> int:
    """Tokens a prompt may hold: 1M on Opus and Sonnet 4.6 and every later model, 200K
    before them (models overview; "4.6+ models bill the full 1M window", API_FACTS 2)."""
    read = claude_version(model)
    return 1_000_000 if read is not None and read[1] >= (4, 6) else 200_000
