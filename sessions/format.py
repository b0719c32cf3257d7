"""The session file format.

Line 1 is the header: `{"format": "fep-tui-session", "schema": 1, ...}` with every field of
the trial_start event (arm, task, models, providers, backend, `simulated`, rate card, seed,
engine version). Each later line is one event (`{"kind": ..., "t": ...}`), written and
flushed as it happens, so a crash loses at most the line being written.
"""

from __future__ import annotations

from typing import Any

FORMAT_NAME = "fep-tui-session"
SCHEMA_VERSION = 1
SUFFIX = ".jsonl"


class SessionFileError(ValueError):
    """A file that cannot be opened as a session; the message says why, in one line."""


def header_from_trial_start(event: dict[str, Any]) -> dict[str, Any]:
    header = {"format": FORMAT_NAME, "schema": SCHEMA_VERSION}
    header.update({k: v for k, v in event.items() if k != "kind"})
    return header
