"""Live-backend behaviour proven against the simulator: faults, retries, preflight, bounded
returns, whole tool schemas, and secrets kept out of session files."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ollama
import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.arms import parse_arms_toml
from engine.backends.ollama_backend import OllamaBackend, tool_dicts
from engine.backends.scripted import ScriptedBackend, final_turn, tool_turn
from engine.events import (
    ApiRetry,
    ExecutorSummary,
    ReplyCut,
    TrialEnded,
    TrialError,
    TurnUsage,
)
from engine.messages import Message, ModelRequest, TextBlock, ToolSpec
from engine.pricing import PUBLISHED
from engine.sim import FAULT_KINDS, Fault, FaultKind, SimulatorServer
from engine.sim.faults import OLLAMA_REPLY_FAULTS, REPLY_FAULTS
from sessions import SessionWriter, load_session
from tests.conftest import Recorder, TinyTrial, run_cli

STATUS_FAULTS = {"rate_limit", "overloaded", "server_error"}


@pytest.fixture(scope="module")
def clean_turns() -> dict[str, int]:
    """Turns per role of a fault-free arm C trial: a recovered trial must take the same."""
    outcome = asyncio.run(run_trial(TrialConfig(resolve_arm("C"), "tiny"), []))
    return {role: totals.turns for role, totals in outcome.roles.items()}


def _faulted(arm: str, fault: Fault, directory: Path) -> tuple[Recorder, Path]:
    recorder, writer = Recorder(), SessionWriter(directory)
    asyncio.run(
        run_trial(TrialConfig(resolve_arm(arm), "tiny", faults=(fault,)), [writer, recorder])
    )
    assert writer.path is not None
    return recorder, writer.path


def _check_session_whole(recorder: Recorder, path: Path) -> TrialEnded:
    session = load_session(path)
    assert session.complete and not session.problems
    recorded = [e for e in recorder.events if e.kind != "trial_start"]
    assert session.events == recorded, "everything emitted is in the file, in order"
    assert isinstance(session.end, TrialEnded)
    return session.end


def _matrix(kinds: tuple[FaultKind, ...], fast: FaultKind | None) -> list[Any]:
    """Every kind; all but `fast` behind the slow marker (the full matrix takes minutes)."""
    return [pytest.param(k, marks=() if k == fast else pytest.mark.slow) for k in kinds]


# All slow: the one case the default suite ran (an overload, retried by the SDK) is
# test_sim_faults.py's test_rate_limit_and_overload_are_retried_by_the_sdk_and_the_trial_
# succeeds, in a quarter of the time (this one first runs a clean trial to compare with).
@pytest.mark.parametrize(
    "kind", _matrix(tuple(k for k in FAULT_KINDS if k not in OLLAMA_REPLY_FAULTS), None)
)
@pytest.mark.parametrize(
    ("where", "attempt"),
    [("orchestrator", 2), pytest.param("executor", 4, marks=pytest.mark.slow)],
)
def test_fault_matrix_anthropic(
    kind: FaultKind, where: str, attempt: int, tmp_path: Path, clean_turns: dict[str, int]
) -> None:
    """Arm C: Anthropic attempt 2 is orchestrator turn 2, attempt 4 executor turn 2."""
    recorder, path = _faulted("C", Fault(kind, attempt, retry_after_s=0.1, delay_s=0.01), tmp_path)
    end = _check_session_whole(recorder, path)
    retries = [e for e in recorder.events if isinstance(e, ApiRetry)]
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    turns = {role: end.roles[role].turns for role in end.roles}
    if kind in {*STATUS_FAULTS, "slow_stream", "blank_text", "mid_stream_error"}:
        # Retried (by the SDK, or by the backend for an error event mid-stream), or harmless.
        assert end.status == "completed" and end.success
        assert turns == clean_turns
        if kind in {*STATUS_FAULTS, "mid_stream_error"}:
            assert len(retries) == 1 and retries[0].role == where and retries[0].will_retry
            assert retries[0].turn == 2
    elif kind == "max_tokens_cut":
        # The cut call's tools never ran; the same call again with more room did.
        cuts = [e for e in recorder.events if isinstance(e, ReplyCut)]
        assert len(cuts) == 1 and cuts[0].role == where and cuts[0].retry_max_tokens
        assert end.status == "completed" and end.success
        assert turns == {**clean_turns, where: clean_turns[where] + 1}
    elif kind == "refusal":
        assert [(e.role, e.fatal) for e in errors] == [(where, False)]
        assert "refused" in errors[0].message
    elif kind in ("drop_connection", "disconnect", "stream_cut"):
        # A broken connection or stream is asked again once, and the trial goes on.
        assert end.status == "completed" and end.success and turns == clean_turns
        assert [(r.role, r.turn, r.will_retry) for r in retries] == [(where, 2, True)]
    elif kind in ("pause_turn", "us_only", "split_mismatch"):
        # Continued (pause_turn), billed at 1.1x (us_only), or the total written believed
        # over its split (split_mismatch, said once where it mattered): never an error.
        assert end.status == "completed" and end.success and turns == clean_turns
        assert not any(e.fatal for e in errors)
    elif kind == "empty_end_turn":
        # An empty reply after tool results is asked for again: one more call, said.
        assert end.status == "completed" and end.success
        assert turns == {**clean_turns, where: clean_turns[where] + 1}
        assert [(e.role, e.fatal) for e in errors] == [(where, False)]
        assert "an empty reply" in errors[0].message
    else:
        assert end.status == "error" and not end.success
        assert (
            len(errors) == 1
            and errors[0].role == where
            and errors[0].message.startswith("anthropic:")
        )
        assert end.reason == errors[0].message


@pytest.mark.parametrize(
    "kind", _matrix(tuple(k for k in FAULT_KINDS if k not in REPLY_FAULTS), "drop_connection")
)
def test_fault_matrix_ollama_executor(kind: FaultKind, tmp_path: Path) -> None:
    """Arm B: the Ollama client does not retry. A busy server (503) is asked again by the
    backend; any other failed executor turn goes back to the orchestrator as the
    delegation's result, with a clear error of the executor on record, and the trial goes
    on; a slow stream only slows it."""
    recorder, path = _faulted("B", Fault(kind, 2, api="ollama", delay_s=0.01), tmp_path)
    end = _check_session_whole(recorder, path)
    if kind in ("slow_stream", "overloaded", *OLLAMA_REPLY_FAULTS):
        # Slowed, retried, or a reply the backend reads right (a cut one is asked again).
        assert end.success
    else:
        errors = [e for e in recorder.events if isinstance(e, TrialError)]
        assert end.status == "completed", end.reason
        assert errors and errors[0].role == "executor" and not errors[0].fatal
        assert errors[0].message.startswith("ollama:")


def test_retries_exhausted_give_a_clear_error(tmp_path: Path) -> None:
    faults = tuple(Fault("overloaded", n) for n in (2, 3, 4))
    recorder, writer = Recorder(), SessionWriter(tmp_path)
    asyncio.run(run_trial(TrialConfig(resolve_arm("A"), "tiny", faults=faults), [writer, recorder]))
    retries = [e for e in recorder.events if isinstance(e, ApiRetry)]
    assert [(r.attempt, r.will_retry) for r in retries] == [(1, True), (2, True), (3, False)]
    assert writer.path is not None
    end = _check_session_whole(recorder, writer.path)
    assert end.status == "error" and "529" in end.reason and "overloaded" in end.reason


@pytest.mark.slow  # 18 s; test_trials checks B's summaries raise the orchestrator's reads
def test_published_mechanism_b_above_a_and_bounded_below_b() -> None:
    reads = {}
    for arm in ("A", "B", "B-bounded"):
        outcome = asyncio.run(
            run_trial(TrialConfig(resolve_arm(arm), "tiny", rate_card=PUBLISHED), [])
        )
        assert outcome.success
        lead = "solo" if arm == "A" else "orchestrator"
        reads[arm] = outcome.roles[lead].usage.cache_read
    assert reads["B"] > reads["A"] * 1.3, reads
    assert reads["B-bounded"] < reads["B"] * 0.8, reads


def test_bounded_return_is_files_status_and_a_capped_diff(recorder: Recorder) -> None:
    config = TrialConfig(resolve_arm("B-bounded").with_return_cap(60), "tiny")
    asyncio.run(run_trial(config, [recorder]))
    summaries = [e for e in recorder.events if isinstance(e, ExecutorSummary)]
    first = summaries[0].text
    assert first.startswith("files changed: shopcart/money.py, shopcart/receipt.py\njudge: RED")
    assert "-    def format(self) -> int:" in first and "[diff cut to 60 tokens" in first
    assert "Executor report" not in first, "the executor's prose never reaches the orchestrator"
    assert all(s.tokens < 200 for s in summaries)


def test_nested_tool_schemas_reach_ollama_whole(sim: SimulatorServer) -> None:
    nested = {
        "type": "object",
        "properties": {
            "edit": {
                "type": "object",
                "properties": {"line": {"type": "integer", "minimum": 1}},
                "required": ["line"],
                "additionalProperties": False,
            }
        },
        "required": ["edit"],
    }
    request = ModelRequest(
        "qwen3.5:9b",
        "You are an executor agent.",
        (ToolSpec("patch", "Apply an edit.", nested),),
        (Message("user", [TextBlock("hi")]),),
        64,
    )
    backend = OllamaBackend(ollama.AsyncClient(host=sim.url), sim.url)
    asyncio.run(backend.complete(request, lambda _: None))
    assert sim.received("ollama")[-1]["tools"] == tool_dicts(request)


def test_ollama_preflight_server_down_and_model_missing(
    tmp_path: Path, sim: SimulatorServer
) -> None:
    arms = tmp_path / "arms.toml"
    arms.write_text(
        '[arms.Q]\nsolo = { model = "qwen3.5:9b", provider = "ollama" }\n'
        '[arms.M]\nsolo = { model = "llama-missing:1b", provider = "ollama" }\n'
    )
    base = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),
        "FEP_SESSIONS_DIR": str(tmp_path),
    }
    common = ("--task", "tiny", "--backend", "live", "--headless", "--arms-file", str(arms))
    down = run_cli("run", "--arm", "Q", *common, env={**base, "OLLAMA_HOST": "http://127.0.0.1:9"})
    assert down.returncode == 2 and "cannot reach Ollama at http://127.0.0.1:9" in down.stderr
    assert "OLLAMA_HOST" in down.stderr and len(down.stderr.strip().splitlines()) == 1
    missing = run_cli("run", "--arm", "M", *common, env={**base, "OLLAMA_HOST": sim.url})
    assert missing.returncode == 2 and "ollama pull llama-missing:1b" in missing.stderr
    assert "Traceback" not in down.stderr + missing.stderr
    assert not list(tmp_path.glob("*.jsonl")), "nothing starts before the preflight passes"


def test_secrets_in_tool_output_never_reach_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-ant-test-KEEPOUT-0123456789abcdef"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    from engine.bus import EventBus
    from engine.events import TrialStarted
    from engine.ledger import Ledger
    from engine.loop import RoleRuntime, run_agent
    from engine.pricing import FREE
    from engine.tools import Bash

    writer = SessionWriter(tmp_path)
    bus = EventBus([writer])
    header = TrialStarted(
        0.0,
        "secret-test",
        "X",
        {},
        "tiny",
        {"solo": "fake"},
        {"solo": "scripted"},
        "sim",
        True,
        PUBLISHED.to_dict(),
        0,
        "test",
        "now",
    )
    bus.emit(header)
    backend = ScriptedBackend(
        [
            tool_turn(
                ("bash", {"command": "echo key=$ANTHROPIC_API_KEY; env | grep ANTHROPIC"}),
                text=f"My key is {key}",
            ),
            final_turn("done"),
        ]
    )
    ledger = Ledger()
    ledger.register("solo", "fake", "scripted", FREE)
    runtime = RoleRuntime(
        "solo",
        parse_arms_toml('[arms.X]\nsolo = { model = "fake" }\n')["X"].lead,
        backend,
        "system",
        {"bash": Bash(tmp_path)},
    )
    asyncio.run(run_agent(runtime, "Print the key.", bus, ledger))
    writer.close()
    assert writer.path is not None
    text = writer.path.read_text()
    assert key in backend.requests[1].messages[-1].blocks[0].content, "the tool really printed it"  # type: ignore[union-attr]
    assert key not in text and "[REDACTED]" in text


def test_no_session_file_written_by_the_suite_holds_the_test_key(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Greps every session file under this run's temporary directories for the test key."""
    root = tmp_path_factory.getbasetemp()
    files = list(root.rglob("*.jsonl"))
    assert files, "the suite wrote session files"
    for path in files:
        assert "KEEPOUT" not in path.read_text(errors="replace"), path


