"""The private Textual and textual-serve parts fep-tui uses (fep_tui/textual_compat.py)
are still there, with the shape used: a Textual upgrade that moves one fails here, by
name, instead of as a traceback somewhere in the app."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from fep_tui.textual_compat import draw_unseen, start_unseen

pytestmark = pytest.mark.anyio


def test_the_versions_are_those_the_hooks_were_checked_against() -> None:
    assert version("textual").split(".")[0] == "8", "re-check fep_tui/textual_compat.py"


def test_each_private_hook_exists_with_the_parameters_used() -> None:
    from textual._compositor import Compositor

    assert "full" in inspect.signature(Compositor.render_update).parameters
    assert callable(Screen._refresh_layout)
    assert len(inspect.signature(App._register).parameters) >= 3  # self, parent, widgets
    server = pytest.importorskip("textual_serve.server")
    assert inspect.iscoroutinefunction(server.Server._make_app)


class _Later(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("drawn ahead", id="later")


async def test_a_screen_started_and_drawn_unseen_is_ready_before_it_is_shown() -> None:
    app: App[None] = App()
    async with app.run_test(size=(40, 10)) as pilot:
        screen = _Later()
        app.install_screen(screen, "later")
        start_unseen(app, screen)
        await pilot.pause(0.1)
        assert screen.is_running and screen.query_one("#later", Static)
        draw_unseen(screen, app.size)
        assert app.screen is not screen, "never shown"
        assert screen._compositor.size == app.size, "laid out at the app's size"
        app.push_screen("later")
        await pilot.pause(0.1)
        assert app.screen is screen
