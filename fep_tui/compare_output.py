"""Headless output of a comparison: the arm table, pairwise tests, and what was left out."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from sessions.analysis.comparison import (
    TrialRows,
    add_whatif,
    arm_table,
    pairwise,
    role_buckets,
    source_labels,
    whatif_note,
)
from sessions.analysis.groups import split_note
from sessions.analysis.whatif import Repriced, WhatIf

_TABLE_COLUMNS = {
    "task": "task",
    "source": "source",
    "arm": "arm",
    "trials": "n",
    "successes": "ok",
    "success_rate": "rate",
    "median_cost_usd": "median $",
    "cost_ci_low": "CI low",
    "cost_ci_high": "CI high",
    "median_wall_s": "wall s",
    "median_turns": "lead turns",
    "cost_per_success_usd": "$/success",
    "median_lead_cache_read": "lead re-read",
    "reread_ratio": "re-read x",
    "whatif_median_cost_usd": "what-if $",
    "whatif_change": "what-if Δ",
}
_LEFT = {"task", "source", "arm", "arm_a", "arm_b", "method", "magnitude", "role"}


def print_comparison(
    found: TrialRows, baseline: str, fmt: str, whatif: WhatIf | None = None
) -> None:
    frame = found.frame()
    if whatif is not None:
        frame = add_whatif(frame, whatif)
    table = arm_table(frame, baseline)
    pairs = pairwise(frame)
    buckets = role_buckets(frame)
    sources = source_labels(frame)
    split = split_note(frame)
    if fmt == "json":
        report = {
            "sources": sources,
            "whatif": whatif.label() if whatif else None,
            "split": split,
            "arms": _records(table),
            "pairwise": _records(pairs),
            "role_buckets": _records(buckets),
            "excluded": [asdict(e) for e in found.excluded],
            "duplicates": found.duplicates,
            "problems": found.problems,
            "rejected_files": found.rejected,
        }
        print(json.dumps(report, indent=2))
        return
    if fmt == "csv":
        # One CSV after another, each behind a `# title` line, so a reader takes all four.
        sections = [
            ("arms", table),
            ("pairwise", pairs),
            ("role_buckets", buckets),
            ("excluded", pd.DataFrame([asdict(e) for e in found.excluded])),
        ]
        for number, (title, part) in enumerate(sections):
            if number:
                sys.stdout.write("\n")
            sys.stdout.write(f"# {title}\n")
            sys.stdout.write(part.to_csv(index=False) if len(part) else "(none)\n")
        return
    if split:
        print(split)
    if fmt == "markdown":
        print(_markdown(table.rename(columns=_TABLE_COLUMNS)))
        print()
        print(_markdown(pairs))
        print()
        print(_markdown(buckets))
        print()
    else:
        _rich_tables(table, pairs, sources)
        _rich_buckets(buckets)
    if whatif is not None:
        print(whatif_note(frame, whatif))
    for line in found.notes():
        print(line)


def print_repriced(repriced: list[tuple[Path, Repriced, str]], fmt: str = "table") -> None:
    """One session per block: recorded, re-simulated and what-if cost, and per role, with
    the session's source (SIMULATED, LIVE...) in every format."""
    if fmt in ("json", "csv", "markdown"):
        rows = [
            {
                "session": path.name,
                "source": source,
                "whatif": result.whatif.label(),
                "role": role,
                "model": cost.model,
                "input_tokens": cost.usage.input_tokens,
                "output_tokens": cost.usage.output_tokens,
                "cache_write_tokens": cost.usage.cache_write,
                "cache_read_tokens": cost.usage.cache_read,
                "whatif_cost_usd": round(cost.cost_usd, 6),
                "recorded_usd": round(result.recorded_usd, 6),
                "resimulated_usd": round(result.resimulated_usd, 6),
                "session_whatif_usd": round(result.whatif_usd, 6),
            }
            for path, result, source in repriced
            for role, cost in result.roles.items()
        ]
        _print_rows(rows, fmt, "what-if per session and role")
        return
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    for path, result, source in repriced:
        out = Table(
            title=f"{source} {path.name}: what-if {result.whatif.label()} (same turns assumed)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for column in ("role", "model", "in", "out", "c.write", "c.read", "what-if $"):
            out.add_column(column, justify="left" if column in ("role", "model") else "right")
        for role, cost in result.roles.items():
            u = cost.usage
            out.add_row(
                role,
                cost.model,
                f"{u.input_tokens:,}",
                f"{u.output_tokens:,}",
                f"{u.cache_write:,}",
                f"{u.cache_read:,}",
                f"{cost.cost_usd:.4f}",
            )
        console.print(out)
        console.print(
            f"recorded ${result.recorded_usd:.4f}; re-simulated as recorded "
            f"${result.resimulated_usd:.4f}; what-if ${result.whatif_usd:.4f} "
            f"({result.change:+.1%}); lead re-read {result.lead_cache_read:,} -> "
            f"{result.whatif_lead_cache_read:,} tokens"
        )


_BY_ARM_COLUMNS = {
    "task": "task",
    "source": "source",
    "arm": "arm",
    "trials": "n",
    "median_before_usd": "median $ before",
    "median_after_usd": "median $ after",
    "total_before_usd": "total $ before",
    "total_after_usd": "total $ after",
    "change": "change",
}


def print_repriced_by_arm(rows: list[dict[str, Any]], whatif: WhatIf, fmt: str) -> None:
    """Per task, source and arm: median and total cost re-simulated as recorded (before)
    and under the what-if (after)."""
    title = f"what-if {whatif.label()} per arm (same turns assumed)"
    if fmt != "table":
        _print_rows([{**row, "whatif": whatif.label()} for row in rows], fmt, title)
        return
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for key, name in _BY_ARM_COLUMNS.items():
        out.add_column(name, justify="left" if key in _LEFT else "right")
    for row in rows:
        out.add_row(
            str(row["task"]),
            str(row["source"]),
            str(row["arm"]),
            str(row["trials"]),
            *(f"{row[k]:.4f}" for k in list(_BY_ARM_COLUMNS)[4:8]),
            f"{row['change']:+.1%}",
        )
    console.print(out)


def _print_rows(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    frame = pd.DataFrame(rows)
    if fmt == "json":
        print(json.dumps(rows, indent=2))
    elif fmt == "csv":
        sys.stdout.write(f"# {title}\n")
        sys.stdout.write(frame.to_csv(index=False, float_format="%.6g") if rows else "(none)\n")
    else:
        print(f"**{title}**\n")
        print(_markdown(frame))


def _rich_tables(table: pd.DataFrame, pairs: pd.DataFrame, sources: list[str]) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    title = f"arms by task ({' + '.join(sources)}; medians over successful trials)"
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in table.columns:
        name = _TABLE_COLUMNS.get(str(column), str(column))
        out.add_column(name, justify="left" if column in _LEFT else "right")
    for row in table.itertuples(index=False):
        out.add_row(*(_cell(v) for v in row))
    console.print(out)
    tests = Table(
        title="pairwise on success-only cost (two-sided Mann-Whitney U, Cliff's delta)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in pairs.columns:
        tests.add_column(str(column), justify="left" if column in _LEFT else "right")
    for row in pairs.itertuples(index=False):
        tests.add_row(*(_cell(v) for v in row))
    console.print(tests)


def _rich_buckets(buckets: pd.DataFrame) -> None:
    if buckets.empty:
        return
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    out = Table(
        title="tokens per role (success-only medians)", title_justify="left", box=box.SIMPLE_HEAD
    )
    for column in buckets.columns:
        out.add_column(
            str(column), justify="left" if column in ("task", "arm", "role") else "right"
        )
    for row in buckets.itertuples(index=False):
        out.add_row(*(_cell(v) for v in row))
    console.print(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(nothing to compare: each task needs at least two arms)"
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])