# One arm per billing path in the default suite: solo (A), a free local executor (B), a
# paid Anthropic executor (C) and the advisor tool (E). D is solo as A is, and a bounded
# return changes what comes back, not how it is billed: those run with the slow rest.
@pytest.mark.parametrize(
    "arm_name",
    [
        "A",
        "B",
        # The advisor's billing is also checked by test_advisor_arm_round_trips_blocks...
        pytest.param("C", marks=pytest.mark.slow),
        pytest.param("D", marks=pytest.mark.slow),
        "E",
        pytest.param("B-bounded", marks=pytest.mark.slow),
        pytest.param("C-bounded", marks=pytest.mark.slow),
    ],
)
def test_usage_per_role_equals_what_the_simulator_billed(
    arm_name: str, tiny_trial: Callable[[str], TinyTrial]
) -> None:
    """Through the real SDK clients, each role's usage is exactly what the simulator billed
    for that role's model (no built-in arm uses one model in two roles)."""
    trial = tiny_trial(arm_name)
    assert trial.outcome.success
    for role, spec in resolve_arm(arm_name).roles().items():
        usage = [e for e in trial.events if isinstance(e, TurnUsage) and e.role == role]
        billed: dict[str, int] = {}
        for bill in trial.server.billed:
            if bill.model == spec.model:
                for key, value in bill.usage.to_dict().items():
                    billed[key] = billed.get(key, 0) + value
        assert usage[-1].role_usage.to_dict() == billed, role


