"""What a trial screen shows: a `TrialSource` (a live trial or a session file) and its `Clock`.

The trial screen uses only these two protocols and never asks which kind of source it has.
Both give a header, a `Timeline` for the counters and chart, and events by position for the
panes. The difference lives in the clock: a replay's clock plays, pauses and seeks; a live
trial's clock follows the engine and cannot seek.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

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
from sessions.format import SUFFIX
from sessions.header import SessionHeader, header_from_trial_start
from sessions.index import SessionIndex
from sessions.replay import IDLE_CAP_S, ReplayClock, speed_label
from sessions.timeline import Snapshot, Timeline


def heading(header: SessionHeader, where: str) -> str:
    """The trial screen's title: what ran, at which card, how contained, from where. The
    file name comes last, so at 80 columns it is the part cut off."""
    card = header.card_name or "?"
    if header.trace is not None:
        # An agent's session: no seed and no shell of ours; its project and id say it.
        trace = header.trace
        agent = trace.tool_label or "Claude Code"
        return f"{agent} on {header.task} · {trace.session_id[:8]} · card {card} ({where})"
    what = f"{header.arm} on {header.task} · seed {header.seed} · card {card}"
    return f"{what} · {header.shell} ({where})"


class Clock(Protocol):
    """Which events are shown (`position` of them) and how that moves."""

    @property
    def position(self) -> int: ...
    @property
    def can_seek(self) -> bool: ...

    playing: bool

    def tick(self, elapsed_s: float) -> int:
        """The position to show after `elapsed_s` seconds of wall time."""
        ...

    def seek(self, position: int) -> int: ...
    def next_turn(self) -> int: ...
    def previous_turn(self) -> int: ...
    def jump_to_turn(self, ordinal: int) -> int: ...
    def faster(self) -> float: ...
    def slower(self) -> float: ...


class TrialSource(Protocol):
    @property
    def header(self) -> SessionHeader: ...
    @property
    def timeline(self) -> Timeline: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def title(self) -> str: ...
    @property
    def length(self) -> int: ...
    @property
    def turns(self) -> int:
        """Lead turns known so far."""
        ...

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]: ...

    def elapsed(self) -> float | None:
        """Seconds to show instead of the last event's time (a running trial's wall clock)."""
        ...

    def status(self, snapshot: Snapshot) -> str | None:
        """What the counters say it is doing, when not the snapshot's own status."""
        ...

    def describe(self, lead_turn: int) -> str:
        """The one-line bar under the panes."""
        ...

    @property
    def epoch(self) -> int:
        """Bumped when events already shown changed (a watched session's newest call grew
        by another line): the screen folds them again."""
        ...


class Growing(Protocol):
    """A source that only grows: a trial running here, or a session being written."""

    @property
    def length(self) -> int: ...

    def pull(self) -> int: ...


class LiveClock:
    """A running trial's (or a watched session's) clock: always at the newest event, never
    seeks."""

    can_seek = False
    playing = True

    def __init__(self, trial: Growing) -> None:
        self._trial = trial

    @property
    def position(self) -> int:
        return self._trial.length

    def tick(self, elapsed_s: float) -> int:
        return self._trial.pull()

    def seek(self, position: int) -> int:
        return self.position

    def next_turn(self) -> int:
        return self.position

    def previous_turn(self) -> int:
        return self.position

    def jump_to_turn(self, ordinal: int) -> int:
        return self.position

    def faster(self) -> float:
        return 1.0

    def slower(self) -> float:
        return 1.0


class HeldEvents:
    """What a source whose events are held in memory as they arrive (a running trial, a
    watched session) answers the same way: its header, its timeline, how many events and
    lead turns it has, and a slice of its events."""

    events: list[Event]
    _header: SessionHeader
    _timeline: Timeline

    @property
    def header(self) -> SessionHeader:
        return self._header

    @property
    def timeline(self) -> Timeline:
        return self._timeline

    @property
    def length(self) -> int:
        return len(self.events)

    @property
    def turns(self) -> int:
        return len(self._timeline.lead_turn_starts())

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]:
        return [(start + i, e) for i, e in enumerate(self.events[start:stop])]


