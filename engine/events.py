"""Typed, frozen events: everything a trial does, in the order it happens.

The engine emits these to sinks (session writer, headless printer, the app); nothing
downstream reaches into the engine. `t` is seconds since the trial started. Each event
serialises to one JSON object with a `kind`; `event_from_dict` is the one parser of that
shape and raises `EventFormatError` for anything it does not recognise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


class EventFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    t: float

    def to_dict(self) -> dict[str, Any]:
        # `kind` first (then `t`, then `role` where there is one): a session index can
        # classify a line from its first bytes without parsing it.
        data: dict[str, Any] = {"kind": self.kind}
        data.update((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return data


@dataclass(frozen=True)
class TrialStarted(Event):
    kind: ClassVar[str] = "trial_start"
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


@dataclass(frozen=True)
class TurnStarted(Event):
    kind: ClassVar[str] = "turn_start"
    role: str
    turn: int
    model: str
    delegation: int | None = None


@dataclass(frozen=True)
class TextDelta(Event):
    kind: ClassVar[str] = "text_delta"
    role: str
    turn: int
    text: str


@dataclass(frozen=True)
class ToolInputDelta(Event):
    """Part of a tool call's input JSON as it streams; the whole call follows as ToolCall."""

    kind: ClassVar[str] = "tool_input_delta"
    role: str
    turn: int
    call_id: str
    name: str
    partial_json: str


@dataclass(frozen=True)
class ToolCall(Event):
    kind: ClassVar[str] = "tool_call"
    role: str
    turn: int
    call_id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ToolResult(Event):
    kind: ClassVar[str] = "tool_result"
    role: str
    turn: int
    call_id: str
    name: str
    output: str
    is_error: bool


@dataclass(frozen=True)
class ToolRefused(Event):
    """A tool call that tried to leave the workspace; the model saw it as a tool error."""

    kind: ClassVar[str] = "tool_refused"
    role: str
    turn: int
    call_id: str
    name: str
    path: str
    reason: str


@dataclass(frozen=True)
class HarnessRun(Event):
    """The agent ran the task's harness (`fep-check`); its breakdown, as the judge reports it."""

    kind: ClassVar[str] = "harness_run"
    role: str
    turn: int
    call_id: str
    passed: bool
    summary: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Delegation(Event):
    kind: ClassVar[str] = "delegation"
    turn: int
    call_id: str
    delegation: int
    instruction: str


@dataclass(frozen=True)
class ExecutorSummary(Event):
    """What came back from a delegation, after the executor-return policy was applied."""

    kind: ClassVar[str] = "executor_summary"
    turn: int
    call_id: str
    delegation: int
    text: str
    tokens: int
    original_chars: int
    truncated: bool
    executor_turns: int


@dataclass(frozen=True)
class TurnUsage(Event):
    """One model call's usage, its price, and the role's running totals after it.

    `attribution` splits this call's cache-read tokens by where they came from
    (base, task, own, tool_results, summary:N); it sums to `usage["cache_read"]`.
    `role_usage` is the role's cumulative four buckets after this call, so any point of a
    replay can show its counters from one event.
    """

    kind: ClassVar[str] = "usage"
    role: str
    turn: int
    model: str
    usage: dict[str, int]
    role_usage: dict[str, int]
    cost_usd: float
    role_cache_read: int
    role_cache_read_usd: float
    role_cost_usd: float
    total_cost_usd: float
    duration_s: float
    attribution: dict[str, int] = field(default_factory=dict)
    delegation: int | None = None
    # Provider-reported timings in seconds (Ollama: prompt_eval_s, eval_s, load_s, total_s).
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiRetry(Event):
    """A failed API attempt: what came back, which attempt it was, and whether the SDK
    retries it (after `retry_after_s` when the server said so)."""

    kind: ClassVar[str] = "api_retry"
    role: str
    turn: int
    provider: str
    status: int
    attempt: int
    will_retry: bool
    retry_after_s: float | None
    message: str


@dataclass(frozen=True)
class JudgeVerdict(Event):
    kind: ClassVar[str] = "judge"
    passed: bool
    result: dict[str, Any]
    summary: str


@dataclass(frozen=True)
class TrialError(Event):
    kind: ClassVar[str] = "error"
    message: str
    role: str | None = None
    turn: int | None = None
    fatal: bool = True


@dataclass(frozen=True)
class TrialEnded(Event):
    kind: ClassVar[str] = "trial_end"
    status: str
    success: bool
    turns: int
    wall_s: float
    roles: dict[str, Any]
    total_cost_usd: float
    reason: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        TrialStarted,
        TurnStarted,
        TextDelta,
        ToolInputDelta,
        ToolCall,
        ToolResult,
        ToolRefused,
        HarnessRun,
        Delegation,
        ExecutorSummary,
        TurnUsage,
        ApiRetry,
        JudgeVerdict,
        TrialError,
        TrialEnded,
    )
}


_FIELD_NAMES: dict[type[Event], frozenset[str]] = {
    cls: frozenset(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()
}


def event_from_dict(data: Mapping[str, Any]) -> Event:
    kind = data.get("kind")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise EventFormatError(f"unknown event kind {kind!r}")
    names = _FIELD_NAMES[cls]
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise EventFormatError(f"bad {kind} event: {exc}") from None


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...