@pytest.mark.parametrize("streaming", [True, False])
def test_advisor_arm_round_trips_blocks_and_bills_the_advisor_at_its_rates(
    streaming: bool, recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    outcome = asyncio.run(
        run_trial(TrialConfig(resolve_arm("E"), "tiny", streaming=streaming), [recorder])
    )
    assert outcome.success
    advisor_usage = [e for e in recorder.events if isinstance(e, TurnUsage) and e.role == "advisor"]
    assert len(advisor_usage) == 2 and all(e.model == "claude-opus-4-7" for e in advisor_usage)
    from engine.pricing import OFFICIAL
    from engine.usage import Usage

    total = sum((e.usage for e in advisor_usage), Usage.of())
    assert outcome.roles["advisor"].cost_usd == pytest.approx(
        OFFICIAL.prices["claude-opus-4-7"].cost(total), abs=1e-6
    )
    advice = [e for e in recorder.of("tool_result") if getattr(e, "name", "") == "advisor"]
    assert len(advice) == 2
    # The request after a consultation sends the advisor blocks back verbatim.
    sent = [
        b
        for body in captured_servers[0].received("anthropic")
        for m in body["messages"]
        for b in m["content"]
        if isinstance(m["content"], list)
    ]
    kinds = {b.get("type") for b in sent}
    assert {"server_tool_use", "advisor_tool_result"} <= kinds


def test_advisor_tool_without_the_beta_header_is_rejected(sim: SimulatorServer) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    advisor = resolve_arm("E").advisor
    assert advisor is not None
    tool: Any = advisor.tool()
    with pytest.raises(anthropic.BadRequestError, match="anthropic-beta"):
        client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=100,
            tools=[tool],
            messages=[{"role": "user", "content": "hi"}],
        )


