"""The lead role's turns with their text streaming in, appended rather than redrawn."""

from __future__ import annotations

from textual.widgets import Log

from sessions.panes import TurnText


class TurnLog(Log):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, auto_scroll=True)
        self._turns = 0
        self._chars = 0

    def reset(self) -> None:
        self.clear()
        self._turns = 0
        self._chars = 0

    def show(self, turns: list[TurnText]) -> None:
        # Turns before the last written one are final; only the tail can still grow.
        if self._turns and self._turns <= len(turns):
            tail = turns[self._turns - 1].text[self._chars :]
            if tail:
                self.write(tail)
                self._chars += len(tail)
        for turn in turns[self._turns :]:
            self.write(
                ("\n" if self._turns else "") + f"── {turn.role} turn {turn.turn} ──\n" + turn.text
            )
            self._turns += 1
            self._chars = len(turn.text)
