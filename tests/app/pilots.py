"""Helpers for Pilot sessions: a widget alone in an app, keys that start a worker, and what
the app said in its notifications."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from engine import TrialConfig, resolve_arm
from fep_tui.app import FepApp, StartLive
from fep_tui.screens.search import SearchJob
from fep_tui.screens.trial import TrialScreen
from sessions.analysis.search import Known, Objective, RunRound


class Host(App[None]):
    """An app of one widget, to test that widget alone."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def solo_trial_app(directory: Path) -> FepApp:
    """The app started on a simulated trial of arm A (solo) on tiny, streamed fast."""
    config = TrialConfig(resolve_arm("A"), "tiny", sim_stream_delay_s=0.002)
    return FepApp(directory, start=StartLive(config))


async def trial_screen(pilot: Pilot[None]) -> TrialScreen:
    """The trial screen the app was started on, once drawn."""
    await pilot.pause(0.3)
    screen = pilot.app.screen
    assert isinstance(screen, TrialScreen)
    return screen


async def press_and_settle(pilot: Pilot[Any], *keys: str, pause: float = 0.2) -> None:
    """Press `keys`, wait for every worker they started (an import, a read) to end, and
    give the screen `pause` seconds to show the outcome."""
    await pilot.press(*keys)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(pause)


def success_search(
    candidates: dict[str, str],
    run_round: RunRound,
    budget: int,
    per_candidate: int,
    known: Known | None = None,
) -> SearchJob:
    """A search for the most successful candidate by elimination, for StartSearch."""
    return SearchJob(
        candidates,
        Objective("success"),
        "elimination",
        budget,
        per_candidate,
        run_round,
        known or {},
    )


def notes(app: App[Any]) -> list[str]:
    """The app's notifications so far, as their text."""
    return [str(n.message) for n in app._notifications]
