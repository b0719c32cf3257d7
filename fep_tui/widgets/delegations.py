"""Delegations and what came back; the highlighted one shows its re-read cost so far."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from engine.roles import EXECUTOR
from fep_tui.roles import executor_named, short_role
from fep_tui.widgets.text_panel import TextPanel
from sessions.timeline import DelegationView, Reread

RereadLookup = Callable[[int], Reread]
# The list shows the newest delegations only: laying out a thousand options on every seek
# of a long session costs a tenth of a second, and the newest are the ones being watched.
SHOWN = 200


def delegation_line(view: DelegationView) -> str:
    first = view.instruction.strip().splitlines()[0] if view.instruction.strip() else ""
    if view.summary_tokens is None:
        back = "…"
    else:
        back = f"{view.summary_tokens:,}t" + (" cut" if view.truncated else "")
    to = "" if view.executor == EXECUTOR else f"{short_role(view.executor)} "
    return f"#{view.number} t{view.lead_turn} {to}← {back} {first[:26]}"


def delegation_detail(view: DelegationView, reread: Reread, priced: bool = True) -> str:
    """Its cost to the lead first (the pane is a few lines high at 80x24), then what came
    back, then the instruction. `priced`: False when no card prices the lead's model."""
    if view.summary_tokens is None:
        who = executor_named(view.executor)
        return f"#{view.number}: waiting for {who}\n{view.instruction.strip()}"
    turns = f"{reread.turns} later turn{'' if reread.turns == 1 else 's'}"
    cost = (
        f"#{view.number} cost so far ${reread.total_usd:.4f} = cache write "
        f"${reread.write_usd:.4f} + re-reads ${reread.usd:.4f}"
        if priced
        else f"#{view.number} cost so far: price unknown (the lead's model has no price)"
    )
    return (
        f"{cost}\n"
        f"re-read {reread.tokens:,} tokens on {turns}; summary {view.summary_tokens:,} tokens"
        f"{' (cut)' if view.truncated else ''}, {view.executor_turns} {view.executor} turns\n"
        f"{view.instruction.strip()}"
    )


class DelegationsPane(Vertical):
    # The list draws no border of its own: the pane's border shows focus, and at 80x24 the
    # list's would leave room for one delegation of seven lines.
    DEFAULT_CSS = """
    DelegationsPane OptionList {
        height: 1fr; min-height: 2; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    DelegationsPane OptionList:focus { border: none; }
    DelegationsPane #delegation-detail { height: auto; max-height: 50%; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views: list[DelegationView] = []
        self._reread: RereadLookup | None = None
        self._priced = True

    def compose(self) -> ComposeResult:
        yield OptionList(id="delegation-list")
        yield TextPanel("no delegations yet", id="delegation-detail")

    def show(self, views: list[DelegationView], reread: RereadLookup, priced: bool = True) -> None:
        """`reread(number)` gives a delegation's re-read cost so far; asked only for the
        highlighted one, since a long trial has hundreds of delegations. `priced`: False
        when no card prices the lead's model (its dollars are unknown, never $0)."""
        self._reread = reread
        self._priced = priced
        hidden = max(0, len(views) - SHOWN)
        views = views[hidden:]
        subtitle = f"newest {SHOWN} of {hidden + SHOWN}" if hidden else ""
        if self.border_subtitle != subtitle:
            # Setting it repaints the pane and its list, even to the same text: each frame.
            self.border_subtitle = subtitle
        options = self.query_one(OptionList)
        if [delegation_line(v) for v in views] != [delegation_line(v) for v in self._views]:
            highlighted = options.highlighted
            options.clear_options()
            options.add_options([Option(delegation_line(v), id=str(v.number)) for v in views])
            if views:
                options.highlighted = (
                    min(highlighted or 0, len(views) - 1)
                    if highlighted is not None
                    else len(views) - 1
                )
        self._views = list(views)
        self._show_detail()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#delegation-detail", TextPanel)
        index = self.query_one(OptionList).highlighted
        if index is None or index >= len(self._views) or self._reread is None:
            detail.set_text("no delegations yet" if not self._views else "")
            return
        view = self._views[index]
        detail.set_text(delegation_detail(view, self._reread(view.number), self._priced))
