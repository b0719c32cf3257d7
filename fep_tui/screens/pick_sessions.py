"""Pick the two sessions to step side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from sessions.analysis.trial_row import TrialRow


class PickSessionsScreen(ModalScreen[tuple[Path, Path] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Compare these two", priority=True, id="pick.confirm"),
        Binding("escape", "cancel", "Cancel", id="pick.cancel"),
    ]

    def __init__(self, rows: Sequence[TrialRow]) -> None:
        super().__init__()
        self.rows = sorted(rows, key=lambda row: (row.arm, row.cost_usd or 0.0))

    def compose(self) -> ComposeResult:
        # Preselect the cheapest session of the first two arms: the usual question.
        firsts: dict[str, int] = {}
        for index, row in enumerate(self.rows):
            firsts.setdefault(row.arm, index)
        first_of_arm = set(list(firsts.values())[:2])
        options: list[tuple[str, str, bool]] = [
            (
                f"{row.arm:<8} seed {row.seed!s:<3} cost ${row.cost_usd or 0.0:.4f}  "
                f"{'ok  ' if row.success else 'fail'} {row.turns!s:>3} lead turns  "
                f"{Path(row.path).stem}",
                row.path,
                index in first_of_arm,
            )
            for index, row in enumerate(self.rows)
        ]
        with Vertical(classes="dialog"):
            yield Label("Side by side: pick two sessions (space toggles, enter compares)")
            yield SelectionList[str](*options, id="pick")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_confirm(self) -> None:
        picked = self.query_one(SelectionList).selected
        if len(picked) != 2:
            self.notify(f"pick exactly two sessions ({len(picked)} picked)", severity="warning")
            return
        self.dismiss((Path(picked[0]), Path(picked[1])))

    def action_cancel(self) -> None:
        self.dismiss(None)
