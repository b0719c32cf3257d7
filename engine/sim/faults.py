"""Faults the simulator can inject, scheduled by request attempt number per API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

from engine.errors import FepError

FaultKind = Literal[
    "rate_limit",  # 429 with retry-after
    "overloaded",  # 529 overloaded_error
    "server_error",  # 500 api_error
    "mid_stream_error",  # an `error` event (or NDJSON error line) after some output
    "drop_connection",  # the socket closes mid-stream
    "disconnect",  # the same as drop_connection, by the name issue 36 gives it
    "stream_cut",  # Anthropic: the body ends cleanly before message_delta and message_stop
    "slow_stream",  # every event is delayed by `delay_s`
    "max_tokens_cut",  # the reply hits max_tokens inside its last tool call's input
    "refusal",  # stop_reason refusal before any output (not billed)
    "blank_text",  # an empty text block before the tool calls, as the API has sent
    "pause_turn",  # stop_reason pause_turn with the advisor call still pending
    "empty_end_turn",  # no content, 2-3 output tokens, stop_reason end_turn
    "done_length",  # Ollama: done_reason length, the reply cut short
    "no_prompt_eval_count",  # Ollama: the final chunk has no prompt_eval_count
    "tools_on_final_chunk",  # Ollama: tool calls arrive on the done chunk
    "thinking",  # Ollama: a thinking-capable model thinks first (message.thinking)
    "ollama_error",  # Ollama: HTTP 500, the model runner stopped (a crash, out of memory)
    "ollama_busy",  # Ollama: HTTP 503, the request queue is full
    "tool_parse_error",  # Ollama: HTTP 500, its parser rejected the model's tool-call text
    "us_only",  # Anthropic: a workspace whose default inference region is the US
    "tool_as_text",  # Ollama: the model drops its tool-call tags; the call arrives as text
    "thinking_only",  # Ollama: the model thinks, then stops with nothing said or called
    "split_mismatch",  # Anthropic: cache_creation's 5m/1h split disagrees with the total
]
# In the order above, from the type itself: a new kind is written once.
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
FAULT_HELP: dict[str, str] = {
    "rate_limit": "HTTP 429 rate_limit_error with retry-after (the SDK retries it)",
    "overloaded": "HTTP 529 overloaded_error (Ollama: 503) (the SDK retries it)",
    "server_error": "HTTP 500 api_error (the SDK retries it)",
    "mid_stream_error": "an overloaded error event halfway through a streamed reply",
    "drop_connection": "the connection closes halfway through a streamed reply",
    "disconnect": "the same as drop_connection",
    "stream_cut": "Anthropic: the stream ends cleanly without message_delta and message_stop",
    "slow_stream": "every streamed event is delayed",
    "max_tokens_cut": "Anthropic: stop_reason max_tokens inside the last tool call's input",
    "refusal": "Anthropic: stop_reason refusal before any output",
    "blank_text": "Anthropic: an empty text block before the tool calls",
    "pause_turn": "Anthropic: stop_reason pause_turn, the advisor call still pending "
    "(on a reply that consults the advisor)",
    "empty_end_turn": "Anthropic: an empty reply (no content, 3 output tokens) with stop_reason "
    "end_turn, as the API can send after tool results",
    "done_length": "Ollama: done_reason length, the reply cut short",
    "no_prompt_eval_count": "Ollama: the final chunk has no prompt_eval_count",
    "tools_on_final_chunk": "Ollama: tool calls arrive on the done: true chunk",
    "thinking": "Ollama: a thinking-capable model streams message.thinking before its reply",
    "ollama_error": "Ollama: HTTP 500, the model runner stopped (a crash or out of memory)",
    "ollama_busy": "Ollama: HTTP 503, the server's request queue is full (may be retried)",
    "tool_parse_error": "Ollama: HTTP 500, its parser rejected the model's own tool-call "
    "output (it repeats for the same conversation)",
    "tool_as_text": "Ollama: the model writes its tool call as text without the tool-call tags, "
    "so it arrives as content, not as a call",
    "thinking_only": "Ollama: a thinking model thinks, then stops (done_reason stop) with "
    "nothing said or called",
    "split_mismatch": "Anthropic: usage.cache_creation's 5m/1h split sums to less than "
    "cache_creation_input_tokens (the total is what is billed)",
    "us_only": "Anthropic: the workspace's default inference region is the US; the reply says "
    "usage.inference_geo us (1.1x on Opus and Sonnet 4.6 and later)",
}
# Ollama's own HTTP errors, by fault (server/routes.go; model/parsers/qwen35.go for the
# parse error, returned as a 500 before any output has streamed).
OLLAMA_STATUS_FAULTS: dict[str, tuple[int, str]] = {
    "ollama_error": (500, "model runner has unexpectedly stopped"),
    "ollama_busy": (503, "server busy, please try again. maximum pending requests exceeded"),
    "tool_parse_error": (500, "error parsing tool call: unexpected end of element parameter"),
}
# Faults that shape a reply rather than fail the request.
REPLY_FAULTS: tuple[FaultKind, ...] = (
    "stream_cut",
    "max_tokens_cut",
    "refusal",
    "blank_text",
    "pause_turn",
    "empty_end_turn",
    "us_only",
    "split_mismatch",
)
OLLAMA_REPLY_FAULTS: tuple[FaultKind, ...] = (
    "done_length",
    "no_prompt_eval_count",
    "tools_on_final_chunk",
    "thinking",
    "ollama_error",
    "ollama_busy",
    "tool_parse_error",
    "tool_as_text",
    "thinking_only",
)


class FaultSpecError(FepError, ValueError):
    """A --sim-fault value that cannot be read; the message says the form."""


def parse_fault(spec: str) -> Fault:
    """`KIND@API:ATTEMPT`, e.g. `max_tokens_cut@anthropic:2` (ATTEMPT counts from 1)."""
    kind, _, rest = spec.partition("@")
    api, _, attempt = rest.partition(":")
    if kind not in FAULT_KINDS:
        raise FaultSpecError(
            f"unknown fault {kind!r} in --sim-fault {spec}; see fep-tui run --list-sim-faults"
        )
    if api not in ("anthropic", "ollama") or not attempt.isdigit() or int(attempt) < 1:
        raise FaultSpecError(
            f"--sim-fault {spec}: expected KIND@API:ATTEMPT with API anthropic or ollama and "
            "ATTEMPT a number from 1, e.g. max_tokens_cut@anthropic:2"
        )
    if kind in REPLY_FAULTS and api != "anthropic":
        raise FaultSpecError(f"--sim-fault {spec}: {kind} is an Anthropic fault")
    if kind in OLLAMA_REPLY_FAULTS and api != "ollama":
        raise FaultSpecError(f"--sim-fault {spec}: {kind} is an Ollama fault")
    return Fault(kind, int(attempt), cast(Literal["anthropic", "ollama"], api))


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    # 1-based attempt number on `api`; retries by the SDK are new attempts.
    attempt: int
    api: Literal["anthropic", "ollama"] = "anthropic"
    retry_after_s: float = 0.2
    delay_s: float = 0.05
