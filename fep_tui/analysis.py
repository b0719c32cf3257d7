"""Trials as pandas DataFrames, for a notebook.

    from fep_tui.analysis import trials_df, calls_df, delegations_df

    trials = trials_df(["~/.local/share/fep-tui/sessions"])
    trials.groupby("arm")["cost_usd"].median()

Each function takes session files and directories as `fep-tui compare` does (published
results through `imports=`) and pools exactly the trials compare pools. A file compare
would reject, or one with damaged lines, raises AnalysisError naming it (`strict=True`, the
default); with `strict=False` the frame comes back with every note compare prints under
its tables (those problems, and the trials left out with their reasons). Imported Claude
Code transcripts are session files like any other once imported.

pandas is imported when a function is called, never by `import fep_tui.analysis`: it costs
more than a whole `compare`. Without it, the call says how to install it
(`pip install 'fep-tui[analysis]'`).

The columns are named once, here (`TRIAL_COLUMNS`, `CALL_COLUMNS`, `DELEGATION_COLUMNS`);
docs/analysis.md is generated from them (`python docs/analysis_columns.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from msgspec.structs import replace

from engine.errors import FepError
from engine.usage import BUCKETS
from sessions.analysis.trial_row import TrialRow

if TYPE_CHECKING:
    import pandas as pd

    from sessions.analysis.comparison import TrialRows

INSTALL = "pandas is not installed: pip install 'fep-tui[analysis]'"


class AnalysisError(FepError, ValueError):
    """A frame could not be made as asked; the message says what and how to fix it."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str


TRIAL_COLUMNS = (
    Column("trial_id", "string", "the trial's id (its session file's name)"),
    Column("arm", "string", "the arm's label, with what sets its configuration apart"),
    Column("arm_name", "string", "the arm's name as run (A, B, ...)"),
    Column("configuration", "string", "the configuration's fingerprint (same arm, same id)"),
    Column("task", "string", "the task id"),
    Column("seed", "Int64", "the trial's seed (its index for published rows)"),
    Column("source", "string", "SIMULATED, LIVE, PUBLISHED or MEASURED (Claude Code)"),
    Column("origin", "string", "session (a session file) or published (an imported row)"),
    Column("outcome", "string", "success, failed or not judged (only these are pooled)"),
    Column("reason", "string", "why the trial ended as it did, when it says"),
    Column("success", "boolean", "the judge's verdict: mypy, ruff and pytest all green"),
    Column("wall_s", "float64", "wall time of the trial, seconds"),
    Column("lead_turns", "Int64", "the lead's model calls (orchestrator or solo)"),
    Column("model_calls", "Int64", "every role's model calls"),
    Column("cost_usd", "float64", "the trial's total, at its rate card"),
    Column("rate_card", "string", "the rate card the trial was priced at"),
    Column("lead_cache_read", "Int64", "tokens the lead re-read from the prompt cache"),
    Column("lead_cache_read_usd", "float64", "what the lead's re-reads cost"),
    Column("executor_never_called", "boolean", "an executor in the arm made no call"),
    Column("advisor_never_called", "boolean", "an advisor in the arm was never consulted"),
    Column("path", "string", "the session file (or the published file) it came from"),
)
# Then, for every role the trials have (`orchestrator`, `executor`, `solo`, `advisor`,
# `executor-Explore`, `compaction`, ...), ROLE.input_tokens, ROLE.output_tokens,
# ROLE.cache_write_5m, ROLE.cache_write_1h, ROLE.cache_read and ROLE.cost_usd (empty where
# a trial has no such role).
ROLE_COLUMNS_DOC = (
    "ROLE.input_tokens, ROLE.output_tokens, ROLE.cache_write_5m, ROLE.cache_write_1h, "
    "ROLE.cache_read (Int64) and ROLE.cost_usd (float64) for every role the trials have; "
    "empty where a trial has no such role"
)
_ROLE_FIELDS = (*BUCKETS, "cost_usd")
_TRIAL_KEYS = {
    "trial_id": "trial",
    "lead_turns": "turns",
    "configuration": "config",
    "executor_never_called": "executor_unused",
    "advisor_never_called": "advisor_unused",
}

