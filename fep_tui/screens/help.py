"""Every binding of every screen, with its description."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from fep_tui import keys
from fep_tui.widgets.key_bar import KeyBar


def bindings_text(sections: Mapping[str, Sequence[BindingType]]) -> Text:
    """Each section's keys beside their descriptions. Plain text, not a Rich Table: Textual
    re-measured the table hundreds of times, and opening help during a live stream froze
    the screen for 0.15 s (bench/live_stream.py)."""
    rows = {
        title: [
            (binding.key_display or binding.key.replace(",", " / "), binding.description)
            for binding in bindings
            if isinstance(binding, Binding) and binding is not keys.MORE_KEYS
        ]
        for title, bindings in sections.items()
    }
    width = max(len(key) for section in rows.values() for key, _ in section)
    text = Text()
    for title, section in rows.items():
        text.append(f"\n{title}\n" if text else f"{title}\n", style="bold underline")
        for key, description in section:
            text.append(f" {key:<{width}} ", style="bold cyan")
            text.append(f" {description}\n")
    text.rstrip()
    return text


class HelpScreen(Screen[None]):
    """A whole screen, not a dialog over the one below: over a live trial, a dialog was
    composited with the trial's panes every frame, and help took 0.14 s to appear."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")
    ]

    def __init__(self, sections: Mapping[str, Sequence[BindingType]] = keys.SECTIONS) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static("[bold]fep-tui keys[/]  (ctrl+p opens the command palette)")
            yield Static(bindings_text(self.sections))
        yield KeyBar()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
