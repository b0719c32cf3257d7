"""The key line at the bottom of each screen: what it lists, what a click does, and that
showing another screen does not mount widgets in it (Footer's cost on every switch)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fep_tui.app import FepApp
from fep_tui.screens.help import HelpScreen
from fep_tui.screens.home import HomeScreen
from fep_tui.screens.new_trial import NewTrialScreen
from fep_tui.widgets.key_bar import KeyBar


def key_line(app: FepApp) -> str:
    bar = app.screen.query_one(KeyBar)
    return bar.render().plain


def test_the_key_line_lists_each_screens_keys_and_follows_the_screen(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        app = FepApp(tmp_path)
        lines = []
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            lines.append(key_line(app))
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            lines.append(key_line(app))
            await pilot.press("escape")
            await pilot.pause()
            lines.append(key_line(app))
        return lines

    home, help_, home_again = asyncio.run(scenario())
    # The more-keys key first, each key as it is typed, the palette's key kept at the right
    # edge of 80 columns.
    assert home.startswith(" ? more keys  n New trial  d Delete  / Filter ")
    assert home.rstrip().endswith("▏^p palette") and len(home) == 80
    assert help_.startswith(" esc Close  ? more keys ")
    assert home_again == home


def test_a_click_on_a_key_presses_it(tmp_path: Path) -> None:
    async def scenario() -> tuple[type[object], type[object]]:
        app = FepApp(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            line = key_line(app)
            # Between keys is not a key: nothing happens.
            await pilot.click(KeyBar, offset=(line.index("Traces") + 7, 0))
            await pilot.pause()
            after_gap = type(app.screen)
            # The key under the mouse is highlighted, as Footer's are.
            bar = app.screen.query_one(KeyBar)
            plain_line = bar.render()
            await pilot.hover(KeyBar, offset=(line.index("New trial"), 0))
            assert bar.hovered == line.index(" n ")
            hovered_line = bar.render()
            assert hovered_line.plain == plain_line.plain
            changed = {s.start for s in hovered_line.spans} ^ {s.start for s in plain_line.spans}
            changed |= {
                a.start
                for a, b in zip(hovered_line.spans, plain_line.spans, strict=True)
                if a.style != b.style
            }
            assert changed and min(changed) == line.index(" n ")
            await pilot.click(KeyBar, offset=(line.index("New trial"), 0))
            await pilot.pause(0.2)
            return after_gap, type(app.screen)

    after_gap, after_key = asyncio.run(scenario())
    assert after_gap is HomeScreen
    assert after_key is NewTrialScreen


def test_showing_a_screen_again_builds_no_widgets(tmp_path: Path) -> None:
    """Footer unmounted its keys and mounted new ones each time a screen was shown (twice):
    60 of the 80 ms of main-thread time a switch took, while a live trial's frames waited."""

    async def scenario() -> tuple[set[int], set[int]]:
        app = FepApp(tmp_path)

        def widgets() -> set[int]:
            screens = [app.get_screen(name) for name in ("help", "new-trial")]
            return {id(w) for s in [*screens, *app.screen_stack] for w in s.walk_children()}

        async with app.run_test(size=(80, 24)) as pilot:
            rounds = []
            for _ in range(2):
                for key in ("question_mark", "escape", "n", "escape"):
                    await pilot.press(key)
                    await pilot.pause(0.1)
                rounds.append(widgets())
            return rounds[0], rounds[1]

    first, second = asyncio.run(scenario())
    assert second == first
