"""Where a trial runs: in this process (the default) or elsewhere (engine/ray_runner.py).

A runner takes a trial's configuration and the sinks its events go to, and returns its
outcome. Batches and searches hold one runner and never ask which kind it is. Whatever the
runner, the sinks live in this process: the session files are written here, and only here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from engine.events import EventSink
from engine.trial import TrialConfig, TrialOutcome, run_trial

# TrialOutcome.extras key of a trial whose worker process or node died under it. Such a
# trial is saved as an error with the events that arrived, and run again.
WORKER_LOST = "worker_lost"
# How often a lost trial is run again, and the waits before each run (a node that went
# away may be replaced, and Ray needs a moment to see it gone).
LOST_RERUN_WAITS_S = (1.0, 2.0, 4.0)

NewSinks = Callable[[TrialConfig], tuple[list[EventSink], Callable[[], None]]]


class TrialRunner(Protocol):
    # Shown beside each trial it runs; "" for this machine.
    where: str

    async def run(self, config: TrialConfig, sinks: Sequence[EventSink]) -> TrialOutcome: ...

    def close(self) -> None: ...


class LocalRunner:
    """Trials as coroutines of this process's event loop (their tools are subprocesses)."""

    where = ""

    async def run(self, config: TrialConfig, sinks: Sequence[EventSink]) -> TrialOutcome:
        return await run_trial(config, sinks)

    def close(self) -> None:
        return None


async def run_once_more_if_lost(
    runner: TrialRunner, config: TrialConfig, new_sinks: NewSinks
) -> tuple[TrialOutcome | None, str | None]:
    """Run one trial into fresh sinks; a trial whose worker was lost runs again (up to
    `len(LOST_RERUN_WAITS_S)` times, after each wait), each time into a new session file,
    so every lost attempt stays on disk as the error it was and is never a result.

    Returns the last attempt's outcome, or the error that stopped it before it could end.
    """
    outcome: TrialOutcome | None = None
    error: str | None = None
    for wait_s in (0.0, *LOST_RERUN_WAITS_S):
        await asyncio.sleep(wait_s)
        sinks, close = new_sinks(config)
        outcome, error = None, None
        try:
            outcome = await runner.run(config, sinks)
        except Exception as exc:  # one failed trial must not stop the batch
            error = f"{type(exc).__name__}: {exc}"
        finally:
            close()
        if outcome is None or not outcome.extras.get(WORKER_LOST):
            break
    return outcome, error
