"""The key line at the bottom of every screen: one widget, drawn as one line of text.

Textual's Footer shows the same keys, but as one widget per key, unmounted and mounted
again whenever the screen's bindings change: twice for every screen shown. That was
60 of the 80 ms of main-thread time each screen switch took (help, the new-trial dialog,
back to a trial), time in which a live trial's frames wait. Here a change of bindings is
a new line of text. It looks and reads as Footer does: the same theme colours, the keys in
the order Footer lists them, the command palette's key on the right, a key under the
mouse highlighted, and a click on a key presses it.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget


class ShownKey(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--separator",
        "key-bar--hover",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--separator {
            color: $foreground 20%;
        }
        .key-bar--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    # The key under the mouse, by its position in the line (None: none).
    hovered: reactive[int | None] = reactive(None)

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[ShownKey, ...] = ()
        self._palette: ShownKey | None = None
        # Where each key was drawn, as (first column, end column, key), for the mouse.
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette = self._shown(screen)
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.refresh()

    def _shown(self, screen: Screen[object]) -> tuple[tuple[ShownKey, ...], ShownKey | None]:
        """The keys Footer would show: one per action (its first key), in the order of the
        screen's active bindings, and the command palette's apart."""
        active = screen.active_bindings

        def shown(binding: Binding, enabled: bool) -> ShownKey:
            display = self.app.get_key_display(binding)
            return ShownKey(binding.key, display, binding.description, enabled)

        by_action: dict[str, ShownKey] = {}
        for _, binding, enabled, _ in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = shown(binding, enabled)
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and self.app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, _ = active[self.app.COMMAND_PALETTE_BINDING]
            palette = shown(binding, enabled)
        return tuple(by_action.values()), palette

    def _span_at(self, x: int) -> tuple[int, int, str] | None:
        """The key drawn at column `x`, if any, as (first column, end column, key)."""
        return next((span for span in self._spans if span[0] <= x < span[1]), None)

    def on_click(self, event: events.Click) -> None:
        span = self._span_at(event.x)
        if span is not None:
            event.stop()
            # As if pressed on the keyboard: the focused widget and the screen see it first.
            self.app.simulate_key(span[2])

    def on_mouse_move(self, event: events.MouseMove) -> None:
        span = self._span_at(event.x)
        self.hovered = None if span is None else span[0]

    def on_leave(self) -> None:
        self.hovered = None

    def _piece(self, shown: ShownKey, key_text: str, description: str, at: int) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        if self.hovered == at:
            key_style = description_style = self.get_component_rich_style("key-bar--hover")
        piece = Text.assemble((key_text, key_style), (description, description_style))
        if not shown.enabled:
            piece.stylize("dim")
        self._spans.append((at, at + piece.cell_len, shown.key))
        return piece

    def render(self) -> Text:
        width = self.size.width
        self._spans = []
        line = Text(no_wrap=True, overflow="crop", end="")
        for shown in self._keys:
            piece = f" {shown.display} ", f"{shown.description} "
            line.append_text(self._piece(shown, *piece, at=line.cell_len))
        palette = self._palette
        # The palette's key stays in view; the keys on the left are cut short if need be.
        right_width = (
            0 if palette is None else 2 + cell_len(palette.display + palette.description) + 1
        )
        line.truncate(max(0, width - right_width), pad=palette is not None)
        # A key cut off at the edge cannot be clicked.
        self._spans = [span for span in self._spans if span[1] <= line.cell_len]
        if palette is None:
            return line
        line.append("▏", style=self.get_component_rich_style("key-bar--separator"))
        at = line.cell_len
        line.append_text(self._piece(palette, palette.display, f" {palette.description} ", at))
        return line
