"""The session file format.

Line 1 is the header (`sessions/header.py`): `{"format": "fep-tui-session", "schema": 2, ...}`
with every field of the trial_start event plus the source, the task version and the
configuration's fingerprint. Each later line is one event (`{"kind": ..., "t": ...}`),
written and flushed as it happens, so a crash loses at most the line being written.
"""

from __future__ import annotations

from engine.errors import FepError
from sessions.line_layout import LINE_KIND, SKELETON_KINDS

FORMAT_NAME = "fep-tui-session"
SCHEMA_VERSION = 2
SUFFIX = ".jsonl"


class SessionFileError(FepError, ValueError):
    """A file that cannot be opened as a session; the message says why, in one line."""


_SKELETON_BYTES = frozenset(kind.encode() for kind in SKELETON_KINDS)


class TailGuard:
    """Names the lines that cannot belong to the trial a file records: anything after its
    first trial_end, and a line of the trial's skeleton (usage, turn starts, delegations,
    summaries, verdict, errors) repeated byte for byte. Both come from a tail written twice
    (a copy appended to itself, a writer re-run); folding them would count turns and
    dollars twice."""

    def __init__(self) -> None:
        self._ended_at: int | None = None
        self._seen: dict[int, int] = {}

    @property
    def ended(self) -> bool:
        return self._ended_at is not None

    def problem(self, line: bytes, number: int, kind: bytes | None = None) -> str | None:
        """`kind` when the caller has read it already (saves a second look at the line)."""
        if self._ended_at is not None:
            return (
                f"line {number}: after the trial's end on line {self._ended_at} "
                "(a duplicated tail); skipped"
            )
        if kind is None:
            head = LINE_KIND.match(line)
            kind = head[1] if head else b""
        # Only folded lines are checked for repeats: they are what would count twice, and
        # text or tool lines may legitimately repeat.
        if kind in _SKELETON_BYTES:
            first = self._seen.setdefault(hash(line), number)
            if first != number:
                return f"line {number}: repeats line {first} (a duplicated tail); skipped"
        if kind == b"trial_end":
            self._ended_at = number
        return None