class LiveTrial(HeldEvents):
    """A trial running in the app. The engine's thread emits; the screen's thread pulls.

    `emit` only queues (it runs on the engine's thread); `pull` folds what arrived into the
    events list and the Timeline on the caller's thread, so the screen never reads a fold
    that is being written.
    """

    epoch = 0

    def __init__(self, config: TrialConfig, sessions_dir: Path) -> None:
        self.config = config
        self.trial_id = new_trial_id(config.arm.name, config.task_id, config.seed)
        self.writer = SessionWriter(sessions_dir)
        self._planned_path = sessions_dir / f"{self.trial_id}{SUFFIX}"
        self.events: list[Event] = []
        self._inbox: list[Event] = []
        self._lock = threading.Lock()
        # Until the engine's own trial_start arrives, the header it will send.
        self._header = header_from_trial_start(trial_start_event(0.0, self.trial_id, config))
        self._timeline = Timeline(self._header)
        self.clock = LiveClock(self)
        self.outcome: TrialOutcome | None = None
        self.failure: str | None = None
        self.started: float | None = None
        self.ended_at: float | None = None
        # The newest event's trial time and when it arrived (time.monotonic()).
        self._newest: tuple[float, float] | None = None

    @property
    def path(self) -> Path:
        """The session file: the writer's once it opened one (a batch's engine names its
        own trials), until then the one this trial's id will make."""
        return self.writer.path or self._planned_path

    @property
    def title(self) -> str:
        node = self._header.node
        # "running", not "live": on a simulated trial "live" read as the billed backend.
        state = "ended" if self.finished else "running"
        return heading(self._header, f"{state} on {node}" if node else state)

    @property
    def finished(self) -> bool:
        return self.outcome is not None or self.failure is not None

    def emit(self, event: Event) -> None:
        with self._lock:
            self._inbox.append(event)
            self._newest = (event.t, time.monotonic())

    def pull(self) -> int:
        """Fold everything the engine emitted since the last pull; the new length."""
        with self._lock:
            batch, self._inbox = self._inbox, []
        for event in batch:
            if isinstance(event, TrialStarted):
                self._header = header_from_trial_start(event)
                self._timeline.header = self._header
                continue
            self._timeline.add(len(self.events), event)
            self.events.append(event)
        return len(self.events)

    def elapsed(self) -> float | None:
        """The trial's own clock while it runs, moving on between events (a long tool call
        sends none). Not the wall clock since it started: that also counted its preparing
        and the app's pacing of simulated streams, neither of which is trial time, so the
        counter read 14 s and then fell to the trial's 7 s when it ended."""
        if self.started is None or self.finished:
            return None
        with self._lock:
            newest = self._newest
        if newest is None:
            return 0.0
        t, arrived = newest
        return t + time.monotonic() - arrived

    @property
    def preparing(self) -> bool:
        """Started, with no event yet: importing its SDKs, making its workspace, unpacking
        its task. For a typer task on a cold start that takes seconds."""
        return not self.events and not self.finished

    def status(self, snapshot: Snapshot) -> str | None:
        return "preparing" if self.preparing else None

    def describe(self, lead_turn: int) -> str:
        if self.preparing:
            return "● preparing: loading its SDKs, making its workspace, unpacking its task"
        if self.failure is not None:
            state = "■ interrupted" if self.failure == "interrupted" else "■ failed"
        else:
            state = "■ finished" if self.finished else "● running"
        return f"{state} │ {self.length:,} events │ turn {lead_turn}{self._pacing()}"

    def _pacing(self) -> str:
        """For a simulated trial the app paces: how long it really took against how long
        it has been on screen, and the key that drops the pacing."""
        if self.config.backend != "sim" or not self.config.sim_stream_delay_s:
            return ""
        from engine.sim.pacing import paced

        shown = (self.ended_at or time.monotonic()) - self.started if self.started else 0.0
        trial = self.timeline.snapshot(self.length).t if self.length else 0.0
        pace = "paced for watching, p: full speed" if paced() else "full speed, p: paced"
        return f" │ {trial:.1f} s trial · {shown:.0f} s shown ({pace})"

    def finish(self, outcome: TrialOutcome | None, failure: str | None) -> None:
        """Record how the trial ended (from the engine's result or the batch's report)."""
        self.outcome, self.failure = outcome, failure
        self.ended_at = self.ended_at or time.monotonic()

    async def run(self) -> TrialOutcome:
        """The whole trial; runs on the engine's loop (fep_tui/engine_thread.py)."""
        self.started = time.monotonic()
        try:
            await preflight(self.config)
            outcome = await run_trial(self.config, [self.writer, self], self.trial_id)
        except asyncio.CancelledError:
            self.finish(None, "interrupted")
            raise
        except Exception as exc:
            self.finish(None, str(exc))
            raise
        finally:
            self.writer.close()
        self.finish(outcome, None)
        return outcome


@dataclass
class ReplaySession:
    """A saved session opened for replay: its index, and a clock over its events."""

    epoch = 0

    index: SessionIndex
    clock: ReplayClock = field(init=False)

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
        return heading(self.header, f"replay {self.index.path.name}")

    @property
    def length(self) -> int:
        return self.index.length

    @property
    def turns(self) -> int:
        return len(self.clock.turn_starts)

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]:
        return self.index.read(start, stop)

    def elapsed(self) -> float | None:
        return None

    def status(self, snapshot: Snapshot) -> str | None:
        """A file is never "running": it is being replayed, or it stops short."""
        if snapshot.end is not None:
            return None
        if snapshot.position >= self.timeline.length and not self.timeline.ended:
            return "incomplete"
        return "replaying"

    def describe(self, lead_turn: int) -> str:
        clock = self.clock
        state = "▶ playing" if clock.playing else "■ paused"
        problems = len(self.index.problems)
        issues = f" │ {problems} problem(s) in file" if problems else ""
        # Shown once it rounds to a second: a 0.3 s cut read `-0 s`.
        idle = (
            f" │ pauses over {IDLE_CAP_S:g} s cut: -{clock.shortened_s:,.0f} s"
            if round(clock.shortened_s) >= 1
            else ""
        )
        return (
            f"{state} {speed_label(clock.speed)} │ event {clock.position:,}/{clock.length:,} │ "
            f"turn {lead_turn}/{self.turns}{issues}{idle}"
        )
