"""The compare screen and side by side, driven with Pilot, plus chart export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from fep_tui.app import FepApp, StartCompare
from fep_tui.cli import main
from fep_tui.commands import terminal
from fep_tui.screens.compare import CompareScreen
from fep_tui.screens.side_by_side import SideBySideScreen
from sessions.analysis.comparison import arm_table, collect
from sessions.analysis.side_by_side import lead_turns
from tests.app.pilots import notes
from tests.compare_fixtures import make_compare_dir, published_line
from tests.conftest import run_cli

pytestmark = pytest.mark.anyio

SnapCompare = Callable[..., bool]


def _rows(table: DataTable[str]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _static(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _columns(table: DataTable[str]) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


async def _picker(pilot: Pilot[None]) -> None:
    """`v` on the loaded compare screen: the side-by-side picker."""
    await _loaded(pilot)
    await pilot.press("v")
    await pilot.pause(0.1)


async def _loaded(pilot: Pilot[None]) -> CompareScreen:
    for _ in range(100):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, CompareScreen) and screen.found is not None:
            await pilot.pause(0.1)
            return screen
    raise AssertionError("the comparison never loaded")


async def test_compare_screen_shows_the_table_tests_and_what_if(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    expected = {row["arm"]: row for row in arm_table(collect([directory]).labelled(), "A")}

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _loaded(pilot)
        rows = _rows(screen.query_one("#arm-table", DataTable))
        ratio = _columns(screen.query_one("#arm-table", DataTable)).index("re-read xA")
        assert [r[0] for r in rows] == ["A", "B", "C", "D"]
        columns = _columns(screen.query_one("#arm-table", DataTable))
        assert "source" not in columns, "one source: the title names it"
        assert "SIMULATED" in _static(screen, "#compare-title")
        for row in rows:
            want = expected[row[0]]
            assert row[1:3] == [str(want["trials"]), str(want["successes"])]
            assert row[columns.index("median $")] == f"{want['median_cost_usd']:.4f}"
            assert row[ratio] == f"{want['reread_ratio']:.2f}"
        pairs = _rows(screen.query_one("#pairwise", DataTable))
        assert pairs[0][0] == "A" and pairs[0][1] == "·" and pairs[0][2].startswith("p=")
        assert "task tiny" in _static(screen, "#compare-title")

        await pilot.press("s")  # sort by median cost: D (cheapest) first
        rows = _rows(screen.query_one("#arm-table", DataTable))
        assert [r[0] for r in rows] == ["D", "A", "B", "C"]

        await pilot.press("w")  # what-if: caching off
        for _ in range(100):
            await pilot.pause(0.05)
            if "what-if $" in _columns(screen.query_one("#arm-table", DataTable)):
                break
        rows = _rows(screen.query_one("#arm-table", DataTable))
        change = _columns(screen.query_one("#arm-table", DataTable)).index("what-if change")
        assert "what-if: caching off" in _static(screen, "#compare-title")
        assert all(r[change].startswith("+") for r in rows), "caching off costs more"


def _published_row(arm: str, trial: int) -> str:
    usage = {
        "input_tokens": 1000,
        "output_tokens": 2000 + 100 * trial,
        "cache_creation_input_tokens": 3000,
        "cache_read_input_tokens": 40000,
    }
    return published_line(arm, "tiny", trial, {"claude-opus-4-7": usage}, {"claude-opus-4-7": 0.3})


async def test_compare_app_from_the_command_line_shows_imported_rows_repriced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    published = tmp_path / "published.jsonl"
    published.write_text("\n".join(_published_row("P", t) for t in range(3)) + "\n")
    started: list[FepApp] = []
    monkeypatch.setattr(FepApp, "run", lambda app: started.append(app))
    monkeypatch.setattr(terminal, "missing_terminal", lambda: None)  # as if in a terminal
    argv = ["compare", str(directory), "--import", str(published), "--app"]
    assert main([*argv, "--what-if-card", "official"]) == 0
    start = started[0].start
    assert isinstance(start, StartCompare) and start.imports == [published]

    app = FepApp(tmp_path, start=start)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _loaded(pilot)
        for _ in range(100):
            await pilot.pause(0.05)
            if "what-if $" in _columns(screen.query_one("#arm-table", DataTable)):
                break
        columns = _columns(screen.query_one("#arm-table", DataTable))
        arm, change = columns.index("arm"), columns.index("what-if change")
        rows = {r[arm]: r for r in _rows(screen.query_one("#arm-table", DataTable))}
        assert set(rows) == {"A", "B", "C", "D", "P"}
        # Opus at official prices is a third of the published card's: -67%.
        assert rows["P"][change] == "-66.7%"
        source = columns.index("source")
        assert rows["P"][source] == "PUBLISHED" and rows["A"][source] == "SIMULATED"
        assert "PUBLISHED + SIMULATED" in _static(screen, "#compare-title")
        assert "imported rows re-priced from their token buckets" in _static(
            screen, "#compare-notes"
        )


async def test_a_failed_load_says_so_instead_of_loading_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("fep_tui.screens.compare.collect", broken)

    app = FepApp(tmp_path, start=StartCompare([tmp_path], []))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert "compare load failed: disk on fire" in _static(app.screen, "#compare-title")
        assert any("disk on fire" in n for n in notes(app))


async def test_keys_on_an_empty_comparison_say_so_and_never_crash(tmp_path: Path) -> None:
    """`c` on an empty home opens an empty comparison; `w` there raised KeyError from
    pandas (no 'origin' column) and the app exited with a traceback."""

    app = FepApp(tmp_path, start=StartCompare([tmp_path], []))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        assert "no finished sessions" in _static(screen, "#compare-title")
        for key in ("w", "t", "s", "v", "e"):
            await pilot.press(key)
            await pilot.pause(0.2)
        assert app.screen is screen and app.is_running
        messages = notes(app)
        assert "nothing to re-price: no finished trials here" in messages
        assert "nothing to export" in messages


async def test_side_by_side_steps_both_sessions_by_lead_turn(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(120, 40)) as pilot:
        await _picker(pilot)
        await pilot.press("enter")  # the cheapest session of arms A and B, preselected
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, SideBySideScreen)
        assert [s.label.split(" · ")[0] for s in screen.sides] == ["A", "B"]
        await pilot.press("right", "right")
        assert "lead turn 3 of" in _static(screen, "#side-title")
        left = lead_turns(directory / "fixture-A-tiny-s0.jsonl").turn(3)
        assert left is not None and left.text and left.calls
        assert f"after it ${left.cost_after:.4f}" in _static(screen, "#side-turn-0")
        assert f"at turn 3: {left.cost_after:.4f}" in _static(screen, "#side-cost")
        await pilot.press("end")
        assert f"lead turn {screen.last} of {screen.last}" in _static(screen, "#side-title")


async def test_picking_one_session_is_refused_with_a_notice(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(120, 40)) as pilot:
        await _picker(pilot)
        await pilot.press("space")  # unticks the first preselected session
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, SideBySideScreen)
        assert any("pick exactly two" in n for n in notes(app))


def test_compare_exports_each_chart_as_svg_and_png(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    out = tmp_path / "charts"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLCONFIGDIR": str(tmp_path)}
    result = run_cli(
        "compare", str(directory), "--format", "json", "--export-charts", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["arms"]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["growth-tiny.png", "growth-tiny.svg", "pareto-tiny.png", "pareto-tiny.svg"]
    assert (out / "pareto-tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (out / "pareto-tiny.svg").read_text()
    assert "<svg" in svg and "SIMULATED" in svg
    blocked = tmp_path / "file"
    blocked.write_text("")
    bad = run_cli("compare", str(directory), "--export-charts", str(blocked / "x"), env=env)
    assert bad.returncode == 2 and "cannot write charts" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_compare_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The fixed comparison: arms A-D (D one failure), their re-read and ratio 'times A' on
    screen at 80 columns, no source column (the title says SIMULATED), pairwise matrix,
    the Pareto chart with four medians, and the growth chart."""
    directory = make_compare_dir(Path("/tmp/fep-tui-snapshot-compare"))

    async def loaded(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.pause(0.5)

    app = FepApp(directory, start=StartCompare([directory], []))
    assert snap_compare(app, terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_compare_charts_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """`c`: the two charts over the whole body; at 80x24 the tables left them four lines.
    The footer keeps `? more keys`, `e Export` and `c Charts`."""
    directory = make_compare_dir(Path("/tmp/fep-tui-snapshot-compare"))

    async def charts(pilot: Pilot[None]) -> None:
        screen = await _loaded(pilot)
        await pilot.press("c")
        await pilot.pause(0.5)
        assert not screen.query_one("#arm-table").display
        assert screen.query_one("#pareto").size.height >= size[1] - 6

    app = FepApp(directory, start=StartCompare([directory], []))
    assert snap_compare(app, terminal_size=size, run_before=charts)


async def test_c_brings_the_tables_back(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        before = screen.query_one("#pareto").size.height
        await pilot.press("c")
        await pilot.pause(0.2)
        assert screen.query_one("#pareto").size.height > before + 10
        await pilot.press("c")
        await pilot.pause(0.2)
        assert screen.query_one("#arm-table").display
        assert screen.query_one("#pareto").size.height == before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_side_by_side_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A and B at lead turn 3: each side's turn text and calls, both curves with the
    dotted cursor at turn 3."""
    directory = make_compare_dir(Path("/tmp/fep-tui-snapshot-compare"))

    async def at_turn_three(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("v")
        await pilot.pause(0.1)
        await pilot.press("enter", "right", "right")
        await pilot.pause(0.3)

    app = FepApp(directory, start=StartCompare([directory], []))
    assert snap_compare(app, terminal_size=size, run_before=at_turn_three)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_pick_sessions_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """`v`: the two-session picker over the compare screen, one line per session with its
    arm, task, seed and outcome, and how to choose two."""
    directory = make_compare_dir(Path("/tmp/fep-tui-snapshot-compare"))

    async def picking(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("v")
        await pilot.pause(0.3)

    app = FepApp(directory, start=StartCompare([directory], []))
    assert snap_compare(app, terminal_size=size, run_before=picking)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_export_dialog_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """`e`: where to write the charts, in a field a user can edit (the folder offered
    carries the time, so the picture shows one typed in), and how to answer."""
    directory = make_compare_dir(Path("/tmp/fep-tui-snapshot-compare"))

    async def asking(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("e")
        await pilot.pause(0.3)
        pilot.app.screen.query_one(Input).value = "/tmp/my-charts"
        await pilot.pause(0.1)

    app = FepApp(directory, start=StartCompare([directory], []))
    assert snap_compare(app, terminal_size=size, run_before=asking)


def _whatif_loaded(screen: CompareScreen) -> bool:
    return screen.found is not None and (
        screen.whatif is None
        or (
            "what-if $" in _columns(screen.query_one("#arm-table", DataTable))
            and screen.whatif.label() in _static(screen, "#compare-title")
        )
    )


async def test_cycling_what_ifs_with_imported_rows_keeps_every_column(tmp_path: Path) -> None:
    """Every preset in turn, with published rows imported: each table has all its columns
    and every arm, the imported one too."""
    directory = make_compare_dir(tmp_path / "sessions")
    published = tmp_path / "published.jsonl"
    published.write_text("\n".join(_published_row("P", t) for t in range(3)) + "\n")

    app = FepApp(tmp_path, start=StartCompare([directory], [published]))
    async with app.run_test(size=(240, 40)) as pilot:
        screen = await _loaded(pilot)
        base = _columns(screen.query_one("#arm-table", DataTable))
        for _ in range(len(screen.presets) - 1):
            await pilot.press("w")
            for _ in range(200):
                await pilot.pause(0.05)
                if _whatif_loaded(screen):
                    break
            assert screen.whatif is not None
            table = screen.query_one("#arm-table", DataTable)
            assert _columns(table) == [*base, "what-if $", "what-if change"], screen.whatif.label()
            arm = _columns(table).index("arm")
            rows = {r[arm]: r for r in _rows(table)}
            assert set(rows) == {"A", "B", "C", "D", "P"}, screen.whatif.label()
            assert all(len(r) == len(base) + 2 for r in rows.values())


async def test_pressing_w_twice_never_shows_one_what_ifs_numbers_under_anothers_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first what-if (caching off) is made slow, so it finishes after the second: its
    numbers used to land under the second's title."""
    import time

    import fep_tui.screens.compare as compare_screen
    from sessions.analysis.comparison import add_whatif
    from sessions.analysis.whatif import WhatIf

    directory = make_compare_dir(tmp_path / "sessions")
    real = add_whatif

    def slow_when_caching_is_off(frame: Any, whatif: WhatIf) -> Any:
        if not whatif.caching:
            time.sleep(1.5)
        return real(frame, whatif)

    monkeypatch.setattr(compare_screen, "add_whatif", slow_when_caching_is_off)
    rows = collect([directory]).labelled()
    table = arm_table(add_whatif(rows, WhatIf(write_ttl="1h")), "A")
    want = {row["arm"]: row["whatif_median_cost_usd"] for row in table}

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("w", "w")
        await pilot.pause(2.5)
        assert screen.whatif == WhatIf(write_ttl="1h")
        assert screen.whatif.label() in _static(screen, "#compare-title")
        whatif = _columns(screen.query_one("#arm-table", DataTable)).index("what-if $")
        for row in _rows(screen.query_one("#arm-table", DataTable)):
            assert row[whatif] == f"{want[row[0]]:.4f}", row


async def test_at_80_columns_the_re_read_ratio_and_what_if_are_on_screen(tmp_path: Path) -> None:
    """The ratio to the baseline came after the interval, wall time and turns: at 80 columns
    it was behind a sideways scroll, and so was every what-if's figure."""
    directory = make_compare_dir(tmp_path / "sessions")

    def visible(table: DataTable[str], label: str) -> bool:
        right = 0
        for column in table.columns.values():
            right += column.get_render_width(table)
            if str(column.label) == label:
                return right <= table.scrollable_content_region.width
        raise AssertionError(f"no column {label}")

    app = FepApp(tmp_path, start=StartCompare([directory], [], None, "B"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _loaded(pilot)
        table = screen.query_one("#arm-table", DataTable)
        assert visible(table, "re-read xB") and visible(table, "$/success")
        await pilot.press("w")
        for _ in range(200):
            await pilot.pause(0.05)
            if _whatif_loaded(screen):
                break
        table = screen.query_one("#arm-table", DataTable)
        assert visible(table, "what-if $") and visible(table, "what-if change")


async def test_baseline_and_export_dialog(tmp_path: Path) -> None:
    """--baseline reaches the screen (the ratio column is "times B"); export asks where, offering
    a folder beside the compared sessions, and writes there."""
    directory = make_compare_dir(tmp_path / "sessions")
    from fep_tui.screens.ask_path import AskPathScreen

    app = FepApp(tmp_path, start=StartCompare([directory], [], None, "B"))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await _loaded(pilot)
        assert "re-read xB" in _columns(screen.query_one("#arm-table", DataTable))
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, AskPathScreen)
        assert dialog.default.parent == directory
        target = tmp_path / "my-charts"
        dialog.query_one("Input", Input).value = str(target)
        await pilot.press("enter")
        for _ in range(300):
            await pilot.pause(0.1)
            if target.exists() and len(list(target.iterdir())) == 4:
                break
        assert sorted(p.suffix for p in target.iterdir()) == [".png", ".png", ".svg", ".svg"]


async def test_the_pairwise_matrix_reads_row_against_column_on_both_sides(tmp_path: Path) -> None:
    """Cliff's d in a cell is the row arm against the column arm: positive where the row
    costs more. The mirrored cell carries the opposite sign."""
    from sessions.analysis.statistics import cliffs_delta

    directory = make_compare_dir(tmp_path / "sessions")
    won = [row for row in collect([directory]).labelled() if row.success]
    costs = {
        arm: [row.cost_usd or 0.0 for row in won if row.arm == arm]
        for arm in sorted({row.arm for row in won})
    }

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await _loaded(pilot)
        grid = _rows(screen.query_one("#pairwise", DataTable))
        arms = [row[0] for row in grid]
        checked = 0
        for i, row in enumerate(arms):
            for j, column in enumerate(arms):
                if i == j:
                    assert grid[i][j + 1] == "·"
                    continue
                want = cliffs_delta(costs[row], costs[column])
                assert f"d={want:+.2f}" in grid[i][j + 1], (row, column, grid[i][j + 1])
                checked += 1
        assert checked == len(arms) * (len(arms) - 1) > 0


def test_side_by_side_reads_only_the_turn_it_shows(tmp_path: Path) -> None:
    """Opening two sessions side by side reads their indexes and the shown turn's events,
    not every event of both files (a 200k-event session took 0.8 s each to fold whole)."""
    import shutil

    from sessions.index import SessionIndex

    path = tmp_path / "b.jsonl"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl", path)
    read: list[int] = []
    original = SessionIndex.read

    def counting(self: SessionIndex, start: int, stop: int) -> Any:
        events = original(self, start, stop)
        read.append(len(events))
        return events

    lead_turns(path)  # builds and keeps the index, as a replay or compare would have
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SessionIndex, "read", counting)
        side = lead_turns(path)
        third = side.turn(3)
    assert third is not None and third.text and third.calls
    assert 0 < sum(read) < side.index.length / 2, (sum(read), side.index.length)
    row = side.after(3)
    assert row is not None and row.cost_usd == third.cost_after


@pytest.mark.parametrize("width", [80, 120, 240])
async def test_the_screen_shows_the_columns_and_figures_fep_tui_compare_prints(
    tmp_path: Path, width: int
) -> None:
    """The screen built its own table and drifted from the command's: other labels (a
    times sign for "re-read xA", a delta for "what-if change", "95% CI"), no "exec never
    called". Both now come from one set of column specs and leave out the least important
    first when narrow (the screen names the task and the one source in its title)."""
    import re

    directory = make_compare_dir(tmp_path / "sessions")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": str(width)}
    printed = run_cli("compare", str(directory), env=env).stdout.splitlines()
    header = next(line for line in printed if line.strip().startswith("task"))
    cli_columns = [c for c in re.split(r"\s{2,}", header.strip()) if c not in ("task", "source")]
    starts = [header.index(c) for c in cli_columns]
    body = [line for line in printed[printed.index(header) + 2 :] if line.strip()][:4]

    def cells(line: str) -> list[str]:
        # Figures are right-aligned under their headers: read each up to its header's end.
        ends = [start + len(c) for start, c in zip(starts, cli_columns, strict=True)]
        found = []
        for end in ends:
            left = line.rstrip()[:end].rstrip()
            found.append(left.split()[-1] if left else "")
        return found

    cli_rows = {cells(line)[0]: dict(zip(cli_columns, cells(line), strict=True)) for line in body}

    app = FepApp(tmp_path, start=StartCompare([directory], []))
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await _loaded(pilot)
        table = screen.query_one("#arm-table", DataTable)
        shown = _columns(table)
        # The screen's table has no separators to pay for: at the same width it shows
        # every column the command prints, in the same order, and perhaps one more.
        assert [c for c in shown if c in cli_columns] == cli_columns, (shown, cli_columns)
        for row in _rows(table):
            printed_row = cli_rows[row[0]]
            for column, value in zip(shown, row, strict=True):
                if column in printed_row and column != "arm":
                    assert value == printed_row[column], (row[0], column)
