"""Trials as OpenTelemetry spans: to a file as OTLP/JSON and to an OTLP/HTTP receiver,
their token totals the sessions' own."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from engine.events import TurnUsage
from sessions import load_session
from tests.conftest import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"
SESSIONS = [FIXTURES / "a-tiny-seed0.jsonl", FIXTURES / "b-tiny-seed0.jsonl"]


def _session_totals() -> dict[str, int]:
    calls = [e for p in SESSIONS for e in load_session(p).events if isinstance(e, TurnUsage)]
    return {
        "calls": len(calls),
        "gen_ai.usage.input_tokens": sum(c.usage.total_input for c in calls),
        "gen_ai.usage.output_tokens": sum(c.usage.output_tokens for c in calls),
        "gen_ai.usage.cache_read.input_tokens": sum(c.usage.cache_read for c in calls),
    }


def _value(attribute: dict[str, Any]) -> Any:
    value = attribute["value"]
    for kind in ("intValue", "doubleValue", "stringValue", "boolValue"):
        if kind in value:
            return int(value[kind]) if kind == "intValue" else value[kind]
    raise AssertionError(attribute)


def _spans(otlp: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**span, "attrs": {a["key"]: _value(a) for a in span.get("attributes", [])}}
        for resource in otlp["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]


def _check(spans: list[dict[str, Any]]) -> None:
    chat = [s for s in spans if s["name"].startswith("chat ")]
    totals = _session_totals()
    assert len(chat) == totals["calls"]
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
        assert sum(s["attrs"][key] for s in chat) == totals[key], key
    cache = sum(s["attrs"]["gen_ai.usage.cache_read.input_tokens"] for s in chat)
    assert cache == totals["gen_ai.usage.cache_read.input_tokens"]
    trials = [s for s in spans if s["name"].startswith("trial ")]
    assert len(trials) == 2 and len({s["traceId"] for s in spans}) == 2
    # The executor's calls nest under their delegation, the delegations under the trial.
    by_id = {s["spanId"]: s for s in spans}
    executor = [s for s in chat if s["attrs"]["fep.role"] == "executor"]
    assert executor and all(
        by_id[s["parentSpanId"]]["name"] == "invoke_agent executor" for s in executor
    )
    assert Counter(s["attrs"]["gen_ai.provider.name"] for s in chat)["ollama"] == len(executor)


def test_export_otel_to_a_file_is_otlp_json_with_the_sessions_totals(tmp_path: Path) -> None:
    out = tmp_path / "spans.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("export", "otel", *map(str, SESSIONS), "--file", str(out), env=env)
    assert done.returncode == 0, done.stderr
    _check(_spans(json.loads(out.read_text())))


@contextlib.contextmanager
def _receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OTLP/HTTP receiver that decodes the protobuf with OpenTelemetry's own message
    types: its endpoint, and each request it took as OTLP/JSON."""
    from google.protobuf import json_format  # type: ignore[import-untyped]
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest.FromString(body)
            received.append(json_format.MessageToDict(request))
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", received
    finally:
        server.shutdown()


def test_export_otel_to_an_otlp_http_receiver(tmp_path: Path) -> None:
    """Through the SDK's own OTLP/HTTP exporter."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with _receiver() as (endpoint, received):
        done = run_cli("export", "otel", *map(str, SESSIONS), "--endpoint", endpoint, env=env)
    assert done.returncode == 0, done.stderr
    _check([span for request in received for span in _spans(request)])


def test_a_headless_run_streams_its_spans_as_it_goes(tmp_path: Path) -> None:
    """`run --headless --otel-endpoint URL`: the spans of the trial arrive, the executor's
    calls under their delegations, with the totals of the session it saved."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with _receiver() as (endpoint, received):
        done = run_cli(
            "run", "--arm", "B", "--task", "tiny", "--headless", "--sessions-dir",
            str(tmp_path), "--otel-endpoint", endpoint, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    spans = [span for request in received for span in _spans(request)]
    [saved] = tmp_path.glob("*.jsonl")
    calls = [e for e in load_session(saved).events if isinstance(e, TurnUsage)]
    chat = [s for s in spans if s["name"].startswith("chat ")]
    assert len(chat) == len(calls)
    output = sum(s["attrs"]["gen_ai.usage.output_tokens"] for s in chat)
    assert output == sum(c.usage.output_tokens for c in calls)
    [trial] = [s for s in spans if s["name"].startswith("trial ")]
    assert trial["attrs"]["fep.success"] is True
    by_id = {s["spanId"]: s for s in spans}
    executor = [s for s in chat if s["attrs"]["fep.role"] == "executor"]
    assert executor and all(
        by_id[s["parentSpanId"]]["name"] == "invoke_agent executor" for s in executor
    )


def test_export_otel_needs_one_destination_and_a_listening_receiver(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    both = run_cli("export", "otel", str(SESSIONS[0]), env=env)
    assert both.returncode == 2 and "give one of --endpoint URL or --file" in both.stderr
    nobody = run_cli(
        "export", "otel", str(SESSIONS[0]), "--endpoint", "http://127.0.0.1:9/v1/traces", env=env
    )
    assert nobody.returncode == 2 and nobody.stderr.count("\n") == 1
    assert "is an OTLP/HTTP receiver listening there?" in nobody.stderr
