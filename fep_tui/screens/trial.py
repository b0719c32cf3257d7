"""The trial screen: one screen, fed live by a running trial or by a session file on a clock.

Updates are coalesced: a timer drains whatever events arrived since the last frame (live)
or whatever the replay clock passed over, applies them to the pane fold, and redraws the
counters and chart from one Timeline snapshot. Seeking rebuilds the panes from a bounded
window of events before the new position; it never re-reads the file from the start.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from fep_tui.screens.goto_turn import GotoTurnScreen
from fep_tui.sources import LiveTrial, ReplaySession
from fep_tui.widgets.counters import CountersBar
from fep_tui.widgets.delegations import DelegationsPane
from fep_tui.widgets.read_chart import ReadChart
from fep_tui.widgets.replay_bar import ReplayBar
from fep_tui.widgets.tool_tree import ToolTree
from fep_tui.widgets.transcript import TurnLog
from sessions.panes import PaneFold
from sessions.timeline import Snapshot

FRAME_S = 1 / 20
WINDOW_TURNS = 3
WINDOW_EVENTS = 1200


class TrialScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="trial.back"),
        # Replay keys win over the focused pane's scrolling: priority bindings.
        Binding("space", "toggle_play", "Play/pause", priority=True, id="trial.play"),
        Binding("right", "step(1)", "Event +1", priority=True, id="trial.step_forward"),
        Binding("left", "step(-1)", "Event -1", priority=True, id="trial.step_back"),
        Binding(
            "right_square_bracket",
            "turn(1)",
            "Turn +1",
            key_display="]",
            priority=True,
            id="trial.next_turn",
        ),
        Binding(
            "left_square_bracket",
            "turn(-1)",
            "Turn -1",
            key_display="[",
            priority=True,
            id="trial.previous_turn",
        ),
        Binding("g", "goto_turn", "Go to turn", id="trial.goto"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+", id="trial.faster"),
        Binding("minus", "slower", "Slower", id="trial.slower"),
        Binding("home", "start", "Start", show=False, priority=True, id="trial.start"),
        Binding("end", "end", "End", show=False, priority=True, id="trial.end"),
        Binding("t", "toggle_tools", "Expand tools", show=False, id="trial.tools"),
    ]

    def __init__(self, source: LiveTrial | ReplaySession) -> None:
        super().__init__()
        self.source = source
        self.fold = PaneFold(source.timeline.lead_role)
        self.applied = 0
        self._last_tick = time.monotonic()
        self._drawn_playing = False

    @property
    def replay(self) -> ReplaySession | None:
        return self.source if isinstance(self.source, ReplaySession) else None

    def compose(self) -> ComposeResult:
        yield Static(self.source.title, id="trial-title")
        yield CountersBar(id="counters")
        with Horizontal(id="trial-body"):
            with Vertical(id="trial-left"):
                yield TurnLog(id="turns")
                yield ToolTree(id="tools")
            with Vertical(id="trial-right"):
                yield DelegationsPane(id="delegations")
                yield ReadChart(id="chart")
        yield ReplayBar(id="replay-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#turns").border_title = "turns"
        self.query_one("#tools").border_title = "tool calls (enter expands)"
        self.query_one("#delegations").border_title = "delegations → summaries"
        self.query_one("#chart").border_title = "cumulative re-read context"
        if self.replay is not None:
            self.seek(self.replay.length)
        self.set_interval(FRAME_S, self.frame)
        self.frame()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        replay_only = {
            "toggle_play",
            "step",
            "turn",
            "goto_turn",
            "faster",
            "slower",
            "start",
            "end",
        }
        return self.replay is not None or action not in replay_only

    # -- drawing -------------------------------------------------------------------------

    def frame(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        replay = self.replay
        target = replay.clock.tick(elapsed) if replay is not None else self.source.length
        if target < self.applied:
            self.seek(target)
            return
        if target > self.applied:
            for position, event in self.source.read(self.applied, target):
                self.fold.apply(position, event)
            self.applied = target
        elif replay is not None and replay.clock.playing == self._drawn_playing:
            # A paused replay has nothing new to draw; its keys redraw as they act. Reaching
            # the end stops the clock, which must still reach the bar.
            return
        self.redraw()

    def redraw(self) -> None:
        self._drawn_playing = self.replay is not None and self.replay.clock.playing
        snapshot = self.source.timeline.snapshot(self.applied)
        if isinstance(self.source, LiveTrial):
            running_for = self.source.elapsed()
            if running_for is not None:
                snapshot = replace(snapshot, t=running_for)
        self.query_one(CountersBar).show(snapshot, self.source.header, self._file_status(snapshot))
        self.query_one(ReadChart).show(snapshot.chart)
        position = self.applied
        self.query_one(DelegationsPane).show(
            snapshot.delegations, lambda number: self.source.timeline.reread(number, position)
        )
        self.query_one(TurnLog).show(self.fold.turns)
        self.query_one(ToolTree).show(self.fold.tools)
        bar = self.query_one(ReplayBar)
        if self.replay is not None:
            turns = len(self.replay.clock.turn_starts)
            bar.show_replay(
                self.replay.clock, snapshot.lead_turn, turns, len(self.replay.index.problems)
            )
        elif isinstance(self.source, LiveTrial):
            bar.show_live(self.source.length, self.source.finished)

    def _file_status(self, snapshot: Snapshot) -> str | None:
        """What a replay is doing: a file is never "running"."""
        if self.source.live or snapshot.end is not None:
            return None
        timeline = self.source.timeline
        if snapshot.position >= timeline.length and not timeline.ended:
            return "incomplete"
        return "replaying"

    def seek(self, position: int) -> None:
        """Show the state after `position` events, folding only a window before it."""
        replay = self.replay
        if replay is not None:
            position = replay.clock.seek(position)
        starts = [p for p, _ in self.source.timeline.lead_turn_starts() if p < position]
        window_start = starts[-WINDOW_TURNS] if len(starts) >= WINDOW_TURNS else 0
        window_start = max(window_start, position - WINDOW_EVENTS)
        self.fold = PaneFold(self.source.timeline.lead_role)
        for index, event in self.source.read(window_start, position):
            self.fold.apply(index, event)
        self.applied = position
        self.query_one(TurnLog).reset()
        self.query_one(ToolTree).forget()
        self.redraw()

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_play(self) -> None:
        replay = self.replay
        if replay is not None:
            if replay.clock.position >= replay.clock.length:
                self.seek(0)
            replay.clock.playing = not replay.clock.playing
            self.redraw()

    def action_step(self, events: int) -> None:
        replay = self.replay
        if replay is not None:
            replay.clock.playing = False
            self._move(replay.clock.step(events))

    def action_turn(self, direction: int) -> None:
        replay = self.replay
        if replay is not None:
            replay.clock.playing = False
            clock = replay.clock
            self._move(clock.next_turn() if direction > 0 else clock.previous_turn())

    def action_start(self) -> None:
        if self.replay is not None:
            self.replay.clock.playing = False
            self.seek(0)

    def action_end(self) -> None:
        if self.replay is not None:
            self.replay.clock.playing = False
            self.seek(self.replay.length)

    def action_faster(self) -> None:
        if self.replay is not None:
            self.replay.clock.faster()
            self.redraw()

    def action_slower(self) -> None:
        if self.replay is not None:
            self.replay.clock.slower()
            self.redraw()

    def action_goto_turn(self) -> None:
        replay = self.replay
        if replay is None:
            return
        turns = len(replay.clock.turn_starts)

        def jump(turn: int | None) -> None:
            if turn is not None:
                replay.clock.playing = False
                self._move(replay.clock.jump_to_turn(turn))

        self.app.push_screen(GotoTurnScreen(turns), jump)

    def action_toggle_tools(self) -> None:
        tree = self.query_one(ToolTree)
        node = tree.cursor_node
        if node is not None:
            node.toggle()

    @on(ToolTree.NodeSelected)
    def _expand_selected(self, event: ToolTree.NodeSelected[str]) -> None:
        event.node.toggle()

    def _move(self, position: int) -> None:
        if position < self.applied:
            self.seek(position)
        else:
            for index, event in self.source.read(self.applied, position):
                self.fold.apply(index, event)
            self.applied = position
            self.redraw()
