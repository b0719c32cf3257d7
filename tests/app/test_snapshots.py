"""SVG snapshots of each screen at 80x24 and 120x40. Update with `pytest --snapshot-update`
after checking the new pictures by eye."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine import TrialConfig, resolve_arm
from engine.trial import trial_start_event
from fep_tui.app import FepApp, StartReplay, StartSearch
from fep_tui.screens.search import SearchJob, SearchScreen
from fep_tui.screens.trial import TrialScreen
from fep_tui.sources import LiveTrial
from sessions import load_session
from tests.app.pilots import success_search

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"
SOLO_FIXTURE = Path(__file__).parents[1] / "fixtures" / "a-tiny-seed0.jsonl"
TWO_EXECUTORS_FIXTURE = Path(__file__).parents[1] / "fixtures" / "t-tiny-seed0.jsonl"
# A fixed directory: the home screen shows its path.
SNAPSHOT_SESSIONS = Path("/tmp/fep-tui-snapshot-sessions")
Size = tuple[int, int]

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


def pressing(*keys: str, workers: bool = False) -> RunBefore:
    """A snapshot's run_before: the app settles, `keys` are pressed (and with `workers`,
    what they started finishes), and the screen draws."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause(0.3)
        await pilot.press(*keys)
        if workers:
            await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)

    return run_before


@pytest.fixture(params=[(80, 24), (120, 40)])
def size(request: pytest.FixtureRequest) -> Size:
    """Every snapshot at both sizes (the files say size0 and size1)."""
    value: Size = request.param
    return value


@pytest.fixture
def sessions_dir() -> Path:
    shutil.rmtree(SNAPSHOT_SESSIONS, ignore_errors=True)
    SNAPSHOT_SESSIONS.mkdir(parents=True)
    shutil.copy(FIXTURE, SNAPSHOT_SESSIONS / FIXTURE.name)
    return SNAPSHOT_SESSIONS


