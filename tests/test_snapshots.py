"""SVG snapshots of each screen at 80x24 and 120x40. Update with `pytest --snapshot-update`
after checking the new pictures by eye."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine import TrialConfig, resolve_arm
from engine.trial import trial_start_event
from fep_tui.app import FepApp, StartReplay
from fep_tui.screens.trial import TrialScreen
from fep_tui.sources import LiveTrial
from sessions import load_session

FIXTURE = Path(__file__).parent / "fixtures" / "b-tiny-seed0.jsonl"
# A fixed directory: the home screen shows its path.
SNAPSHOT_SESSIONS = Path("/tmp/fep-tui-snapshot-sessions")
SIZES = [(80, 24), (120, 40)]

SnapCompare = Callable[..., bool]


@pytest.fixture
def sessions_dir() -> Path:
    shutil.rmtree(SNAPSHOT_SESSIONS, ignore_errors=True)
    SNAPSHOT_SESSIONS.mkdir(parents=True)
    shutil.copy(FIXTURE, SNAPSHOT_SESSIONS / FIXTURE.name)
    return SNAPSHOT_SESSIONS


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare: SnapCompare, sessions_dir: Path, size: tuple[int, int]) -> None:
    """Home: the title with the session count, the filter box, one row for the fixture
    (arm B, tiny, completed, yes, 32 turns, its cost, SIMULATED) and the footer keys."""
    assert snap_compare(FepApp(sessions_dir), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_trial_replay_at_turn_four(
    snap_compare: SnapCompare, sessions_dir: Path, size: tuple[int, int]
) -> None:
    """Replay paused at orchestrator turn 4 of 6: counters show judge '-' and 'running',
    two delegations with their summary sizes, chart rows t1-t3 with the summary share
    growing, tool calls collapsed, and the replay bar 'turn 4/6'."""

    async def to_turn_four(pilot: Pilot[None]) -> None:
        await pilot.pause(0.2)
        await pilot.press("home", *["right_square_bracket"] * 4)
        await pilot.pause(0.2)

    app = FepApp(sessions_dir, start=StartReplay(FIXTURE))
    assert snap_compare(app, terminal_size=size, run_before=to_turn_four)


@pytest.mark.parametrize("size", SIZES)
def test_trial_live_mid_run(
    snap_compare: SnapCompare, sessions_dir: Path, size: tuple[int, int]
) -> None:
    """A live trial part-way (the fixture's first 1,000 events fed as they arrived): title
    '(live)', counters 'running', the live bar '● live │ 1,000 events' and no replay keys."""

    async def show_live(pilot: Pilot[None]) -> None:
        config = TrialConfig(resolve_arm("B"), "tiny")
        live = LiveTrial(config, sessions_dir)
        # The shell's containment is fixed here: the machine's own would change the title.
        live.emit(trial_start_event(0.0, live.trial_id, config, "bubblewrap"))
        for event in load_session(FIXTURE).events[:1000]:
            live.emit(event)
        await pilot.app.push_screen(TrialScreen(live))
        await pilot.pause(0.3)

    assert snap_compare(FepApp(sessions_dir), terminal_size=size, run_before=show_live)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: SnapCompare, sessions_dir: Path, size: tuple[int, int]) -> None:
    """Help over home: every binding of the app, home and trial screens with its description."""
    assert snap_compare(FepApp(sessions_dir), terminal_size=size, press=["question_mark"])
