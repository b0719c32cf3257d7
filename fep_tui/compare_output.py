"""Headless output of a comparison and of what-if re-pricing, in four formats.

`table` fits the terminal (fep_tui/tables.py), `markdown` and `csv` carry every table with
its title and every column, `json` one object. Each format names the source of its figures
(SIMULATED, LIVE, PUBLISHED) and lists the trials left out, with their reasons.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fep_tui.tables import Column, cell, console, print_table
from sessions.analysis.comparison import (
    TrialRows,
    arm_table,
    pairwise,
    role_buckets,
    source_labels,
    whatif_note,
)
from sessions.analysis.groups import split_note
from sessions.analysis.table import Row, columns, missing
from sessions.analysis.trial_row import TrialRow
from sessions.analysis.whatif import Repriced, WhatIf

WIDER = "a wider terminal or --format csv shows them"


def arm_columns(baseline: str, whatif: bool) -> list[Column]:
    columns = [
        Column("task", "task"),
        Column("source", "source", priority=1),
        Column("arm", "arm"),
        Column("trials", "n", "int"),
        Column("successes", "ok", "int"),
        Column("success_rate", "rate", "rate"),
        Column("median_cost_usd", "median $", "usd"),
        Column("cost_ci_low", "CI low $", "usd", priority=6),
        Column("cost_ci_high", "CI high $", "usd", priority=6),
        Column("median_wall_s", "wall s", "seconds", priority=5),
        Column("median_turns", "lead turns", "seconds", priority=4),
        Column("cost_per_success_usd", "$/success", "usd", priority=2),
        Column("median_lead_cache_read", "lead re-read", "tokens", priority=3),
        Column("executor_never_called", "exec never called", "int", priority=7),
        Column("advisor_never_consulted", "advisor never asked", "int", priority=7),
        # With a what-if beside it, the re-read ratio gives way first so that the task and
        # arm names are never folded at 80 columns.
        Column("reread_ratio", f"re-read x{baseline}", "ratio", priority=1 if whatif else 0),
    ]
    if whatif:
        columns += [
            Column("whatif_median_cost_usd", "what-if $", "usd"),
            Column("whatif_change", "what-if change", "change"),
        ]
    return columns


PAIR_COLUMNS = [
    Column("task", "task"),
    Column("source", "source", priority=1),
    Column("arm_a", "arm a"),
    Column("arm_b", "arm b"),
    Column("n_a", "n a", "int", priority=2),
    Column("n_b", "n b", "int", priority=2),
    Column("u", "U", "ratio", priority=3),
    Column("p", "p", "p"),
    Column("method", "method", priority=4),
    Column("cliffs_delta", "Cliff's δ", "delta"),
    Column("magnitude", "magnitude"),
]
BUCKET_COLUMNS = [
    Column("task", "task"),
    Column("source", "source", priority=5),
    Column("arm", "arm"),
    Column("role", "role"),
    # Cache reads and cost are what the comparison is about; the other buckets give way
    # before an arm or role name is broken inside a word.
    Column("input_tokens", "input", "tokens", priority=3),
    Column("output_tokens", "output", "tokens", priority=4),
    Column("cache_write_5m", "write 5m", "tokens", priority=2),
    Column("cache_write_1h", "write 1h", "tokens", priority=6),
    Column("cache_read", "cache read", "tokens"),
    Column("cost_usd", "cost $", "usd"),
]


def print_comparison(
    found: TrialRows,
    rows: list[TrialRow],
    baseline: str,
    fmt: str,
    whatif: WhatIf | None = None,
) -> None:
    """`rows` are `found.labelled()`, with the what-if's fields already added when there is
    one (the caller builds them once for the tables and the charts)."""
    table = arm_table(rows, baseline)
    pairs = pairwise(rows)
    buckets = role_buckets(rows)
    sources = source_labels(rows)
    split = split_note(rows)
    excluded = [asdict(e) for e in found.excluded]
    if fmt == "json":
        report = {
            "sources": sources,
            "whatif": whatif.label() if whatif else None,
            "split": split,
            "arms": _records(table),
            "pairwise": _records(pairs),
            "role_buckets": _records(buckets),
            "excluded": _records(excluded),
            "duplicates": found.duplicates,
            "problems": found.problems,
            "rejected_files": found.rejected,
        }
        print(json.dumps(report, indent=2))
        return
    where = " + ".join(sources)
    arms_title = f"arms by task ({where}; medians over successful trials)"
    if whatif is not None:
        arms_title += f"; what-if: {whatif.label()}"
    sections = [
        ("arms", arms_title, arm_columns(baseline, whatif is not None), table),
        (
            "pairwise",
            f"pairwise on success-only cost ({where}; two-sided Mann-Whitney U, "
            "Cliff's δ row arm a against arm b)",
            PAIR_COLUMNS,
            pairs,
        ),
        (
            "role_buckets",
            f"tokens per role ({where}; success-only medians)",
            BUCKET_COLUMNS,
            buckets,
        ),
    ]
    if fmt == "csv":
        # One CSV after another, each behind a `# title` line, so a reader takes them all.
        for name, title, _, part in [*sections, ("excluded", "trials left out", [], excluded)]:
            sys.stdout.write(f"# {name}: {title}\n")
            sys.stdout.write(csv_text(part) if len(part) else "(none)\n")
            sys.stdout.write("\n")
        return
    out = console()
    notes = [whatif_note(rows, whatif)] if whatif is not None else []
    notes += found.notes()
    if fmt == "markdown":
        if split:
            print(split)
        for _, title, columns, part in sections:
            print(f"**{title}**\n")
            print(markdown_table(columns, _records(part)))
            print()
        for line in notes:
            print(line)
        return
    # On a terminal the notes wrap at its width like the tables above them.
    if split:
        out.print(split, markup=False)
    for _, title, columns, part in sections:
        if len(part):
            print_table(title, columns, _records(part), out, WIDER)
    for line in notes:
        out.print(line, markup=False)


SESSION_COLUMNS = [
    Column("role", "role"),
    Column("model", "model", priority=1),
    Column("input_tokens", "input", "tokens"),
    Column("output_tokens", "output", "tokens"),
    Column("cache_write_tokens", "cache write", "tokens"),
    Column("cache_read_tokens", "cache read", "tokens"),
    Column("whatif_cost_usd", "what-if $", "usd"),
]


def print_repriced(repriced: list[tuple[Path, Repriced, str]], fmt: str = "table") -> None:
    """One session per block: recorded, re-simulated and what-if cost, and per role, with
    the session's source (SIMULATED, LIVE...) in every format."""
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
            "estimate": result.estimate,
        }
        for path, result, source in repriced
        for role, cost in result.roles.items()
    ]
    if fmt != "table":
        _print_rows(rows, fmt, "what-if per session and role")
        return
    out = console()
    for path, result, source in repriced:
        title = f"{source} {path.name}: what-if {result.whatif.label()} (same turns assumed)"
        mine = [r for r in rows if r["session"] == path.name]
        print_table(title, SESSION_COLUMNS, mine, out, WIDER)
        out.print(
            f"recorded ${result.recorded_usd:.4f}; re-simulated as recorded "
            f"${result.resimulated_usd:.4f}; what-if ${result.whatif_usd:.4f} "
            f"({result.change:+.1%}); lead re-read {result.lead_cache_read:,} -> "
            f"{result.whatif_lead_cache_read:,} tokens"
            + (
                "; an estimate: re-simulated as recorded differs from the record, so the "
                "what-if is the recorded figure plus the re-simulated change"
                if result.estimate
                else ""
            )
        )


