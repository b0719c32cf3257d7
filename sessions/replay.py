"""The replay clock: where a replay is, how fast it plays, and where steps and jumps land."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, math.inf)
# "As fast as possible" still advances in steps so the screen draws between them.
_MAX_EVENTS_PER_TICK = 4000
# Replays play at real time times the speed, except that a pause between two events (a
# long pytest run, an API retry) longer than this plays as this long. The bar says so.
IDLE_CAP_S = 2.0


def speed_label(speed: float) -> str:
    return "max" if math.isinf(speed) else f"{speed:g}x"


@dataclass
class ReplayClock:
    """Position = number of events shown (0..length). `times[i]` is event i's `t`."""

    times: Sequence[float]
    turn_starts: Sequence[int]
    position: int = 0
    playing: bool = False
    speed: float = 1.0
    _virtual_t: float = 0.0
    # Seconds of idle gaps shortened so far, for the bar.
    shortened_s: float = 0.0
    can_seek: ClassVar[bool] = True

    @property
    def length(self) -> int:
        return len(self.times)

    def seek(self, position: int) -> int:
        self.position = max(0, min(self.length, position))
        self._virtual_t = self.times[self.position - 1] if self.position else 0.0
        return self.position

    def tick(self, elapsed_s: float) -> int:
        """Advance a playing replay by `elapsed_s` of wall time at the current speed."""
        if not self.playing or self.position >= self.length:
            self.playing = self.playing and self.position < self.length
            return self.position
        if math.isinf(self.speed):
            return self.seek(self.position + _MAX_EVENTS_PER_TICK)
        self._virtual_t += elapsed_s * self.speed
        last = self.times[self.position - 1] if self.position else 0.0
        gap = self.times[self.position] - last
        if gap > IDLE_CAP_S and self._virtual_t > last + IDLE_CAP_S:
            # Waited the cap already: go on as if the gap had been that long.
            skip = gap - IDLE_CAP_S
            self._virtual_t += skip
            self.shortened_s += skip
        self.position = bisect_right(self.times, self._virtual_t, lo=self.position)
        return self.position

    def faster(self) -> float:
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else 1
        self.speed = SPEEDS[min(len(SPEEDS) - 1, index + 1)]
        return self.speed

    def slower(self) -> float:
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else 1
        self.speed = SPEEDS[max(0, index - 1)]
        return self.speed

    def step(self, events: int) -> int:
        return self.seek(self.position + events)

    def next_turn(self) -> int:
        index = bisect_right(self.turn_starts, self.position - 1)
        if index < len(self.turn_starts):
            return self.seek(self.turn_starts[index] + 1)
        return self.seek(self.length)

    def previous_turn(self) -> int:
        index = bisect_left(self.turn_starts, self.position - 1) - 1
        return self.seek(self.turn_starts[index] + 1 if index >= 0 else 0)

    def jump_to_turn(self, ordinal: int) -> int:
        """Show the lead's `ordinal`-th turn (1-based) just started."""
        if not self.turn_starts:
            return self.position
        index = max(1, min(len(self.turn_starts), ordinal)) - 1
        return self.seek(self.turn_starts[index] + 1)
