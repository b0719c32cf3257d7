"""`fep-tui import claude-code PATH...` and `fep-tui traces`: your own Claude Code sessions.

Both write ordinary session files into the sessions directory (source `claude-code`) and
never write under the transcripts' directory.
"""

from __future__ import annotations

import json as json_module
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from fep_tui.commands.common import say_imported
from fep_tui.commands.options import Json, SessionsDir, UsageError
from fep_tui.tables import Column, console, print_table
from fep_tui.trace_rows import COLUMNS, ITEM_COLUMNS, item_row, largest_first, trace_row
from sessions.analysis.claude_code.context_items import ContextItem
from sessions.analysis.claude_code.layout import default_projects_dir
from sessions.analysis.claude_code.store import (
    Imported,
    TraceSummary,
    import_sessions,
    summaries_under,
    summarise_session,
)
from sessions.store import resolve_sessions_dir

CLAUDE_CODE = "claude-code"
Root = Annotated[
    Path | None,
    Parameter(
        name="--root",
        help="Claude Code's projects directory (default: $CLAUDE_CONFIG_DIR/projects, "
        "else ~/.claude/projects), or with --agent, where that agent keeps its sessions",
    ),
]


def import_claude_code(
    paths: list[Path], /, *, json: Json = False, sessions_dir: SessionsDir = None
) -> int:
    """Import Claude Code sessions as session files; an unchanged one is skipped.

    Parameters
    ----------
    paths
        a transcript (.jsonl), a project directory, or ~/.claude/projects
    """
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    results = import_sessions(paths, directory)
    if not results:
        raise UsageError(
            f"no Claude Code sessions under {', '.join(map(str, paths))}; "
            "pass a session's .jsonl, its project directory or ~/.claude/projects"
        )
    if json:
        for result in results:
            print(json_module.dumps(_json_row(result)))
    else:
        say_imported(results, _STATUSES, directory)
    return 0 if all(r.status != "failed" for r in results) else 1


_STATUSES = ("imported", "updated", "unchanged", "skipped", "failed")


def _json_row(result: Imported) -> dict[str, object]:
    row: dict[str, object] = {"transcript": str(result.transcript), "status": result.status}
    if result.summary is not None:
        row.update(result.summary.to_dict())
    if result.problem:
        row["problem"] = result.problem
    return row


def traces(
    session: Annotated[
        str | None,
        Parameter(
            help="one session (its transcript's path, or its id or the start of it): "
            "what re-reading each item of the lead's context cost"
        ),
    ] = None,
    /,
    *,
    since: Annotated[
        str | None, Parameter(name="--since", help="only sessions started on or after DATE")
    ] = None,
    project: Annotated[
        str | None, Parameter(name="--project", help="only projects whose name contains NAME")
    ] = None,
    root: Root = None,
    limit: Annotated[
        int,
        Parameter(name="--limit", help="show the first N (0: all); --json prints all"),
    ] = 30,
    json: Json = False,
    sessions_dir: SessionsDir = None,
    by: Annotated[
        By | None,
        Parameter(name="--by", help="roll the sessions up by day, project or subagent type"),
    ] = None,
    cap: Annotated[
        str | None,
        Parameter(
            name="--cap",
            help="with a session: what capping TOOL's results at N tokens would have saved "
            "(TOOL=N, such as Read=2000)",
        ),
    ] = None,
    format: Annotated[
        Literal["table", "csv", "markdown"],
        Parameter(name="--format", help="how to print a roll-up (--json: one object a row)"),
    ] = "table",
    agent: Annotated[
        str,
        Parameter(
            name="--agent",
            help="whose sessions: claude-code, or another importer's (codex: Codex CLI "
            "rollouts under $CODEX_HOME/sessions, else ~/.codex/sessions)",
        ),
    ] = CLAUDE_CODE,
) -> int:
    """List your Claude Code sessions, largest re-read cost of subagent results first; or,
    given one session, the items of its lead's context that cost most to re-read.

    New and grown sessions under --root are imported first; unchanged ones are not read.
    """
    if session is not None:
        if agent != CLAUDE_CODE:
            raise UsageError(
                "item by item pricing is for Claude Code sessions; open this one with "
                "fep-tui replay SESSION"
            )
        return _print_items(session, root or default_projects_dir(), limit, json, cap)
    if cap is not None:
        raise UsageError("--cap prices one session's items: give the session, traces SESSION")
    start = _date(since) if since else None
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    if agent == CLAUDE_CODE:
        tool, where = "Claude Code", root or default_projects_dir()
        if not where.is_dir():
            raise UsageError(f"no Claude Code projects directory at {where}; pass --root DIR")
        import_sessions([where], directory)
        summaries = summaries_under(directory, where)
    else:
        tool, where, summaries = _agent_summaries(agent, root, directory)
    found = [
        s
        for s in summaries
        if (start is None or s.started_at[:10] >= start.isoformat())
        and (project is None or project.lower() in f"{s.project} {s.cwd}".lower())
    ]
    found.sort(key=largest_first)
    if by is not None:
        return _print_rollup(
            found, by, "json" if json else format, f"{tool} sessions under {where}"
        )
    if json:
        for summary in found:
            print(json_module.dumps(summary.to_dict()))
        return 0
    out = console()
    if not found:
        out.print(f"no {tool} sessions under {where} match", markup=False)
        return 0
    if limit < 0:
        raise UsageError(f"--limit must be 0 (all) or more; got {limit}")
    shown = found[:limit] if limit else found
    rows = [trace_row(s) for s in shown]
    title = (
        f"{tool} sessions under {where}: what the main agent re-read of its subagents' "
        "results (MEASURED usage; the split is estimated)"
    )
    print_table(title, COLUMNS, rows, out, "--json shows them")
    if len(shown) < len(found):
        more = len(found) - len(shown)
        out.print(f"… and {more:,} more (--limit 0 shows all)", markup=False)
    return 0


