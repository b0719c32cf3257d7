"""Run one trial: provision a fresh workspace, run the arm's lead role, judge, report.

Backends are the official SDK clients. With `backend="sim"` they point at an embedded
simulator started for this trial; with `backend="live"` at the real services
(ANTHROPIC_API_KEY, OLLAMA_HOST). Every step is an event on the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from engine.advisor_pairs import advisor_pair_problem
from engine.arms import ArmSpec, RoleSpec
from engine.backends import BackendError, ModelBackend
from engine.backends.base import FailedAttempt
from engine.bus import EventBus
from engine.delegation import DELEGATE_SPEC, DelegateTool
from engine.errors import FepError
from engine.events import (
    ApiRetry,
    EventSink,
    JudgeStarted,
    JudgeVerdict,
    RoleTotals,
    TrialEnded,
    TrialError,
    TrialStarted,
)
from engine.ledger import Ledger
from engine.loop import AgentOutcome, RoleRuntime, run_agent
from engine.preflight import check_ollama
from engine.pricing import OFFICIAL, RateCard, retirement
from engine.prompts import system_prompt
from engine.roles import EXECUTOR
from engine.sim import Fault, Scenario, SimulatorServer
from engine.sim.script import ScriptPlan
from engine.tokens import count_text
from engine.tools import Bash, StrReplaceEditor, Tool
from engine.version import ENGINE_VERSION
from tasks import JudgeResult, Task, get_task
from tasks.sandbox import (
    Containment,
    Sandbox,
    SandboxPolicy,
    SandboxUnavailableError,
    resolve_containment,
)
from tasks.workspace import fresh_workspace, remove_workspace

BackendMode = Literal["sim", "live"]
SIM_API_KEY = "sim-key-not-a-secret"
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


class TrialConfigError(FepError, ValueError):
    """A trial that cannot start as configured; the message says what to change."""


@dataclass(frozen=True)
class TrialConfig:
    arm: ArmSpec
    task_id: str
    backend: BackendMode = "sim"
    seed: int = 0
    rate_card: RateCard = OFFICIAL
    faults: tuple[Fault, ...] = ()
    streaming: bool = True
    sim_stream_delay_s: float = 0.0
    keep_workspace: bool = False
    # None: the arm's own policy (arms file), else auto.
    sandbox: SandboxPolicy | None = None
    # `--script PLAN.json`: the simulator plays these tool calls instead of its own agent's.
    script: ScriptPlan | None = None


@dataclass(frozen=True)
class TrialOutcome:
    trial_id: str
    status: str
    success: bool
    judge: JudgeResult | None
    roles: dict[str, RoleTotals]
    total_cost_usd: float
    turns: int
    wall_s: float
    workspace: Path | None = None
    reason: str = ""
    extras: dict[str, object] = field(default_factory=dict)


def new_trial_id(arm: str, task: str, seed: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{arm}-{task}-s{seed}-{secrets.token_hex(2)}"


def check_config(config: TrialConfig) -> Task:
    """Fail fast, before any workspace or server exists."""
    task = get_task(config.task_id)
    for spec in config.arm.roles().values():
        config.rate_card.price(spec.model, spec.provider)
    uses_anthropic = any(s.provider == "anthropic" for s in config.arm.roles().values())
    if config.backend == "live" and uses_anthropic and not os.environ.get("ANTHROPIC_API_KEY"):
        raise TrialConfigError(
            f"arm {config.arm.name} needs ANTHROPIC_API_KEY for --backend live; "
            "set it or use --backend sim"
        )
    if config.backend == "sim":
        from engine.sim.profiles import OLLAMA_MODELS

        for spec in config.arm.roles().values():
            if spec.provider == "ollama" and spec.model not in OLLAMA_MODELS:
                raise TrialConfigError(
                    f"arm {config.arm.name}: the simulator serves no local model "
                    f"{spec.model!r} (it has {', '.join(OLLAMA_MODELS)}); a model without a "
                    "claude- prefix is taken for one Ollama serves"
                )
    advisor = config.arm.advisor
    problem = advisor_pair_problem(config.arm.lead.model, advisor.model) if advisor else None
    if problem is not None:
        # A 400 on every call that carries the advisor tool: refused before any is made.
        raise TrialConfigError(f"arm {config.arm.name}: {problem}")
    if config.script is not None and config.backend != "sim":
        raise TrialConfigError("--script plays a plan in the simulator; use it with --backend sim")
    if config.backend == "live":
        for spec in config.arm.roles().values():
            retired = retirement(spec.model) if spec.provider == "anthropic" else None
            if retired is not None:
                raise TrialConfigError(f"arm {config.arm.name}: {retired}")
    containment(config)
    return task


def containment(config: TrialConfig) -> Containment:
    """How this trial's shell and judge will be contained; TrialConfigError when the
    policy asks for a sandbox this machine cannot give."""
    policy = config.sandbox or cast(SandboxPolicy | None, config.arm.sandbox) or "auto"
    try:
        return resolve_containment(policy)
    except SandboxUnavailableError as exc:
        raise TrialConfigError(str(exc)) from None


def ollama_host() -> str:
    return os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST


async def preflight(config: TrialConfig) -> None:
    """Live trials only: the simulator is ours and always ready. Callers run it once before
    launching (a batch checks once, not per trial); run_trial does not repeat it."""
    local = sorted({s.model for s in config.arm.roles().values() if s.provider == "ollama"})
    if config.backend == "live" and local:
        await check_ollama(ollama_host(), local)


async def run_trial(
    config: TrialConfig, sinks: Sequence[EventSink], trial_id: str | None = None
) -> TrialOutcome:
    task = check_config(config)
    trial_id = trial_id or new_trial_id(config.arm.name, task.id, config.seed)
    await asyncio.to_thread(_load_once, config)
    bus = EventBus(sinks)
    ledger = Ledger(card=config.rate_card)
    for role, spec in config.arm.roles().items():
        ledger.register(
            role, spec.model, spec.provider, config.rate_card.price(spec.model, spec.provider)
        )
    workspace = fresh_workspace(task.id)
    sandbox = Sandbox(
        workspace,
        containment(config),
        task.environment(workspace),
        read_only=task.read_only_paths(),
    )
    try:
        await asyncio.to_thread(task.prepare, workspace)
        scenario = Scenario.of(task, config.seed)
        if config.script is not None:
            scenario = dataclasses.replace(scenario, scripted=config.script.turn)
        with _endpoints(config, scenario, bus) as (anthropic_url, ollama_host):
            bus.emit(trial_start_event(bus.now(), trial_id, config, sandbox.containment))
            lead = _runtimes(task, config, sandbox, anthropic_url, ollama_host, bus, ledger)
            try:
                return await _drive(bus, ledger, config, task, trial_id, sandbox, lead)
            finally:
                for runtime in (lead, *lead.executors):
                    await runtime.backend.aclose()
    finally:
        sandbox.close()
        if not config.keep_workspace:
            remove_workspace(workspace)


async def _drive(
    bus: EventBus,
    ledger: Ledger,
    config: TrialConfig,
    task: Task,
    trial_id: str,
    sandbox: Sandbox,
    lead: RoleRuntime,
) -> TrialOutcome:
    workspace = sandbox.workspace
    status, reason = "completed", ""
    outcome: AgentOutcome | None = None
    try:
        outcome = await run_agent(lead, task.prompt, bus, ledger)
        if not outcome.completed:
            status, reason = outcome.stop, outcome.reason
    except BackendError as exc:
        status, reason = "error", str(exc)
        bus.emit(TrialError(bus.now(), str(exc), exc.role or lead.role, exc.turn, True))
    except asyncio.CancelledError as exc:
        _end(bus, ledger, "interrupted", False, _why(exc))
        raise
    except Exception as exc:
        # Anything unforeseen still ends the session with a reason, never mid-file.
        status, reason = "error", f"internal error: {type(exc).__name__}: {exc}"
        bus.emit(TrialError(bus.now(), reason, lead.role, lead.turns, True))
    bus.emit(JudgeStarted(bus.now()))
    try:
        judge = await asyncio.to_thread(task.judge, workspace, sandbox)
    except asyncio.CancelledError as exc:
        # The judge's thread cannot be cancelled: its commands are killed instead.
        sandbox.stop()
        _end(bus, ledger, "interrupted", False, f"{_why(exc)} while the judge ran")
        raise
    bus.emit(JudgeVerdict(bus.now(), judge.passed, judge.to_dict(), judge.one_line()))
    end = _end(bus, ledger, status, judge.passed and status != "error", reason)
    return TrialOutcome(
        trial_id,
        status,
        end.success,
        judge,
        ledger.totals(),
        ledger.total_cost_usd,
        end.turns,
        end.wall_s,
        workspace if config.keep_workspace else None,
        reason,
    )


# Why this process is stopping every trial it runs (a SIGTERM, say), for trials whose
# cancellation arrives without its message: asyncio.wait_for in Python 3.11 re-raises a
# bare CancelledError, so a trial inside a bash call said "cancelled by the user".
_stopping: str | None = None


def stop_all_trials(reason: str) -> None:
    """Record why every trial of this process is being stopped; the caller cancels them."""
    global _stopping
    _stopping = reason


def _why(cancelled: asyncio.CancelledError) -> str:
    # A caller may say why it stopped the trial: `task.cancel("its output was closed")`.
    if cancelled.args:
        return str(cancelled.args[0])
    return _stopping or "cancelled by the user"


def _end(bus: EventBus, ledger: Ledger, status: str, success: bool, reason: str) -> TrialEnded:
    turns = sum(t.turns for t in ledger.roles.values())
    event = TrialEnded(
        bus.now(),
        status,
        success,
        turns,
        bus.now(),
        ledger.totals(),
        round(ledger.total_cost_usd, 6),
        reason,
    )
    bus.emit(event)
    return event


def trial_start_event(
    t: float, trial_id: str, config: TrialConfig, contained: Containment | None = None
) -> TrialStarted:
    """The event a trial opens with: the one description of its configuration, from which
    every session header is made (a screen showing a trial about to start uses it too)."""
    roles = config.arm.roles()
    return TrialStarted(
        t,
        trial_id,
        config.arm.name,
        config.arm.to_dict(),
        config.task_id,
        {role: spec.model for role, spec in roles.items()},
        {role: spec.provider for role, spec in roles.items()},
        config.backend,
        config.backend == "sim",
        config.rate_card.pinned((s.model, s.provider) for s in roles.values()).to_dict(),
        config.seed,
        ENGINE_VERSION,
        datetime.now(UTC).isoformat(timespec="seconds"),
        get_task(config.task_id).version,
        contained or containment(config),
    )


@contextlib.contextmanager
def _endpoints(
    config: TrialConfig, scenario: Scenario, bus: EventBus
) -> Iterator[tuple[str | None, str]]:
    if config.backend == "live":
        yield None, ollama_host()
        return
    with SimulatorServer(scenario, config.faults, config.sim_stream_delay_s) as sim:
        bus.exclude(lambda: sim.paced_s)
        yield sim.url, sim.url


def _load_once(config: TrialConfig) -> None:
    """Import the SDK backends the arm uses and load the token encoding before the trial's
    clock starts. A fresh process spends about 1.2 s importing the anthropic SDK alone:
    the process's cost, not the trial's. Counted in it, a headless run (a new process each
    time) recorded 10-15% more wall time than the same trial in a warm app."""
    providers = {spec.provider for spec in config.arm.roles().values()}
    if "anthropic" in providers:
        importlib.import_module("engine.backends.anthropic_backend")
    if "ollama" in providers:
        importlib.import_module("engine.backends.ollama_backend")
        importlib.import_module("ollama")
    count_text("")


def _backend(
    spec: RoleSpec, config: TrialConfig, anthropic_url: str | None, ollama_host: str
) -> ModelBackend:
    # Imported here: see engine/backends/__init__.py on import cost.
    if spec.provider == "ollama":
        from engine.backends.ollama_backend import OllamaBackend, ollama_client

        return OllamaBackend(ollama_client(ollama_host), ollama_host)
    from engine.backends.anthropic_backend import AnthropicBackend, RetryRecorder, make_client

    recorder = RetryRecorder()
    client = make_client(anthropic_url, SIM_API_KEY if anthropic_url else None, recorder)
    advisor = (
        config.arm.advisor.model
        if config.arm.advisor is not None and spec is config.arm.lead
        else None
    )
    backend = AnthropicBackend(client, streaming=config.streaming, advisor_model=advisor)
    backend.retries = recorder
    return backend


def _status_line(task: Task, sandbox: Sandbox) -> Callable[[], Awaitable[str]]:
    async def status() -> str:
        return (await asyncio.to_thread(task.judge, sandbox.workspace, sandbox)).one_line()

    return status


def _runtimes(
    task: Task,
    config: TrialConfig,
    sandbox: Sandbox,
    anthropic_url: str | None,
    ollama_host: str,
    bus: EventBus,
    ledger: Ledger,
) -> RoleRuntime:
    arm = config.arm
    workspace = sandbox.workspace

    async def harness() -> JudgeResult:
        return await asyncio.to_thread(task.judge, workspace, sandbox)

    def workspace_tools() -> dict[str, Tool]:
        bash = Bash(workspace, task.command_timeout_s, sandbox=sandbox, harness=harness)
        editor = StrReplaceEditor(workspace, sandbox.owner)
        return {"str_replace_editor": editor, "bash": bash}

    lead = RoleRuntime(
        arm.lead_role,
        arm.lead,
        _backend(arm.lead, config, anthropic_url, ollama_host),
        system_prompt(arm.lead_role),
        workspace_tools(),
        server_tools=(arm.advisor.tool(),) if arm.advisor is not None else (),
    )
    _report_retries(lead, bus)
    executors = [
        RoleRuntime(
            role,
            spec,
            _backend(spec, config, anthropic_url, ollama_host),
            system_prompt(EXECUTOR),
            workspace_tools(),
        )
        for role, spec in arm.executors().items()
    ]
    if executors:
        lead.tools = {
            **lead.tools,
            DELEGATE_SPEC.name: DelegateTool(
                lead, executors, bus, ledger, workspace, _status_line(task, sandbox)
            ),
        }
        lead.executors = tuple(executors)
        for executor in executors:
            _report_retries(executor, bus)
    return lead


def _report_retries(runtime: RoleRuntime, bus: EventBus) -> None:
    recorder = getattr(runtime.backend, "retries", None)
    if recorder is None:
        return

    def emit(failed: FailedAttempt) -> None:
        bus.emit(
            ApiRetry(
                bus.now(),
                runtime.role,
                runtime.turns,
                runtime.backend.provider,
                failed.status,
                failed.attempt,
                failed.will_retry,
                failed.retry_after_s,
                failed.message,
            )
        )

    recorder.sink = emit
