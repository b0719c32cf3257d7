"""`fep-tui doctor`: is everything a live run needs there? One tiny request per model."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Annotated

from cyclopts import Parameter

from engine.arms import ArmSpec, resolve_arm
from engine.doctor import Check, run_checks, total_cost
from engine.pricing import RateCard, get_rate_card
from engine.trial import SIM_API_KEY
from fep_tui.commands.common import extra_arms, parse_list
from fep_tui.commands.options import (
    ArmsFile,
    Backend,
    PricesFile,
    RateCardName,
    UsageError,
    use_prices_file,
)
from fep_tui.stdout import Stdout
from sessions.prepare import live_checks
from tasks.sandbox import CONTAINMENT_WORDS, SandboxUnavailableError, resolve_containment


def doctor(
    *,
    arms: Annotated[str, Parameter(help="comma-separated arms whose models to check")] = "A,B",
    backend: Annotated[
        Backend, Parameter(help="live: the real APIs (billed, a fraction of a cent); sim")
    ] = "live",
    rate_card: RateCardName = "official",
    prices: PricesFile = None,
    arms_file: ArmsFile = None,
) -> int:
    """Check each model the arms use with one tiny request, and the agent's sandbox."""
    extra = extra_arms(arms_file)
    chosen = [resolve_arm(name, extra) for name in parse_list(arms, "--arms", "A,B")]
    use_prices_file(prices)
    checks = check_models(chosen, backend, get_rate_card(rate_card))
    failed = report(checks, backend)
    if failed is not None:
        raise UsageError(f"doctor: {failed.subject}: {failed.detail}")
    return 0


def check_models(arms: Sequence[ArmSpec], backend: Backend, card: RateCard) -> list[Check]:
    if backend == "live":
        return asyncio.run(live_checks(arms, card))
    from engine.sim import Scenario, SimulatorServer
    from tasks import get_task

    with SimulatorServer(Scenario.of(get_task("tiny"), 0)) as sim:
        return asyncio.run(run_checks(arms, card, sim.url, SIM_API_KEY, sim.url))


def report(checks: Sequence[Check], backend: Backend) -> Check | None:
    """Print every check and the sandbox; the first failure, if any."""
    out = Stdout(highlight=False, soft_wrap=True)
    label = "LIVE" if backend == "live" else "SIMULATED"
    for check in checks:
        mark = "[green]ok  [/]" if check.ok else "[red]FAIL[/]"
        cost = f", ${check.cost_usd:.6f}" if check.cost_usd else ""
        out.print(f"{mark} {check.subject}: {check.detail} ({check.seconds:.1f} s{cost})")
    try:
        shell = CONTAINMENT_WORDS[resolve_containment("auto")]
    except SandboxUnavailableError as exc:
        shell = str(exc)
    out.print(f"info agent's shell and judge: {shell}")
    out.print(f"{label} doctor: {len(checks)} model check(s), cost ${total_cost(checks):.6f}")
    sys.stdout.flush()
    return next((c for c in checks if not c.ok), None)
