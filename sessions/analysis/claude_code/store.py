"""Import Claude Code sessions into a sessions directory, and the summary `traces` lists.

Each session becomes an ordinary session file, `claude-code-<session-id>.jsonl`, with source
`claude-code` and the transcript's path and checksum in its header. The import keeps a
summary index beside the files (`.fep-claude-code-index.json`): per transcript, the size and
modification time of its files, their checksum and the summary row. A transcript whose
files did not change is not read again; one whose stamps changed but whose checksum did not
is not converted again; one that grew (the session went on) is converted and its file
replaced. Nothing under the transcripts' directory is ever written.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.events import ContextCompacted, Delegation, Event, TurnUsage
from engine.messages import SUMMARY_PREFIX
from engine.pricing import OFFICIAL, UnpricedModelError
from engine.usage import Usage
from sessions.analysis.claude_code.convert import LEAD, Converted, checksum, convert
from sessions.analysis.claude_code.layout import SessionFiles, sessions_under
from sessions.analysis.claude_code.transcript import transcript_problem
from sessions.cache_files import load_cache, save_cache
from sessions.header import SessionHeader
from sessions.reader import load_session
from sessions.writer import write_whole

INDEX_NAME = ".fep-claude-code-index.json"
# Two processes per core: converting is tokenizer-bound once a file is read, but a first
# import reads gigabytes from disk, and while one process waits on the disk another
# computes. Measured on 2 cores from a cold page cache: 106 s with 2 processes, 51 s with 4.
IMPORT_WORKERS = max(1, min(8, 2 * (os.cpu_count() or 1)))
# 2: compaction calls billed, a resumed session's copied history billed once, stray files
# skipped. 3: output the record understates counted from the content. 4: subagent usage
# written only in progress lines billed, and agent files no delegation claims. A new
# version re-converts every transcript on the next import.
_VERSION = 4
PREFIX = "claude-code-"
Status = Literal["imported", "updated", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class ListedRole:
    """A role's line in an imported session's listing (`traces`), summed from its calls:
    the listing's own shape (writes in one bucket, a cost left unknown, None, where no
    card prices the model), not a trial's end (engine.events.RoleTotals)."""

    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    # None: the rate card has no price for the model (shown as "price unknown").
    cost_usd: float | None


