"""What a real Ollama server does that a careless client mishandles, through the official
ollama client against the simulator: a 4k default context that silently drops the oldest
messages, done_reason length, an absent prompt_eval_count, tool calls on the final chunk,
and a model that cannot call tools."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import ExecutorSummary, ReplyCut, TrialEnded, TrialError, TurnUsage
from engine.sim import Fault, SimulatorServer
from engine.sim.ollama_wire import parse_chat
from tests.conftest import Recorder, run_cli


def _b_trial(recorder: Recorder, *faults: Fault) -> TrialEnded:
    asyncio.run(run_trial(TrialConfig(resolve_arm("B"), "tiny", faults=faults), [recorder]))
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    return end


def test_every_executor_call_asks_for_a_64k_context(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    """Without num_ctx a 16 GB GPU gets 4k and the executor loses its instruction; Ollama's
    docs ask for 64k for coding agents."""
    end = _b_trial(recorder)
    assert end.success
    sent = [body.get("options", {}) for body in captured_servers[0].received("ollama")]
    assert sent and all(options.get("num_ctx") == 65536 for options in sent), sent


def test_the_simulator_drops_the_oldest_messages_past_the_context_as_ollama_does() -> None:
    instruction = {"role": "user", "content": "Fix these mypy problems: " + "token " * 4000}
    body = {
        "model": "qwen3.5:9b",
        "messages": [
            {"role": "system", "content": "You are the executor."},
            instruction,
            {"role": "assistant", "content": "Looking. " * 400},
            {"role": "user", "content": "go on"},
        ],
    }
    default = parse_chat(body)
    roomy = parse_chat({**body, "options": {"num_ctx": 32768}})
    assert default.dropped >= 1 and default.prompt_tokens <= 4096
    assert "Fix these" not in default.transcript.first_user_text, "the instruction went first"
    assert roomy.dropped == 0 and "Fix these" in roomy.transcript.first_user_text


def test_done_reason_length_is_a_cut_reply_asked_again(recorder: Recorder) -> None:
    end = _b_trial(recorder, Fault("done_length", 2, api="ollama"))
    cuts = [e for e in recorder.events if isinstance(e, ReplyCut)]
    assert [(c.role, c.stop_reason) for c in cuts] == [("executor", "max_tokens")]
    assert cuts[0].retry_max_tokens == 2 * cuts[0].max_tokens
    assert end.success


def test_a_missing_prompt_eval_count_is_unknown_not_zero(recorder: Recorder) -> None:
    _b_trial(recorder, Fault("no_prompt_eval_count", 1, api="ollama"))
    executor = [e for e in recorder.events if isinstance(e, TurnUsage) and e.role == "executor"]
    assert executor[0].unknown == ["input_tokens"]
    assert all(e.unknown == [] for e in executor[1:])


@pytest.mark.slow
def test_tool_calls_on_the_final_chunk_are_run(recorder: Recorder) -> None:
    """Two trials (with and without the fault): behind the slow marker to keep CI short."""
    clean = Recorder()
    clean_end = _b_trial(clean)
    end = _b_trial(recorder, Fault("tools_on_final_chunk", 1, api="ollama"))
    assert end.success
    assert end.roles["executor"].turns == clean_end.roles["executor"].turns


@pytest.mark.parametrize(
    ("model", "said"),
    [("llama2:7b", "cannot call tools (its capabilities: completion)")],
)
def test_preflight_refuses_a_model_without_tools_before_any_paid_turn(
    tmp_path: Path, sim: SimulatorServer, model: str, said: str
) -> None:
    arms = tmp_path / "arms.toml"
    arms.write_text(
        '[arms.L]\norchestrator = { model = "claude-opus-4-7" }\n'
        f'executor = {{ model = "{model}", provider = "ollama" }}\n'
    )
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),
        "FEP_SESSIONS_DIR": str(tmp_path),
        "OLLAMA_HOST": sim.url,
        "ANTHROPIC_API_KEY": "sk-test-never-used",
    }
    run = ("run", "--arm", "L", "--task", "tiny", "--backend", "live", "--headless")
    result = run_cli(*run, "--arms-file", str(arms), env=env)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.jsonl")), "nothing was spent"


def test_thinking_is_saved_counted_and_sent_back_on_the_next_turn(
    recorder: Recorder, sent_bodies: dict[str, list[dict[str, Any]]]
) -> None:
    """Qwen 3.5 thinks by default. The thinking is kept as its own event with its tokens,
    and the next request carries it on that assistant message: the chat template renders
    it, so dropping it changes the prompt."""
    from engine.events import ThinkingText
    from engine.tokens import count_text

    end = _b_trial(recorder, Fault("thinking", 1, "ollama"))
    assert end.success
    [thought] = [e for e in recorder.events if isinstance(e, ThinkingText)]
    assert thought.role == "executor" and thought.text.startswith("The user wants this fixed.")
    assert thought.tokens == count_text(thought.text) > 0
    first_call = next(
        e for e in recorder.events if isinstance(e, TurnUsage) and e.role == "executor"
    )
    assert first_call.usage.output_tokens > thought.tokens, "eval_count includes thinking"
    second = sent_bodies["ollama"][1]
    sent_back = [m for m in second["messages"] if m["role"] == "assistant"]
    assert sent_back[0]["thinking"] == thought.text
    assert "thinking" not in sent_back[0]["content"]


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        # The same path as ollama_error, with another message: behind the slow marker.
        pytest.param(
            "tool_parse_error", "ollama: HTTP 500: error parsing tool call", marks=pytest.mark.slow
        ),
        ("ollama_error", "ollama: HTTP 500: model runner has unexpectedly stopped"),
    ],
)
def test_an_executor_that_fails_is_reported_to_the_orchestrator_not_the_end_of_the_trial(
    recorder: Recorder, fault: str, said: str
) -> None:
    """Any Ollama error on an executor turn ended the whole trial. Now the delegation comes
    back as 'executor failed: ...', the orchestrator delegates it again, and the trial is
    green; the failure is on record as a non-fatal error of the executor."""
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault(fault, 1, "ollama"),))  # type: ignore[arg-type]
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.status == "completed" and outcome.success
    summaries = [e for e in recorder.events if isinstance(e, ExecutorSummary)]
    assert summaries[0].text.startswith(f"executor failed: {said}")
    assert len(summaries) == 4  # the failed one, then the three categories
    assert summaries[1].text != summaries[0].text
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert [(e.role, e.fatal) for e in errors] == [("executor", False)]


def test_a_busy_ollama_is_asked_again_and_the_trial_never_hears_of_it(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    """Ollama's 503 (a full request queue) asks to be retried; ollama-python never does."""
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault("ollama_busy", 1, "ollama"),))
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.success
    assert not [e for e in recorder.events if isinstance(e, TrialError)]
    assert not any(
        isinstance(e, ExecutorSummary) and e.text.startswith("executor failed")
        for e in recorder.events
    )


