"""Where session files live, and a quick listing of them.

The directory is `--sessions-dir`, else `$FEP_SESSIONS_DIR`, else the user's data
directory. Listing reads only each file's first line and its tail, so it stays quick.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from engine.errors import FepError
from engine.events import EventFormatError, TrialEnded, decode_event
from sessions.format import SUFFIX, SessionFileError
from sessions.header import SessionHeader, parse_header
from sessions.index_cache import open_index
from sessions.line_layout import LINE_KIND
from sessions.outcome import CUT_OFF_REASON, JUDGED, Outcome, outcome_of
from sessions.timeline import Timeline
from tasks.sandbox import hide_from_sandboxes

ENV_VAR = "FEP_SESSIONS_DIR"
_TAIL_BYTES = 256 * 1024


class SessionsDirError(FepError, OSError):
    pass


def resolve_sessions_dir(explicit: str | None = None) -> Path:
    """The sessions directory, created if needed; SessionsDirError if it is not writable."""
    chosen = (
        explicit
        or os.environ.get(ENV_VAR)
        or str(Path(platformdirs.user_data_dir("fep-tui")) / "sessions")
    )
    path = Path(chosen).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SessionsDirError(
            f"sessions directory {path} is not writable ({reason}); "
            f"pass --sessions-dir DIR or set {ENV_VAR}"
        ) from None
    # Every saved session and imported transcript is there: no agent may read them.
    hide_from_sandboxes(path)
    return path


def sessions_dir_to_read(explicit: str | None = None) -> Path:
    """The sessions directory for reading (list, compare, replay): it may be read-only, and
    one named with --sessions-dir or the variable must exist, since reading an empty
    directory there would hide a typo."""
    named = explicit or os.environ.get(ENV_VAR)
    path = Path(named or str(Path(platformdirs.user_data_dir("fep-tui")) / "sessions")).expanduser()
    if named and not path.is_dir():
        where = "--sessions-dir" if explicit else ENV_VAR
        raise SessionsDirError(f"no sessions directory {path} (from {where}); check the path")
    hide_from_sandboxes(path)
    return path


@dataclass(frozen=True)
class SessionSummary:
    """One line of a listing. `lead_turns` counts the orchestrator's (or solo model's)
    calls, `model_calls` every role's; a cut-off file gives both as far as it got."""

    path: str
    trial_id: str
    arm: str
    task: str
    backend: str
    source: str
    started_at: str
    status: str
    outcome: Outcome
    success: bool | None
    lead_turns: int
    model_calls: int
    # None: a model the rate card does not price took part (its cost is unknown, not $0).
    cost_usd: float | None
    seed: int
    reason: str = ""
    # The Ray node that ran it, or "" for this machine.
    node: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HeadAndEnd:
    """A session's header and, from its tail, its trial_end."""

    header: SessionHeader
    end: TrialEnded | None
    # trial_end lines in the tail: more than one means the file's tail was written twice.
    end_lines: int = 0


def read_head_and_end(path: Path) -> HeadAndEnd:
    """Read only the first line and the last 256 KiB: enough for listings and comparisons."""
    with path.open("rb") as handle:
        header = parse_header(handle.readline(), path)
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read().splitlines()
    ends = [line for line in tail if _is_end(line)]
    if not ends:
        return HeadAndEnd(header, None)
    try:
        # The first trial_end counts: a duplicated tail repeats it, it does not replace it.
        event = decode_event(ends[0])
    except EventFormatError:
        return HeadAndEnd(header, None, len(ends))  # a damaged end is no end: cut off
    return HeadAndEnd(header, event if isinstance(event, TrialEnded) else None, len(ends))


def _is_end(line: bytes) -> bool:
    head = LINE_KIND.match(line)
    return head is not None and head[1] == b"trial_end"


def summarize(path: Path, live: Timeline | None = None) -> SessionSummary:
    """`live`: the fold of a trial still being written, which a caller that runs it has;
    re-indexing its growing file on every refresh would cost a full read each time."""
    read = read_head_and_end(path)
    return summary_of(path, read.header, read.end, live)


