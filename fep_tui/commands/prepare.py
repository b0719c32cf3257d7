"""Every check before a trial starts, for `run`, `batch` and `search` alike: its settings,
what it reaches, the live doctor, the containment warning and its task built once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fep_tui.commands.common import warn_if_uncontained
from fep_tui.commands.options import UsageError

if TYPE_CHECKING:
    from engine.trial import TrialConfig


def check_trials(configs: Sequence[TrialConfig], *, doctor: bool = True) -> None:
    """Every check before the first of these trials starts: each one's settings, what it
    reaches (the API key, Ollama's models) and, for a live run unless told not to, one tiny
    request per model (`fep-tui doctor`), so a model that cannot answer is found for a
    fraction of a cent, not after the setup. UsageError names the first problem."""
    from engine.trial import check_config, preflight

    for config in configs:
        check_config(config)
        asyncio.run(preflight(config))
    live = [config for config in configs if config.backend == "live"]
    if live and doctor:
        from fep_tui.commands.doctor import check_models, report

        arms = tuple(dict.fromkeys(config.arm for config in live))
        failed = report(check_models(arms, "live", live[0].rate_card), "live")
        if failed is not None:
            raise UsageError(
                f"doctor: {failed.subject}: {failed.detail} (fix it, or pass --no-doctor)"
            )


def ready_tasks(configs: Sequence[TrialConfig]) -> None:
    """Say if a live run's shell cannot be contained, then build each task the trials
    need (once: typer's environment), with progress on stderr."""
    from fep_tui.commands.tasks import provision_tasks

    warn_if_uncontained(configs[0])
    provision_tasks(dict.fromkeys(config.task_id for config in configs))
