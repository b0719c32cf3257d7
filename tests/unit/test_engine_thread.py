"""Quitting stops the engine's thread: running trials are cancelled and get to save."""

from __future__ import annotations

import asyncio
import contextlib
import time

from fep_tui.engine_thread import EngineThread


def test_shutdown_lets_a_cancelled_trial_save_before_the_loop_stops() -> None:
    saved: list[str] = []

    async def trial() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # writing its `interrupted` line
            saved.append("interrupted")
            raise

    engine = EngineThread()
    engine.submit(trial())
    time.sleep(0.1)
    assert engine.shutdown() is True
    assert saved == ["interrupted"]


def test_a_trial_still_saving_when_time_runs_out_is_reported_not_raised() -> None:
    """Quitting used to end in a TimeoutError traceback when a trial took longer than the
    wait to save (seen once in CI, with two batch trials on a loaded machine)."""

    async def slow_to_save() -> None:
        # Deaf to every cancellation: the wait must still end.
        end = time.monotonic() + 30
        while time.monotonic() < end:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(30)

    engine = EngineThread()
    engine.submit(slow_to_save())
    time.sleep(0.1)
    started = time.monotonic()
    assert engine.shutdown(timeout=0.2) is False
    # Bounded: not the 30 s the trial would take, nor a second full wait for the thread.
    assert time.monotonic() - started < 5


def test_a_trial_that_lost_its_cancellation_is_cancelled_again_and_saves() -> None:
    """In Python 3.11 a cancellation that arrives as an awaited step completes is lost
    (asyncio.wait_for returns the result). Such a trial ran on past the 10 s wait and its
    file had no end line (CI, a batch quit with two trials running)."""
    saved: list[str] = []

    async def trial() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)  # the lost cancellation
        try:
            await asyncio.sleep(60)  # the trial's next turn
        except asyncio.CancelledError:
            saved.append("interrupted")
            raise

    engine = EngineThread()
    engine.submit(trial())
    time.sleep(0.1)
    assert engine.shutdown(timeout=5) is True
    assert saved == ["interrupted"]
