"""Home as people use it: filter by field, a cursor that stays put, sort both ways, and
running trials that open live and cannot be deleted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from engine import TrialConfig, resolve_arm
from fep_tui.app import FepApp
from fep_tui.screens.home import HomeScreen
from fep_tui.screens.trial import TrialScreen
from fep_tui.session_filter import FilterError, parse_filter
from fep_tui.sources import LiveTrial
from tests.app.pilots import solo_trial_app, trial_screen

pytestmark = pytest.mark.anyio

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def _copy(directory: Path, name: str, **header: object) -> Path:
    """The fixture with some header fields changed (what a listing reads)."""
    lines = FIXTURE.read_text().splitlines()
    first = {**json.loads(lines[0]), **header}
    path = directory / f"{name}.jsonl"
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    return path


def _rows(home: HomeScreen) -> list[str]:
    table = home.query_one(DataTable)
    return [
        str(table.coordinate_to_cell_key(Coordinate(i, 0)).row_key.value)
        for i in range(table.row_count)
    ]


def test_filter_words_match_where_a_field_starts() -> None:
    values = {
        "arm": "B",
        "task": "tiny",
        "seed": "0",
        "status": "success",
        "source": "simulated",
        "started": "2026-12-01T10:00:00+00:00",
        "id": "20261201T100000-B-tiny-s0-ab12",
    }
    assert not parse_filter("a").matches(values), "the a inside simulated is no match"
    assert parse_filter("b").matches(values) and parse_filter("tin").matches(values)
    assert parse_filter("arm:b status:success").matches(values)
    assert not parse_filter("arm:b status:failed").matches(values)
    assert parse_filter("outcome:success started:2026-12").matches(values)
    assert not parse_filter("seed:1").matches(values)
    trace = {**values, "status": "not judged", "source": "measured (claude code)"}
    for query in ("not judged", "judged", "claude", "status:not-judged", "source:measured"):
        assert parse_filter(query).matches(trace), query
    assert not parse_filter("judged").matches(values)
    assert not parse_filter("source:measured").matches(values)
    with pytest.raises(FilterError, match=r"no field 'colour'.*arm, task, seed"):
        parse_filter("colour:red")


async def test_home_filters_by_field_keeps_its_cursor_and_sorts_both_ways(tmp_path: Path) -> None:
    a = _copy(tmp_path, "a", arm="A", seed=3, trial_id="t-A", started_at="2026-11-30T10:00:00")
    b = _copy(tmp_path, "b", trial_id="t-B", started_at="2026-11-30T11:00:00")
    c = _copy(tmp_path, "c", arm="C", trial_id="t-C", started_at="2026-11-30T12:00:00")

    app = FepApp(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        home = await _home(pilot)
        assert _rows(home) == [str(c), str(b), str(a)], "newest first"
        await pilot.press("slash", "a")
        assert _rows(home) == [str(a)], "free text 'a' is arm A, not the a in SIMULATED"
        await pilot.press("backspace", *"seed:3")
        assert _rows(home) == [str(a)]
        await pilot.press(*["backspace"] * 6, *"arm:b")
        assert _rows(home) == [str(b)]
        await pilot.press(*["backspace"] * 5, *"colour:red")
        hint = home.query_one("#home-hint", Static)
        assert "no field 'colour'" in str(hint.render())
        await pilot.press(*["backspace"] * 10, "enter")
        table = home.query_one(DataTable)
        await pilot.press("down")
        assert _rows(home)[table.cursor_row] == str(b)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert _rows(home)[table.cursor_row] == str(b), "the cursor stays on its session"
        await pilot.press("S")
        assert _rows(home) == [str(a), str(b), str(c)], "S reverses the order"
        assert _rows(home)[table.cursor_row] == str(b)


async def test_escape_leaves_the_filter_so_keys_act_on_the_list_again(tmp_path: Path) -> None:
    """Escape in the filter did nothing: the next 's' to sort was typed into the filter,
    which then matched nothing. Escape now clears the filter and returns to the list, and
    the hint line says so while a filter is applied."""
    a = _copy(tmp_path, "a", arm="A", trial_id="t-A", started_at="2026-11-30T10:00:00")
    b = _copy(tmp_path, "b", trial_id="t-B", started_at="2026-11-30T11:00:00")

    app = FepApp(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        home = await _home(pilot)
        await pilot.press("slash", *"arm:b")
        assert _rows(home) == [str(b)]
        hint = home.query_one("#home-hint", Static)
        assert "1 of 2 match · esc clears the filter" in str(hint.render())
        await pilot.press("escape")
        assert _rows(home) == [str(b), str(a)], "the filter is cleared"
        assert home.query_one(DataTable).has_focus
        await pilot.press("s")
        assert home.order.column == "arm", "s sorts the list, not the filter"
        assert _rows(home) == [str(a), str(b)]


async def test_a_running_trial_opens_live_from_home_and_cannot_be_deleted(tmp_path: Path) -> None:
    """Leaving a running trial and opening it again from home shows it live (it used to
    open as a frozen replay of the file so far), on the screen that was left (building a
    new one took up to 0.13 s during a fast stream); delete is refused while it runs. A
    solo arm has no delegations pane."""
    app = solo_trial_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await trial_screen(pilot)
        assert not screen.query_one("#delegations").display, "solo: no delegations pane"
        live = app.running.trials[0]
        for _ in range(100):
            await pilot.pause(0.05)
            if live.path.exists():
                break
        await pilot.press("escape")
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press("r")
        assert _rows(home) == [str(live.path)]
        assert str(home.query_one(DataTable).get_row_at(0)[4]) == "running"
        await pilot.press("d")
        await pilot.pause(0.1)
        assert live.path.exists() and isinstance(app.screen, HomeScreen), "no delete dialog"
        await pilot.press("enter")
        await pilot.pause(0.1)
        reopened = app.screen
        assert isinstance(reopened, TrialScreen) and reopened.source is live
        assert reopened is screen, "the screen left is shown again, not built anew"
        assert isinstance(reopened.source, LiveTrial)
        before = reopened.position
        for _ in range(200):
            await pilot.pause(0.05)
            if reopened.position > before or live.finished:
                break
        assert reopened.position > before, "it goes on streaming"
        await pilot.press("q", "y")


async def test_a_trial_still_preparing_is_listed_and_opens_live(tmp_path: Path) -> None:
    """Before its first event a trial has no file: its workspace, the simulator and the
    checks come first (seconds; longer for a typer task's first run). Home listed nothing
    for it then, so a user who left its screen could not get back to it."""
    config = TrialConfig(resolve_arm("B"), "tiny")

    app = FepApp(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        live = LiveTrial(config, tmp_path)  # registered, not started: still preparing
        app.running.add(live)
        home = app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press("r")
        assert not live.path.exists()
        assert _rows(home) == [str(live.path)]
        row = [str(cell) for cell in home.query_one(DataTable).get_row_at(0)]
        assert row[1:5] == ["B", "tiny", "0", "running"], row
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, TrialScreen) and app.screen.source is live


async def test_leaving_a_new_trial_puts_the_cursor_on_it(tmp_path: Path) -> None:
    """Start a trial, leave its screen, press enter: it opens again, live. The cursor
    used to stay on the row that was first before, and enter opened an old replay."""
    _copy(tmp_path, "older")
    config = TrialConfig(resolve_arm("B"), "tiny", sim_stream_delay_s=0.002)

    app = FepApp(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        live = app.start_trial(config)
        await pilot.pause(0.1)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, TrialScreen) and app.screen.source is live
        await pilot.press("q", "y")


async def test_a_finished_trials_kept_screen_is_let_go(tmp_path: Path) -> None:
    """The app keeps each running trial's screen so that home can show it again at once.
    Once the trial has finished and its screen is not shown, the next trial shown lets
    it go, so a long session does not hold every trial's panes."""
    config = TrialConfig(resolve_arm("B"), "tiny")

    app = FepApp(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first, second = LiveTrial(config, tmp_path), LiveTrial(config, tmp_path)
        for trial in (first, second):
            app.running.add(trial)
        app.show_live(first)
        await pilot.pause(0.1)
        await pilot.press("escape")
        first.finish(None, "interrupted")
        app.show_live(second)
        await pilot.pause(0.1)
        assert not app.is_screen_installed(f"live-{first.trial_id}")
        assert app.is_screen_installed(f"live-{second.trial_id}")
        assert isinstance(app.screen, TrialScreen) and app.screen.source is second


def test_a_refresh_redraws_the_cells_that_changed_not_the_whole_list(tmp_path: Path) -> None:
    """Home lists again every 2 s while a trial runs. With a thousand sessions, building
    every row again held the loop that answers keys for 0.13 s each time. A session that
    changed shows its new cells; the rows are not built again; the cursor stays."""
    a = _copy(tmp_path, "a", trial_id="t-A", started_at="2026-11-30T10:00:00")
    b = _copy(tmp_path, "b", trial_id="t-B", started_at="2026-11-30T11:00:00")
    whole = b.read_text().splitlines()

    async def scenario() -> tuple[str, str, int, str]:
        # b is listed as cut off first, then its file is written to its end.
        b.write_text("\n".join(whole[: len(whole) // 2]) + "\n")
        app = FepApp(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            home = app.screen
            assert isinstance(home, HomeScreen)
            table = home.query_one(DataTable)
            before = str(table.get_row(str(b))[4])
            await pilot.press("down")
            added: list[object] = []
            add_row = table.add_row

            def counting(*cells: object, **kwargs: object) -> object:
                added.append(cells)
                return add_row(*cells, **kwargs)  # type: ignore[arg-type]

            table.add_row = counting  # type: ignore[method-assign,assignment]
            b.write_text("\n".join(whole) + "\n")
            await pilot.press("r")
            await pilot.pause(0.1)
            after = str(table.get_row(str(b))[4])
            return before, after, len(added), _rows(home)[table.cursor_row]

    before, after, rebuilt, under_cursor = asyncio.run(scenario())
    assert (before, after) == ("interrupted", "success")
    assert rebuilt == 0
    assert under_cursor == str(a)


def test_dates_carry_the_year_when_the_sessions_span_years(tmp_path: Path) -> None:
    """`12-31 23:00` and `01-01 09:00` sorted newest first read as the wrong way round."""
    _copy(tmp_path, "old", trial_id="t-old", started_at="2025-12-31T23:00:00")
    new = _copy(tmp_path, "new", trial_id="t-new", started_at="2026-01-01T09:00:00")

    async def dates() -> list[str]:
        app = FepApp(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            table = app.screen.query_one(DataTable)
            return [str(table.get_cell_at(Coordinate(i, 0))) for i in range(table.row_count)]

    assert asyncio.run(dates()) == ["2026-01-01 09:00", "2025-12-31 23:00"]
    (tmp_path / "old.jsonl").unlink()
    assert new.exists() and asyncio.run(dates()) == ["01-01 09:00"]


async def _home(pilot: Pilot[None]) -> HomeScreen:
    """Home, once the app has listed the directory."""
    await pilot.pause(0.2)
    home = pilot.app.screen
    assert isinstance(home, HomeScreen)
    return home
