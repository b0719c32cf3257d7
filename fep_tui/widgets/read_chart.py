"""Per-turn cumulative re-read context of the lead role, split by where it came from."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from sessions.timeline import CHART_GROUPS, ChartRow

COLOURS = {"base": "blue", "own": "green", "tool_results": "yellow", "summaries": "magenta"}
LABELS = {
    "base": "prompt",
    "own": "own turns",
    "tool_results": "tools",
    "summaries": "summaries",
}


class ReadChart(Widget):
    """One bar per lead turn: the cache-read tokens of that call, stacked by source."""

    DEFAULT_CSS = """
    ReadChart { height: 1fr; min-height: 5; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[ChartRow] = []

    def show(self, rows: list[ChartRow]) -> None:
        if len(rows) != len(self._rows):
            self._rows = list(rows)
            self.refresh()

    def render(self) -> Text:
        return render_chart(self._rows, self.size.width, self.size.height)


def legend(width: int, groups: Sequence[str] = CHART_GROUPS) -> list[Text]:
    """The colour key of `groups`, wrapped to `width` by whole entries."""
    lines = [Text()]
    for group in groups:
        entry = Text(" ")
        entry.append("█", style=COLOURS[group])
        entry.append(LABELS[group])
        if not lines[-1].cell_len or lines[-1].cell_len + entry.cell_len > width:
            if lines[-1].cell_len:
                lines.append(Text())
            entry = entry[1:]
        lines[-1].append_text(entry)
    return lines


def render_chart(rows: list[ChartRow], width: int, height: int) -> Text:
    """The legend, then the newest turns that fit below it: the newest bar is always the
    last line, however many lines the legend takes at this width."""
    # Only what the bars hold: a solo arm has no executor summaries to key.
    present = {group for row in rows for group in row.groups}
    key = legend(width, [g for g in CHART_GROUPS if g in present] if present else CHART_GROUPS)
    text = Text("\n").join(key)
    shown = rows[-max(1, height - len(key)) :]
    if not shown:
        text.append("\n(no cache reads yet)", style="dim")
        return text
    peak = max(row.cache_read for row in rows) or 1
    bar_width = max(4, width - 13)
    for row in shown:
        text.append(f"\nt{row.turn:<3}")
        cells = round(bar_width * row.cache_read / peak)
        total = sum(row.groups.values()) or 1
        drawn = 0
        for index, group in enumerate(CHART_GROUPS):
            share = row.groups.get(group, 0)
            last = index == len(CHART_GROUPS) - 1
            span = cells - drawn if last else round(cells * share / total)
            span = max(0, min(span, cells - drawn))
            text.append("█" * span, style=COLOURS[group])
            drawn += span
        text.append(" " * (bar_width - drawn) + f" {row.cache_read:>7,}")
    return text
