"""Where a replay stands: playing or paused, speed, event and turn position."""

from __future__ import annotations

from textual.widgets import Static

from sessions.replay import ReplayClock, speed_label


class ReplayBar(Static):
    DEFAULT_CSS = """
    ReplayBar { height: 1; padding: 0 1; background: $panel; }
    """

    def show_replay(self, clock: ReplayClock, turn: int, turns: int, problems: int) -> None:
        state = "▶ playing" if clock.playing else "⏸ paused"
        issues = f" │ {problems} problem(s) in file" if problems else ""
        self.update(
            f"{state} {speed_label(clock.speed)} │ event {clock.position:,}/{clock.length:,} │ "
            f"turn {turn}/{turns}{issues}"
        )

    def show_live(self, events: int, finished: bool) -> None:
        self.update(f"{'■ finished' if finished else '● live'} │ {events:,} events")