By = Literal["day", "project", "subagent"]
ROLLUP_COLUMNS = [
    Column("sessions", "sessions", "int", priority=3),
    Column("model_calls", "calls", "int", priority=4),
    Column("input_tokens", "input", "tokens", priority=6),
    Column("output_tokens", "output", "tokens", priority=5),
    Column("cache_write_tokens", "cache write", "tokens", priority=7),
    Column("cache_read_tokens", "cache read", "tokens", priority=2),
    Column("cache_hit_rate", "cache hit", "rate"),
    Column("cost", "cost $", "usd"),
]
REREAD_COLUMNS = [
    Column("subagent_reread_tokens", "subagent re-read", "tokens", priority=1),
    Column("subagent_reread_usd", "re-read $", "usd", priority=1),
    Column("subagent_reread_share", "of lead re-reads", "rate"),
]


def _agent_summaries(
    agent: str, root: Path | None, directory: Path
) -> tuple[str, Path, list[TraceSummary]]:
    """Another agent's sessions under `root` (its default when None), imported first:
    its name as people say it, where they were looked for, and their summaries."""
    from sessions.analysis.importers import TraceInputError, import_traces, importers

    known = importers()
    importer = known.get(agent)
    if importer is None:
        names = ", ".join([CLAUDE_CODE, *sorted(known)])
        raise UsageError(f"--agent {agent}: no such agent (known: {names})")
    where = root or importer.default_root()
    if not where.exists():
        raise UsageError(f"no {importer.tool} sessions at {where}; pass --root DIR")
    try:
        results = import_traces(importer, [where], directory)
    except TraceInputError as exc:
        raise UsageError(str(exc)) from None
    files = [r.session_file for r in results if r.session_file is not None]
    return importer.tool, where, [summarise_session(path) for path in files]


def _print_rollup(found: list[TraceSummary], by: By, fmt: str, what: str) -> int:
    from fep_tui.compare_output import csv_text, markdown_table
    from sessions.analysis.claude_code.rollups import rollup

    rows = rollup(found, by)
    if not rows and fmt == "table":
        nothing = "no subagent ran in" if by == "subagent" else "none of"
        print(f"{nothing} the {what}")
        return 0
    if fmt == "json":
        for row in rows:
            print(json_module.dumps(row))
        return 0
    name = "subagent_type" if by == "subagent" else by
    columns = [Column(name, name.replace("_", " ")), *ROLLUP_COLUMNS]
    if by != "subagent":
        columns += REREAD_COLUMNS
    shown = [
        {**row, "cost": f"≥ {row['cost_usd']:.4f}" if row["cost_usd_floor"] else row["cost_usd"]}
        for row in rows
    ]
    if fmt == "csv":
        sys.stdout.write(csv_text(rows) if rows else "(none)\n")
        return 0
    if fmt == "markdown":
        print(markdown_table(columns, shown))
        return 0
    title = (
        f"{what} by {by.replace('subagent', 'subagent type')} "
        "(MEASURED usage; the re-read split is estimated; cache hit: cache reads of all input)"
    )
    print_table(title, columns, shown, console(), "--format csv shows them")
    return 0


def _print_items(session: str, root: Path, limit: int, json: bool, cap: str | None = None) -> int:
    from sessions.analysis.claude_code.convert import context_items
    from sessions.analysis.claude_code.layout import TraceInputError

    if limit < 0:
        raise UsageError(f"--limit must be 0 (all) or more; got {limit}")
    capped = _parse_cap(cap) if cap is not None else None
    path = _find_transcript(session, root)
    try:
        items = context_items(path)
    except TraceInputError as exc:
        raise UsageError(str(exc)) from None
    if capped is not None:
        return _print_cap(path, items, *capped, json)
    if json:
        for item in items:
            print(json_module.dumps(item.to_dict()))
        return 0
    out = console()
    spent = sum(i.reread_usd for i in items)
    shown = items[:limit] if limit else items
    rows = [item_row(item) for item in shown]
    title = (
        f"{path.name}: what each item of the lead's context cost in re-reads, "
        f"${spent:.4f} in all (MEASURED usage; the split by item is estimated)"
    )
    print_table(title, ITEM_COLUMNS, rows, out, "--json shows them")
    if len(shown) < len(items):
        more = len(items) - len(shown)
        out.print(f"… and {more:,} more (--limit 0 shows all)", markup=False)
    return 0


