"""Batch runs end to end: grid, resume, until-n-successes, then the comparison."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from engine.arms import resolve_arm
from engine.batch import BatchPlan
from engine.events import TurnUsage
from sessions import load_session
from sessions.store import finished_trials
from tests.conftest import run_cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}


# 17 s; compare's figures from session files are checked on fixtures (test_compare*).
@pytest.mark.slow
def test_batch_then_compare_equals_numbers_from_the_session_files(tmp_path: Path) -> None:
    directory = tmp_path / "batch"
    env = _env(tmp_path)
    run = run_cli(
        "batch",
        "--arms",
        "A,B",
        "--tasks",
        "tiny",
        "--trials",
        "2",
        "--workers",
        "2",
        "--sessions-dir",
        str(directory),
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr
    assert "4/4" in run.stderr and "SIMULATED batch done" in run.stdout
    files = sorted(directory.glob("*.jsonl"))
    assert len(files) == 4
    result = run_cli("compare", str(directory), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    arms = {row["arm"]: row for row in json.loads(result.stdout)["arms"]}
    for arm in "AB":
        ends = [s.end for s in (load_session(f) for f in files) if s.header.arm == arm]
        costs = [e.total_cost_usd for e in ends if e is not None and e.success]
        assert arms[arm]["trials"] == 2 and arms[arm]["successes"] == len(costs) == 2
        assert arms[arm]["median_cost_usd"] == pytest.approx(statistics.median(costs))
    # Each trial's total is the sum of what its model calls cost.
    for session in (load_session(f) for f in files):
        calls = sum(e.cost_usd for e in session.events if isinstance(e, TurnUsage))
        assert session.end is not None
        assert session.end.total_cost_usd == pytest.approx(calls, abs=1e-5)
    seeds = sorted(load_session(f).header.seed for f in files)
    assert seeds == [0, 0, 1, 1]


def test_resume_skips_finished_trials_and_until_successes_stops_early(tmp_path: Path) -> None:
    directory = tmp_path / "resume"
    env = _env(tmp_path)
    base = (
        "batch",
        "--arms",
        "A",
        "--tasks",
        "tiny",
        "--workers",
        "1",
        "--sessions-dir",
        str(directory),
    )
    first = run_cli(*base, "--trials", "1", env=env)
    assert first.returncode == 0 and len(list(directory.glob("*.jsonl"))) == 1
    again = run_cli(*base, "--trials", "2", env=env)
    assert "resuming: 1 of 2 trials already finished" in again.stderr
    assert len(list(directory.glob("*.jsonl"))) == 2
    early = run_cli(*base, "--trials", "5", "--until-successes", "2", env=env)
    assert early.returncode == 0
    assert len(list(directory.glob("*.jsonl"))) == 2, "two successes already: nothing more runs"


def test_batch_bad_input_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "batch",
        "--arms",
        "A,Z",
        "--tasks",
        "tiny",
        "--trials",
        "1",
        "--sessions-dir",
        str(tmp_path),
        env=_env(tmp_path),
    )
    assert (
        result.returncode == 2
        and "unknown arm 'Z'" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_batch_screen_runs_the_grid_opens_a_trial_and_resumes(tmp_path: Path) -> None:
    from fep_tui.app import FepApp, StartBatch
    from fep_tui.screens.batch import BatchScreen
    from fep_tui.screens.home import HomeScreen
    from fep_tui.screens.trial import TrialScreen

    plan = BatchPlan((resolve_arm("A"), resolve_arm("B")), ("tiny",), trials=1, workers=2)

    def statuses(screen: BatchScreen) -> list[str]:
        table = screen.query_one(DataTable)
        return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]

    async def run(plan: BatchPlan, open_first: bool) -> list[str]:
        app = FepApp(tmp_path, start=StartBatch(plan, tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, BatchScreen)
            if open_first:
                await pilot.press("enter")  # the first trial, live while it runs
                trial = app.screen
                assert isinstance(trial, TrialScreen)
                assert trial.source is screen.trials[("A", "tiny", 0)]
                await pilot.press("escape", "escape")
                home = app.screen
                assert isinstance(home, HomeScreen), "escape leaves the batch running"
                await pilot.press("r")
                table = home.query_one(DataTable)
                listed = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
                assert "A" in listed, "the batch's trials are on home while they run"
                await pilot.press("b")
                on_top = app.screen_stack.index(screen) == len(app.screen_stack) - 1
                assert on_top, "b brings the batch screen back"
            for _ in range(600):
                await pilot.pause(0.1)
                if screen.finished:
                    break
            await pilot.pause(0.6)
            return statuses(screen)

    assert asyncio.run(run(plan, open_first=True)) == ["success", "success"]
    assert len(finished_trials(tmp_path)) == 2
    more = BatchPlan(plan.arms, plan.tasks, trials=2, workers=2)
    assert asyncio.run(run(more, open_first=False)) == [
        "done earlier",
        "success",
        "done earlier",
        "success",
    ]
    assert len(finished_trials(tmp_path)) == 4


def test_quitting_mid_batch_asks_and_saves_running_trials_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fep_tui.app import FepApp, StartBatch
    from fep_tui.screens.batch import BatchScreen
    from fep_tui.screens.confirm import ConfirmScreen
    from sessions import load_session

    plan = BatchPlan((resolve_arm("B"),), ("tiny",), trials=2, workers=2)
    said: list[str] = []
    exit_app = FepApp.exit

    def exit_saying(
        app: FepApp, result: Any = None, return_code: int = 0, message: Any = None
    ) -> None:
        said.append(str(message))
        exit_app(app, result, return_code, message)

    monkeypatch.setattr(FepApp, "exit", exit_saying)

    async def scenario() -> None:
        app = FepApp(tmp_path, start=StartBatch(plan, tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            title = ""
            for _ in range(100):
                await pilot.pause(0.1)
                title = str(app.screen.query_one("#batch-title").render())
                if len(list(tmp_path.glob("*.jsonl"))) == 2 and "$0.0000" not in title:
                    break
            assert isinstance(app.screen, BatchScreen)
            # Nothing has finished, and the header counts what the running trials spent.
            assert "0/2 trials" in title and "$0.0000" not in title, title
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmScreen), "two trials run: quitting asks"
            await pilot.press("y")
            await pilot.pause(0.2)

    asyncio.run(scenario())
    files = sorted(tmp_path.glob("*.jsonl"))
    assert len(files) == 2
    ends = [load_session(path).end for path in files]
    assert [end.status if end else None for end in ends] == ["interrupted", "interrupted"]
    # Once the app is gone, it says where they went.
    assert "2 running trial(s) saved as interrupted" in said[0]
    assert all(str(path) in said[0] for path in files)


def test_a_trial_run_again_after_a_lost_worker_takes_its_row_and_ends_the_lost_one(
    tmp_path: Path,
) -> None:
    """On Ray, a trial whose worker died runs once more (engine/runners.py): the batch
    screen is told of a second trial under the same key. The lost one must stop counting
    as running, or quitting would ask about a trial that no longer runs."""
    from engine.trial import TrialConfig
    from fep_tui.running import RunningTrials
    from fep_tui.screens.batch import BatchScreen
    from fep_tui.sources import LiveTrial

    plan = BatchPlan((resolve_arm("B"),), ("tiny",), 1)
    running = RunningTrials()
    screen = BatchScreen(plan, tmp_path, running)
    config = TrialConfig(resolve_arm("B"), "tiny")
    lost, again = LiveTrial(config, tmp_path), LiveTrial(config, tmp_path)
    key = ("B", "tiny", 0)
    screen.on_batch_screen_trial_added(BatchScreen.TrialAdded(key, lost))
    screen.on_batch_screen_trial_added(BatchScreen.TrialAdded(key, again))
    assert screen.trials[key] is again
    assert lost.finished and lost.failure == "worker lost; running it again"
    assert running.running() == [again]


def test_two_batches_on_one_directory_run_each_trial_once(tmp_path: Path) -> None:
    """Started together on one directory, both used to plan and run every trial: twice
    the sessions, which compare then pooled as extra trials."""
    from collections import Counter

    from engine.batch import plan_cells, run_batch
    from sessions import SessionWriter
    from sessions.claims import TrialClaims

    plan = BatchPlan((resolve_arm("A"), resolve_arm("D")), ("tiny",), trials=2, workers=2)
    ran: list[tuple[str, str, int]] = []

    def new_sinks(config: object) -> tuple[list[SessionWriter], object]:
        writer = SessionWriter(tmp_path)
        return [writer], writer.close

    def finished(arm: str, task: str, seed: int, outcome: object, error: object) -> None:
        ran.append((arm, task, seed))

    async def both() -> None:
        claims = [TrialClaims(tmp_path), TrialClaims(tmp_path)]
        await asyncio.gather(
            *(
                run_batch(plan, plan_cells(plan, []), new_sinks, finished, None, c.claim)  # type: ignore[arg-type]
                for c in claims
            )
        )
        assert any(c.others for c in claims), "neither batch met the other's claims"

    asyncio.run(both())
    assert sorted(Counter(ran).values()) == [1, 1, 1, 1], ran
    keys = Counter((a, t, s) for a, t, s, _ in finished_trials(tmp_path))
    assert sorted(keys.values()) == [1, 1, 1, 1], keys
    assert list((tmp_path / ".fep-claims").iterdir()) == []


class _AlwaysLost:
    """A runner whose every trial loses its node: it ends them as the Ray runner does."""

    where = "nowhere"

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, config: object, sinks: object) -> object:
        from engine.runners import WORKER_LOST
        from engine.trial import TrialOutcome

        self.runs += 1
        return TrialOutcome(
            f"lost-{self.runs}", "error", False, None, {}, 0.0, 0, 0.0,
            reason="worker lost (ActorUnavailableError)", extras={WORKER_LOST: True},
        )  # fmt: skip

    def close(self) -> None:
        return None


def test_a_trial_lost_on_every_rerun_makes_the_batch_exit_1_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trial lost to its node is run again (three times, with backoff), each lost attempt
    kept as an error file; still lost, the batch said `batch done` and exited 0."""
    from engine import runners
    from fep_tui.commands.batch import _run_with_progress

    monkeypatch.setattr(runners, "LOST_RERUN_WAITS_S", (0.0, 0.0, 0.0))
    runner = _AlwaysLost()
    plan = BatchPlan((resolve_arm("A"),), ("tiny",), trials=1, workers=1)
    code = _run_with_progress(plan, tmp_path, runner)  # type: ignore[arg-type]
    assert code == 1 and runner.runs == 4
    said = capsys.readouterr()
    assert "not finished" in said.err and "A/tiny seed 0" in said.err
    assert "batch done" not in said.out


def test_a_search_with_trials_lost_on_every_attempt_exits_1_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine import runners
    from fep_tui.commands import search

    monkeypatch.setattr(runners, "LOST_RERUN_WAITS_S", (0.0, 0.0, 0.0))
    monkeypatch.setattr(search, "trial_runner", lambda _ray: _AlwaysLost())
    code = search.search_command(
        task=["tiny"],
        solo="claude-opus-4-7,claude-haiku-4-5",
        budget=2,
        sessions_dir=tmp_path,
    )
    assert code == 1
    said = capsys.readouterr().err
    assert "not finished: 2 trial(s) lost on every attempt" in said
