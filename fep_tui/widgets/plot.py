"""Character-grid charts for the terminal: a scatter with highlighted points and a
connecting line, and line series over a shared x axis. Pure functions to Rich Text, so
screens and snapshot tests draw them the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from rich.text import Text
from textual.widget import Widget

ARM_STYLES = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_white")
# One glyph per series too, so lines stay apart without colour.
SERIES_CHARS = ("•", "○", "▪", "□", "◆", "◇", "+")
_LEFT = 9  # width of the y-axis labels


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    char: str
    style: str


@dataclass(frozen=True)
class Series:
    label: str
    style: str
    points: tuple[tuple[float, float], ...]


def arm_style(arms: Sequence[str], arm: str) -> str:
    ordered = sorted(set(arms))
    return ARM_STYLES[ordered.index(arm) % len(ARM_STYLES)] if arm in ordered else "white"


class _Grid:
    def __init__(self, xs: Sequence[float], ys: Sequence[float], width: int, height: int):
        self.width, self.height = max(10, width - _LEFT - 2), max(4, height)
        self.x0, self.x1 = _span(xs)
        self.y0, self.y1 = _span(ys)
        self.cells: list[list[tuple[str, str]]] = [
            [(" ", "")] * self.width for _ in range(self.height)
        ]

    def place(self, x: float, y: float) -> tuple[int, int]:
        col = round((x - self.x0) / (self.x1 - self.x0) * (self.width - 1))
        row = round((y - self.y0) / (self.y1 - self.y0) * (self.height - 1))
        return min(max(col, 0), self.width - 1), self.height - 1 - min(max(row, 0), self.height - 1)

    def put(self, x: float, y: float, char: str, style: str, *, under: bool = False) -> None:
        col, row = self.place(x, y)
        if under and self.cells[row][col][0] != " ":
            return
        self.cells[row][col] = (char, style)

    def line(self, a: tuple[float, float], b: tuple[float, float], char: str, style: str) -> None:
        (c0, r0), (c1, r1) = self.place(*a), self.place(*b)
        steps = max(abs(c1 - c0), abs(r1 - r0), 1)
        for step in range(steps + 1):
            col = round(c0 + (c1 - c0) * step / steps)
            row = round(r0 + (r1 - r0) * step / steps)
            if self.cells[row][col][0] == " ":
                self.cells[row][col] = (char, style)

    def text(self, x_label: str, y_label: str, y_format: str, x_format: str) -> Text:
        out = Text(f"{'':>{_LEFT - 1}}↑ {y_label}\n" if y_label else "", style="dim")
        ticks = (0, self.height // 2, self.height - 1)
        y_format = _telling_apart(
            [self.y1 - (self.y1 - self.y0) * index / (self.height - 1) for index in ticks],
            y_format,
        )
        x_format = _telling_apart([self.x0, self.x1], x_format)
        for index, row in enumerate(self.cells):
            value = self.y1 - (self.y1 - self.y0) * index / (self.height - 1)
            label = format(value, y_format) if index in ticks else ""
            out.append(f"{label:>{_LEFT - 1}}│", style="dim")
            for char, style in row:
                out.append(char, style=style or None)
            out.append("\n")
        out.append(" " * (_LEFT - 1) + "└" + "─" * self.width + "\n", style="dim")
        low, high = format(self.x0, x_format), format(self.x1, x_format)
        gap = max(1, self.width - len(low) - len(high) - len(x_label))
        out.append(" " * _LEFT + low + " " * (gap // 2) + x_label, style="dim")
        out.append(" " * (gap - gap // 2) + high + " →", style="dim")
        return out


def render_scatter(
    marks: Sequence[Mark],
    highlights: Sequence[Mark],
    path: Sequence[tuple[float, float]],
    width: int,
    height: int,
    labels: tuple[str, str] = ("x", "y"),
    formats: tuple[str, str] = (".0f", ".3f"),
) -> Text:
    """`marks` drawn first, `path` joins its points under them, `highlights` on top."""
    points = [*marks, *highlights]
    if not points:
        return Text("(nothing to plot)", style="dim")
    grid = _Grid([m.x for m in points], [m.y for m in points], width, height)
    for mark in marks:
        grid.put(mark.x, mark.y, mark.char, mark.style)
    for a, b in pairwise(path):
        grid.line(a, b, "·", "bold white")
    for mark in highlights:
        grid.put(mark.x, mark.y, mark.char, f"reverse bold {mark.style}")
    return grid.text(labels[0], labels[1], formats[1], formats[0])


def lines_area(widget: Widget) -> tuple[int, int]:
    """The columns and rows a line chart gets inside a bordered widget, its legend under it."""
    return widget.size.width - 2, max(3, widget.size.height - 4)


def render_lines(
    series: Sequence[Series],
    width: int,
    height: int,
    labels: tuple[str, str] = ("turn", "tokens"),
    formats: tuple[str, str] = (".0f", ",.0f"),
    cursor: float | None = None,
) -> Text:
    """Each series joined point to point; `cursor` draws a dotted line at that x."""
    points = [p for s in series for p in s.points]
    if not points:
        return Text("(nothing to plot)", style="dim")
    grid = _Grid([p[0] for p in points], [p[1] for p in points], width, height)
    if cursor is not None:
        col, _ = grid.place(cursor, grid.y0)
        for row in grid.cells:
            row[col] = ("┊", "dim")
    for index, one in enumerate(series):
        char = SERIES_CHARS[index % len(SERIES_CHARS)]
        for a, b in pairwise(one.points):
            grid.line(a, b, char, one.style)
    out = grid.text(labels[0], labels[1], formats[1], formats[0])
    out.append("\n")
    for index, one in enumerate(series):
        out.append(f" {SERIES_CHARS[index % len(SERIES_CHARS)]}━ ", style=one.style)
        out.append(one.label)
    return out


def _telling_apart(values: Sequence[float], spec: str) -> str:
    """`spec` ("{,}.Nf") with as many more decimals as the tick labels need to differ, up
    to what fits beside the axis: three ticks of a narrow range all read 0.066 at .3f."""
    grouping, _, rest = spec.partition(".")
    decimals = int(rest.removesuffix("f")) if rest.endswith("f") else None
    while decimals is not None and decimals < 6:
        labels = [format(value, spec) for value in values]
        if len(set(labels)) == len(labels) or max(map(len, labels)) >= _LEFT - 2:
            break
        decimals += 1
        spec = f"{grouping}.{decimals}f"
    return spec


def _span(values: Sequence[float]) -> tuple[float, float]:
    """The axis range: the data with a little room, never below 0 for data that is not."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 if high != low else (abs(high) * 0.1 or 1.0)
    floor = 0.0 if low >= 0 else low - pad
    return max(floor, low - pad), high + pad
