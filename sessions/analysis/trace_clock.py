"""Trial time for an imported trace: seconds since its first timestamped line."""

from __future__ import annotations

from datetime import datetime


class TraceClock:
    def __init__(self) -> None:
        self.start: datetime | None = None
        self.started_at = ""

    def t(self, timestamp: str | None) -> float | None:
        """Seconds since the first timestamp seen (which starts the clock); None for a line
        with no timestamp or one that does not parse."""
        if not timestamp:
            return None
        try:
            when = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            return None
        if self.start is None:
            self.start, self.started_at = when, when.isoformat()
        return max(0.0, (when - self.start).total_seconds())