def test_a_prompt_over_num_ctx_is_an_error_naming_both_never_a_silent_truncation(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    """Ollama drops the oldest messages past num_ctx without a word: the executor would
    work without its instruction. The prompt is measured before the call instead."""
    arm = resolve_arm("B").with_num_ctx(1024)
    asyncio.run(run_trial(TrialConfig(arm, "tiny"), [recorder]))
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert errors and all(e.role == "executor" and not e.fatal for e in errors)
    assert re.search(r"the prompt is about [\d,]+ tokens, over num_ctx 1,024", errors[0].message)
    # What was sent fitted: the simulator, which cuts as Ollama does, dropped nothing.
    sent = captured_servers[0].received("ollama")
    assert sent and all(parse_chat(body).dropped == 0 for body in sent)


def test_an_ollama_that_goes_quiet_times_out_with_the_cause_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ollama-python sets no timeout: a server that accepted the request and then sent
    nothing hung the trial for ever. Now it ends the call, saying it timed out."""
    import socket
    import threading

    from engine.backends import ollama_backend
    from engine.backends.base import BackendError
    from engine.messages import Message, ModelRequest, TextBlock

    monkeypatch.setattr(ollama_backend, "READ_TIMEOUT_S", 0.5)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        connection, _ = listener.accept()
        accepted.append(connection)  # read nothing, answer nothing

    threading.Thread(target=serve, daemon=True).start()
    host = f"http://127.0.0.1:{listener.getsockname()[1]}"
    backend = ollama_backend.OllamaBackend(ollama_backend.ollama_client(host), host)
    request = ModelRequest(
        "qwen3.5:9b", "system", (), (Message("user", [TextBlock("hi")]),), 64, num_ctx=4096
    )

    async def call() -> None:
        await asyncio.wait_for(backend.complete(request, lambda _: None), 20)

    try:
        with pytest.raises(BackendError, match=r"sent nothing for 0.5 s \(timed out\)"):
            asyncio.run(call())
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


def test_a_tool_call_written_as_text_is_not_taken_for_the_executors_summary(
    recorder: Recorder,
) -> None:
    """qwen3.5 dropping its tool-call tags: the call arrived as content, and the executor
    'completed' with it as its summary, the task undone. Now the model is told once, calls
    the tool, and the delegation goes on."""
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault("tool_as_text", 1, "ollama"),))
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.status == "completed" and outcome.success
    summaries = [e for e in recorder.events if isinstance(e, ExecutorSummary)]
    assert len(summaries) == 3 and not any("<function=" in s.text for s in summaries)
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert [(e.role, e.fatal) for e in errors] == [("executor", False)]
    assert "wrote a tool call as text (<function=str_replace_editor>)" in errors[0].message


@pytest.mark.slow  # the once-told case runs in the default suite
def test_a_tool_call_written_as_text_twice_fails_the_delegation_not_the_trial(
    recorder: Recorder,
) -> None:
    faults = (Fault("tool_as_text", 1, "ollama"), Fault("tool_as_text", 2, "ollama"))
    outcome = asyncio.run(
        run_trial(TrialConfig(resolve_arm("B"), "tiny", faults=faults), [recorder])
    )
    assert outcome.status == "completed" and outcome.success
    summaries = [e for e in recorder.events if isinstance(e, ExecutorSummary)]
    assert summaries[0].text.startswith("executor failed: ")
    assert "as text again" in summaries[0].text


def test_only_a_call_to_a_tool_the_role_has_counts_as_a_call_in_text() -> None:
    from engine.tool_text import tool_call_in_text

    tools = {"bash", "str_replace_editor"}
    xml = "Let me look.\n<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>"
    assert tool_call_in_text(xml, tools) == "<function=bash>"
    hermes = '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>'
    assert tool_call_in_text(hermes, tools) == '<tool_call>\n{"name": "bash"'
    bare = '{"name": "str_replace_editor", "arguments": {"command": "view"}}'
    assert tool_call_in_text(bare, tools) is not None
    assert tool_call_in_text("<function=rm_rf>", tools) is None
    assert tool_call_in_text("I fixed money.py with the bash tool; all checks pass.", tools) is None


def test_a_reply_of_only_thinking_is_asked_to_continue_not_called_cut(recorder: Recorder) -> None:
    """A thinking model that thought and stopped (done_reason stop) was reported as a
    max_tokens cut and asked again with twice the room. It was not cut: it is an empty end
    of turn, and gets the one continuation an empty reply gets."""
    end = _b_trial(recorder, Fault("thinking_only", 3, "ollama"))
    assert end.status == "completed" and end.success
    assert not recorder.of("reply_cut")
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert [(e.role, e.fatal) for e in errors] == [("executor", False)]
    assert "only thinking" in errors[0].message
