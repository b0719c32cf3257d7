"""The trials this app has started, alone or in batches, and the thread they run on.

Screens are given this object rather than reaching into the app: home lists these trials as
running and opens them live, and quitting asks first while any of them runs.
"""

from __future__ import annotations

from pathlib import Path

from fep_tui.engine_thread import EngineThread
from fep_tui.sources import LiveTrial


class RunningTrials:
    def __init__(self) -> None:
        self.engine = EngineThread()
        self._trials: list[LiveTrial] = []

    def add(self, trial: LiveTrial) -> None:
        self._trials.append(trial)

    @property
    def trials(self) -> list[LiveTrial]:
        """Every trial started here, finished or not, oldest first."""
        return list(self._trials)

    def running(self) -> list[LiveTrial]:
        return [t for t in self._trials if not t.finished]

    def by_path(self, path: Path) -> LiveTrial | None:
        """The trial writing `path`, while it runs."""
        for trial in self.running():
            if trial.path == path:
                return trial
        return None

    def shutdown(self) -> bool:
        """Stop every running trial; each saves `interrupted` and closes its file. False
        when some had not done so in time."""
        return self.engine.shutdown()
