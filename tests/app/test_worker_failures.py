"""A worker that fails tells the user and leaves the app running: a failed import on the
traces screen and a failed search round used to end the app (exit status 1, a traceback).
A failed compare load is tested with the compare screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from fep_tui.app import FepApp, StartSearch
from fep_tui.screens.search import SearchScreen
from tests.app.pilots import notes, press_and_settle, success_search

pytestmark = pytest.mark.anyio


def _notes(app: FepApp) -> list[str]:
    return notes(app)


async def test_a_failed_import_on_the_traces_screen_is_a_notification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fep_tui.screens import traces
    from fep_tui.screens.traces import TracesScreen

    def broken(*_: object) -> None:
        raise PermissionError(13, "Permission denied", "/home/me/.claude/projects/x.jsonl")

    monkeypatch.setattr(traces, "import_sessions", broken)
    claude = tmp_path / "claude"
    (claude / "projects").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))

    app = FepApp(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await press_and_settle(pilot, "t")
        assert isinstance(app.screen, TracesScreen), "the app is still running"
        assert any("could not import" in n and "Permission denied" in n for n in notes(app))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.is_running


async def test_a_failed_search_round_is_a_notification(tmp_path: Path) -> None:
    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        raise RuntimeError("the simulator stopped answering")

    job = success_search({"a": "a alone", "b": "b alone"}, run_round, budget=8, per_candidate=4)

    app = FepApp(tmp_path, start=StartSearch(job, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert isinstance(app.screen, SearchScreen), "the app is still running"
        assert any("the simulator stopped answering" in n for n in notes(app))
