"""A session as OpenTelemetry spans, after the GenAI semantic conventions.

One span per trial; under it one span per model call (`chat MODEL`), one per tool call
(`execute_tool NAME`) and one per delegation (`invoke_agent executor`), under which the
executor's own calls and tools nest. Times are the session's: a span starts and ends when
the recorded call did, measured from the trial's `started_at`.

Attributes follow the GenAI conventions (open-telemetry/semantic-conventions-genai, names
as in opentelemetry-semantic-conventions 0.66b2): `gen_ai.operation.name`,
`gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`,
`gen_ai.usage.input_tokens` (every prompt token, cached ones included, as the conventions
ask), `gen_ai.usage.output_tokens`, `gen_ai.usage.cache_read.input_tokens`,
`gen_ai.usage.cache_creation.input_tokens`, `gen_ai.tool.name`, `gen_ai.tool.call.id`,
`gen_ai.agent.name`. What the conventions have no name for is under `fep.`: the call's
cost, its role and turn, and the re-read attribution (`fep.reread.summaries`, ...).
The session's own text (prompts, replies, tool output) is never exported.

The OpenTelemetry SDK is an optional extra (`pip install 'fep-tui[otel]'`), imported here
only; nothing else in fep-tui loads it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from engine.errors import FepError
from engine.events import (
    Delegation,
    Event,
    ExecutorSummary,
    ToolCall,
    ToolResult,
    TrialEnded,
    TrialStarted,
    TurnUsage,
)
from engine.roles import is_executor
from sessions import load_session
from sessions.header import SessionHeader, header_from_trial_start

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import Span

INSTALL = "the OpenTelemetry SDK is not installed: pip install 'fep-tui[otel]'"
EXAMPLE = "http://127.0.0.1:4318/v1/traces"
_NS = 1_000_000_000


class OtelExportError(FepError, ValueError):
    pass


def _sdk() -> Any:
    try:
        from opentelemetry.sdk import trace as sdk_trace
    except ImportError:
        raise OtelExportError(INSTALL) from None
    return sdk_trace


def _provider(processor: Any) -> Any:
    from opentelemetry.sdk.resources import Resource

    provider = _sdk().TracerProvider(resource=Resource.create({"service.name": "fep-tui"}))
    provider.add_span_processor(processor)
    return provider


def session_spans(paths: Iterable[Path]) -> list[ReadableSpan]:
    """Every session's spans, finished, in the order they were made."""
    _sdk()
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    kept = InMemorySpanExporter()
    provider = _provider(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("fep-tui")
    for path in paths:
        session = load_session(path)
        spans = TrialSpans(tracer, session.header)
        for event in session.events:
            spans.emit(event)
        spans.close()
    provider.shutdown()
    return list(kept.get_finished_spans())


class LiveSpans:
    """An event sink that sends a running trial's spans to an OTLP/HTTP receiver as each
    ends: a model call when its usage arrives, a tool call with its result, the trial at
    its end (`--otel-endpoint` on `run` and `batch`)."""

    def __init__(self, endpoint: str) -> None:
        _sdk()
        _reachable(endpoint)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        logging.getLogger("opentelemetry.exporter.otlp.proto.http").setLevel(logging.CRITICAL)
        self._provider = _provider(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        self._tracer = self._provider.get_tracer("fep-tui")
        self._trial: TrialSpans | None = None

    def emit(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            self._trial = TrialSpans(self._tracer, header_from_trial_start(event))
        elif self._trial is not None:
            self._trial.emit(event)
            if isinstance(event, TrialEnded):
                self._trial.close()
                self._trial = None

    def close(self) -> None:
        """Send what is still queued (a trial cut off is closed where it stopped)."""
        if self._trial is not None:
            self._trial.close()
        self._provider.shutdown()


class TrialSpans:
    """One trial's spans, made as its events come: from a file, or live."""

    def __init__(self, tracer: Any, header: SessionHeader) -> None:
        from opentelemetry import trace

        self._trace = trace
        self.tracer = tracer
        self.header = header
        self.start = _epoch_ns(header)
        self.last_t = 0.0
        self.end: TrialEnded | None = None
        self.root = tracer.start_span(
            f"trial {header.trial_id}",
            start_time=self.start,
            attributes=_trial_attributes(header, None),
        )
        self.context = trace.set_span_in_context(self.root)
        self.delegations: dict[int, Span] = {}
        self.tools: dict[str, Span] = {}

    def emit(self, event: Event) -> None:
        tracer, trace, context = self.tracer, self._trace, self.context
        delegations, tools = self.delegations, self.tools
        self.last_t = max(self.last_t, event.t)
        at = self.start + int(event.t * _NS)
        if isinstance(event, Delegation):
            delegations[event.delegation] = tracer.start_span(
                f"invoke_agent {event.executor}",
                context=context,
                start_time=at,
                attributes={
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": event.executor,
                    "fep.delegation": event.delegation,
                    "fep.instruction_chars": len(event.instruction),
                },
            )
        elif isinstance(event, ExecutorSummary):
            span = delegations.pop(event.delegation, None)
            if span is not None:
                span.set_attributes(
                    {
                        "fep.summary_tokens": event.tokens,
                        "fep.summary_cut": event.truncated,
                        "fep.executor_turns": event.executor_turns,
                    }
                )
                span.end(end_time=at)
        elif isinstance(event, TurnUsage):
            parent = _parent(trace, context, delegations, event.delegation)
            span = tracer.start_span(
                f"chat {event.model}",
                context=parent,
                start_time=at - int(event.duration_s * _NS),
                attributes=_call_attributes(self.header, event),
            )
            span.end(end_time=at)
        elif isinstance(event, ToolCall):
            number = _delegation_of(event.role, delegations)
            tools[event.call_id] = tracer.start_span(
                f"execute_tool {event.name}",
                context=_parent(trace, context, delegations, number),
                start_time=at,
                attributes={
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": event.name,
                    "gen_ai.tool.call.id": event.call_id,
                    "fep.role": event.role,
                    "fep.turn": event.turn,
                },
            )
        elif isinstance(event, ToolResult):
            tool = tools.pop(event.call_id, None)
            if tool is not None:
                tool.set_attribute("fep.tool_error", event.is_error)
                tool.end(end_time=at)
        elif isinstance(event, TrialEnded):
            self.end = event

    def close(self) -> None:
        end = self.end
        duration = end.wall_s if end is not None and end.wall_s > 0 else self.last_t
        finish = self.start + int(duration * _NS)
        for span in [*self.tools.values(), *self.delegations.values()]:
            span.end(end_time=finish)  # cut off before it ended
        self.tools.clear()
        self.delegations.clear()
        self.root.set_attributes(_trial_attributes(self.header, end))
        self.root.end(end_time=finish)


def _parent(trace: Any, root: Any, delegations: dict[int, Span], number: int | None) -> Any:
    span = delegations.get(number) if number is not None else None
    return trace.set_span_in_context(span) if span is not None else root


def _delegation_of(role: str, delegations: dict[int, Span]) -> int | None:
    # An executor's tool call belongs to the delegation open while it runs.
    if is_executor(role) and delegations:
        return max(delegations)
    return None


def _epoch_ns(header: SessionHeader) -> int:
    try:
        return int(datetime.fromisoformat(header.started_at).timestamp() * _NS)
    except ValueError:
        raise OtelExportError(
            f"{header.trial_id}: its start time {header.started_at!r} is not a date"
        ) from None


def _trial_attributes(header: SessionHeader, end: TrialEnded | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": header.arm,
        "fep.trial_id": header.trial_id,
        "fep.arm": header.arm,
        "fep.task": header.task,
        "fep.seed": header.seed,
        "fep.source": header.label,
        "fep.rate_card": header.card_name,
    }
    if end is not None:
        attributes |= {
            "fep.status": end.status,
            "fep.success": end.success,
            "fep.cost_usd": end.total_cost_usd,
            "fep.model_calls": end.turns,
        }
    return attributes


def _call_attributes(header: SessionHeader, call: TurnUsage) -> dict[str, Any]:
    u = call.usage
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": header.providers.get(call.role, "anthropic"),
        "gen_ai.request.model": call.model,
        "gen_ai.response.model": call.model,
        "gen_ai.usage.input_tokens": u.total_input,
        "gen_ai.usage.output_tokens": u.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": u.cache_read,
        "gen_ai.usage.cache_creation.input_tokens": u.cache_write,
        "fep.usage.uncached_input_tokens": u.input_tokens,
        "fep.usage.cache_write_1h_tokens": u.cache_write_1h,
        "fep.cost_usd": call.cost_usd,
        "fep.role": call.role,
        "fep.turn": call.turn,
    }
    if call.delegation is not None:
        attributes["fep.delegation"] = call.delegation
    for source, tokens in call.attribution.items():
        key = "summaries" if source.startswith("summary:") else source
        name = f"fep.reread.{key}"
        attributes[name] = attributes.get(name, 0) + tokens
    for key, value in call.billing.items():
        attributes[f"fep.billing.{key}"] = value
    return attributes


def write_json(spans: Sequence[ReadableSpan], out: Path) -> None:
    """The spans as OTLP/JSON (the protobuf JSON mapping an OTLP/HTTP JSON receiver or the
    Collector's file receiver reads)."""
    from google.protobuf import json_format  # type: ignore[import-untyped]
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    out.write_text(json_format.MessageToJson(encode_spans(spans)) + "\n")


def send(spans: Sequence[ReadableSpan], endpoint: str) -> None:
    """The spans to an OTLP/HTTP receiver (`http://HOST:4318/v1/traces`, Phoenix's
    `http://HOST:6006/v1/traces`, Langfuse's `/api/public/otel/v1/traces`)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    _reachable(endpoint)
    # Its own retries log a line each to stderr; the outcome is said once, below.
    logging.getLogger("opentelemetry.exporter.otlp.proto.http").setLevel(logging.CRITICAL)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=30)
    try:
        result = exporter.export(spans)
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]
    if result != SpanExportResult.SUCCESS:
        raise OtelExportError(
            f"{endpoint} did not take the spans; is an OTLP/HTTP receiver listening there?"
        )


def _reachable(endpoint: str) -> None:
    """Refused at once rather than after the exporter's 30 s of retries."""
    parsed = urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise OtelExportError(f"--endpoint {endpoint}: give an http(s) URL, e.g. {EXAMPLE}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=5).close()
    except OSError as exc:
        raise OtelExportError(
            f"cannot reach {endpoint} ({exc.strerror or exc}); is an OTLP/HTTP receiver "
            "listening there?"
        ) from None
