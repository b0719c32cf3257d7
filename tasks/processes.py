"""Whether a process still runs: what tells a leftover of a killed fep-tui from live work."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True when `pid` runs (or exists and belongs to someone else)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
