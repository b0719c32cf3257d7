"""Rows of a comparison and the few table operations it needs, in plain Python.

A comparison is tens to thousands of rows, grouped and reduced to medians. pandas did this
before, but importing it took 0.37 s of the 0.62 s `compare --import` spent on a paper's 40
rows (and froze the app as long when the compare screen first opened); plain dicts,
grouped here, do the same work in milliseconds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

Row = dict[str, Any]
"""One trial (or one line of a result table): field name to value. A field a row lacks, or
holds as None or NaN, is missing."""


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def group_by(rows: Iterable[Row], keys: Sequence[str]) -> dict[tuple[Any, ...], list[Row]]:
    """Rows by the values of `keys`, in sorted key order; rows keep their order within."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    return dict(sorted(groups.items()))


def values(rows: Iterable[Row], field: str) -> list[Any]:
    """The values `rows` hold for `field`, missing ones left out."""
    return [row[field] for row in rows if not missing(row.get(field))]


def median(rows: Iterable[Row], field: str) -> float:
    """The median of `field` over the rows that hold it; NaN when none does."""
    present = values(rows, field)
    return float(statistics.median(present)) if present else math.nan


def columns(rows: Iterable[Row]) -> list[str]:
    """Every field any row holds, in the order they first appear."""
    return list(dict.fromkeys(field for row in rows for field in row))
