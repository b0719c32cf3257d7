"""Writes a session file as the trial runs: header first, then one flushed line per event."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import msgspec

from engine.events import Event, TrialStarted
from sessions.format import SUFFIX
from sessions.header import SessionHeader, header_from_trial_start
from sessions.redact import Redactor


class SessionWriter:
    """An event sink. The file is created when the trial_start event arrives."""

    def __init__(self, directory: Path, redactor: Redactor | None = None) -> None:
        self.directory = directory
        self.path: Path | None = None
        self._file: IO[bytes] | None = None
        self._redactor = redactor or Redactor()
        self._encode = msgspec.json.Encoder().encode

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
        # Encoded straight from the event and masked as one line (Redactor.line): walking a
        # dict of the event, masking each string and json.dumps cost 60-70 us an event, on
        # the engine's thread, which shares the interpreter with the screen; this is 14-21.
        assert self._file is not None
        self._file.write(self._redactor.line(self._encode(data)) + b"\n")
        # Flushed per event: a trial killed mid-run keeps every event it emitted, and home
        # lists a running trial from what is on disk.
        self._file.flush()
