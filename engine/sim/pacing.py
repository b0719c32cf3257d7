"""Whether the simulator paces its streams for a person watching (the app), or runs at full
speed. One switch for the process: the app's `p` turns it off for every simulated trial it
runs, and on again. The headless and batch commands never pace."""

from __future__ import annotations

import threading

_unpaced = threading.Event()


def set_paced(paced: bool) -> None:
    if paced:
        _unpaced.clear()
    else:
        _unpaced.set()


def paced() -> bool:
    return not _unpaced.is_set()
