"""Scheduled simulator faults, seen through the real SDK clients and the trial engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import ApiRetry, TrialEnded, TrialError, TurnUsage
from engine.sim import Fault, SimulatorServer
from sessions import SessionWriter, load_session
from tests.conftest import Recorder


def test_rate_limit_and_overload_are_retried_by_the_sdk_and_the_trial_succeeds(
    recorder: Recorder,
) -> None:
    faults = (Fault("rate_limit", 2, retry_after_s=0.1), Fault("overloaded", 4))
    outcome = asyncio.run(
        run_trial(TrialConfig(resolve_arm("A"), "tiny", faults=faults), [recorder])
    )
    assert outcome.success and outcome.status == "completed"
    assert not recorder.of("error")


def test_a_mid_stream_error_is_retried_and_the_trial_goes_on(recorder: Recorder) -> None:
    """The SDK does not retry an error event that arrives with HTTP 200; the backend does,
    since no tool has run yet, and says so as an api_retry (before: the trial ended)."""
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault("mid_stream_error", 3),))
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.success and outcome.status == "completed"
    retries = [e for e in recorder.events if isinstance(e, ApiRetry)]
    assert [(r.status, r.attempt, r.will_retry) for r in retries] == [(200, 1, True)]
    assert retries[0].message == "mid-stream overloaded_error"


def test_mid_stream_errors_that_persist_end_the_trial_with_a_clear_error_and_a_whole_session(
    tmp_path: Path, recorder: Recorder
) -> None:
    writer = SessionWriter(tmp_path)
    faults = tuple(Fault("mid_stream_error", n) for n in (3, 4, 5))
    config = TrialConfig(resolve_arm("B"), "tiny", faults=faults)
    outcome = asyncio.run(run_trial(config, [writer, recorder]))
    assert outcome.status == "error" and not outcome.success
    retries = [e for e in recorder.events if isinstance(e, ApiRetry)]
    assert [(r.attempt, r.will_retry) for r in retries] == [(1, True), (2, True), (3, False)]
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert (
        len(errors) == 1
        and "mid-stream error" in errors[0].message
        and "overloaded" in errors[0].message
    )
    assert writer.path is not None
    session = load_session(writer.path)
    assert session.complete and not session.problems
    end = session.end
    assert isinstance(end, TrialEnded) and end.status == "error" and end.reason == errors[0].message


# The fault matrix's ollama drop_connection case asserts the same (test_live_backends).
@pytest.mark.slow
def test_ollama_dropped_connection_is_an_error_not_a_hang(recorder: Recorder) -> None:
    config = TrialConfig(
        resolve_arm("B"), "tiny", faults=(Fault("drop_connection", 2, api="ollama"),)
    )
    outcome = asyncio.run(run_trial(config, [recorder]))
    # An error, not a hang; and an executor's error goes back to the orchestrator as its
    # delegation's result, which hands the work over again, rather than ending the trial.
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert errors and errors[0].message.startswith("ollama:") and not errors[0].fatal
    assert outcome.status == "completed" and outcome.success


@pytest.mark.parametrize("kind", ["disconnect", pytest.param("stream_cut", marks=pytest.mark.slow)])
def test_a_stream_that_breaks_is_asked_again_once_and_its_input_is_billed(
    recorder: Recorder, captured_servers: list[SimulatorServer], kind: str
) -> None:
    """A connection dropped mid-stream (SDK 2.17 raises it outside its retry loop) was
    reported as 'cannot reach' and ended the trial; a stream that ended without
    message_delta and message_stop passed a half reply on. Each is now asked again once,
    the trial goes on, and the broken attempt's input side is billed as the API billed it."""
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault(kind, 2),))  # type: ignore[arg-type]
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.status == "completed" and outcome.success
    retries = [e for e in recorder.events if isinstance(e, ApiRetry)]
    assert [(r.status, r.will_retry) for r in retries] == [(200, True)]
    assert "cannot reach" not in retries[0].message
    billed = [b.usage for b in captured_servers[0].billed if b.api == "anthropic"]
    recorded = [
        e.usage for e in recorder.events if isinstance(e, TurnUsage) and e.role == "orchestrator"
    ]
    for bucket in ("input_tokens", "cache_write_5m", "cache_read"):
        assert sum(getattr(u, bucket) for u in recorded) == sum(getattr(u, bucket) for u in billed)


def test_a_stream_that_breaks_twice_is_an_error_naming_why(recorder: Recorder) -> None:
    faults = (Fault("stream_cut", 2), Fault("stream_cut", 3))
    outcome = asyncio.run(
        run_trial(TrialConfig(resolve_arm("A"), "tiny", faults=faults), [recorder])
    )
    assert outcome.status == "error"
    assert "ended without its final events" in outcome.reason
    assert "again after one retry" in outcome.reason
