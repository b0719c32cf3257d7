"""Does a trial watched in the app record the same wall time as the same trial headless?

Issue "Numbers you can trust": compare and the Pareto chart mix trials run both ways, so
the app must not add its own time to a trial's. Pairs of runs of arm B on `tiny`, seed 0,
alternating so drift in the machine's load falls on both sides:
- headless: `fep-tui run --headless`, a process of its own;
- app: the app started through Pilot (headless Textual) with the same trial, displayed at
  the app's pacing, which the trial's clock leaves out (engine/bus.py).

Each run's wall time is read from its session file's trial_end. Two figures per pair:
the whole trial, and the agent's part alone (up to the judge_start event), since the
judge runs real mypy, ruff and pytest whose time scatters by seconds either way.

Target: the median app/headless ratio within 10% (0.90 to 1.10); printed as the distance
from 1 over 0.10.

Run: .venv/bin/python -m bench.app_wall [--pairs 6]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import report
from engine.arms import resolve_arm
from engine.trial import TrialConfig
from sessions import load_session

TOLERANCE = 0.10


def times(directory: Path) -> tuple[float, float]:
    """(whole wall time, time until the judge started) of the one session in `directory`."""
    [path] = directory.glob("*.jsonl")
    session = load_session(path)
    assert session.end is not None, f"{path} did not finish"
    judge = next((e.t for e in session.events if e.kind == "judge_start"), session.end.wall_s)
    return session.end.wall_s, judge


def headless(directory: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "fep_tui.cli", "run", "--arm", "B", "--task", "tiny"]
    command += ["--backend", "sim", "--headless", "--sessions-dir", str(directory)]
    subprocess.run(command, check=True, capture_output=True)
    return times(directory)


async def in_app(directory: Path) -> tuple[float, float]:
    from fep_tui.app import FepApp, StartLive

    directory.mkdir(parents=True)
    config = TrialConfig(resolve_arm("B", {}), "tiny", backend="sim", seed=0)
    app = FepApp(directory, start=StartLive(config))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        while app.running.running():
            await pilot.pause(0.2)
    return times(directory)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args()
    whole: list[float] = []
    agent: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for pair in range(args.pairs):
            root = Path(scratch) / str(pair)
            h_wall, h_agent = headless(root / "headless")
            a_wall, a_agent = asyncio.run(in_app(root / "app"))
            whole.append(a_wall / h_wall)
            agent.append(a_agent / h_agent)
            print(
                f"pair {pair}: headless {h_wall:5.2f} s (agent {h_agent:5.2f} s), "
                f"app {a_wall:5.2f} s (agent {a_agent:5.2f} s)"
            )
    for name, ratios in (("whole trial", whole), ("agent part", agent)):
        middle = statistics.median(ratios)
        print(
            f"app/headless, {name}: median {middle:.3f} (min {min(ratios):.3f}, "
            f"max {max(ratios):.3f})"
        )
        report(f"app/headless off by, {name}", abs(middle - 1), TOLERANCE, "")


if __name__ == "__main__":
    main()
