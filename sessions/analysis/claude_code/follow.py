"""A Claude Code session followed as it is written (`fep-tui watch`).

Each poll reads only what the session's files gained since the last (transcript.LineTail),
feeds it to the session's reading (convert.SessionReading) and, when there was any, builds
the trial as it stands. Agent files that appear mid-session (a new subagent) are found by
looking at the session's layout again when its directories change (two stats a poll), and
at least every RESCAN_S for deeper ones (a workflow's agents).
"""

from __future__ import annotations

import time
from pathlib import Path

from engine.pricing import OFFICIAL, RateCard
from sessions.analysis.claude_code.convert import Converted, SessionReading
from sessions.analysis.claude_code.layout import session_files, sessions_under
from sessions.analysis.claude_code.transcript import LineTail

# How often the session's directory is looked at again for new agent files.
RESCAN_S = 2.0


class SessionFollower:
    def __init__(self, transcript: Path, card: RateCard = OFFICIAL) -> None:
        self.transcript = transcript
        # Checked once: a transcript (TraceInputError otherwise).
        [self.files] = sessions_under(transcript)
        self.reading = SessionReading(self.files, card)
        self._tails: dict[Path, LineTail] = {}
        self._scanned = time.monotonic()
        self._seen_marks = self._marks()

    def poll(self) -> bool:
        """Read what the files gained; whether there was anything."""
        now = time.monotonic()
        marks = self._marks()
        if marks != self._seen_marks or now - self._scanned >= RESCAN_S:
            self._scanned, self._seen_marks = now, marks
            self.files = self.reading.files = session_files(self.files.main)
        grew = False
        lines = self._tail(self.files.main).read()
        if lines:
            self.reading.feed_main(lines)
            grew = True
        for path in self.files.agents:
            lines = self._tail(path).read()
            if lines:
                self.reading.feed_agent(path, lines)
                grew = True
        for path in self.files.compaction:
            lines = self._tail(path).read()
            if lines:
                self.reading.feed_compaction(path, lines)
                grew = True
        return grew

    def build(self) -> Converted:
        """The session as read so far."""
        return self.reading.build()

    def _marks(self) -> tuple[int, int]:
        """When the project directory and the session's subagents directory last changed
        (a file added to either): 0 for one that is not there."""
        main = self.transcript
        return _mtime(main.parent), _mtime(main.parent / main.stem / "subagents")

    def _tail(self, path: Path) -> LineTail:
        if path not in self._tails:
            self._tails[path] = LineTail(path, self.reading.stats)
        return self._tails[path]


def _mtime(directory: Path) -> int:
    try:
        return directory.stat().st_mtime_ns
    except OSError:
        return 0
