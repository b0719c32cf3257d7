"""`fep-tui compare` (arms side by side) and `fep-tui whatif` (the same trials, other terms)."""

from __future__ import annotations

# As `json_text`: whatif has a parameter named `json` (its --json flag).
import json as json_text
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from cyclopts import Parameter

from fep_tui.commands import terminal
from fep_tui.commands.common import WhatIfOptions, session_files, warn
from fep_tui.commands.options import Flag, Json, UsageError
from sessions.analysis.whatif import Repriced, WhatIf

if TYPE_CHECKING:
    from sessions.analysis.trial_row import TrialRow

Format = Literal["table", "csv", "markdown", "json"]


def compare(
    *dirs: Annotated[Path, Parameter(help="directories of session files")],
    imports: Annotated[
        list[Path] | None,
        Parameter(
            name="--import",
            negative="",
            help="published per-trial results (.jsonl or .csv) to compare beside the sessions "
            "(repeatable; works without a directory)",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        Parameter(help="arm the re-read ratio is taken against (default A, else the first)"),
    ] = None,
    format: Annotated[Format, Parameter(name="--format", help="how to print")] = "table",
    export_charts: Annotated[
        Path | None,
        Parameter(help="also write each task's Pareto and growth charts to DIR (SVG and PNG)"),
    ] = None,
    app: Annotated[bool, Flag, Parameter(help="open the comparison in the app")] = False,
    whatif: WhatIfOptions | None = None,
) -> int:
    """Compare arms across saved sessions and imported published results."""
    from sessions import resolve_sessions_dir
    from sessions.analysis.comparison import collect

    directories = list(dirs)
    files = [str(d) for d in directories if d.is_file()]
    if files:
        raise UsageError(
            f"{', '.join(files)} is a file: compare takes directories of sessions; "
            "pass published results with --import FILE"
        )
    missing = [str(d) for d in directories if not d.is_dir()]
    if missing:
        raise UsageError(f"not a directory: {', '.join(missing)}; pass directories of sessions")
    imports = imports or []
    if not directories and not imports:
        raise UsageError("compare needs a directory of sessions or --import FILE")
    found = collect(directories, imports)
    if not found.rows:
        unjudged = sum(1 for e in found.excluded if e.outcome == "not judged")
        if unjudged:
            raise UsageError(
                f"no judged trials to compare ({unjudged} imported agent session(s) are "
                "measured but not judged); open them with fep-tui replay, re-price them with "
                "whatif"
            )
        raise UsageError("no finished sessions or imported results to compare")
    terms = (whatif or WhatIfOptions()).build()
    rows = found.labelled()
    chosen = _baseline(rows, baseline)
    if app:
        terminal.require("drop --app to print the tables instead")
        from fep_tui.app import FepApp, StartCompare

        start = StartCompare(directories, imports, terms, chosen)
        FepApp(resolve_sessions_dir(None), start=start).run()
        return 0
    from fep_tui.compare_output import print_comparison
    from sessions.analysis.comparison import add_whatif

    if terms is not None:
        # Re-simulating every session is the slow part: once, for the tables and charts.
        rows = add_whatif(rows, terms)
    try:
        print_comparison(found, rows, chosen, format, terms)
    except BrokenPipeError:
        # The reader stopped early (`| head`): the charts asked for are still written.
        if export_charts is None:
            raise
        from fep_tui.stdout import discard_stdout

        discard_stdout()
    if export_charts is not None:
        _export_charts(rows, export_charts, terms)
    return 0


def _baseline(rows: list[TrialRow], asked: str | None) -> str:
    arms = sorted({row.arm for row in rows})
    if asked is None:
        return "A" if "A" in arms or not arms else arms[0]
    if asked not in arms:
        raise UsageError(f"--baseline {asked!r} is not an arm here (arms: {', '.join(arms)})")
    return asked


def _export_charts(rows: list[TrialRow], directory: Path, whatif: WhatIf | None) -> None:
    from fep_tui.chart_export import export_charts
    from sessions.analysis.charts import growth_curves

    try:
        written = export_charts(
            rows,
            growth_curves(rows),
            directory,
            any(row.simulated for row in rows),
            whatif.label() if whatif else None,
        )
    except OSError as exc:
        raise UsageError(
            f"cannot write charts to {directory} ({exc.strerror}); "
            "pick another --export-charts directory"
        ) from None
    print(f"charts written: {len(written)} files in {directory}", file=sys.stderr)


@dataclass(frozen=True)
class Priced:
    path: Path
    arm: str
    task: str
    source: str
    repriced: Repriced
    # The configuration's fingerprint and its JSON: per-arm totals never pool two of them.
    config: str
    configuration: str

    @property
    def arm_name(self) -> str:
        """As a comparison's row names it (sessions/analysis/groups.py groups both)."""
        return self.arm


@dataclass(frozen=True)
class _Labelled:
    task: str
    arm_name: str
    arm: str


def whatif(
    *sessions: Annotated[
        Path, Parameter(help="session files (.jsonl), or directories of them (per-arm totals)")
    ],
    format: Annotated[Format, Parameter(name="--format", help="how to print")] = "table",
    json: Json = False,
    terms: WhatIfOptions | None = None,
) -> int:
    """Re-price saved sessions under other terms: card, caching, cache lifetime, summary cap."""
    from engine.pricing import UnpricedModelError
    from sessions.analysis.comparison import Excluded
    from sessions.analysis.whatif import reprice
    from sessions.index_cache import open_index
    from sessions.outcome import JUDGED
    from sessions.store import summary_of

    if not sessions:
        raise UsageError("whatif needs session files or directories, e.g. fep-tui whatif DIR")
    chosen = (terms or WhatIfOptions()).build() or WhatIf()
    format = "json" if json else format
    paths, by_arm = session_files(sessions)
    priced, seen, excluded = [], set(), []
    for path in paths:
        index = open_index(path)
        header = index.header
        damaged = [p for p in index.problems if "incomplete" not in p]
        if damaged:
            # As replay does: a figure from a file with skipped lines is never given silently.
            warn(f"{path.name}: loaded what is whole; " + "; ".join(damaged[:3]))
        if header.trial_id in seen:
            continue  # the same trial named twice (a directory given twice, a copy)
        seen.add(header.trial_id)
        if by_arm:
            # Per-arm medians pool the trials compare pools (imported traces too, which are
            # measured but not judged): a trial stopped, failed by an API error or never
            # started is named, not priced into its arm. Its outcome comes from the index
            # already open, not from reading the file again.
            summary = summary_of(path, header, index.timeline.end, index.timeline)
            if summary.outcome not in (*JUDGED, "not judged"):
                left_out = Excluded(
                    header.task, header.arm, header.label, summary.outcome,
                    summary.reason or "-", header.trial_id,
                )  # fmt: skip
                excluded.append(left_out.line())
                continue
        elif not index.timeline.ended:
            warn(f"{path.name} is incomplete (cut off before its end): priced as far as it got")
        try:
            repriced = reprice(index.timeline, chosen)
        except UnpricedModelError as exc:
            # Listed apart with the reason: one session on a model nothing prices must not
            # refuse the whole directory, nor count as $0.
            left_out = Excluded(
                header.task, header.arm, header.label, "price unknown", str(exc), header.trial_id
            )
            excluded.append(left_out.line())
            warn(f"{path.name}: left out, price unknown ({exc})")
            continue
        priced.append(
            Priced(
                path,
                header.arm,
                header.task,
                header.label,
                repriced,
                header.configuration_id,
                json_text.dumps(header.configuration, sort_keys=True),
            )
        )
    from fep_tui.compare_output import print_repriced, print_repriced_by_arm

    if by_arm:
        if not priced:
            raise UsageError(
                f"no finished trials to re-price in {', '.join(str(s) for s in sessions)} "
                f"({len(excluded)} stopped, errored or never started)"
            )
        rows, note = _by_arm(priced)
        print_repriced_by_arm(rows, chosen, format, note, excluded)
    else:
        if not priced:
            raise UsageError(
                "no session could be re-priced: a model in it has no price; add it to a "
                "price file (--prices FILE, see the README's Prices section)"
            )
        print_repriced([(p.path, p.repriced, p.source) for p in priced], format)
    return 0


def _by_arm(priced: list[Priced]) -> tuple[list[dict[str, object]], str | None]:
    """Per task, source and arm group (an arm name run under two configurations is two
    groups, labelled as compare labels them), and the note naming the split names."""
    from sessions.analysis.groups import group_labels, split_note

    labels = group_labels(priced)
    groups: dict[tuple[str, str, str], list[Repriced]] = {}
    for item, label in zip(priced, labels, strict=True):
        groups.setdefault((item.task, item.source, label), []).append(item.repriced)
    rows: list[dict[str, object]] = []
    for (task, source, arm), items in sorted(groups.items()):
        before = [r.resimulated_usd for r in items]
        after = [r.whatif_usd for r in items]
        rows.append(
            {
                "task": task,
                "source": source,
                "arm": arm,
                "trials": len(items),
                "median_before_usd": statistics.median(before),
                "median_after_usd": statistics.median(after),
                "total_before_usd": sum(before),
                "total_after_usd": sum(after),
                "change": sum(after) / sum(before) - 1 if sum(before) else 0.0,
            }
        )
    return rows, split_note(
        [_Labelled(p.task, p.arm_name, label) for p, label in zip(priced, labels, strict=True)]
    )
