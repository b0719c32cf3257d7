"""A sessions directory opened read-only (`fep-tui --read-only`, `serve --read-only`, or one
this user cannot write): browsing, replay and compare work; new trials, deletes, imports
and chart exports are refused, one line each, and no session is written or removed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable

from fep_tui.app import FepApp
from fep_tui.screens.compare import CompareScreen
from fep_tui.screens.home import HomeScreen
from fep_tui.screens.traces import TracesScreen
from fep_tui.screens.trial import TrialScreen
from tests.app.pilots import notes, press_and_settle
from tests.unit.test_claude_code import claude_home

FIXTURES = Path(__file__).parents[1] / "fixtures"
WHY = "opened with --read-only"


def _notes(app: FepApp) -> list[str]:
    return notes(app)


def _files(directory: Path) -> dict[str, bytes]:
    """The sessions in `directory`, by name. (Caches beside them, `.idx` files and the
    compare index, may still be written where the directory allows: they speed up reading
    and are rebuilt from the sessions; a directory this user cannot write gets none.)"""
    return {p.name: p.read_bytes() for p in directory.rglob("*.jsonl")}


def test_a_read_only_app_refuses_each_write_in_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    for name in ("a-tiny-seed0.jsonl", "b-tiny-seed0.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    before = _files(tmp_path)

    async def scenario() -> None:
        app = FepApp(tmp_path, read_only=WHY)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            assert str(app.screen.query_one("#home-title").render()).endswith(" · read-only")
            await pilot.press("n")
            await pilot.pause(0.1)
            assert isinstance(app.screen, HomeScreen), "no new-trial dialog"
            assert f"read-only: new trials refused ({WHY})" in notes(app)
            await pilot.press("d")
            await pilot.pause(0.1)
            assert isinstance(app.screen, HomeScreen), "no confirmation asked"
            assert f"read-only: deleting sessions refused ({WHY})" in notes(app)
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert isinstance(app.screen, TrialScreen), "replay still opens"
            await press_and_settle(pilot, "escape", "c", pause=0.3)
            assert isinstance(app.screen, CompareScreen), "compare still opens"
            await pilot.press("e")
            await pilot.pause(0.1)
            assert isinstance(app.screen, CompareScreen), "no path asked"
            assert f"read-only: exporting charts refused ({WHY})" in notes(app)

    asyncio.run(scenario())
    assert _files(tmp_path) == before


def test_the_traces_screen_read_only_lists_what_was_imported_and_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = claude_home(tmp_path, monkeypatch)

    async def scenario() -> None:
        app = FepApp(sessions, read_only=WHY)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            await press_and_settle(pilot, "t")
            assert isinstance(app.screen, TracesScreen)
            assert app.screen.query_one(DataTable).row_count == 0
            hint = str(app.screen.query_one("#traces-hint").render())
            assert f"read-only ({WHY})" in hint and "not imported" in hint

    asyncio.run(scenario())
    assert _files(sessions) == {}
