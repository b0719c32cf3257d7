"""Every call fep-tui makes into Textual's (and textual-serve's) private parts, in one
place. Textual has no public way to do these; each is what Textual itself does first when
it shows a screen or serves an app. tests/app/test_textual_compat.py checks that each still
exists with the shape used here, so a Textual upgrade that moves one fails there, named,
instead of somewhere in the app.

- `start_unseen`: run a screen (compose and mount it) without showing it, as push_screen
  does first: building the new-trial dialog ahead took its first opening from 0.10-0.21 s
  to 0.05-0.09 s during a live stream (bench/live_stream.py).
- `draw_unseen`: lay a running screen out at a size and draw it once, dropping the frame,
  as showing it does: it fills the widgets' line caches (87-138 ms first opening against
  55-76 ms warmed).
- textual-serve's `Server._make_app`, overridden in fep_tui/commands/serve.py to add the
  token's middleware to the aiohttp application it builds (`fep-tui serve --token`).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.geometry import Size
from textual.screen import Screen

# The Textual versions these were checked against (pyproject pins the same range).
CHECKED = "textual 8.x, textual-serve 1.1"


def start_unseen(app: App[Any], screen: Screen[Any]) -> None:
    app._register(app, screen)


def draw_unseen(screen: Screen[Any], size: Size) -> None:
    screen._refresh_layout(size)
    screen._compositor.render_update(full=True)