CALL_COLUMNS = (
    Column("trial_id", "string", "the trial the call belongs to"),
    Column("role", "string", "who made it: orchestrator, executor, solo, advisor, ..."),
    Column("model", "string", "the model that answered"),
    Column("turn", "Int64", "the role's turn (1, 2, ...)"),
    Column("delegation", "Int64", "for an executor's call, the delegation it served"),
    Column("start_s", "float64", "when it was made, seconds from the trial's start"),
    Column("duration_s", "float64", "how long it took, seconds"),
    Column("input_tokens", "Int64", "uncached input tokens"),
    Column("output_tokens", "Int64", "output tokens"),
    Column("cache_write_5m", "Int64", "tokens written to the cache for 5 minutes"),
    Column("cache_write_1h", "Int64", "tokens written to the cache for 1 hour"),
    Column("cache_read", "Int64", "tokens re-read from the cache"),
    Column("cost_usd", "float64", "what the call cost"),
    Column("billing", "string", "what the response said changes its price (us, batch)"),
    Column("reread_base", "Int64", "re-read tokens of the system prompt and tools"),
    Column("reread_task", "Int64", "re-read tokens of the task prompt"),
    Column("reread_own", "Int64", "re-read tokens of the role's own earlier turns"),
    Column("reread_tool_results", "Int64", "re-read tokens of tool results"),
    Column("reread_summaries", "Int64", "re-read tokens of executor summaries"),
)

DELEGATION_COLUMNS = (
    Column("trial_id", "string", "the trial the delegation belongs to"),
    Column("number", "Int64", "the delegation's number in its trial (1, 2, ...)"),
    Column("lead_turn", "Int64", "the lead's turn that delegated"),
    Column("instruction_chars", "Int64", "the instruction's length in characters"),
    Column("summary_tokens", "Int64", "the summary that came back, tokens (empty: none)"),
    Column("summary_cut", "boolean", "whether the summary was cut to the arm's cap"),
    Column("executor_turns", "Int64", "the executor's model calls for it"),
    Column("write_tokens", "Int64", "tokens of the summary the lead wrote to its cache"),
    Column("write_usd", "float64", "what that cache write cost"),
    Column("reread_tokens", "Int64", "tokens of the summary the lead re-read afterwards"),
    Column("reread_turns", "Int64", "later lead turns that re-read it"),
    Column("reread_usd", "float64", "what those re-reads cost"),
    Column("total_usd", "float64", "the summary's whole cost to the lead: write + re-reads"),
)

Paths = Iterable["str | Path"]


