"""Typed, frozen events: everything a trial does, in the order it happens.

The engine emits these to sinks (session writer, headless printer, the app); nothing
downstream reaches into the engine. `t` is seconds since the trial started. Each event is a
msgspec Struct in one union tagged on `kind`, so a session line decodes straight into its
class with every field's type checked in the same pass (msgspec validates while it parses,
several times faster than json.loads plus a constructor, and names the bad field).
`decode_event` is the one parser; it raises `EventFormatError` naming what is wrong.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from engine.usage import Usage


class EventFormatError(ValueError):
    pass


class Event(msgspec.Struct, frozen=True, tag_field="kind"):
    t: float

    @property
    def kind(self) -> str:
        return str(type(self).__struct_config__.tag)

    def to_dict(self) -> dict[str, Any]:
        # `kind` first (then `t`, then `role` where there is one): a session index can
        # classify a line from its first bytes without parsing it.
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data


class TrialStarted(Event, frozen=True, tag="trial_start"):
    trial_id: str
    arm: str
    arm_spec: dict[str, Any]
    task: str
    models: dict[str, str]
    providers: dict[str, str]
    backend: str
    simulated: bool
    rate_card: dict[str, Any]
    seed: int
    engine_version: str
    started_at: str
    task_version: str = ""
    # How the agent's shell and the judge were contained: bubblewrap, environment, none.
    containment: str = ""
    # The machine that ran the trial when it ran on a Ray cluster, else "".
    node: str = ""


class TurnStarted(Event, frozen=True, tag="turn_start"):
    role: str
    turn: int
    model: str
    delegation: int | None = None


class TextDelta(Event, frozen=True, tag="text_delta"):
    role: str
    turn: int
    text: str


class ThinkingText(Event, frozen=True, tag="thinking"):
    """A local model's reasoning for a turn, whole (Ollama streams it apart from the reply
    text) and its tokens, which the provider bills as output."""

    role: str
    turn: int
    text: str
    tokens: int


class ToolInputDelta(Event, frozen=True, tag="tool_input_delta"):
    """Part of a tool call's input JSON as it streams; the whole call follows as ToolCall."""

    role: str
    turn: int
    call_id: str
    name: str
    partial_json: str


class ToolCall(Event, frozen=True, tag="tool_call"):
    role: str
    turn: int
    call_id: str
    name: str
    input: dict[str, Any]


class ToolResult(Event, frozen=True, tag="tool_result"):
    role: str
    turn: int
    call_id: str
    name: str
    output: str
    is_error: bool


class ToolRefused(Event, frozen=True, tag="tool_refused"):
    """A tool call that tried to leave the workspace; the model saw it as a tool error."""

    role: str
    turn: int
    call_id: str
    name: str
    path: str
    reason: str


class HarnessRun(Event, frozen=True, tag="harness_run"):
    """The agent ran the task's harness (`fep-check`); its breakdown, as the judge reports it."""

    role: str
    turn: int
    call_id: str
    passed: bool
    summary: str
    result: dict[str, Any]


# `executor` names the executor a delegation went to; left out of the line when it is the
# first (`omit_defaults`), so sessions of one-executor arms read and write as before.
class Delegation(Event, frozen=True, tag="delegation", omit_defaults=True):
    turn: int
    call_id: str
    delegation: int
    instruction: str
    executor: str = "executor"


class ExecutorSummary(Event, frozen=True, tag="executor_summary", omit_defaults=True):
    """What came back from a delegation, after the executor-return policy was applied."""

    turn: int
    call_id: str
    delegation: int
    text: str
    tokens: int
    original_chars: int
    truncated: bool
    executor_turns: int
    executor: str = "executor"


class TurnUsage(Event, frozen=True, tag="usage"):
    """One model call's usage, its price, and the role's running totals after it.

    `attribution` splits this call's cache-read tokens by where they came from
    (base, task, own, tool_results, summary:N); it sums to `usage.cache_read`.
    `role_usage` is the role's cumulative four buckets after this call, so any point of a
    replay can show its counters from one event.
    """

    role: str
    turn: int
    model: str
    usage: Usage
    role_usage: Usage
    cost_usd: float
    role_cache_read: int
    role_cache_read_usd: float
    role_cost_usd: float
    total_cost_usd: float
    duration_s: float
    attribution: dict[str, int] = msgspec.field(default_factory=dict)
    delegation: int | None = None
    # Provider-reported timings in seconds (Ollama: prompt_eval_s, eval_s, load_s, total_s).
    timings: dict[str, float] = msgspec.field(default_factory=dict)
    # Buckets the provider did not report (counted as 0 here, shown as unknown).
    unknown: list[str] = msgspec.field(default_factory=list)
    # What the response said changes its price (engine/billing.py): {"inference_geo": "us"}.
    billing: dict[str, str] = msgspec.field(default_factory=dict)


