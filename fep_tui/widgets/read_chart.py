"""Per-turn cumulative re-read context of the lead role, split by where it came from."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
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
    """One bar per lead turn: the cache-read tokens of that call, stacked by source.

    Drawn line by line from strips made once per change of rows or size. As a Text through
    `render`, Textual made Content of it, wrapped it and styled it again on every repaint:
    10 ms a draw, on each new turn of a live trial (bench/live_stream.py)."""

    DEFAULT_CSS = """
    ReadChart { height: 1fr; min-height: 5; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[ChartRow] = []
        self._strips: list[Strip] = []
        self._drawn_for: tuple[Size, Style] | None = None

    def show(self, rows: list[ChartRow]) -> None:
        if len(rows) != len(self._rows):
            self._rows = list(rows)
            self._drawn_for = None
            self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once per draw, not per line: the widget's style is worked out from its CSS.
        size, style = self.size, self.rich_style
        if self._drawn_for != (size, style):
            self._drawn_for = (size, style)
            # Each line on its own, cut at the pane's edge: a bar never wraps onto the next
            # line, which would push the newest bar out of the pane.
            self._strips = [
                line_strip(line, size.width, style)
                for line in chart_lines(self._rows, size.width, size.height)
            ]
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)


def line_strip(line: Text, width: int, base: Style) -> Strip:
    """A chart line as a strip of `width` cells over `base`. Its spans are runs of one
    colour that never overlap, so each is one segment: Rich's general Text rendering, which
    resolves overlapping styles, took half of a chart's draw."""
    plain = line.plain
    under = base + Style.parse(line.style) if isinstance(line.style, str) else base + line.style
    segments: list[Segment] = []
    at = 0
    for span in line.spans:
        if span.start > at:
            segments.append(Segment(plain[at : span.start], under))
        if span.end > span.start:
            style = Style.parse(span.style) if isinstance(span.style, str) else span.style
            segments.append(Segment(plain[span.start : span.end], under + style))
        at = max(at, span.end)
    if at < len(plain):
        segments.append(Segment(plain[at:], under))
    return Strip(segments).crop_extend(0, width, base)


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
    return Text("\n").join(chart_lines(rows, width, height))


def chart_lines(rows: list[ChartRow], width: int, height: int) -> list[Text]:
    # Only what the bars hold: a solo arm has no executor summaries to key.
    present = {group for row in rows for group in row.groups}
    lines = legend(width, [g for g in CHART_GROUPS if g in present] if present else CHART_GROUPS)
    shown = rows[-max(1, height - len(lines)) :]
    if not shown:
        return [*lines, Text("(no cache reads yet)", style="dim")]
    peak = max(row.cache_read for row in rows) or 1
    # The turn and figure columns widen for turn 1000 and a read of a million tokens (a
    # 1M-context lead): a line wider than the pane wrapped and pushed the newest bar out.
    turn_width = max(3, len(str(shown[-1].turn)))
    figure_width = max(7, *(len(f"{row.cache_read:,}") for row in shown))
    bar_width = max(4, width - turn_width - figure_width - 3)
    for row in shown:
        line = Text(f"t{row.turn:<{turn_width}}")
        cells = round(bar_width * row.cache_read / peak)
        total = sum(row.groups.values()) or 1
        drawn = 0
        for index, group in enumerate(CHART_GROUPS):
            share = row.groups.get(group, 0)
            last = index == len(CHART_GROUPS) - 1
            span = cells - drawn if last else round(cells * share / total)
            span = max(0, min(span, cells - drawn))
            line.append("█" * span, style=COLOURS[group])
            drawn += span
        line.append(" " * (bar_width - drawn) + f" {row.cache_read:>{figure_width},}")
        lines.append(line)
    return lines
