"""Printed tables that fit: one format per kind of figure, headers in words, and at a narrow
width the least important columns left out (and named) rather than any number cut.

On a terminal, or with COLUMNS set, a table fits that width. Piped or redirected without
COLUMNS, nothing is cut: every column is printed whole.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fep_tui.stdout import Stdout
from sessions.analysis.table import missing

Kind = Literal["text", "usd", "tokens", "ratio", "rate", "change", "int", "p", "delta", "seconds"]
# Wide enough for any row: Rich sizes a table to its content, so nothing is padded.
PIPE_WIDTH = 1000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "text"
    # Columns are left out from the lowest priority up when the table is too wide; 0 stays.
    priority: int = 0


def output_width() -> int:
    """The width printed tables must fit."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return Console().width
    return PIPE_WIDTH


def console() -> Console:
    # No emoji codes: "published.jsonl:A:T1:2" is a trial id, not ":A:".
    return Stdout(highlight=False, emoji=False, width=output_width())


def cell(kind: Kind, value: Any) -> str:
    """Dollars to 4 decimals, tokens as whole numbers with separators, ratios to 2 decimals,
    rates as percentages, changes as signed percentages; a missing value is '-'."""
    if missing(value):
        return "-"
    if isinstance(value, str) and kind != "text":
        return value  # a word in place of a figure ("price unknown")
    if kind == "usd":
        return f"{float(value):.4f}"
    if kind == "tokens":
        return f"{round(float(value)):,}"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "rate":
        return f"{float(value):.0%}"
    if kind == "change":
        return f"{float(value):+.1%}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "p":
        return f"{float(value):.3f}"
    if kind == "delta":
        return f"{float(value):+.2f}"
    if kind == "seconds":
        return f"{float(value):,.0f}"
    return str(value)


def fit(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    width: int,
    *,
    framed: bool = True,
) -> tuple[list[Column], list[Column]]:
    """The columns that fit `width`, and those left out. A printed SIMPLE_HEAD table
    (`framed`) takes each column's least width (`least_width`) plus 2 of padding, 1
    between columns and 1 at each edge; a screen's DataTable takes each column's whole
    width (it does not wrap) plus the padding."""
    kept = list(columns)
    left_out: list[Column] = []
    widths = {c.key: least_width(c, rows, wraps=framed) for c in columns}

    def needed(cols: Sequence[Column]) -> int:
        padded = sum(widths[c.key] + 2 for c in cols)
        return 2 + padded + max(0, len(cols) - 1) if framed else padded

    # A column that says the same on every row tells the reader nothing a title does not:
    # it goes before any that differ, then the least important first.
    constant = {c.key for c in columns if len({cell(c.kind, row.get(c.key)) for row in rows}) <= 1}
    while needed(kept) > width:
        droppable = [c for c in kept if c.priority > 0]
        if not droppable:
            break
        lowest = max(droppable, key=lambda c: (c.key in constant, c.priority, kept.index(c)))
        kept.remove(lowest)
        left_out.append(lowest)
    return kept, left_out


def least_width(column: Column, rows: Sequence[Mapping[str, Any]], wraps: bool = True) -> int:
    """A figure is never cut, and words are wrapped between, never inside: a text column
    needs its longest word ("orchestrator"), a figure column its widest figure."""
    texts = [column.header, *(cell(column.kind, row.get(column.key)) for row in rows)]
    if column.kind == "text" and wraps:
        return max(len(word) for text in texts for word in text.split() or [""])
    return max(len(text) for text in texts)


def print_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    out: Console,
    more: str = "a wider terminal shows them",
) -> None:
    kept, left_out = fit(columns, rows, out.width)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in kept:
        numeric = column.kind != "text"
        table.add_column(
            column.header,
            justify="right" if numeric else "left",
            no_wrap=numeric,
            overflow="fold",
            min_width=least_width(column, rows),
        )
    for row in rows:
        table.add_row(*(cell(c.kind, row.get(c.key)) for c in kept))
    out.print(table)
    if left_out:
        names = ", ".join(c.header for c in left_out)
        out.print(f"  (left out at {out.width} columns: {names}; {more})", style="dim")


def screen_cells(columns: Sequence[Column], row: Mapping[str, Any]) -> list[Text]:
    """One row's cells for a screen's DataTable: figures right, words left, never wrapped."""
    return [
        Text(
            cell(c.kind, row.get(c.key)),
            justify="left" if c.kind == "text" else "right",
            no_wrap=True,
        )
        for c in columns
    ]
