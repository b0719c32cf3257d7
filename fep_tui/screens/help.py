"""Every binding of every screen, with its description."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from fep_tui import keys


def bindings_table(sections: Mapping[str, Sequence[BindingType]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for title, bindings in sections.items():
        table.add_row(f"[bold underline]{title}[/]", "")
        for binding in bindings:
            if not isinstance(binding, Binding) or binding is keys.MORE_KEYS:
                continue
            label = binding.key_display or binding.key.replace(",", " / ")
            table.add_row(label, binding.description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")
    ]

    def __init__(self, sections: Mapping[str, Sequence[BindingType]] = keys.SECTIONS) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static("[bold]fep-tui keys[/]  (ctrl+p opens the command palette)")
            yield Static(bindings_table(self.sections))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
