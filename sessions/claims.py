"""Which trials of a batch directory some batch is running now: a claim file per trial.

Two batches started on one directory (two terminals, a batch and the app's batch screen, a
cron job that overlaps the last one) both planned every missing trial and ran each of them
twice; compare then pooled the copies as extra trials. A batch now claims each trial
before it starts it: the claim is a file made with O_EXCL, holding the claimer's host and
pid, and removed when the trial's session is finished. A claim whose process is gone
(kill -9, a crash) is taken over, after checking the trial did not finish meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sessions.store import finished_trials
from tasks.processes import process_alive

CLAIMS_DIR = ".fep-claims"


@dataclass
class TrialClaims:
    directory: Path
    # Claims held by other live batches, for the one line that says so.
    others: set[int] = field(default_factory=set)

    @property
    def _dir(self) -> Path:
        return self.directory / CLAIMS_DIR

    def claim(self, arm: str, task: str, seed: int) -> Callable[[], None] | None:
        """A release function if this batch may run the trial now; None if another live
        batch is running it or a finished session for it already exists."""
        self._dir.mkdir(exist_ok=True)
        path = self._dir / f"{arm}~{task}~{seed}".replace("/", "_")
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _owner(path)
                if owner is not None:
                    self.others.add(owner)
                    return None
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # its batch is gone: take it over
                continue
            with os.fdopen(fd, "w") as out:
                out.write(f"{socket.gethostname()} {os.getpid()}\n")
            if (arm, task, seed) in {(a, t, s) for a, t, s, _ in finished_trials(self.directory)}:
                path.unlink(missing_ok=True)
                return None

            def release() -> None:
                path.unlink(missing_ok=True)

            return release
        return None


def _owner(path: Path) -> int | None:
    """The pid of the live batch holding the claim; None when it is gone (or unreadable)."""
    try:
        host, pid_text = path.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if host != socket.gethostname():
        return pid  # another machine's: it cannot be checked, so it is respected
    return pid if process_alive(pid) else None
