"""`fep-tui export parquet DIR --out OUT`: the notebook API's tables as Parquet files, for
tools other than pandas (DuckDB, Polars, R's arrow)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from fep_tui.analysis import AnalysisError, calls_df, delegations_df, trials_df
from fep_tui.commands.common import session_files, warn
from fep_tui.commands.options import UsageError


def parquet(
    sessions: list[Path],
    /,
    *,
    out: Annotated[Path, Parameter(help="directory to write trials, calls and delegations to")],
    imports: Annotated[
        list[Path] | None,
        Parameter(name="--import", negative="", help="published results to add (trials only)"),
    ] = None,
) -> int:
    """Write trials.parquet, calls.parquet and delegations.parquet.

    Parameters
    ----------
    sessions
        session files and directories, as compare takes them
    """
    # pandas writes Parquet through pyarrow.
    if importlib.util.find_spec("pyarrow") is None:
        raise UsageError("pyarrow is not installed: pip install 'fep-tui[analysis]'")
    try:
        trials, notes = trials_df(sessions, imports or (), strict=False)
        calls, _ = calls_df(sessions, strict=False)
        delegations, _ = delegations_df(sessions, strict=False)
    except AnalysisError as exc:
        raise UsageError(str(exc)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("trials", trials), ("calls", calls), ("delegations", delegations)):
            frame.to_parquet(out / f"{name}.parquet", index=False)
    except OSError as exc:
        raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from None
    for note in notes:
        warn(note)
    print(
        f"{len(trials):,} trials, {len(calls):,} model calls and {len(delegations):,} "
        f"delegations in {out}"
    )
    return 0


def otel(
    sessions: list[Path],
    /,
    *,
    endpoint: Annotated[
        str | None,
        Parameter(help="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces"),
    ] = None,
    file: Annotated[Path | None, Parameter(help="write OTLP/JSON here instead")] = None,
) -> int:
    """Each trial as OpenTelemetry spans (GenAI conventions): to a receiver or a file.

    Parameters
    ----------
    sessions
        session files and directories (imported Claude Code sessions included)
    """
    from sessions.otel_export import OtelExportError, send, session_spans, write_json

    if (endpoint is None) == (file is None):
        raise UsageError("give one of --endpoint URL or --file OUT.json")
    paths, _ = session_files(sessions)
    try:
        spans = session_spans(paths)
        if file is not None:
            write_json(spans, file)
        else:
            assert endpoint is not None
            send(spans, endpoint)
    except OtelExportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror or exc}") from None
    print(f"{len(paths)} trial(s), {len(spans):,} spans sent to {file or endpoint}")
    return 0
