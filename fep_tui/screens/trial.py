"""The trial screen: one screen, fed live by a running trial or by a session file on a clock.

Updates are coalesced: a timer drains whatever events arrived since the last frame (live)
or whatever the replay clock passed over, applies them to the pane fold, and redraws the
counters and chart from one Timeline snapshot. Seeking rebuilds the panes from a bounded
window of events before the new position; it never re-reads the file from the start.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from fep_tui import keys
from fep_tui.screens.goto_turn import GotoTurnScreen
from fep_tui.sources import TrialSource
from fep_tui.widgets.counters import CountersBar
from fep_tui.widgets.delegations import DelegationsPane
from fep_tui.widgets.key_bar import KeyBar
from fep_tui.widgets.read_chart import ReadChart
from fep_tui.widgets.replay_bar import ReplayBar
from fep_tui.widgets.titled import titled
from fep_tui.widgets.tool_tree import ToolTree
from fep_tui.widgets.transcript import TurnLog
from sessions.panes import PaneFold
from sessions.timeline import Snapshot

# 30 frames a second: the screen trails a fast stream by a frame plus its drawing, and at
# 20 the loaded p99 sat at the 100 ms target (bench/live_stream.py). A frame with no new
# event redraws only the counters' clock.
FRAME_S = 1 / 30
WINDOW_TURNS = 3
WINDOW_EVENTS = 1200


class TrialScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.TRIAL
    # The screen draws nothing itself: its watchers update the panes, which repaint what
    # changed. A reactive's default repaint redrew the whole screen, every pane included,
    # on each frame of a live stream (a full update, 27 ms, where the changed panes took
    # about half that: bench/live_stream.py).
    #
    # What is shown: the state after this many events, folded into `fold`. Every change
    # redraws, and so does setting it again (a seek that lands where it was rebuilds the
    # panes, which must be drawn).
    position: reactive[int] = reactive(0, init=False, always_update=True, repaint=False)
    # Whether the replay plays. The clock keeps time and stops itself at the end; the
    # frame timer copies that here, so the bar shows it at once.
    playing: reactive[bool] = reactive(False, init=False, repaint=False)
    # The title line; a trial running here says so until it ends.
    heading: reactive[str] = reactive("", init=False, repaint=False)

    def __init__(self, source: TrialSource) -> None:
        super().__init__()
        self.source = source
        self.fold = PaneFold(source.timeline.lead_role)
        self._last_tick = time.monotonic()
        self._epoch = source.epoch

    def compose(self) -> ComposeResult:
        yield Static(id="trial-title")
        yield CountersBar(id="counters")
        with Horizontal(id="trial-body"):
            with Vertical(id="trial-left"):
                yield titled(TurnLog(id="turns"), "turns")
                yield titled(ToolTree(id="tools"), "tool calls (enter expands)")
            with Vertical(id="trial-right"):
                yield titled(DelegationsPane(id="delegations"), "delegations → summaries")
                yield titled(ReadChart(id="chart"), "cumulative re-read context")
        yield ReplayBar(id="replay-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.set_class(not self.source.header.delegates, "solo")
        if self.source.clock.can_seek:
            self.seek(self.source.length)
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
        return self.source.clock.can_seek or action not in replay_only

    # -- drawing -------------------------------------------------------------------------

    def frame(self) -> None:
        if not self.app.is_running:
            # The app is ending: Textual closes screens left running (a trial kept while
            # the user is on home) in no set order, and this timer can fire after the
            # screen's widgets are gone. Seen once in CI as a traceback on exit.
            return
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        clock = self.source.clock
        target = clock.tick(elapsed)
        self.playing = clock.playing
        # A trial can end, or its header arrive, without a move.
        self.heading = self.source.title
        if self.source.epoch != self._epoch:
            # Events already folded changed: fold again from a window behind the newest.
            self._epoch = self.source.epoch
            self.seek(target)
            self.redraw()
        elif target != self.position:
            self._move(target)
        elif self._draw_bar() or self.source.elapsed() is not None:
            # A running trial's elapsed seconds move on during long tool calls; a trial can
            # also end, or stop preparing, without an event.
            self._draw_counters()

    def watch_position(self) -> None:
        self.redraw()

    def watch_playing(self, playing: bool) -> None:
        self.source.clock.playing = playing
        # Only the bar says whether it plays: a step key that pauses and then moves would
        # otherwise draw every pane twice.
        self._draw_bar()

    def redraw(self) -> None:
        source = self.source
        snapshot = self._draw_counters()
        self.query_one(ReadChart).show(snapshot.chart)
        position = self.position
        self.query_one(DelegationsPane).show(
            snapshot.delegations,
            lambda number: source.timeline.reread(number, position),
            not source.header.lead_unpriced,
        )
        self.query_one(TurnLog).show(self.fold.turns)
        self.query_one(ToolTree).show(self.fold.tools)
        self._draw_bar()

    def _draw_counters(self) -> Snapshot:
        source = self.source
        snapshot = source.timeline.snapshot(self.position)
        running_for = source.elapsed()
        if running_for is not None:
            snapshot = replace(snapshot, t=running_for)
        self.query_one(CountersBar).show(snapshot, source.header, source.status(snapshot))
        return snapshot

    def watch_heading(self, heading: str) -> None:
        self.query_one("#trial-title", Static).update(heading)

    def _draw_bar(self) -> bool:
        """Whether the bar's text changed."""
        text = self.source.describe(self.source.timeline.lead_turn_at(self.position))
        bar = self.query_one(ReplayBar)
        if bar.text.plain == text:
            return False
        bar.set_text(text)
        return True

    def seek(self, position: int) -> None:
        """Show the state after `position` events, folding only a window before it."""
        position = self.source.clock.seek(position)
        starts = [p for p, _ in self.source.timeline.lead_turn_starts() if p < position]
        window_start = starts[-WINDOW_TURNS] if len(starts) >= WINDOW_TURNS else 0
        window_start = max(window_start, position - WINDOW_EVENTS)
        self.fold = PaneFold(self.source.timeline.lead_role)
        for index, event in self.source.read(window_start, position):
            self.fold.apply(index, event)
        self.query_one(TurnLog).reset()
        self.query_one(ToolTree).forget()
        self.position = position

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_play(self) -> None:
        if self.source.clock.position >= self.source.length:
            self.seek(0)
        self.playing = not self.playing

    def action_step(self, events: int) -> None:
        self.playing = False
        clock = self.source.clock
        self._move(clock.seek(clock.position + events))

    def action_turn(self, direction: int) -> None:
        self.playing = False
        clock = self.source.clock
        self._move(clock.next_turn() if direction > 0 else clock.previous_turn())

    def action_start(self) -> None:
        self.playing = False
        self.seek(0)

    def action_end(self) -> None:
        self.playing = False
        self.seek(self.source.length)

    def action_faster(self) -> None:
        self.source.clock.faster()
        self._draw_bar()

    def action_slower(self) -> None:
        self.source.clock.slower()
        self._draw_bar()

    def action_goto_turn(self) -> None:
        clock = self.source.clock

        def jump(turn: int | None) -> None:
            if turn is not None:
                self.playing = False
                self._move(clock.jump_to_turn(turn))

        self.app.push_screen(GotoTurnScreen(self.source.turns), jump)

    def action_toggle_pacing(self) -> None:
        """A simulated trial streams slowly enough to watch; `p` runs it at full speed."""
        from engine.sim.pacing import paced, set_paced

        set_paced(not paced())
        self.notify(
            "simulated trials stream at full speed" if not paced() else "paced for watching"
        )
        self._draw_bar()

    def action_items(self) -> None:
        """A Claude Code session's context item by item, read from its transcript."""
        trace = self.source.header.trace
        if trace is None or trace.tool != "claude-code":
            self.notify(
                "item by item pricing is for Claude Code sessions so far (t on home); "
                "this session's re-reads are split by source in the chart",
                timeout=6,
            )
            return
        from fep_tui.screens.context_items import ContextItemsScreen

        self.app.push_screen(ContextItemsScreen(Path(trace.path)))

    def action_toggle_tools(self) -> None:
        tree = self.query_one(ToolTree)
        if tree.cursor_node is None and tree.root.children:
            # The pane never had focus, so it has no cursor: `t` did nothing. The newest
            # call is the one being watched.
            tree.cursor_line = tree.last_line
        node = tree.cursor_node
        if node is not None:
            node.toggle()

    def _move(self, position: int) -> None:
        """Show `position`: folding the events passed over, or from a window behind it."""
        if position < self.position or position - self.position > WINDOW_EVENTS:
            # Back, or far ahead: a live trial opened from home after 25,000 events folded
            # them all and wrote every turn's text, 0.4 s before its first frame.
            self.seek(position)
        else:
            for index, event in self.source.read(self.position, position):
                self.fold.apply(index, event)
            self.position = position
