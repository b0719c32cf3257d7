"""The few table operations a comparison needs, in plain Python, over its typed trial rows
(sessions/analysis/trial_row.py) and the result tables made from them.

A comparison is tens to thousands of rows, grouped and reduced to medians. pandas did this
before, but importing it took 0.37 s of the 0.62 s `compare --import` spent on a paper's 40
rows (and froze the app as long when the compare screen first opened); plain Python
grouped here, do the same work in milliseconds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

Row = dict[str, Any]
"""One line of a result table (an arm's medians, a pair's test): field name to value. A
field a row lacks, or holds as None or NaN, is missing."""

T = TypeVar("T")


def field_of(row: Any, name: str) -> Any:
    """A field of a table's row (a dict) or of a typed one (a TrialRow, a role's figures):
    the tables below group and reduce both by name. Missing: None."""
    if isinstance(row, dict):
        return row.get(name)
    return getattr(row, name, None)


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def group_by(rows: Iterable[T], keys: Sequence[str]) -> dict[tuple[Any, ...], list[T]]:
    """Rows by the values of `keys`, in sorted key order; rows keep their order within."""
    groups: dict[tuple[Any, ...], list[T]] = {}
    for row in rows:
        groups.setdefault(tuple(field_of(row, key) for key in keys), []).append(row)
    return dict(sorted(groups.items()))


def values(rows: Iterable[Any], field: str) -> list[Any]:
    """The values `rows` hold for `field`, missing ones left out."""
    return [value for row in rows if not missing(value := field_of(row, field))]


def median(rows: Iterable[Any], field: str) -> float:
    """The median of `field` over the rows that hold it; NaN when none does."""
    present = values(rows, field)
    return float(statistics.median(present)) if present else math.nan


def columns(rows: Iterable[Row]) -> list[str]:
    """Every field any row holds, in the order they first appear."""
    return list(dict.fromkeys(field for row in rows for field in row))
