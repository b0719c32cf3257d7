"""Whether the app may write to its sessions directory, and how it says when it may not.

A directory opened read-only (`fep-tui --read-only`, `fep-tui serve --read-only`, or one
this user cannot write) can still be browsed, replayed and compared; what would write
there, or beside it, is refused with one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.widget import Widget


@dataclass(frozen=True)
class WriteGuard:
    # Why nothing may be written (None: writing is allowed).
    why: str | None = None

    def refused(self, where: App[Any] | Widget, what: str) -> bool:
        """Whether `what` is refused; if it is, `where` says so in a notification."""
        if self.why is None:
            return False
        where.notify(f"read-only: {what} refused ({self.why})", severity="warning")
        return True
