"""Replies the real API produces and a careless agent loop mishandles, through the real SDK
client against the simulator: a reply cut at max_tokens inside a tool call, a refusal, an
empty text block before the tool calls."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import ReplyCut, ToolCall, TrialEnded, TrialError, TurnUsage
from engine.sim import Fault, SimulatorServer
from engine.sim.anthropic_wire import WireError, parse_request
from engine.usage import Usage
from sessions.outcome import outcome_of
from tasks import get_task
from tasks.workspace import remove_workspace, tree_digest
from tests.conftest import Recorder


def _trial(recorder: Recorder, *faults: Fault) -> TrialEnded:
    return _kept_trial(recorder, *faults, keep=False)[0]


def _kept_trial(
    recorder: Recorder, *faults: Fault, keep: bool = True
) -> tuple[TrialEnded, Path | None]:
    config = TrialConfig(resolve_arm("A"), "tiny", faults=faults, keep_workspace=keep)
    outcome = asyncio.run(run_trial(config, [recorder]))
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    return end, outcome.workspace


def test_a_reply_cut_inside_a_tool_call_never_runs_it_and_is_asked_again(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    """The SDK parses a cut tool call and drops its trailing string, so a cut str_replace
    would arrive without new_str. Its tools must not run; the call is made again with room."""
    end = _trial(recorder, Fault("max_tokens_cut", 2))
    cuts = [e for e in recorder.events if isinstance(e, ReplyCut)]
    assert [(c.turn, c.stop_reason, c.max_tokens, c.retry_max_tokens) for c in cuts] == [
        (2, "max_tokens", 8192, 16384)
    ]
    assert not [e for e in recorder.events if isinstance(e, ToolCall) and e.turn == 2]
    assert end.status == "completed" and end.success
    sent = [body["max_tokens"] for body in captured_servers[0].received("anthropic")]
    assert sent[:3] == [8192, 8192, 16384], "the call after the cut asked for more room"


def test_a_reply_cut_twice_ends_the_turn_with_the_workspace_untouched(
    recorder: Recorder, tmp_path: Path
) -> None:
    end, workspace = _kept_trial(recorder, Fault("max_tokens_cut", 2), Fault("max_tokens_cut", 3))
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert end.status == "error" and not end.success
    assert "stopped at max_tokens (max_tokens 16,384)" in errors[0].message
    assert "its tools were not run" in end.reason
    assert workspace is not None
    try:
        fresh = tmp_path / "fresh"
        get_task("tiny").prepare(fresh)
        assert tree_digest(workspace, "shopcart") == tree_digest(fresh, "shopcart")
    finally:
        remove_workspace(workspace)


def test_a_refusal_before_any_output_is_saved_as_such_and_billed_nothing(
    recorder: Recorder,
) -> None:
    end = _trial(recorder, Fault("refusal", 1))
    usage = [e for e in recorder.events if isinstance(e, TurnUsage)]
    assert usage[0].cost_usd == 0 and usage[0].usage == Usage.of()
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert [(e.message, e.fatal) for e in errors] == [
        ("the model refused (stop_reason refusal)", False)
    ]
    assert end.status == "refused" and end.total_cost_usd == 0
    assert outcome_of(end.status, end.success, end.turns) == "failed"


def test_an_empty_text_block_is_dropped_when_the_turn_is_sent_back(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    end = _trial(recorder, Fault("blank_text", 1))
    assert end.status == "completed" and end.success
    for body in captured_servers[0].received("anthropic"):
        for message in body["messages"]:
            content = message["content"]
            texts = [b.get("text", "x") for b in content if b.get("type") == "text"]
            assert all(text.strip() for text in texts), message


def test_an_empty_end_turn_after_tool_results_is_asked_to_continue_once(
    recorder: Recorder, sent_bodies: dict[str, list[dict[str, Any]]]
) -> None:
    """The second call (after the first check's results) comes back empty with end_turn:
    the agent stopped there, 'done' with the task undone. Now it is asked to continue, in
    the same user message after the tool results, billed its 3 output tokens, and the
    trial ends green. The request after the empty reply carries the continuation."""
    end = _trial(recorder, Fault("empty_end_turn", 2))
    assert end.status == "completed" and end.success
    notes = [e for e in recorder.events if isinstance(e, TrialError)]
    assert [(e.message, e.fatal) for e in notes] == [
        ("an empty reply (end_turn) after tool results: asked the model to continue", False)
    ]
    usage = [e for e in recorder.events if isinstance(e, TurnUsage)]
    assert usage[1].usage.output_tokens == 3 and usage[1].cost_usd > 0
    third = sent_bodies["anthropic"][2]["messages"][-1]
    kinds = [block["type"] for block in third["content"]]
    assert kinds[-1] == "text" and third["content"][-1]["text"] == "Please continue."
    assert set(kinds[:-1]) == {"tool_result"}


def test_a_second_empty_end_turn_in_a_row_ends_the_agent(recorder: Recorder) -> None:
    """Asked once; a model that answers empty again is taken at its word."""
    _trial(recorder, Fault("empty_end_turn", 2), Fault("empty_end_turn", 3))
    notes = [e for e in recorder.events if isinstance(e, TrialError)]
    assert len(notes) == 1
    assert sum(isinstance(e, TurnUsage) for e in recorder.events) == 3


@pytest.mark.parametrize("text", ["", " \n "])
def test_the_simulator_rejects_blank_text_as_the_api_does(text: str) -> None:
    body = {
        "model": "claude-opus-4-7",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }
    with pytest.raises(WireError, match="text content blocks must contain non-whitespace text"):
        parse_request(body)


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "model": "claude-opus-4-7",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
    }
    return body | changes


_USE = {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "ls"}}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            _body(messages=[{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]),
            'first message must use the "user" role',
        ),
        (
            _body(
                messages=[
                    {"role": "user", "content": [{"type": "text", "text": "go"}]},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": [{"type": "text", "text": "and?"}]},
                ]
            ),
            "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
        ),
        (
            _body(tools=[{"name": "run shell", "input_schema": {"type": "object"}}]),
            "tools.0.custom.name: String should match pattern",
        ),
        (_body(temperature_boost=2), "temperature_boost: Extra inputs are not permitted"),
        (_body(max_tokens=0), "max_tokens: 0 is outside 1..64000"),
        (_body(max_tokens=200_000), "max_tokens: 200000 is outside 1..64000"),
    ],
)
def test_the_simulator_rejects_what_the_api_rejects(body: dict[str, object], said: str) -> None:
    with pytest.raises(WireError, match=re.escape(said)):
        parse_request(body)


def test_a_rejected_request_reaches_the_sdk_as_a_bad_request(sim: SimulatorServer) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key-not-a-secret", max_retries=0)
    messages = [{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]
    with pytest.raises(anthropic.BadRequestError, match='must use the "user" role'):
        client.messages.create(model="claude-opus-4-7", max_tokens=64, messages=messages)  # type: ignore[arg-type]


def test_pause_turn_sends_the_turn_back_unchanged_and_the_advisor_still_answers(
    recorder: Recorder, sent_bodies: dict[str, list[dict[str, Any]]]
) -> None:
    """Arm E's first reply stops at pause_turn with its advisor call pending. The loop must
    send that turn back as the last message (no user message after it) and go on; ending
    there would leave the task unfixed and call it completed."""
    sent = sent_bodies["anthropic"]
    config = TrialConfig(resolve_arm("E"), "tiny", faults=(Fault("pause_turn", 1),))
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.success
    resumed = sent[1]["messages"]
    assert [m["role"] for m in resumed] == ["user", "assistant"], "nothing added after it"
    assert resumed[-1]["content"][-1]["type"] == "server_tool_use"
    # Later requests hold the paused turn and its continuation as one assistant message.
    merged = sent[2]["messages"][1]["content"]
    kinds = [b["type"] for b in merged]
    call, result = (
        merged[kinds.index("server_tool_use")],
        merged[kinds.index("advisor_tool_result")],
    )
    assert kinds.index("server_tool_use") < kinds.index("advisor_tool_result")
    assert result["tool_use_id"] == call["id"]
    advice = [e for e in recorder.of("tool_result") if getattr(e, "name", "") == "advisor"]
    assert len(advice) == 2, "both consultations answered"
    advisor_calls = [e for e in recorder.events if isinstance(e, TurnUsage) and e.role == "advisor"]
    assert len(advisor_calls) == 2


def test_the_simulator_refuses_a_paused_turn_that_is_not_sent_back_last() -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "fix it"},
            {
                "role": "assistant",
                "content": [
                    {"type": "server_tool_use", "id": "srv1", "name": "advisor", "input": {}}
                ],
            },
            {"role": "user", "content": "go on"},
        ],
    }
    with pytest.raises(WireError, match="send the assistant turn back as the last message"):
        parse_request(body)
