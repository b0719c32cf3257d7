"""The lead role's turns with their text streaming in, appended rather than redrawn.

Textual's Log does not wrap, so long lines ran off the pane at 80 columns. Text is wrapped
here as it arrives (at spaces where it can), and re-wrapped from the fold on a resize.
"""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Log

from sessions.panes import TurnText

# Until the pane is laid out its width is 0; wrap as a narrow pane would.
_FALLBACK_WIDTH = 40


class TurnLog(Log):
    # Log lays out the whole screen on every write, because a longer log changes its
    # scrollbar. At 30 frames a second that layout re-rendered every pane each frame (a
    # third of the screen's time in bench/live_stream.py). Here a write only repaints, and
    # the screen is laid out again only when the scrollbar appears, goes or the text widens.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        height = self.scrollable_content_region.height
        if old.width != new.width or (old.height > height) != (new.height > height):
            self.refresh(layout=True)
        elif self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = new.height

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, auto_scroll=True)
        self._turns = 0
        self._chars = 0
        self._attempt = 1
        self._column = 0
        self._width = 0
        self._shown: list[TurnText] = []
        # The first and last lines a write has changed; None outside a write.
        self._gathered: list[int] | None = None

    def reset(self) -> None:
        self.clear()
        self._turns = 0
        self._chars = 0
        self._attempt = 1
        self._column = 0

    def show(self, turns: list[TurnText]) -> None:
        self._shown = turns
        written = turns[self._turns - 1] if 0 < self._turns <= len(turns) else None
        if written is not None and written.attempt != self._attempt:
            # The turn's reply was cut and asked again: its text was replaced, not appended
            # to, so write it afresh (rare: a reset and one full write).
            self.reset()
        # One write per frame: each Log.write refreshes and scrolls, and a frame at 4,000
        # events a second brings several turns' worth of text.
        pieces: list[str] = []
        # Turns before the last written one are final; only the tail can still grow.
        if self._turns and self._turns <= len(turns):
            tail = turns[self._turns - 1].text[self._chars :]
            if tail:
                pieces.append(tail)
                self._chars += len(tail)
        for turn in turns[self._turns :]:
            pieces.append(
                ("\n" if self._turns else "") + f"── {turn.role} turn {turn.turn} ──\n" + turn.text
            )
            self._turns += 1
            self._chars = len(turn.text)
            self._attempt = turn.attempt
        if pieces:
            self._write_wrapped("".join(pieces))

    def on_resize(self, event: events.Resize) -> None:
        if self._wrap_width() != self._width and self._shown:
            self.reset()
            self.show(self._shown)

    def _wrap_width(self) -> int:
        # The columns left beside the scrollbar (two wide by default): wrapping at the
        # widget's width less one hid each line's last character under it.
        return max(10, self.scrollable_content_region.width or _FALLBACK_WIDTH)

    def _write_wrapped(self, text: str) -> None:
        width = self._width = self._wrap_width()
        out: list[str] = []
        for index, piece in enumerate(text.split("\n")):
            if index:
                out.append("\n")
                self._column = 0
            while self._column + len(piece) > width:
                room = width - self._column
                cut = piece.rfind(" ", 0, room + 1)
                if cut <= 0:
                    cut = room
                out.append(piece[:cut] + "\n")
                self._column = 0
                piece = piece[cut:].lstrip(" ")
            out.append(piece)
            self._column += len(piece)
        self._gathered = gathered = [self.line_count, -1]
        try:
            self.write("".join(out))
        finally:
            self._gathered = None
        if gathered[1] >= gathered[0]:
            super().refresh_lines(gathered[0], gathered[1] - gathered[0] + 1)

    def refresh_lines(self, y_start: int, line_count: int = 1) -> None:
        # Log.write refreshes each line it writes, one region at a time: a frame at 4,000
        # events a second writes about thirty. Within a write they are gathered into one.
        if self._gathered is None:
            super().refresh_lines(y_start, line_count)
        else:
            first, last = self._gathered
            self._gathered[:] = [min(first, y_start), max(last, y_start + line_count - 1)]