@overload
def trials_df(
    paths: Paths, imports: Paths = (), *, strict: Literal[True] = True
) -> pd.DataFrame: ...
@overload
def trials_df(
    paths: Paths, imports: Paths = (), *, strict: Literal[False]
) -> tuple[pd.DataFrame, list[str]]: ...
def trials_df(
    paths: Paths, imports: Paths = (), *, strict: bool = True
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    """One row per trial compare would pool."""
    pandas = _pandas()
    found = _collect(paths, imports)
    # Imported transcripts are measured, not judged: a row each, under their own arm.
    rows = found.labelled() + [replace(row, arm=row.arm_name) for row in found.measured]
    # ROLE.FIELD columns, in the order of their names.
    role_fields = {
        f"{role}.{name}": (role, name)
        for row in rows
        for role in row.roles
        for name in _ROLE_FIELDS
    }
    roles = sorted(role_fields)
    records = [
        [getattr(row, _TRIAL_KEYS.get(c.name, c.name)) for c in TRIAL_COLUMNS]
        + [_role_value(row, *role_fields[k]) for k in roles]
        for row in rows
    ]
    names = [c.name for c in TRIAL_COLUMNS] + roles
    frame = pandas.DataFrame.from_records(records, columns=names)
    dtypes = {c.name: c.dtype for c in TRIAL_COLUMNS}
    dtypes |= {k: "float64" if k.endswith("cost_usd") else "Int64" for k in roles}
    return _finish(_typed(frame, dtypes), _damage(found), _notes(found), strict)


@overload
def calls_df(paths: Paths, *, strict: Literal[True] = True) -> pd.DataFrame: ...
@overload
def calls_df(paths: Paths, *, strict: Literal[False]) -> tuple[pd.DataFrame, list[str]]: ...
def calls_df(paths: Paths, *, strict: bool = True) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    """One row per model call of every trial compare would pool (published rows have no
    calls: only their totals were published)."""
    return _per_session(paths, CALL_COLUMNS, _call_records, strict)


@overload
def delegations_df(paths: Paths, *, strict: Literal[True] = True) -> pd.DataFrame: ...
@overload
def delegations_df(paths: Paths, *, strict: Literal[False]) -> tuple[pd.DataFrame, list[str]]: ...
def delegations_df(
    paths: Paths, *, strict: bool = True
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    """One row per delegation of every trial compare would pool."""
    return _per_session(paths, DELEGATION_COLUMNS, _delegation_records, strict)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise AnalysisError(INSTALL) from None
    return pandas


def _collect(paths: Paths, imports: Paths) -> TrialRows:
    from sessions.analysis.comparison import collect

    given = [Path(p).expanduser() for p in paths]
    missing = [str(p) for p in given if not p.exists()]
    if missing:
        raise AnalysisError(f"no such session file or directory: {', '.join(missing)}")
    return collect(given, [Path(p).expanduser() for p in imports])


Records = Callable[[Any, str], list[list[Any]]]


def _role_value(row: TrialRow, role: str, name: str) -> int | float | None:
    """A ROLE.FIELD cell: empty where the trial has no such role."""
    figures = row.roles.get(role)
    if figures is None:
        return None
    value: int | float = getattr(figures.usage if name in BUCKETS else figures, name)
    return value


def _per_session(
    paths: Paths, columns: Sequence[Column], records_of: Records, strict: bool
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    from sessions.index_cache import open_index

    pandas = _pandas()
    found = _collect(paths, ())
    damage, notes = _damage(found), _notes(found)
    records: list[list[Any]] = []
    for row in [*found.rows, *found.measured]:
        if row.origin != "session":
            continue
        index = open_index(Path(row.path))
        # As replay says of a file with skipped lines: its figures are as far as it is whole.
        damaged = [f"{row.path}: {p}" for p in index.problems if "incomplete" not in p]
        damage += damaged
        notes += damaged
        records += records_of(index.timeline, row.trial)
    frame = pandas.DataFrame.from_records(records, columns=[c.name for c in columns])
    return _finish(_typed(frame, {c.name: c.dtype for c in columns}), damage, notes, strict)


def _call_records(timeline: Any, trial_id: str) -> list[list[Any]]:
    records = []
    for call in timeline.model_calls():
        split = call.attribution
        summaries = sum(v for k, v in split.items() if k.startswith("summary:"))
        u = call.usage
        records.append(
            [
                trial_id,
                call.role,
                call.model,
                call.turn,
                call.delegation,
                round(call.t - call.duration_s, 3),
                call.duration_s,
                u.input_tokens,
                u.output_tokens,
                u.cache_write_5m,
                u.cache_write_1h,
                u.cache_read,
                call.cost_usd,
                ",".join(f"{k}={v}" for k, v in sorted(call.billing.items())),
                split.get("base", 0),
                split.get("task", 0),
                split.get("own", 0),
                split.get("tool_results", 0),
                summaries,
            ]
        )
    return records


def _delegation_records(timeline: Any, trial_id: str) -> list[list[Any]]:
    records = []
    for view in timeline.snapshot().delegations:
        cost = timeline.reread(view.number)
        records.append(
            [
                trial_id,
                view.number,
                view.lead_turn,
                len(view.instruction),
                view.summary_tokens,
                view.truncated,
                view.executor_turns,
                cost.write_tokens,
                cost.write_usd,
                cost.tokens,
                cost.turns,
                cost.usd,
                cost.total_usd,
            ]
        )
    return records


def _notes(found: TrialRows) -> list[str]:
    """Compare's notes, less the transcripts it leaves out of its medians: here they are rows."""
    measured = {row.trial for row in found.measured}
    rows_here = {e.line() for e in found.excluded if e.trial in measured}
    return [line for line in found.notes() if line not in rows_here]


def _damage(found: TrialRows) -> list[str]:
    """What compare would call a problem with the files (not a trial it leaves out)."""
    return [*found.problems, *(f"rejected: {r}" for r in found.rejected)]


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return frame.astype(dtypes)


def _finish(
    frame: pd.DataFrame, damage: list[str], notes: list[str], strict: bool
) -> pd.DataFrame | tuple[pd.DataFrame, list[str]]:
    if not strict:
        return frame, notes
    if damage:
        raise AnalysisError(
            "; ".join(damage[:3])
            + (f" (and {len(damage) - 3} more)" if len(damage) > 3 else "")
            + "; strict=False returns the frame with these notes"
        )
    return frame