def test_ollama_executor_tokens_and_durations_are_recorded_at_zero_cost(
    tiny_trial: Callable[[str], TinyTrial],
) -> None:
    events = tiny_trial("B").events
    executor = [e for e in events if isinstance(e, TurnUsage) and e.role == "executor"]
    assert executor and all(e.cost_usd == 0 for e in executor)
    assert all(e.usage.input_tokens > 0 and e.usage.output_tokens > 0 for e in executor)
    assert all(e.timings["eval_s"] > 0 and e.timings["prompt_eval_s"] > 0 for e in executor)
    assert executor[0].timings["load_s"] > 0 and executor[1].timings.get("load_s", 0) == 0


def test_tool_input_streams_as_events_that_add_up_to_the_call(
    tiny_trial: Callable[[str], TinyTrial],
) -> None:
    from engine.events import ToolCall, ToolInputDelta

    events = tiny_trial("A").events
    deltas = [e for e in events if isinstance(e, ToolInputDelta)]
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert deltas and calls
    for call in calls:
        parts = "".join(d.partial_json for d in deltas if d.call_id == call.call_id)
        assert json.loads(parts) == call.input
        first_delta = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, ToolInputDelta) and e.call_id == call.call_id
        )
        assert first_delta < events.index(call), "input streams before the call is whole"