def _parse_cap(text: str) -> tuple[str, int]:
    tool, _, size = text.partition("=")
    if not tool or not size.isdigit() or int(size) <= 0:
        raise UsageError(f"--cap {text}: give TOOL=TOKENS, such as --cap Read=2000")
    return tool, int(size)


CAP_COLUMNS = [
    Column("item", "item"),
    Column("tokens", "tokens", "tokens", priority=2),
    Column("cut", "cut", "tokens", priority=1),
    Column("saved_reread", "re-read saved", "tokens", priority=3),
    Column("saved_usd", "saved $", "usd"),
]


def _print_cap(path: Path, items: list[ContextItem], tool: str, cap: int, json: bool) -> int:
    from sessions.analysis.claude_code.context_items import cap_savings

    savings = cap_savings(items, tool, cap)
    if json:
        for found in savings:
            row = found.item.to_dict() | {
                "cut_tokens": found.cut_tokens,
                "saved_reread_tokens": found.saved_reread_tokens,
                "saved_usd": round(found.saved_usd, 6),
            }
            print(json_module.dumps(row))
        return 0
    out = console()
    tools = sorted({i.tool for i in items if i.tool})
    if not savings:
        hint = f"its tools: {', '.join(tools)}" if tools else "it called no tools"
        out.print(f"no {tool} result over {cap:,} tokens in {path.name} ({hint})", markup=False)
        return 0
    rows = [
        {
            "item": s.item.label,
            "tokens": s.item.tokens,
            "cut": s.cut_tokens,
            "saved_reread": s.saved_reread_tokens,
            "saved_usd": s.saved_usd,
        }
        for s in savings
    ]
    saved = sum(s.saved_usd for s in savings)
    title = (
        f"{path.name}: {tool} results capped at {cap:,} tokens would have saved about "
        f"${saved:.4f} of writes and re-reads (an estimate: each re-read taken to read the "
        "whole item, the agent's later turns as they were)"
    )
    print_table(title, CAP_COLUMNS, rows, out, "--json shows them")
    return 0


def _find_transcript(session: str, root: Path) -> Path:
    """A transcript's path as given, or the one session under `root` whose id starts so."""
    given = Path(session).expanduser()
    if given.suffix == ".jsonl" or given.exists():
        if not given.is_file():
            raise UsageError(f"{given}: no such transcript")
        return given
    if not root.is_dir():
        raise UsageError(f"no Claude Code projects directory at {root}; pass --root DIR")
    found = sorted(p for p in root.glob(f"*/{session}*.jsonl") if not p.name.startswith("agent-"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no session {session!r} under {root}; pass its transcript's path")
    names = ", ".join(p.stem[:13] for p in found[:4])
    raise UsageError(f"{len(found)} sessions under {root} start {session!r} ({names}); say more")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since {text!r} is not a date; use YYYY-MM-DD") from None


def watch(
    session: Annotated[
        str | None,
        Parameter(help="the session (its transcript's path, or its id or the start of it)"),
    ] = None,
    /,
    *,
    root: Root = None,
    sessions_dir: SessionsDir = None,
) -> int:
    """Follow a Claude Code session as Claude Code writes it, in the trial screen: the
    newest under --root unless one is named. Nothing is written anywhere."""
    from fep_tui.app import FepApp, StartWatch
    from fep_tui.commands import terminal
    from sessions.analysis.claude_code.transcript import transcript_problem
    from sessions.store import sessions_dir_to_read

    where = root or default_projects_dir()
    path = _find_transcript(session, where) if session else _newest(where)
    problem = transcript_problem(path)
    if problem is not None:
        raise UsageError(problem)
    terminal.require("fep-tui traces SESSION prints a session's items without it")
    directory = sessions_dir_to_read(str(sessions_dir) if sessions_dir else None)
    FepApp(directory, start=StartWatch(path)).run()
    return 0


def _newest(root: Path) -> Path:
    """The transcript written to last under `root`: the session running now, most often."""
    if not root.is_dir():
        raise UsageError(f"no Claude Code projects directory at {root}; pass --root DIR")
    found = [p for p in root.glob("*/*.jsonl") if not p.name.startswith("agent-")]
    if not found:
        raise UsageError(f"no Claude Code sessions under {root}; pass --root DIR")
    return max(found, key=lambda p: p.stat().st_mtime)
