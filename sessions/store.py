"""Where session files live, and a quick listing of them.

The directory is `--sessions-dir`, else `$FEP_SESSIONS_DIR`, else the user's data
directory. Listing reads only each file's first line and its tail, so it stays quick.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from sessions.format import SUFFIX, SessionFileError
from sessions.reader import parse_header

ENV_VAR = "FEP_SESSIONS_DIR"
_TAIL_BYTES = 256 * 1024


class SessionsDirError(OSError):
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
    return path


@dataclass(frozen=True)
class SessionSummary:
    path: str
    trial_id: str
    arm: str
    task: str
    backend: str
    simulated: bool
    started_at: str
    status: str
    success: bool | None
    turns: int
    cost_usd: float
    seed: int = -1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HeadAndEnd:
    """A session's header and, from its tail, the trial_end and the last usage event."""

    header: dict[str, Any]
    end: dict[str, Any] | None
    last_usage: dict[str, Any] | None


def read_head_and_end(path: Path) -> HeadAndEnd:
    """Read only the first line and the last 256 KiB: enough for listings and comparisons."""
    with path.open("rb") as handle:
        header = parse_header(handle.readline().decode("utf-8", errors="replace"), path)
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace").splitlines()
    end, last_usage = None, None
    for line in reversed(tail):
        if '"kind":"trial_end"' in line or '"kind":"usage"' in line:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("kind") == "trial_end":
                end = data
                break
            if last_usage is None:
                last_usage = data
    return HeadAndEnd(header, end, last_usage)


def summarize(path: Path) -> SessionSummary:
    read = read_head_and_end(path)
    header, end, last_usage = read.header, read.end, read.last_usage
    if end is not None:
        status, success = str(end.get("status")), bool(end.get("success"))
        turns, cost = int(end.get("turns", 0)), float(end.get("total_cost_usd", 0.0))
    else:
        status, success, turns = "incomplete", None, 0
        cost = float(last_usage.get("total_cost_usd", 0.0)) if last_usage else 0.0
    return SessionSummary(
        str(path),
        str(header.get("trial_id", path.stem)),
        str(header.get("arm", "?")),
        str(header.get("task", "?")),
        str(header.get("backend", "?")),
        bool(header.get("simulated", True)),
        str(header.get("started_at", "")),
        status,
        success,
        turns,
        cost,
        int(header.get("seed", -1)),
    )


def list_sessions(directory: Path) -> tuple[list[SessionSummary], list[str]]:
    """Summaries of every session file, newest first, and one line per file that was skipped."""
    summaries, rejected = [], []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            summaries.append(summarize(path))
        except (SessionFileError, OSError) as exc:
            rejected.append(str(exc))
    summaries.sort(key=lambda s: s.started_at, reverse=True)
    return summaries, rejected


FINISHED_STATUSES = ("completed", "max_turns")


def finished_trials(directory: Path) -> list[tuple[str, str, int, bool]]:
    """(arm, task, seed, success) of every finished session in `directory`: what a
    resumed batch already has."""
    summaries, _ = list_sessions(directory)
    return [
        (s.arm, s.task, s.seed, bool(s.success)) for s in summaries if s.status in FINISHED_STATUSES
    ]
