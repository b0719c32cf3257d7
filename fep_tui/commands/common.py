"""Helpers several commands share: extra arms, an arm with its overrides, what-if terms."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from cyclopts import Parameter

from engine.arms import ArmSpec, load_arms_file, redefined_builtins, resolve_arm
from engine.pricing import get_rate_card
from fep_tui.commands.options import UsageError
from sessions.analysis.whatif import WhatIf

if TYPE_CHECKING:
    # Only the trial commands need the engine's trial module; compare, whatif and the
    # listings share these helpers and should not pay for its imports (SDK clients, httpx).
    from engine.runners import TrialRunner
    from sessions.otel_export import LiveSpans

ARMS_ENV = "FEP_ARMS_FILE"
OtelEndpoint = Annotated[
    str | None,
    Parameter(
        help="stream each trial's OpenTelemetry spans to this OTLP/HTTP endpoint as it runs, "
        "e.g. http://127.0.0.1:6006/v1/traces (pip install 'fep-tui[otel]')"
    ),
]


def warn(message: str) -> None:
    print(f"fep-tui: warning: {message}", file=sys.stderr)


def extra_arms(arms_file: Path | None) -> dict[str, ArmSpec]:
    chosen = arms_file or (Path(os.environ[ARMS_ENV]) if os.environ.get(ARMS_ENV) else None)
    if chosen is None:
        return {}
    arms = load_arms_file(chosen)
    for name in redefined_builtins(arms):
        warn(
            f"{chosen} redefines built-in arm {name}; its sessions are compared by their "
            "saved definition, apart from the built-in one"
        )
    return arms


def arm_with(
    name: str, extra: dict[str, ArmSpec], return_cap: int | None, num_ctx: int | None
) -> ArmSpec:
    """Arm `name` with the command line's overrides, each checked."""
    arm = resolve_arm(name, extra)
    if return_cap is not None:
        unit = (
            "tokens" if arm.executor and arm.executor.return_policy == "bounded" else "characters"
        )
        if return_cap <= 0:
            raise UsageError(f"--return-cap must be a positive number of {unit}")
        if arm.executor is None:
            warn(f"--return-cap has no effect on arm {arm.name}: it has no executor")
        arm = arm.with_return_cap(return_cap)
    if num_ctx is not None:
        if num_ctx < 1024:
            raise UsageError("--num-ctx must be at least 1024 tokens, e.g. 65536")
        arm = arm.with_num_ctx(num_ctx)
    return arm


def parse_list(text: str, option: str, example: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if not items:
        raise UsageError(f"{option} needs a comma-separated list, e.g. {example}")
    return items


@Parameter(name="*", group="What-if (re-simulate each session's turns under other terms)")
@dataclass
class WhatIfOptions:
    what_if_card: Annotated[
        str | None, Parameter(name="--what-if-card", help="rate card: official or published")
    ] = None
    no_cache: Annotated[
        bool,
        Parameter(
            name="--no-cache", negative="", show_default=False, help="as if prompt caching were off"
        ),
    ] = False
    cache_ttl: Annotated[
        Literal["5m", "1h"], Parameter(name="--cache-ttl", help="cache write lifetime")
    ] = "5m"
    cap_summaries: Annotated[
        int | None,
        Parameter(name="--cap-summaries", help="executor summaries capped at N tokens"),
    ] = None

    def build(self) -> WhatIf | None:
        """The terms, or None when they are the sessions' own."""
        if self.cap_summaries is not None and self.cap_summaries < 0:
            raise UsageError("--cap-summaries needs a number of tokens >= 0, e.g. 500")
        if self.what_if_card is not None:
            get_rate_card(self.what_if_card)  # an unknown card fails here, before any work
        whatif = WhatIf(self.what_if_card, not self.no_cache, self.cache_ttl, self.cap_summaries)
        return None if whatif == WhatIf() else whatif


def trial_runner(ray: bool | str | None) -> TrialRunner | None:
    """The runner `--ray` asks for, connected; None for this machine's own worker pool.
    Ray is imported here and only here, so a command without `--ray` never loads it."""
    if ray is None or ray is False:
        return None
    from engine.ray_runner import RayRunner, ray_address

    runner = RayRunner(ray_address(ray))
    runner.start()
    return runner


# What systemd, container stops, CI time-outs and `kill` send, and a closed terminal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def stop_on_signals(task: asyncio.Future[Any], caught: list[signal.Signals]) -> None:
    """On SIGTERM or SIGHUP, cancel `task` as Ctrl-C would, naming the signal: a running
    trial is then saved as interrupted (`stopped by SIGTERM`), not cut mid-file. Call it
    inside the running loop; the caller exits with 128 + the signal in `caught`."""
    loop = asyncio.get_running_loop()

    def stop(which: signal.Signals) -> None:
        from engine.trial import stop_all_trials

        if not caught:
            caught.append(which)
            stop_all_trials(f"stopped by {which.name}")
            task.cancel(f"stopped by {which.name}")

    for which in STOP_SIGNALS:
        loop.add_signal_handler(which, stop, which)


def live_spans(endpoint: str | None) -> LiveSpans | None:
    """The sink that streams a trial's spans to `--otel-endpoint`, checked to answer
    before any trial starts; None without the option."""
    if endpoint is None:
        return None
    from sessions.otel_export import LiveSpans, OtelExportError

    try:
        return LiveSpans(endpoint)
    except OtelExportError as exc:
        raise UsageError(str(exc)) from None


def session_files(given: Sequence[Path]) -> tuple[list[Path], bool]:
    """The session files named, and those in the directories named (whether any was one).
    A Claude Code transcript, or another agent's session a registered importer takes (a
    Codex rollout), is converted into the cache first, as replay takes it; an index beside
    a session (`X.jsonl.idx`, caught by a glob like `sessions/*`) is skipped. UsageError
    for a path that is not there, or when no file is left."""
    from fep_tui.commands.trace_files import other_trace_session, trace_session
    from sessions.analysis.claude_code.transcript import transcript_problem
    from sessions.format import SUFFIX
    from sessions.index_cache import is_index_file

    paths: list[Path] = []
    directories = False
    for path in given:
        if is_index_file(path):
            continue
        if path.is_dir():
            directories = True
            paths += sorted(p for p in path.glob(f"*{SUFFIX}") if not is_index_file(p))
        elif path.is_file() and transcript_problem(path) is None:
            paths.append(trace_session(path))
        elif path.exists():
            converted = other_trace_session(path) if path.is_file() else None
            paths.append(converted or path)
        else:
            raise UsageError(f"{path}: no such session file or directory")
    if not paths:
        raise UsageError(f"no session files in {', '.join(str(p) for p in given)}")
    return paths, directories


class ImportResult(Protocol):
    """One imported trace's outcome, whichever agent wrote it."""

    @property
    def status(self) -> str: ...

    @property
    def problem(self) -> str: ...


def say_imported(results: Sequence[ImportResult], statuses: Sequence[str], into: Path) -> None:
    """`2 imported, 1 unchanged into DIR`, then a line for each one with a problem."""
    from fep_tui.tables import console

    out = console()
    counts = {s: sum(1 for r in results if r.status == s) for s in statuses}
    said = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    out.print(f"{said} into {into}", markup=False)
    for result in results:
        if result.problem:
            out.print(f"{result.status}: {result.problem}", markup=False)