def test_each_iteration_is_billed_with_its_own_split_and_its_own_model() -> None:
    """A reply decoded by the SDK's own beta types: the executor's iterations keep their
    5m/1h split, the advisor's are its own, and a `fallback_message` iteration (a fallback
    model served the call) is billed to `fallback` at that model's rates."""
    from anthropic.types.beta import BetaMessage

    from engine.backends.anthropic_backend import reply_from_message
    from engine.ledger import Ledger
    from engine.pricing import OFFICIAL

    def split(five: int, hour: int) -> dict[str, int]:
        return {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}

    def iteration(kind: str, **fields: Any) -> dict[str, Any]:
        base = {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 300}
        return {"type": kind, **base, **fields}

    message = BetaMessage.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "done"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 30,
                "output_tokens": 60,
                "cache_creation_input_tokens": 1000,
                "cache_read_input_tokens": 900,
                "cache_creation": split(400, 600),
                "iterations": [
                    iteration("message", cache_creation_input_tokens=1000,
                              cache_creation=split(400, 600)),
                    iteration("advisor_message", model="claude-opus-4-7",
                              cache_creation_input_tokens=50, cache_creation=split(0, 50)),
                    iteration("fallback_message", model="claude-sonnet-4-6",
                              cache_creation_input_tokens=0),
                ],
            },
        }
    )  # fmt: skip
    reply = reply_from_message(message, "claude-opus-4-7")
    assert (reply.usage.cache_write_5m, reply.usage.cache_write_1h) == (400, 600)
    sides = {side.role: side for side in reply.side_usage}
    assert sides["advisor"].model == "claude-opus-4-7"
    assert (sides["advisor"].usage.cache_write_5m, sides["advisor"].usage.cache_write_1h) == (0, 50)
    assert sides["fallback"].model == "claude-sonnet-4-6"
    ledger = Ledger(card=OFFICIAL)
    ledger.ensure("fallback", "claude-sonnet-4-6")
    cost, _ = ledger.record("fallback", sides["fallback"].usage)
    # Sonnet 4.6: $3 in, $15 out, $0.30 read per million.
    assert cost == pytest.approx((10 * 3 + 20 * 15 + 300 * 0.3) / 1e6)