@dataclass(frozen=True)
class TraceSummary:
    """What `import claude-code --json` prints and `traces` lists, per session."""

    session_id: str
    project: str
    cwd: str
    started_at: str
    transcript: str
    session_file: str
    claude_code_version: str
    lead_model: str
    model_calls: int
    lead_calls: int
    delegations: int
    roles: dict[str, ListedRole]
    cost_usd: float | None
    lead_cache_read: int
    subagent_reread_tokens: int
    subagent_reread_usd: float | None
    compactions: int
    skipped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not asdict (which deep-copies): an import writes one per session.
        return {
            **vars(self),
            "roles": {name: dict(vars(role)) for name, role in self.roles.items()},
            "skipped": dict(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceSummary:
        roles = {k: ListedRole(**v) for k, v in data["roles"].items()}
        return cls(**{**data, "roles": roles})

    @property
    def cost_at_least(self) -> float:
        """What the priced roles cost: the session cost at least this much when a model
        nothing prices took part (never $0 for it)."""
        return sum(role.cost_usd for role in self.roles.values() if role.cost_usd is not None)


@dataclass(frozen=True)
class Imported:
    transcript: Path
    status: Status
    summary: TraceSummary | None
    problem: str = ""


def summarise(converted: Converted, session_file: Path) -> TraceSummary:
    return summarise_events(converted.header, converted.events, session_file)


def summarise_session(session_file: Path) -> TraceSummary:
    """An imported session's summary from its file (any agent's: `traces --agent`)."""
    session = load_session(session_file)
    return summarise_events(session.header, session.events, session_file)


def summarise_events(
    header: SessionHeader, events: Iterable[Event], session_file: Path
) -> TraceSummary:
    assert header.trace is not None
    roles: dict[str, dict[str, Any]] = {}
    reread = lead_read = compactions = delegations = 0
    for event in events:
        if isinstance(event, ContextCompacted):
            compactions += 1
        elif isinstance(event, Delegation):
            delegations += 1
        elif isinstance(event, TurnUsage):
            usage = event.usage
            held = roles.setdefault(event.role, {"usage": Usage.of(), "calls": 0, "cost": 0.0})
            held["usage"] += usage
            held["calls"] += 1
            held["cost"] += event.cost_usd
            if event.role == LEAD:
                lead_read += usage.cache_read
                reread += sum(
                    n
                    for source, n in event.attribution.items()
                    if source.startswith(SUMMARY_PREFIX)
                )
    unpriced = set(header.unpriced)
    totals = {
        role: ListedRole(
            header.models.get(role, ""),
            held["calls"],
            held["usage"].input_tokens,
            held["usage"].output_tokens,
            held["usage"].cache_write,
            held["usage"].cache_read,
            None if header.models.get(role) in unpriced else round(held["cost"], 6),
        )
        for role, held in roles.items()
    }
    lead_model = header.models.get(LEAD, "")
    read_price: float | None
    if header.trace.tool != "claude-code":
        # Another agent's session is priced at its own card (OpenAI's rates for Codex).
        read_price = header.lead_price("cache_read") if lead_model not in unpriced else None
    else:
        try:
            read_price = OFFICIAL.price(lead_model, "anthropic").cache_read
        except UnpricedModelError:
            read_price = None
    costs = [t.cost_usd for t in totals.values()]
    return TraceSummary(
        session_id=header.trace.session_id,
        project=header.trace.project,
        cwd=header.trace.cwd,
        started_at=header.started_at,
        transcript=header.trace.path,
        session_file=str(session_file),
        claude_code_version=header.trace.claude_code_version,
        lead_model=lead_model,
        model_calls=sum(t.calls for t in totals.values()),
        lead_calls=totals[LEAD].calls if LEAD in totals else 0,
        delegations=delegations,
        roles=totals,
        cost_usd=None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 6),
        lead_cache_read=lead_read,
        subagent_reread_tokens=reread,
        subagent_reread_usd=None if read_price is None else round(reread * read_price / 1e6, 6),
        compactions=compactions,
        skipped=dict(header.trace.skipped),
    )


def write_session(converted: Converted, path: Path) -> None:
    """The converted session as a session file, secrets masked, written whole."""
    write_whole(path, converted.header, converted.events)


def import_sessions(
    paths: Sequence[Path],
    directory: Path,
    *,
    workers: int = IMPORT_WORKERS,
    progress: Callable[[Imported], None] | None = None,
) -> list[Imported]:
    """Import every session under `paths` into `directory`; unchanged ones are skipped."""
    index = load_cache(directory / INDEX_NAME, _VERSION, "transcripts")
    found: list[SessionFiles] = [files for path in paths for files in sessions_under(path)]
    results: list[Imported] = []
    todo: list[tuple[SessionFiles, list[list[int]], str | None]] = []
    for files in found:
        key = str(files.main)
        stamps = _stamps(files)
        entry = index.get(key)
        if entry is not None and entry.get("stamps") == stamps and _target(directory, entry):
            results.append(_unchanged(files, entry))
            continue
        todo.append((files, stamps, entry.get("sha256") if entry else None))
    jobs = [(files, str(directory), known) for files, _, known in todo]
    for (files, stamps, _), outcome in zip(todo, _run(jobs, workers), strict=True):
        status, summary, sha, problem = outcome
        if summary is not None:
            index[str(files.main)] = {
                "stamps": stamps,
                "sha256": sha,
                "summary": summary.to_dict(),
            }
        elif status == "unchanged":
            entry = index[str(files.main)]
            entry["stamps"] = stamps
            summary = TraceSummary.from_dict(entry["summary"])
        result = Imported(files.main, status, summary, problem)
        results.append(result)
        if progress is not None:
            progress(result)
    if todo:
        save_cache(directory / INDEX_NAME, _VERSION, "transcripts", index)
    return results


_Outcome = tuple[Status, TraceSummary | None, str, str]


def _run(jobs: list[tuple[SessionFiles, str, str | None]], workers: int) -> Iterable[_Outcome]:
    if workers <= 1 or len(jobs) < 8:
        return (_import_one(*job) for job in jobs)
    # forkserver, not fork: the app imports from a worker thread, and forking a process
    # with other threads running can copy a lock that is held. The server loads what a
    # worker needs once (warm.py) and each worker starts with it.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sessions.analysis.claude_code.warm"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        return list(pool.map(_import_one, *zip(*jobs, strict=True), chunksize=16))
    finally:
        pool.shutdown()


def _import_one(files: SessionFiles, directory: str, known_sha: str | None) -> _Outcome:
    try:
        sha = checksum(files.all())
        target = Path(directory) / f"{PREFIX}{files.session_id}.jsonl"
        if known_sha == sha and target.exists():
            return ("unchanged", None, sha, "")
        problem = transcript_problem(files.main)
        if problem is not None:
            # A stray file in a projects directory: left out, and said, never a $0 session.
            return ("skipped", None, "", problem)
        converted = convert(files, sha256=sha)
        existed = target.exists()
        write_session(converted, target)
        return ("updated" if existed else "imported", summarise(converted, target), sha, "")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return ("failed", None, "", f"{files.main}: {exc}")


def _unchanged(files: SessionFiles, entry: dict[str, Any]) -> Imported:
    return Imported(files.main, "unchanged", TraceSummary.from_dict(entry["summary"]))


def _target(directory: Path, entry: dict[str, Any]) -> bool:
    return Path(str(entry.get("summary", {}).get("session_file", ""))).exists()


def _stamps(files: SessionFiles) -> list[list[int]]:
    stamps = []
    for path in files.all():
        stat = path.stat()
        stamps.append([stat.st_size, stat.st_mtime_ns])
    return stamps


def summaries_under(directory: Path, root: Path) -> list[TraceSummary]:
    """The imported sessions whose transcripts are under `root` (paths are stored
    absolute, so a prefix test; no filesystem call per session)."""
    inside = str(root.expanduser().absolute()).rstrip("/") + "/"
    return [s for s in imported_summaries(directory) if s.transcript.startswith(inside)]


def imported_summaries(directory: Path) -> list[TraceSummary]:
    """Every imported session's summary, from the index alone."""
    return [
        TraceSummary.from_dict(entry["summary"])
        for entry in load_cache(directory / INDEX_NAME, _VERSION, "transcripts").values()
        if "summary" in entry
    ]
