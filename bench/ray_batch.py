"""What running a batch on Ray costs over the local pool, and how fast events come home.

Eight simulated `tiny` trials of arm B (about 2,000 events each), two at a time, three ways:
1. the local pool (trials as coroutines of this process);
2. a local Ray instance with two CPUs, the same two trials at a time;
3. the same on Ray, inside the app with the batch screen open (Pilot, headless).

Overhead per trial: for each trial, the time from handing it to the runner to its outcome,
less the trial's own wall time; the mean of that on Ray less its mean on the local pool.
Ray's start (`ray.init` and the event hub) is printed on its own: it is paid once per batch.
Target (issue: Ray): overhead under 0.5 s per trial.

Events per second: the events that reached the head's sinks, over the batch's wall time,
while the batch screen was open (and for the local pool beside it, for scale). They are
bounded by how fast the simulated trials make events, so this shows the channel keeps up,
not its ceiling.

Run: .venv/bin/python -m bench.ray_batch [--trials 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.report import report
from engine.arms import resolve_arm
from engine.batch import BatchPlan, plan_cells, run_batch
from engine.events import Event, EventSink
from engine.ray_runner import RayRunner
from engine.runners import LocalRunner, TrialRunner
from engine.trial import TrialConfig, TrialOutcome
from sessions import SessionWriter

TARGET_OVERHEAD_S = 0.5
WORKERS = 2


class Timed:
    """A runner that records, per trial, its time to outcome less the trial's wall time."""

    def __init__(self, inner: TrialRunner) -> None:
        self.inner = inner
        self.where = inner.where
        self.extra: list[float] = []

    async def run(self, config: TrialConfig, sinks: Sequence[EventSink]) -> TrialOutcome:
        start = time.perf_counter()
        outcome = await self.inner.run(config, sinks)
        self.extra.append(time.perf_counter() - start - outcome.wall_s)
        return outcome

    def close(self) -> None:
        self.inner.close()


class Count:
    def __init__(self) -> None:
        self.events = 0

    def emit(self, event: Event) -> None:
        self.events += 1


def headless(plan: BatchPlan, runner: Timed, directory: Path) -> tuple[float, int]:
    """Wall time and events of the batch, run as `fep-tui batch` runs it."""
    count = Count()
    directory.mkdir(parents=True)

    def new_sinks(config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
        writer = SessionWriter(directory)
        return [writer, count], writer.close

    start = time.perf_counter()
    asyncio.run(run_batch(plan, plan_cells(plan, []), new_sinks, lambda *_: None, runner))
    return time.perf_counter() - start, count.events


async def in_app(plan: BatchPlan, runner: TrialRunner, directory: Path) -> tuple[float, int]:
    """Wall time and events of the batch run from the app's batch screen."""
    from fep_tui.app import FepApp, StartBatch
    from fep_tui.screens.batch import BatchScreen

    directory.mkdir(parents=True)
    app = FepApp(directory, start=StartBatch(plan, directory, runner))
    async with app.run_test(size=(80, 24)) as pilot:
        start = time.perf_counter()
        screen = app.screen
        while not isinstance(screen, BatchScreen):
            await pilot.pause(0.05)
            screen = app.screen
        while not screen.finished:
            await pilot.pause(0.2)
        wall = time.perf_counter() - start
        events = sum(len(live.events) for live in screen.trials.values())
    return wall, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args()
    plan = BatchPlan((resolve_arm("B", {}),), ("tiny",), args.trials, WORKERS)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        local = Timed(LocalRunner())
        local_wall, local_events = headless(plan, local, root / "local")
        ray = RayRunner(num_cpus=WORKERS)
        start = time.perf_counter()
        ray.start()
        startup = time.perf_counter() - start
        remote = Timed(ray)
        try:
            ray_wall, ray_events = headless(plan, remote, root / "ray")
            app_wall, app_events = asyncio.run(in_app(plan, ray, root / "app"))
        finally:
            ray.close()
    print(f"{args.trials} simulated tiny trials of arm B, {WORKERS} at a time")
    print(f"local pool: batch {local_wall:.1f} s, {local_events:,} events")
    print(f"ray:        batch {ray_wall:.1f} s, {ray_events:,} events, start {startup:.2f} s")
    print(
        f"time to outcome less trial wall, mean: local {statistics.mean(local.extra):.3f} s, "
        f"ray {statistics.mean(remote.extra):.3f} s"
    )
    overhead = statistics.mean(remote.extra) - statistics.mean(local.extra)
    report("ray overhead per trial", overhead, TARGET_OVERHEAD_S, "s")
    print(f"{'events home per s, batch screen open':<36} {app_events / app_wall:10.0f}")
    print(f"{'events per s, local pool (headless)':<36} {local_events / local_wall:10.0f}")


if __name__ == "__main__":
    main()
