"""Writes session files: as a trial runs (SessionWriter: header first, then one flushed line
per event), or whole, for an imported trace (write_whole). Both encode and mask a line the
same way (`_Lines`).

A session file never grows past `max_bytes` (`$FEP_SESSION_MAX_MB`, default 64 MB; a
typical trial is 50-500 KB and the largest typer trial a few MB). Every field an agent can
fill is already capped where it is made (tool output, judge tails, summaries); the limit is
the last guard. Past it, events are dropped, with one `error` event saying so, and the
trial's `trial_end` is always written, so the file still says how the trial ended.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import msgspec

from engine.events import Event, TrialError, TrialStarted
from sessions.format import SUFFIX
from sessions.header import SessionHeader, header_from_trial_start
from sessions.redact import Redactor

MAX_BYTES_ENV = "FEP_SESSION_MAX_MB"
DEFAULT_MAX_MB = 64
# Kept free below the limit for the note and the trial_end line.
_RESERVE = 64 * 1024
# Lines masked at once by an import (write_whole).
_CHUNK = 1 << 20


def max_session_bytes() -> int:
    raw = os.environ.get(MAX_BYTES_ENV, "")
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return max(int(megabytes * (1 << 20)), 2 * _RESERVE)


class _Lines:
    """A session line from an event or the header: encoded straight from the Struct and
    masked as one line (Redactor.line). Walking a dict of the event, masking each string
    and json.dumps cost 60-70 us an event, on the engine's thread, which shares the
    interpreter with the screen; this is 14-21."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._redactor = redactor or Redactor()
        self._encode = msgspec.json.Encoder().encode

    def __call__(self, data: Event | SessionHeader) -> bytes:
        return self._redactor.line(self._encode(data)) + b"\n"

    def many(self, data: Iterable[Event | SessionHeader]) -> Iterator[bytes]:
        """Lines for many events, masked a chunk of about 1 MB at a time (Redactor.lines):
        memory stays flat in the session's size."""
        chunk: list[bytes] = []
        size = 0
        for item in data:
            encoded = self._encode(item)
            chunk.append(encoded)
            size += len(encoded)
            if size >= _CHUNK:
                yield self._redactor.lines(chunk)
                chunk, size = [], 0
        if chunk:
            yield self._redactor.lines(chunk)


def write_whole(path: Path, header: SessionHeader, events: Iterable[Event]) -> None:
    """A session written at once (an imported trace), secrets masked. A replaced file is
    written beside it and renamed, so a reader never sees half of it. A new one is written
    in place (a rename per file is ~1 ms on some disks): if that is cut short, the import's
    index has no entry for it and the next import writes it again."""
    line = _Lines()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp") if path.exists() else path
    try:
        with temporary.open("wb") as out:
            out.writelines(line.many(itertools.chain((header,), events)))
        if temporary != path:
            os.replace(temporary, path)
    finally:
        if temporary != path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


class SessionWriter:
    """An event sink. The file is created when the trial_start event arrives."""

    def __init__(
        self, directory: Path, redactor: Redactor | None = None, max_bytes: int | None = None
    ) -> None:
        self.directory = directory
        self.path: Path | None = None
        self._file: IO[bytes] | None = None
        self._line = _Lines(redactor)
        self.max_bytes = max_bytes or max_session_bytes()
        self.written = 0
        # Events left out once the file reached its limit.
        self.dropped = 0

    def emit(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            self.path = self.directory / f"{event.trial_id}{SUFFIX}"
            self._file = self.path.open("xb")
            self._write(header_from_trial_start(event))
            return
        if self._file is None:
            return
        self._write(event)
        if event.kind == "trial_end":
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, data: Event | SessionHeader) -> None:
        assert self._file is not None
        line = self._line(data)
        ending = isinstance(data, Event) and data.kind == "trial_end"
        if not ending and self.written + len(line) > self.max_bytes - _RESERVE:
            if not self.dropped:
                limit = self.max_bytes >> 20
                note = TrialError(
                    data.t if isinstance(data, Event) else 0.0,
                    f"session file reached its limit of {limit} MB ({MAX_BYTES_ENV}); "
                    "later events are left out, the trial's end is kept",
                    fatal=False,
                )
                self._put(self._line(note))
            self.dropped += 1
            return
        self._put(line)

    def _put(self, line: bytes) -> None:
        assert self._file is not None
        self._file.write(line)
        self.written += len(line)
        # Flushed per event: a trial killed mid-run keeps every event it emitted, and home
        # lists a running trial from what is on disk.
        self._file.flush()
