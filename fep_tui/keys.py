"""Every screen's key bindings, in one light module.

The help screen lists them all; importing the screens themselves to read their bindings
pulled in pandas and scipy (the compare screen) and took 1.2 s on the first `?`.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit"),
    # Priority, so it comes first in every footer and is never cut off at 80 columns.
    Binding("question_mark", "help", "more keys", key_display="?", priority=True, id="app.help"),
    Binding("ctrl+n", "new_trial", "New trial", show=False, id="app.new"),
    Binding("b", "batch", "Batch", show=False, id="app.batch"),
]

# First in each screen's list, so every footer starts with it and it is never the key cut
# off at 80 columns (a footer lists the focused widget's and the screen's keys before the app's).
MORE_KEYS = Binding("question_mark", "app.help", "more keys", key_display="?", id="more")


def pushed(screen: str) -> list[BindingType]:
    """The head of a pushed screen's keys: `?`, then escape back to where it was opened."""
    return [MORE_KEYS, Binding("escape", "app.pop_screen", "Back", id=f"{screen}.back")]


HOME: list[BindingType] = [
    MORE_KEYS,
    Binding("n", "new_trial", "New trial", id="home.new"),
    Binding("enter", "open", "Open", id="home.open"),
    Binding("d", "delete", "Delete", id="home.delete"),
    # Not in the footer (the hint line under the list says s and S), so that t fits at 80.
    Binding("s", "sort", "Sort", show=False, id="home.sort"),
    Binding("S", "reverse_sort", "Reverse sort", show=False, id="home.reverse"),
    Binding("slash", "filter", "Filter", key_display="/", id="home.filter"),
    # In the hint line too, while a filter is applied: the footer has no room at 80.
    Binding("escape", "clear_filter", "Clear filter", show=False, id="home.clear_filter"),
    Binding("r", "refresh", "Refresh", show=False, id="home.refresh"),
    Binding("c", "compare", "Compare", id="home.compare"),
    Binding("t", "traces", "Traces", id="home.traces"),
]

SEARCH: list[BindingType] = [
    *pushed("search"),
    Binding("c", "compare", "Compare its trials", id="search.compare"),
]

TRACES: list[BindingType] = [
    *pushed("traces"),
    Binding("enter", "open", "Open", show=False, id="traces.open"),
    Binding("r", "refresh", "Import and refresh", id="traces.refresh"),
]


def _stepping(
    keys: str, action: str, description: str, display: str, id: str, show: bool = True
) -> Binding:
    """A key that moves through a trial: a priority binding, so it wins over the focused
    pane's own scrolling."""
    return Binding(keys, action, description, key_display=display, priority=True, show=show, id=id)


TRIAL: list[BindingType] = [
    *pushed("trial"),
    _stepping("space", "toggle_play", "Play/pause", "space", "trial.play"),
    _stepping("right", "step(1)", "Event +1", "→", "trial.step_forward", show=False),
    _stepping("left", "step(-1)", "Event -1", "←", "trial.step_back", show=False),
    _stepping("right_square_bracket", "turn(1)", "Turn +1", "]", "trial.next_turn"),
    _stepping("left_square_bracket", "turn(-1)", "Turn -1", "[", "trial.previous_turn"),
    Binding("g", "goto_turn", "Go to turn", id="trial.goto"),
    Binding("plus,equals_sign", "faster", "Faster", key_display="+", id="trial.faster"),
    Binding("minus", "slower", "Slower", key_display="-", id="trial.slower"),
    Binding("home", "start", "Start", show=False, priority=True, id="trial.start"),
    Binding("end", "end", "End", show=False, priority=True, id="trial.end"),
    Binding("t", "toggle_tools", "Expand tool call", show=False, id="trial.tools"),
    Binding("p", "toggle_pacing", "Pacing on/off", show=False, id="trial.pacing"),
    Binding("i", "items", "Context items", show=False, id="trial.items"),
]

ITEMS = pushed("items")

BATCH: list[BindingType] = [
    *pushed("batch"),
    Binding("enter", "open", "Open trial", id="batch.open"),
]

COMPARE: list[BindingType] = [
    *pushed("compare"),
    # Short labels, export and charts before side by side, and sort only in `?` (the
    # arms table says `sorted by ... (s)`): at 80 columns `e Export` and `c Charts` fit the
    # footer (`e Export charts` was cut off).
    Binding("t", "next_task", "Task", id="compare.task"),
    Binding("s", "sort", "Sort", id="compare.sort", show=False),
    Binding("w", "whatif", "What-if", id="compare.whatif"),
    Binding("e", "export", "Export", id="compare.export"),
    Binding("c", "charts", "Charts", id="compare.charts"),
    Binding("v", "side_by_side", "Side by side", id="compare.side"),
]

SIDE_BY_SIDE: list[BindingType] = [
    *pushed("side"),
    _stepping("right,right_square_bracket", "step(1)", "Turn +1", "→/]", "side.next"),
    _stepping("left,left_square_bracket", "step(-1)", "Turn -1", "←/[", "side.previous"),
    Binding("home", "jump(0)", "First turn", id="side.first"),
    Binding("end", "jump(-1)", "Last turn", id="side.last"),
]

SECTIONS: dict[str, list[BindingType]] = {
    "Everywhere": APP,
    "Sessions (home)": HOME,
    "Claude Code sessions": TRACES,
    "Search": SEARCH,
    "Trial (live and replay)": TRIAL,
    "Context items (a Claude Code session)": ITEMS,
    "Batch": BATCH,
    "Compare": COMPARE,
    "Side by side": SIDE_BY_SIDE,
}
