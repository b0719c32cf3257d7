"""The two event sources a trial screen can show: a live trial, or a session file on a clock.

Both give the screen a header, a `Timeline` for the counters and chart, and events by
position for the panes, so the screen cannot tell them apart except that only a replay seeks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.events import Event, TrialStarted
from engine.trial import (
    TrialConfig,
    TrialOutcome,
    new_trial_id,
    preflight,
    run_trial,
    trial_start_event,
)
from sessions import SessionWriter
from sessions.header import SessionHeader, header_from_trial_start
from sessions.index import SessionIndex
from sessions.replay import ReplayClock
from sessions.timeline import Timeline


class LiveTrial:
    """A trial running inside the app. It keeps every event; screens come and go."""

    live = True

    def __init__(self, config: TrialConfig, sessions_dir: Path) -> None:
        self.config = config
        self.trial_id = new_trial_id(config.arm.name, config.task_id, config.seed)
        self.writer = SessionWriter(sessions_dir)
        self.events: list[Event] = []
        # Until the engine's own trial_start arrives, the header it will send.
        self.header = header_from_trial_start(trial_start_event(0.0, self.trial_id, config))
        self.timeline = Timeline(self.header)
        self.outcome: TrialOutcome | None = None
        self.failure: str | None = None
        self.started: float | None = None

    @property
    def title(self) -> str:
        return f"{self.config.arm.name} on {self.config.task_id} (live) · {self.header.shell}"

    @property
    def length(self) -> int:
        return len(self.events)

    @property
    def finished(self) -> bool:
        return self.outcome is not None or self.failure is not None

    def emit(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            self.header = header_from_trial_start(event)
            self.timeline.header = self.header
            return
        self.timeline.add(len(self.events), event)
        self.events.append(event)

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]:
        return [(start + i, e) for i, e in enumerate(self.events[start:stop])]

    def elapsed(self) -> float | None:
        """Wall-clock seconds while running, so the counter moves during long tool calls."""
        if self.started is None or self.finished:
            return None
        return time.monotonic() - self.started

    async def run(self) -> None:
        self.started = time.monotonic()
        try:
            await preflight(self.config)
            self.outcome = await run_trial(self.config, [self.writer, self], self.trial_id)
        except Exception as exc:
            self.failure = str(exc)
            raise
        finally:
            self.writer.close()


@dataclass
class ReplaySession:
    """A saved session opened for replay: its index, and a clock over its events."""

    index: SessionIndex
    clock: ReplayClock = field(init=False)
    live = False

    def __post_init__(self) -> None:
        self.clock = ReplayClock(self.index.times, self.index.lead_turn_positions())

    @property
    def header(self) -> SessionHeader:
        return self.index.header

    @property
    def timeline(self) -> Timeline:
        return self.index.timeline

    @property
    def title(self) -> str:
        header = self.header
        return f"{header.arm} on {header.task} (replay {self.index.path.name}) · {header.shell}"

    @property
    def length(self) -> int:
        return self.index.length

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]:
        return self.index.read(start, stop)
