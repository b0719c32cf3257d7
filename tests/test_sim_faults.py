"""Scheduled simulator faults, seen through the real SDK clients and the trial engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import TrialEnded, TrialError
from engine.sim import Fault
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


def test_mid_stream_error_ends_the_trial_with_a_clear_error_and_a_whole_session(
    tmp_path: Path, recorder: Recorder
) -> None:
    writer = SessionWriter(tmp_path)
    config = TrialConfig(resolve_arm("B"), "tiny", faults=(Fault("mid_stream_error", 3),))
    outcome = asyncio.run(run_trial(config, [writer, recorder]))
    assert outcome.status == "error" and not outcome.success
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


def test_ollama_dropped_connection_is_an_error_not_a_hang(recorder: Recorder) -> None:
    config = TrialConfig(
        resolve_arm("B"), "tiny", faults=(Fault("drop_connection", 2, api="ollama"),)
    )
    outcome = asyncio.run(run_trial(config, [recorder]))
    assert outcome.status == "error"
    errors = [e for e in recorder.events if isinstance(e, TrialError)]
    assert errors and errors[0].message.startswith("ollama:")