def test_home(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """Home: the title with the session count, the filter box, one row for the fixture
    (arm B, tiny, seed 0, success, 6 lead turns, 32 calls, its cost, SIMULATED), the sort
    hint, and a footer that starts with '? more keys' and fits 80 columns."""
    assert snap_compare(FepApp(sessions_dir), terminal_size=size)


def test_trial_replay_at_turn_four(
    snap_compare: SnapCompare, sessions_dir: Path, size: Size
) -> None:
    """Replay paused at orchestrator turn 4 of 6: the title with seed, card and containment,
    the file name last (cut with '…' at 80 columns, not mid-phrase); counters say
    'replaying' (a file is never 'running'), judge '-', the role table, and the line
    'summaries N of M re-read (P%) $' with the return cap; both delegations, a line each,
    the highlighted one's cost so far below; the chart legend and its newest bar (t3) as
    the last line; tool calls collapsed; the bar 'turn 4/6'; a footer starting '? more
    keys'."""

    app = FepApp(sessions_dir, start=StartReplay(FIXTURE))
    assert snap_compare(
        app, terminal_size=size, run_before=pressing("home", *["right_square_bracket"] * 4)
    )


def test_trial_live_mid_run(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """A live trial part-way (the fixture's first 1,000 events fed as they arrived): title
    '(running)' and 'shell sandboxed', counters 'running' with the summaries' share, the live
    bar '● running │ 1,000 events' and no replay keys in the footer."""

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


def test_help(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """Help from home: every screen's keys with their descriptions, keys shown as keys
    ('-', ']', '/'), never as names ('minus', 'right_square_bracket'), and the footer says
    how to close it."""
    assert snap_compare(FepApp(sessions_dir), terminal_size=size, press=["question_mark"])


def test_new_trial_dialog(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """The new-trial dialog from home: each field under its label (arm; task and backend;
    seed, rate card and return cap), arm B, tiny, sim (SIMULATED), seed 0, the official
    card and the arm's own cap as defaults, Start and Cancel below, all inside 80x24, and
    the arm field focused."""
    assert snap_compare(FepApp(sessions_dir), terminal_size=size, press=["n"])


def test_trial_solo_replay(snap_compare: SnapCompare, tmp_path: Path, size: Size) -> None:
    """Arm A (solo) at its end: no delegations pane, the chart takes the right column,
    no summaries line (there is no executor), the solo row in the role table, and the
    judge's verdict line ending the turns."""
    solo = SNAPSHOT_SESSIONS.parent / "fep-tui-snapshot-solo.jsonl"
    shutil.copy(SOLO_FIXTURE, solo)
    app = FepApp(SNAPSHOT_SESSIONS, start=StartReplay(solo))
    assert snap_compare(app, terminal_size=size, run_before=pressing())


def _scripted_job() -> SearchJob:
    """Four candidates with fixed outcome patterns (no trials run): the search ends the
    same way every time."""
    patterns = {
        "opus-4-7+qwen3.5-9b": [True, True, True, False],
        "opus-4-7+haiku-4-5": [True],
        "haiku-4-5+qwen3.5-9b": [False, False, False, True],
        "haiku-4-5+haiku-4-5": [True, False],
    }
    cycles = {name: itertools.cycle(p) for name, p in patterns.items()}

    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        return [(name, next(cycles[name]), 0.05) for name in names]

    candidates = {name: name.replace("+", " orchestrates ") for name in patterns}
    return success_search(candidates, run_round, budget=160, per_candidate=40)


def test_search_leaderboard_at_its_end(
    snap_compare: SnapCompare, sessions_dir: Path, size: Size
) -> None:
    """The search screen once elimination is done: the title with trials used and the
    saving over brute force (4x40: every candidate at its cap), the best first in green,
    eliminated ones dimmed with the round they fell in, each interval as a bar on one
    scale, the verdict line, and a footer starting '? more keys'."""

    async def searched(pilot: Pilot[None]) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert isinstance(pilot.app.screen, SearchScreen)

    app = FepApp(sessions_dir, start=StartSearch(_scripted_job(), sessions_dir))
    assert snap_compare(app, terminal_size=size, run_before=searched)


def test_context_items_of_a_claude_code_session(
    snap_compare: SnapCompare, sessions_dir: Path, size: Size
) -> None:
    """`i` on an imported Claude Code session: the title with the transcript's name and the
    re-reads' total ($0.0121), seven items costliest first (system prompt and tools, the
    subagent's result, ...), the re-read $ column at both sizes and turns only at 120, the
    hint, and a footer starting '? more keys'."""
    from sessions.analysis.claude_code.store import import_sessions
    from tests.unit.test_claude_code import SHOP_SESSION

    [result] = import_sessions([SHOP_SESSION], sessions_dir)
    assert result.summary is not None

    app = FepApp(sessions_dir, start=StartReplay(Path(result.summary.session_file)))
    assert snap_compare(app, terminal_size=size, run_before=pressing("i", workers=True))


def test_trial_with_two_executors_at_its_end(
    snap_compare: SnapCompare, tmp_path: Path, size: Size
) -> None:
    """Arm T (Opus orchestrating Haiku and a local Qwen as executor-2) at its end: the role
    table has an `exec` and an `exec2` row, each with its own calls and dollars (exec2 at
    $0), and the delegation that went to executor-2 is marked `exec2` in the list."""
    shutil.copy(TWO_EXECUTORS_FIXTURE, SNAPSHOT_SESSIONS.parent / TWO_EXECUTORS_FIXTURE.name)
    app = FepApp(
        SNAPSHOT_SESSIONS,
        start=StartReplay(SNAPSHOT_SESSIONS.parent / TWO_EXECUTORS_FIXTURE.name),
    )
    assert snap_compare(app, terminal_size=size, run_before=pressing())


def test_claude_code_sessions_listed(
    snap_compare: SnapCompare,
    sessions_dir: Path,
    size: Size,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`t` from home on the fixture projects: the title naming where they are, one row per
    session (shop, old, beside) with its re-read and total dollars, the figures first so
    80 columns show them, and a footer starting '? more keys'."""
    from tests.unit.test_claude_code import PROJECTS

    claude = SNAPSHOT_SESSIONS.parent / "fep-tui-snapshot-claude"
    shutil.rmtree(claude, ignore_errors=True)
    shutil.copytree(PROJECTS, claude / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))

    app = FepApp(sessions_dir)
    assert snap_compare(app, terminal_size=size, run_before=pressing("t", workers=True))


def test_delete_asks_first(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """`d` on home's one session: the question naming the file, and the two answers."""

    assert snap_compare(FepApp(sessions_dir), terminal_size=size, run_before=pressing("d"))


def test_go_to_turn_dialog(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """`g` in a replay: which lead turn to go to, out of how many."""

    app = FepApp(sessions_dir, start=StartReplay(FIXTURE))
    assert snap_compare(app, terminal_size=size, run_before=pressing("g"))


def test_batch_at_its_end(snap_compare: SnapCompare, sessions_dir: Path, size: Size) -> None:
    """A batch of arms A and B on tiny, resumed in a directory that holds both trials
    already: the title says 2/2 trials, $0.0000 this run, SIMULATED, finished, done; the
    full progress bar; each row `done earlier` with the turns and cost its session file
    holds (A 5 turns, B 6 turns $0.0657); the hint and a footer starting '? more keys'.
    (A trial run here would not do: the judge's pytest prints its own time, which moves a
    simulated trial's tokens by one now and then, and its cost with them.)"""
    from engine.batch import BatchPlan
    from fep_tui.app import StartBatch
    from fep_tui.screens.batch import BatchScreen

    shutil.copy(SOLO_FIXTURE, sessions_dir / SOLO_FIXTURE.name)
    plan = BatchPlan((resolve_arm("A"), resolve_arm("B")), ("tiny",), trials=1, workers=2)

    async def finished(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, BatchScreen)
        for _ in range(600):
            await pilot.pause(0.1)
            if screen.finished:
                break
        await pilot.pause(0.5)

    app = FepApp(sessions_dir, start=StartBatch(plan, sessions_dir))
    assert snap_compare(app, terminal_size=size, run_before=finished)


def test_indexing_a_large_session_on_its_first_open(
    snap_compare: SnapCompare,
    sessions_dir: Path,
    size: Size,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large session opened for the first time, a quarter read: the title with the
    file's name and `first open`, the note that later opens are immediate, the progress bar
    at 25%, `12 of 48 MB read in 2.5 s`, and a footer with escape to stop. The index build
    is held at that point (the figures are the build's own progress call), and the clock
    fixed, so the picture does not move."""
    import threading
    import types

    import fep_tui.app as app_module
    import fep_tui.screens.indexing as indexing
    from sessions.index import SessionIndex

    released = threading.Event()

    def held_build(path: Path, progress: Callable[[int, int], None]) -> SessionIndex:
        progress(12_000_000, 48_000_000)
        released.wait(2)
        raise indexing.IndexingStopped

    clock = itertools.chain([100.0], itertools.repeat(102.5))
    monkeypatch.setattr(app_module, "INDEX_IN_PLACE_BYTES", 0)
    monkeypatch.setattr(SessionIndex, "build", staticmethod(held_build))
    monkeypatch.setattr(indexing, "time", types.SimpleNamespace(monotonic=lambda: next(clock)))

    async def opened(pilot: Pilot[None]) -> None:
        await pilot.pause(0.3)

    start = StartReplay(sessions_dir / FIXTURE.name)
    try:
        assert snap_compare(
            FepApp(sessions_dir, start=start), terminal_size=size, run_before=opened
        )
    finally:
        released.set()
