"""The command line's side of the checks before a trial (sessions/prepare.py asks them,
for the app too): `run`, `batch` and `search` stop at the first problem with one line,
print the doctor's checks, warn of an uncontained shell and build each task once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fep_tui.commands.common import warn
from fep_tui.commands.options import UsageError
from sessions.prepare import check_live_models, check_trial, containment_warning

if TYPE_CHECKING:
    from engine.trial import TrialConfig


def check_trials(configs: Sequence[TrialConfig], *, doctor: bool = True) -> None:
    """Every check before the first of these trials starts: each one's settings and what
    it reaches and, for a live run unless told not to, the doctor. UsageError names the
    first problem."""
    for config in configs:
        asyncio.run(check_trial(config))
    if doctor and any(config.backend == "live" for config in configs):
        from fep_tui.commands.doctor import report

        failed = report(asyncio.run(check_live_models(configs)), "live")
        if failed is not None:
            raise UsageError(
                f"doctor: {failed.subject}: {failed.detail} (fix it, or pass --no-doctor)"
            )


def ready_tasks(configs: Sequence[TrialConfig]) -> None:
    """Say if a live run's shell cannot be contained, then build each task the trials
    need (once: typer's environment), with progress on stderr."""
    from fep_tui.commands.tasks import provision_tasks

    warning = containment_warning(configs[0])
    if warning is not None:
        warn(warning)
    provision_tasks(dict.fromkeys(config.task_id for config in configs))
