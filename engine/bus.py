"""Fan-out of events to sinks, stamping each with seconds since the trial started."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from engine.events import Event, EventSink


class EventBus:
    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self._sinks = list(sinks)
        self._started = time.monotonic()
        self._paced: Callable[[], float] = lambda: 0.0
        self._last = 0.0

    def exclude(self, paced: Callable[[], float]) -> None:
        """Leave out of the trial's clock the seconds `paced()` reports: the simulator's
        display pacing in the app, so a trial watched there records the same times as the
        same trial run headless."""
        self._paced = paced

    def now(self) -> float:
        # Pacing is counted once a sleep ends, so the difference can step back by a sleep's
        # jitter; times in a session only ever run forward.
        self._last = max(self._last, round(time.monotonic() - self._started - self._paced(), 4))
        return self._last

    def emit(self, event: Event) -> None:
        for sink in self._sinks:
            sink.emit(event)
