"""Fan-out of events to sinks, stamping each with seconds since the trial started."""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine.events import Event, EventSink


class EventBus:
    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self._sinks = list(sinks)
        self._started = time.monotonic()

    def now(self) -> float:
        return round(time.monotonic() - self._started, 4)

    def emit(self, event: Event) -> None:
        for sink in self._sinks:
            sink.emit(event)