def summary_of(
    path: Path, header: SessionHeader, end: TrialEnded | None, live: Timeline | None = None
) -> SessionSummary:
    """The listing line of a trial from its header and end (None: not ended), with the
    fold of its events when the caller has one (else the file's index is read)."""
    if end is not None:
        lead = end.roles.get(header.lead_role)
        lead_turns = lead.turns if lead is not None else 0
        calls, cost, reason = end.turns, end.total_cost_usd, end.reason
        status, success = end.status, end.success
    else:
        # Cut off (a crash, kill -9): the index's fold says how far it got and what it cost.
        snapshot = (live or open_index(path).timeline).snapshot()
        lead_counters = snapshot.roles.get(header.lead_role)
        lead_turns = lead_counters.turns if lead_counters else 0
        calls = sum(c.turns for c in snapshot.roles.values())
        cost, reason, status, success = snapshot.total_cost_usd, CUT_OFF_REASON, "cut off", None
    return SessionSummary(
        path=str(path),
        trial_id=header.trial_id,
        arm=header.arm,
        task=header.task,
        backend=header.backend,
        source=header.label,
        started_at=header.started_at,
        status=status,
        outcome=outcome_of(end.status if end else None, bool(success), calls),
        success=success,
        lead_turns=lead_turns,
        model_calls=calls,
        cost_usd=None if header.unpriced else cost,
        seed=header.seed,
        reason=reason,
        node=header.node,
    )


@dataclass
class SummaryCache:
    """Summaries of files unchanged since they were read (same size, same modification
    time). Home lists the directory again every 2 s while a trial runs; with this it reads
    only the files that changed, not a thousand heads and tails (and, for a cut-off file,
    its index) each time."""

    _by_path: dict[str, tuple[tuple[int, int], SessionSummary]] = field(default_factory=dict)

    def summary(self, path: Path) -> SessionSummary:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._by_path.get(str(path))
        if cached is not None and cached[0] == version:
            return cached[1]
        summary = summarize(path)
        self._by_path[str(path)] = (version, summary)
        return summary

    def keep_only(self, paths: set[str]) -> None:
        """Forget files no longer listed (deleted), so the cache does not outgrow the list."""
        for gone in self._by_path.keys() - paths:
            del self._by_path[gone]


def list_sessions(
    directory: Path, live: Mapping[str, Timeline] | None = None, cache: SummaryCache | None = None
) -> tuple[list[SessionSummary], list[str]]:
    """Summaries of every session file, newest first, and one line per file that was skipped.
    `live` maps the paths of trials still running to their folds. A file that is running is
    summarized from its fold each time, never from `cache`."""
    summaries, rejected = [], []
    live = live or {}
    paths = sorted(directory.glob(f"*{SUFFIX}"))
    for path in paths:
        fold = live.get(str(path))
        try:
            if cache is None or fold is not None:
                summaries.append(summarize(path, fold))
            else:
                summaries.append(cache.summary(path))
        except (SessionFileError, OSError) as exc:
            rejected.append(str(exc))
    if cache is not None:
        cache.keep_only({str(path) for path in paths})
    summaries.sort(key=lambda s: s.started_at, reverse=True)
    return summaries, rejected


def judged_sessions(directory: Path) -> list[SessionSummary]:
    """Every judged session in `directory`: what a resumed batch already has. Interrupted
    and errored trials are run again."""
    summaries, _ = list_sessions(directory)
    return [s for s in summaries if s.outcome in JUDGED]


def trial_results(summaries: Iterable[SessionSummary]) -> list[tuple[str, str, int, bool]]:
    """(arm, task, seed, success) of each session, as a batch's plan counts them."""
    return [(s.arm, s.task, s.seed, s.outcome == "success") for s in summaries]


def finished_trials(directory: Path) -> list[tuple[str, str, int, bool]]:
    """(arm, task, seed, success) of every judged session in `directory`."""
    return trial_results(judged_sessions(directory))
