"""A Claude Code session watched as Claude Code writes it (`fep-tui watch`): a TrialSource
for the trial screen, like a trial running here.

Every POLL_S, on a thread of its own, the follower (sessions/analysis/claude_code/
follow.py) reads only what the session's files gained and, when there was something,
builds the session again from what was read (0.2 s for a 20 MB session: not on the
screen's thread). The screen's `pull` takes the newest build: events already shown are
kept and the new ones added to the Timeline; when an event already shown changed (Claude
Code writes a reply one content block a line, so a call seen after its first line grows),
the Timeline is built again and `epoch` tells the screen to fold again.
"""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path

from engine.events import Event, TrialEnded
from fep_tui.sources import HeldEvents, LiveClock, heading
from sessions.analysis.claude_code.follow import SessionFollower
from sessions.header import SessionHeader
from sessions.timeline import Snapshot, Timeline

# How often the files are looked at: each new line is on screen within this (plus a frame).
POLL_S = 0.25


class WatchedSession(HeldEvents):
    def __init__(self, transcript: Path) -> None:
        self.transcript = transcript
        self.follower = SessionFollower(transcript)
        self.events: list[Event] = []
        self.epoch = 0
        converted = self.follower.build()
        self._header: SessionHeader = converted.header
        self._timeline = Timeline(self._header)
        self.clock = LiveClock(self)
        # When the files last gained a line (time.monotonic()).
        self.grew_at: float | None = None
        self._lock = threading.Lock()
        # The newest build the thread made that `pull` has not taken yet.
        self._built: tuple[SessionHeader, list[Event]] | None = None
        self.failure: str | None = None
        follow = threading.Thread(
            target=_follow, args=(weakref.ref(self), self.follower), daemon=True
        )
        follow.start()

    @property
    def title(self) -> str:
        return heading(self._header, f"watching {self.transcript.name}")

    def built(self, header: SessionHeader, events: list[Event]) -> None:
        """From the following thread: the session as it now stands."""
        with self._lock:
            self._built = (header, events)
            self.grew_at = time.monotonic()

    def pull(self) -> int:
        """Take the newest build, if there is one; the new length."""
        with self._lock:
            built, self._built = self._built, None
        if built is None:
            return len(self.events)
        self._header, events = built
        self._timeline.header = self._header
        kept = _same_prefix(self.events, events)
        if kept < len(self.events):
            self._timeline = Timeline(self._header)
            self.epoch += 1
            kept = 0
        for position in range(kept, len(events)):
            self._timeline.add(position, events[position])
        self.events = events
        return len(self.events)

    def elapsed(self) -> float | None:
        return None

    def status(self, snapshot: Snapshot) -> str | None:
        return "watching"

    def describe(self, lead_turn: int) -> str:
        if self.failure is not None:
            return f"■ stopped following: {self.failure} │ {self.length:,} events"
        since = (
            ""
            if self.grew_at is None
            else f" │ last line {time.monotonic() - self.grew_at:.0f} s ago"
        )
        return f"◉ watching │ {self.length:,} events │ turn {lead_turn}{since}"


def _follow(session: weakref.ref[WatchedSession], follower: SessionFollower) -> None:
    """Poll and build until the session is let go (its screen closed)."""
    while True:
        watched = session()
        if watched is None:
            return
        try:
            if follower.poll():
                converted = follower.build()
                # A session being written has not ended: its end is only where reading
                # stopped.
                events = [e for e in converted.events if not isinstance(e, TrialEnded)]
                watched.built(converted.header, events)
        except Exception as exc:  # a file that went away or changed shape: said, not raised
            watched.failure = f"{type(exc).__name__}: {exc}"
            return
        del watched
        time.sleep(POLL_S)


def _same_prefix(old: list[Event], new: list[Event]) -> int:
    """How many events `old` and `new` share from the start."""
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return i
    return min(len(old), len(new))