BY_ARM_COLUMNS = [
    Column("task", "task"),
    Column("source", "source", priority=1),
    Column("arm", "arm"),
    Column("trials", "n", "int"),
    Column("median_before_usd", "median $ before", "usd"),
    Column("median_after_usd", "median $ after", "usd"),
    Column("total_before_usd", "total $ before", "usd", priority=2),
    Column("total_after_usd", "total $ after", "usd", priority=2),
    Column("change", "change", "change"),
]


def print_repriced_by_arm(
    rows: list[dict[str, Any]],
    whatif: WhatIf,
    fmt: str,
    note: str | None = None,
    excluded: Sequence[str] = (),
) -> None:
    """Per task, source and arm group: median and total cost re-simulated as recorded
    (before) and under the what-if (after). `note` names arm names split into groups;
    `excluded` the trials left out, a line each, on stderr in the machine formats."""
    title = f"what-if {whatif.label()} per arm (same turns assumed)"
    if fmt != "table":
        _print_rows([{**row, "whatif": whatif.label()} for row in rows], fmt, title)
        for line in excluded:
            print(line, file=sys.stderr)
        return
    out = console()
    if note:
        out.print(note, markup=False)
    print_table(title, BY_ARM_COLUMNS, rows, out, WIDER)
    for line in excluded:
        out.print(line, markup=False)


def _print_rows(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    if fmt == "json":
        print(json.dumps(rows, indent=2))
    elif fmt == "csv":
        sys.stdout.write(f"# {title}\n")
        sys.stdout.write(csv_text(rows) if rows else "(none)\n")
    else:
        columns = [Column(k, k, _kind(k)) for k in (rows[0] if rows else {})]
        print(f"**{title}**\n")
        print(markdown_table(columns, rows))


def _kind(key: str) -> Any:
    if key.endswith("_usd"):
        return "usd"
    if key.endswith("_tokens"):
        return "tokens"
    return "change" if key == "change" else "text"


def csv_text(rows: Sequence[Row]) -> str:
    """Every field any row has; floats without noise: at most 6 decimals, no trailing
    zeros, whole numbers bare; a missing value empty."""

    def plain(value: Any) -> Any:
        if isinstance(value, float):
            if math.isnan(value):
                return ""
            return f"{value:.6f}".rstrip("0").rstrip(".")
        return "" if value is None else value

    fields = columns(rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([plain(row.get(field)) for field in fields] for row in rows)
    return text.getvalue()


def _records(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [{str(k): (None if missing(v) else v) for k, v in row.items()} for row in rows]


def markdown_table(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "(none)"
    header = "| " + " | ".join(c.header for c in columns) + " |"
    rule = "|" + "|".join("---:" if c.kind != "text" else "---" for c in columns) + "|"
    body = ["| " + " | ".join(cell(c.kind, r.get(c.key)) for c in columns) + " |" for r in rows]
    return "\n".join([header, rule, *body])