class ReplyCut(Event, frozen=True, tag="reply_cut"):
    """A reply that stopped for room (`max_tokens`, `model_context_window_exceeded`) inside
    a tool call. Its tools were not run; `retry_max_tokens` is the room the call was made
    again with, or None when the role's turn ended with an error instead."""

    role: str
    turn: int
    stop_reason: str
    max_tokens: int
    retry_max_tokens: int | None


class ApiRetry(Event, frozen=True, tag="api_retry"):
    """A failed API attempt: what came back, which attempt it was, and whether the SDK
    retries it (after `retry_after_s` when the server said so)."""

    role: str
    turn: int
    provider: str
    status: int
    attempt: int
    will_retry: bool
    retry_after_s: float | None
    message: str


class ContextCompacted(Event, frozen=True, tag="compacted"):
    """The role's context was replaced by a summary of it (Claude Code's `/compact` or its
    automatic compaction): later calls no longer re-read what came before."""

    role: str
    turn: int
    trigger: str
    tokens_before: int | None


class JudgeStarted(Event, frozen=True, tag="judge_start"):
    """The judge (mypy, ruff, pytest) began on the final workspace: on a typer task it
    takes a minute, and a watcher should know what the trial is waiting for."""


class JudgeVerdict(Event, frozen=True, tag="judge"):
    passed: bool
    result: dict[str, Any]
    summary: str


class TrialError(Event, frozen=True, tag="error"):
    message: str
    role: str | None = None
    turn: int | None = None
    fatal: bool = True


class RoleTotals(msgspec.Struct, frozen=True, kw_only=True):
    """One role's totals at a trial's end: the engine's ledger, a trial's end made on the
    head (engine/arrived.py) and every trace importer give this, and every reader reads it.
    Written as the plain object it always was (field order included)."""

    model: str = ""
    provider: str = ""
    turns: int = 0
    usage: Usage = msgspec.field(default_factory=Usage.of)
    cost_usd: float = 0.0
    cache_read_usd: float = 0.0


class TrialEnded(Event, frozen=True, tag="trial_end"):
    status: str
    success: bool
    turns: int
    wall_s: float
    roles: dict[str, RoleTotals]
    total_cost_usd: float
    reason: str = ""


EVENT_CLASSES: tuple[type[Event], ...] = (
    TrialStarted,
    TurnStarted,
    TextDelta,
    ThinkingText,
    ToolInputDelta,
    ToolCall,
    ToolResult,
    ToolRefused,
    HarnessRun,
    Delegation,
    ExecutorSummary,
    TurnUsage,
    ReplyCut,
    ApiRetry,
    ContextCompacted,
    JudgeStarted,
    JudgeVerdict,
    TrialError,
    TrialEnded,
)
EVENT_TYPES: dict[str, type[Event]] = {str(cls.__struct_config__.tag): cls for cls in EVENT_CLASSES}
AnyEvent = (
    TrialStarted
    | TurnStarted
    | TextDelta
    | ThinkingText
    | ToolInputDelta
    | ToolCall
    | ToolResult
    | ToolRefused
    | HarnessRun
    | Delegation
    | ExecutorSummary
    | TurnUsage
    | ReplyCut
    | ApiRetry
    | ContextCompacted
    | JudgeStarted
    | JudgeVerdict
    | TrialError
    | TrialEnded
)
_DECODER = msgspec.json.Decoder(AnyEvent)


def decode_event(line: bytes | str) -> Event:
    """One session line as its event; EventFormatError naming the field or kind at fault."""
    try:
        event: Event = _DECODER.decode(line)
    except msgspec.ValidationError as exc:
        raise EventFormatError(describe_validation_error(str(exc))) from None
    except msgspec.DecodeError as exc:
        raise EventFormatError(f"not JSON ({exc})") from None
    return event


def describe_validation_error(message: str) -> str:
    """msgspec's wording in the words a user reads: `field 't' is a string, expected a
    number` rather than `Expected `float`, got `str` - at `$.t``."""
    text, _, where = message.partition(" - at `$")
    where = where.rstrip("`").lstrip(".")
    if text.startswith("Invalid value ") and where == "kind":
        return f"unknown event kind {text.removeprefix('Invalid value ')}"
    if text.startswith("Expected `") and "`, got `" in text:
        expected, _, got = text.removeprefix("Expected `").partition("`, got `")
        expected = _TYPE_WORDS.get(expected, expected)
        got = _TYPE_WORDS.get(got.rstrip("`"), got.rstrip("`"))
        return f"field '{where or '?'}' is {_article(got)}, expected {_article(expected)}"
    if text.startswith("Object missing required field "):
        name = text.removeprefix("Object missing required field ").strip("`")
        return f"missing field '{name}'" + (f" in {where}" if where else "")
    return f"{text} (at {where})" if where else text


_TYPE_WORDS = {
    "float": "number",
    "int": "integer",
    "str": "string",
    "bool": "boolean",
    "object": "object",
    "array": "list",
    "null": "null",
    "int | null": "integer or null",
    "float | null": "number or null",
    "str | null": "string or null",
}


def _article(word: str) -> str:
    if word == "null":
        return "null"
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...
