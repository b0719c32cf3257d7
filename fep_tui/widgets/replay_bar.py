"""Where a replay stands: playing or paused, speed, event and turn position."""

from __future__ import annotations

from fep_tui.widgets.text_panel import TextPanel
from sessions.replay import ReplayClock, speed_label


class ReplayBar(TextPanel):
    DEFAULT_CSS = """
    ReplayBar { height: 1; padding: 0 1; background: $panel; }
    """

    def show_replay(self, clock: ReplayClock, turn: int, turns: int, problems: int) -> None:
        state = "▶ playing" if clock.playing else "■ paused"
        issues = f" │ {problems} problem(s) in file" if problems else ""
        self.set_text(
            f"{state} {speed_label(clock.speed)} │ event {clock.position:,}/{clock.length:,} │ "
            f"turn {turn}/{turns}{issues}"
        )

    def show_live(self, events: int, finished: bool) -> None:
        self.set_text(f"{'■ finished' if finished else '● live'} │ {events:,} events")
