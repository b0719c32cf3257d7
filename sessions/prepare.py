"""Every check before a trial starts, for every front end: the command line (`run`,
`batch`, `search`, commands/prepare.py) and the app's new-trial dialog ask these same
questions, so a trial the app starts is checked as one the command line starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.arms import ArmSpec
    from engine.doctor import Check
    from engine.pricing import RateCard
    from engine.trial import TrialConfig


async def check_trial(config: TrialConfig) -> None:
    """Its settings and what it reaches (the API key, Ollama's models). Raises
    TrialConfigError, PreflightError or LookupError, each naming the problem."""
    from engine.trial import check_config, preflight

    check_config(config)
    await preflight(config)


async def check_live_models(configs: Sequence[TrialConfig]) -> list[Check]:
    """For the live ones, one tiny billed request per model their arms use (the doctor,
    engine/doctor.py): a model that cannot answer is found for a fraction of a cent, not
    after the task is set up. None live: no request, no check."""
    live = [config for config in configs if config.backend == "live"]
    if not live:
        return []
    return await live_checks(tuple(dict.fromkeys(c.arm for c in live)), live[0].rate_card)


async def live_checks(arms: Sequence[ArmSpec], card: RateCard) -> list[Check]:
    """The doctor's requests to the real services (their keys and hosts from the
    environment), for `fep-tui doctor` and before a live trial."""
    from engine.doctor import run_checks
    from engine.trial import ollama_host

    return await run_checks(arms, card, None, None, ollama_host())


def first_failed(checks: Sequence[Check]) -> Check | None:
    return next((check for check in checks if not check.ok), None)


def containment_warning(config: TrialConfig) -> str | None:
    """What to tell the user before a live trial whose agent's shell cannot be contained
    (no bubblewrap here); None when it is, or when the trial is simulated."""
    from engine.trial import containment
    from tasks.sandbox import UNCONTAINED_WARNING

    if config.backend == "live" and containment(config) != "bubblewrap":
        return UNCONTAINED_WARNING
    return None
