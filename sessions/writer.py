"""Writes a session file as the trial runs: header first, then one flushed line per event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from engine.events import Event, TrialStarted
from sessions.format import SUFFIX
from sessions.header import header_from_trial_start
from sessions.redact import Redactor


class SessionWriter:
    """An event sink. The file is created when the trial_start event arrives."""

    def __init__(self, directory: Path, redactor: Redactor | None = None) -> None:
        self.directory = directory
        self.path: Path | None = None
        self._file: IO[str] | None = None
        self._redactor = redactor or Redactor()

    def emit(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            self.path = self.directory / f"{event.trial_id}{SUFFIX}"
            self._file = self.path.open("x", encoding="utf-8")
            self._write(self._redactor.value(header_from_trial_start(event).to_dict()))
            return
        if self._file is None:
            return
        self._write(self._redactor.value(event.to_dict()))
        if event.kind == "trial_end":
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, data: dict[str, object]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(data, separators=(",", ":")) + "\n")
        self._file.flush()
