"""The Ollama `/api/chat` wire format, as the simulator reads and writes it (API_FACTS 6.1).

Streaming is NDJSON, one object per line with no blank lines; tool calls arrive in a chunk
with `done: false`; the final chunk carries `done: true`, `done_reason` and the metrics, all
durations in nanoseconds. `prompt_eval_count` is the full context (v0.30.1+ semantics).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.sim.agents import (
    PlannedTurn,
    ToolResultView,
    Transcript,
)
from engine.tokens import count_text

_NS = 1_000_000_000
CREATED_AT = "2026-01-01T00:00:00.000000Z"
# What Ollama uses without `options.num_ctx` on a GPU under 24 GiB (docs/context-length.mdx).
DEFAULT_NUM_CTX = 4096


class OllamaWireError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedChat:
    model: str
    stream: bool
    prompt_tokens: int
    message_hashes: tuple[int, ...]
    message_tokens: tuple[int, ...]
    transcript: Transcript
    # Messages the server dropped to fit num_ctx (it logs this only at debug level).
    dropped: int = 0


def parse_chat(body: dict[str, Any]) -> ParsedChat:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise OllamaWireError("model is required")
    messages = list(body.get("messages") or [])
    tools = body.get("tools") or []
    options = body.get("options") or {}
    num_ctx = int(options.get("num_ctx") or DEFAULT_NUM_CTX)
    dropped = 0
    # Over the context, the server silently drops the oldest non-system messages
    # (server/prompt.go), the delegated instruction first.
    while _tokens(messages, tools) > num_ctx:
        oldest = next((i for i, m in enumerate(messages) if m.get("role") != "system"), None)
        if oldest is None or oldest == len(messages) - 1:
            break
        del messages[oldest]
        dropped += 1
    system = "".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    results = tuple(
        ToolResultView(
            str(m.get("tool_name", "unknown")),
            str(m.get("content", "")),
            str(m.get("content", "")).startswith("Error:"),
        )
        for m in messages
        if m.get("role") == "tool"
    )
    first_user = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), "")
    per_message = tuple(count_text(json.dumps(m, sort_keys=True)) for m in messages)
    tool_tokens = count_text(json.dumps(tools, sort_keys=True)) if tools else 0
    functions = [t["function"] for t in tools if isinstance(t.get("function"), dict)]
    transcript = Transcript.of_request(
        model,
        system,
        {str(f.get("name")): f.get("parameters") for f in functions},
        first_user,
        sum(1 for m in messages if m.get("role") == "assistant"),
        results,
    )
    return ParsedChat(
        model,
        body.get("stream", True) is not False,
        tool_tokens + sum(per_message),
        tuple(hash(json.dumps(m, sort_keys=True)) for m in messages),
        per_message,
        transcript,
        dropped,
    )


def _tokens(messages: list[dict[str, Any]], tools: list[Any]) -> int:
    tool_tokens = count_text(json.dumps(tools, sort_keys=True)) if tools else 0
    return tool_tokens + sum(count_text(json.dumps(m, sort_keys=True)) for m in messages)


def assistant_message(turn: PlannedTurn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if turn.calls:
        message["tool_calls"] = [
            {"id": f"call_{n:08d}", "function": {"index": n, "name": c.name, "arguments": c.input}}
            for n, c in enumerate(turn.calls)
        ]
    return message


def calls_as_text(turn: PlannedTurn) -> dict[str, Any]:
    """The reply when the model drops its tool-call tags: qwen3.5 writes each call in its
    XML form (`<function=NAME><parameter=KEY>VALUE</parameter></function>`, Ollama's
    model/parsers/qwen35.go), which without `<tool_call>` around it stays content."""
    parts = [turn.text] if turn.text else []
    for call in turn.calls:
        params = "".join(
            f"<parameter={key}>\n{value}\n</parameter>\n" for key, value in call.input.items()
        )
        parts.append(f"<function={call.name}>\n{params}</function>")
    return {"role": "assistant", "content": "\n".join(parts)}


def thinking_text(turn: PlannedTurn) -> str:
    """What a thinking model reasons before a turn (deterministic, from the turn)."""
    doing = ", ".join(c.name for c in turn.calls) or "answer"
    return (
        f"The user wants this fixed. I should {doing} next and check the result before "
        "saying it is done; keep the reply short."
    )


def output_tokens(message: dict[str, Any]) -> int:
    """Thinking is generated output too: eval_count includes it."""
    calls = json.dumps(message.get("tool_calls", []))
    return max(
        1,
        count_text(str(message.get("content", "")))
        + count_text(str(message.get("thinking", "")))
        + (count_text(calls) if "tool_calls" in message else 0),
    )


@dataclass(frozen=True)
class Metrics:
    prompt_eval_count: int
    eval_count: int
    prompt_eval_s: float
    eval_s: float
    load_s: float

    def to_json(self) -> dict[str, Any]:
        total = self.prompt_eval_s + self.eval_s + self.load_s
        return {
            "total_duration": int(total * _NS),
            "load_duration": int(self.load_s * _NS),
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": int(self.prompt_eval_s * _NS),
            "eval_count": self.eval_count,
            "eval_duration": int(self.eval_s * _NS),
        }


def final_response(
    model: str, message: dict[str, Any], metrics: Metrics, fault: str | None = None
) -> dict[str, Any]:
    final = {
        "model": model,
        "created_at": CREATED_AT,
        "message": message,
        "done": True,
        "done_reason": "length" if fault == "done_length" else "stop",
        **metrics.to_json(),
    }
    if fault == "no_prompt_eval_count":
        # omitempty in the server's Metrics: a count it did not take is simply absent.
        del final["prompt_eval_count"]
    return final


def stream_chunks(
    model: str, message: dict[str, Any], metrics: Metrics, fault: str | None = None
) -> Iterator[dict[str, Any]]:
    if fault == "done_length":
        # Out of room mid-reply: some text, no tool call, done_reason length.
        words = str(message.get("content", "")).split(" ")
        yield _chunk(model, {"role": "assistant", "content": " ".join(words[: len(words) // 2])})
        yield final_response(model, {"role": "assistant", "content": ""}, metrics, fault)
        return
    thought = str(message.get("thinking", "")).split(" ") if message.get("thinking") else []
    for start in range(0, len(thought), 3):
        # Thinking streams first, in its own field, with empty content.
        piece = " ".join(thought[start : start + 3]) + (" " if start + 3 < len(thought) else "")
        yield _chunk(model, {"role": "assistant", "content": "", "thinking": piece})
    words = str(message.get("content", "")).split(" ")
    for start in range(0, len(words), 3):
        piece = " ".join(words[start : start + 3])
        if start + 3 < len(words):
            piece += " "
        if piece:
            yield _chunk(model, {"role": "assistant", "content": piece})
    last: dict[str, Any] = {"role": "assistant", "content": ""}
    if "tool_calls" in message and fault == "tools_on_final_chunk":
        # A built-in tool parser can hand the calls over with `done: true` (routes.go).
        last["tool_calls"] = message["tool_calls"]
    elif "tool_calls" in message:
        yield _chunk(
            model, {"role": "assistant", "content": "", "tool_calls": message["tool_calls"]}
        )
    yield final_response(model, last, metrics, fault)


def ndjson(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def _chunk(model: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"model": model, "created_at": CREATED_AT, "message": message, "done": False}
