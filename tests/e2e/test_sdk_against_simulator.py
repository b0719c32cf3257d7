"""The official anthropic and ollama clients, pointed at the simulator, get back exactly the
usage the simulator's cache model billed: streaming and non-streaming."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import anthropic
import ollama
import pytest

from engine.backends.anthropic_backend import usage_from_sdk
from engine.sim import Scenario, SimulatorServer
from engine.usage import Usage
from tasks import get_task

EPHEMERAL = {"type": "ephemeral"}


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    task = get_task("tiny")
    with SimulatorServer(Scenario.of(task, seed=3)) as server:
        yield server


def _request(turn_text: str) -> dict[str, Any]:
    long_system = "You are a senior software engineer working alone in a code repository. " * 200
    return {
        "model": "claude-opus-4-7",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": long_system, "cache_control": EPHEMERAL}],
        "tools": [
            {
                "name": "bash",
                "description": "Run a command.",
                "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
                "cache_control": EPHEMERAL,
            }
        ],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": turn_text, "cache_control": EPHEMERAL}],
            }
        ],
    }


def test_anthropic_non_streaming_usage_matches_the_bill(sim: SimulatorServer) -> None:
    client = anthropic.Anthropic(base_url=sim.url, api_key="test-key", max_retries=0)
    first = client.messages.create(**_request("Fix the shopcart checks."))
    second = client.messages.create(**_request("Fix the shopcart checks."))
    billed = [b.usage for b in sim.billed]
    assert [usage_from_sdk(first.usage), usage_from_sdk(second.usage)] == billed
    assert billed[0].cache_write_5m > 2048 and billed[0].cache_read == 0
    assert billed[1].cache_read == billed[0].cache_write_5m, "the second call re-reads the prefix"
    assert first.stop_reason == "tool_use" and first.content[1].type == "tool_use"


def test_anthropic_streaming_usage_matches_the_bill(sim: SimulatorServer) -> None:
    client = anthropic.Anthropic(base_url=sim.url, api_key="test-key", max_retries=0)
    texts = []
    for _ in range(2):
        with client.messages.stream(**_request("Fix the shopcart checks.")) as stream:
            texts.append("".join(stream.text_stream))
            final = stream.get_final_message()
        assert usage_from_sdk(final.usage) == sim.billed[-1].usage
    assert texts[0] and texts[0] == texts[1], "deterministic text, streamed in deltas"
    assert final.usage.cache_creation is not None
    assert sim.billed[-1].usage.cache_read > 0


def test_async_streaming_through_the_engine_backend(sim: SimulatorServer) -> None:
    from engine.backends.anthropic_backend import AnthropicBackend
    from engine.messages import Message, ModelRequest, TextBlock, ToolSpec

    backend = AnthropicBackend(
        anthropic.AsyncAnthropic(base_url=sim.url, api_key="k", max_retries=0)
    )
    request = ModelRequest(
        "claude-opus-4-7",
        "You are a senior software engineer. " * 300,
        (ToolSpec("bash", "Run a command.", {"type": "object", "properties": {}}),),
        (Message("user", [TextBlock("Fix the checks.")]),),
        1024,
    )
    deltas: list[str] = []
    reply = asyncio.run(backend.complete(request, deltas.append))
    assert "".join(deltas) == reply.text and len(deltas) > 1
    assert reply.usage == sim.billed[-1].usage
    assert reply.tool_uses[0].name == "bash"


def test_ollama_streaming_and_non_streaming_counts(sim: SimulatorServer) -> None:
    client = ollama.Client(host=sim.url)
    messages = [
        {"role": "system", "content": "You are an executor agent working for an orchestrator."},
        {
            "role": "user",
            "content": "Fix these mypy problems:\n- shopcart/money.py: "
            "Money.format is annotated to return int but builds a str",
        },
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "str_replace_editor",
                "description": "edit",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            },
        }
    ]
    whole = client.chat(model="qwen3.5:9b", messages=messages, tools=tools)
    assert (
        Usage.of(input_tokens=whole.prompt_eval_count or 0, output_tokens=whole.eval_count or 0)
        == sim.billed[-1].usage
    )
    assert (
        whole.message.tool_calls
        and whole.message.tool_calls[0].function.name == "str_replace_editor"
    )
    chunks = list(client.chat(model="qwen3.5:9b", messages=messages, tools=tools, stream=True))
    final = chunks[-1]
    assert final.done and final.done_reason == "stop"
    assert (
        Usage.of(input_tokens=final.prompt_eval_count or 0, output_tokens=final.eval_count or 0)
        == sim.billed[-1].usage
    )
    assert final.eval_duration and final.prompt_eval_duration, "durations are reported in ns"
    assert any(c.message.tool_calls for c in chunks[:-1]), (
        "tool calls arrive before the final chunk"
    )


def test_unknown_models_get_the_documented_404s(sim: SimulatorServer) -> None:
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(**{**_request("x"), "model": "claude-nonexistent"})
    with pytest.raises(ollama.ResponseError) as missing:
        ollama.Client(host=sim.url).chat(
            model="missing", messages=[{"role": "user", "content": "hi"}]
        )
    assert missing.value.status_code == 404 and "not found" in missing.value.error


def test_a_client_leaving_mid_stream_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A trial cancelled mid-stream (the user quits) closes its connection abruptly; the
    server used to print ConnectionResetError and a traceback over the terminal."""
    import json
    import socket
    import struct
    import time

    with SimulatorServer(Scenario.of(get_task("tiny"), seed=3), stream_delay_s=0.02) as server:
        host, port = server.url.removeprefix("http://").split(":")
        body = json.dumps({**_request("Fix the shopcart checks."), "stream": True}).encode()
        connection = socket.create_connection((host, int(port)))
        connection.sendall(
            b"POST /v1/messages HTTP/1.1\r\nHost: sim\r\nx-api-key: k\r\n"
            b"anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        # Linger 0: close with a reset, as a cancelled client's socket often does.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err


def test_text_before_the_tool_results_is_refused_as_the_api_refuses_it(
    sim: SimulatorServer,
) -> None:
    """The docs: tool_result blocks come first in their user message, text after them."""
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    use = {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "ls"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}
    note = {"type": "text", "text": "Here is the output."}

    def turn(content: list[dict[str, Any]]) -> Any:
        request = _request("Fix the shopcart checks.")
        request["messages"] += [
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": content},
        ]
        return client.messages.create(**request)

    with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks"):
        turn([note, result])
    assert turn([result, note]).stop_reason in ("tool_use", "end_turn")


def test_sampling_parameters_are_refused_on_the_models_that_dropped_them(
    sim: SimulatorServer,
) -> None:
    """Opus 4.7 answers `temperature` with a 400 ("deprecated for this model"); Haiku 4.5
    still takes it. (SDK 2.17 has no such arguments any more: a caller sends them through
    extra_body, as an older client or a proxy would.)"""
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    for name, value in (("temperature", 0.2), ("top_p", 0.9), ("top_k", 40)):
        with pytest.raises(anthropic.BadRequestError, match=f"`{name}` is deprecated"):
            client.messages.create(**_request("Fix it."), extra_body={name: value})
    taken = client.messages.create(
        **{**_request("Fix it."), "model": "claude-haiku-4-5"}, extra_body={"temperature": 0.2}
    )
    assert taken.stop_reason in ("tool_use", "end_turn")
    with pytest.raises(anthropic.BadRequestError, match=r"thinking\.type\.adaptive"):
        client.messages.create(
            **{**_request("Fix it."), "thinking": {"type": "enabled", "budget_tokens": 1024}}
        )


def test_time_spent_between_requests_expires_the_cache_as_it_would_live(
    sim: SimulatorServer,
) -> None:
    """The agent's tools and the judge run for real between two calls. The simulated clock
    counted only the model's own time, so a 6-minute test run never expired a 5-minute
    cache entry; now the time between a reply and the next request counts too."""
    now = [1000.0]
    sim.wall_clock = lambda: now[0]
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    client.messages.create(**_request("Fix the shopcart checks."))
    now[0] += 60  # a one-minute tool call: the entry lives on
    client.messages.create(**_request("Fix the shopcart checks."))
    now[0] += 6 * 60  # a six-minute test run: past the 5-minute lifetime
    client.messages.create(**_request("Fix the shopcart checks."))
    first, second, third = (b.usage for b in sim.billed)
    assert second.cache_read == first.cache_write_5m > 0
    assert third.cache_read == 0 and third.cache_write_5m == first.cache_write_5m


def test_a_prompt_past_the_context_window_is_a_400(sim: SimulatorServer) -> None:
    """Haiku 4.5 holds 200K tokens; the API refuses a longer prompt, naming both numbers."""
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    long = "alpha beta gamma delta " * 55_000
    with pytest.raises(anthropic.BadRequestError, match=r"prompt is too long: \d+ tokens > 200000"):
        client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=64,
            messages=[{"role": "user", "content": long}],
        )
