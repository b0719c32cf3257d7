"""`fep-tui` (the app), `fep-tui run` (one trial) and `fep-tui replay` (a saved session)."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
from cyclopts import Parameter

from engine.arms import BUILTIN_ARMS
from engine.events import EventSink
from engine.pricing import get_rate_card
from engine.sim.script import ScriptPlan
from engine.trial import (
    BackendMode,
    TrialConfig,
    TrialOutcome,
    new_trial_id,
    run_trial,
)
from fep_tui.commands import terminal
from fep_tui.commands.common import (
    OtelEndpoint,
    arm_with,
    extra_arms,
    live_spans,
    stop_on_signals,
)
from fep_tui.commands.options import (
    ArmsFile,
    Backend,
    Flag,
    PricesFile,
    RateCardName,
    SandboxPolicy,
    SessionsDir,
    UsageError,
    use_prices_file,
)
from fep_tui.commands.prepare import check_trials, ready_tasks
from fep_tui.headless import OUTPUT_CLOSED, JsonLinesPrinter, TurnPrinter, UntilClosed
from fep_tui.stdout import Stdout
from sessions import SessionFileError, SessionWriter, resolve_sessions_dir
from sessions.index_cache import open_index
from sessions.store import SessionsDirError, sessions_dir_to_read
from tasks import TASK_IDS

if TYPE_CHECKING:
    from sessions.otel_export import LiveSpans

_ARMS = ", ".join(BUILTIN_ARMS)


def home(*, arms_file: ArmsFile = None, read_only: bool = False) -> int:
    """Open the app on the saved sessions (the default command). A directory this user
    cannot write opens read-only, as `read_only` asks: browsing, replay and compare work,
    and what would write there (new trials, deletes, imports, chart exports) is refused."""
    terminal.require("list the sessions with fep-tui sessions list")
    from fep_tui.app import FepApp

    why: str | None = "opened with --read-only" if read_only else None
    if read_only:
        directory = sessions_dir_to_read(None)
    else:
        try:
            directory = resolve_sessions_dir(None)
        except SessionsDirError:
            directory = sessions_dir_to_read(None)
            why = f"{directory} is not writable"
    FepApp(directory, extra_arms(arms_file), read_only=why).run()
    return 0


def run(
    *,
    arm: Annotated[
        str | None, Parameter(help=f"arm: {_ARMS}, or one from --arms-file (required)")
    ] = None,
    task: Annotated[str | None, Parameter(help=f"task: {', '.join(TASK_IDS)} (required)")] = None,
    backend: Annotated[
        Backend | None,
        Parameter(
            help="sim: the embedded simulator; live: real Anthropic/Ollama "
            "(default: sim unless ANTHROPIC_API_KEY is set)"
        ),
    ] = None,
    seed: Annotated[int, Parameter(help="simulator seed (0 or more; a batch runs 0..N-1)")] = 0,
    headless: Annotated[bool, Flag, Parameter(help="print progress instead of the app")] = False,
    json: Annotated[
        bool, Flag, Parameter(help="print one JSON object per event and a final summary")
    ] = False,
    rate_card: RateCardName = "official",
    prices: PricesFile = None,
    return_cap: Annotated[
        int | None,
        Parameter(
            help="cap on what the executor returns: characters for free-form returns, "
            "diff tokens for bounded ones (no effect on a solo arm)"
        ),
    ] = None,
    keep_workspace: Annotated[bool, Flag, Parameter(help="keep the trial's workspace")] = False,
    sandbox: SandboxPolicy = None,
    sim_fault: Annotated[
        list[str] | None,
        Parameter(
            negative="",
            help="schedule a simulator fault, KIND@API:ATTEMPT (repeatable), e.g. "
            "max_tokens_cut@anthropic:2; ATTEMPT counts that API's requests from 1",
        ),
    ] = None,
    list_sim_faults: Annotated[
        bool, Flag, Parameter(help="list the simulator's faults and exit")
    ] = False,
    script: Annotated[
        Path | None,
        Parameter(
            help="PLAN.json: the simulator plays your tool calls per role instead of its "
            'agent\'s, {"solo": [[{"name": "bash", "input": {"command": "ls"}}]]}'
        ),
    ] = None,
    num_ctx: Annotated[
        int | None,
        Parameter(
            help="context window for Ollama roles (default 65536; Ollama's own is 4096 "
            "on small GPUs)"
        ),
    ] = None,
    sessions_dir: SessionsDir = None,
    arms_file: ArmsFile = None,
    no_doctor: Annotated[
        bool, Flag, Parameter(help="with --backend live: skip fep-tui doctor before the trial")
    ] = False,
    otel_endpoint: OtelEndpoint = None,
) -> int:
    """Run one trial of an arm on a task."""
    from engine.sim.faults import FAULT_HELP, FaultSpecError, parse_fault

    if list_sim_faults:
        for kind, what in FAULT_HELP.items():
            print(f"{kind:<18} {what}")
        print("schedule one with --sim-fault KIND@API:ATTEMPT, e.g. max_tokens_cut@anthropic:2")
        return 0
    if not arm or not task:
        raise UsageError("run needs --arm and --task, e.g. fep-tui run --arm B --task tiny")
    if seed < 0:
        raise UsageError(f"--seed must be 0 or more, e.g. --seed 3; got {seed}")
    chosen: BackendMode = backend or ("live" if os.environ.get("ANTHROPIC_API_KEY") else "sim")
    try:
        faults = tuple(parse_fault(spec) for spec in sim_fault or ())
    except FaultSpecError as exc:
        raise UsageError(str(exc)) from None
    if faults and chosen != "sim":
        raise UsageError("--sim-fault schedules faults in the simulator; use it with --backend sim")
    plan = _plan(script, chosen)
    use_prices_file(prices)
    extra = extra_arms(arms_file)
    config = TrialConfig(
        arm=arm_with(arm, extra, return_cap, num_ctx),
        task_id=task,
        backend=chosen,
        seed=seed,
        rate_card=get_rate_card(rate_card),
        keep_workspace=keep_workspace,
        sandbox=sandbox,
        faults=faults,
        script=plan,
    )
    check_trials([config], doctor=not no_doctor)
    ready_tasks([config])
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    spans = live_spans(otel_endpoint)
    if spans is not None and not headless and not json and terminal.missing_terminal() is None:
        spans.close()
        raise UsageError("--otel-endpoint streams a headless run; add --headless")
    if not headless and not json:
        no_terminal = terminal.missing_terminal()
        if no_terminal is None:
            from fep_tui.app import APP_SIM_STREAM_DELAY_S, FepApp, StartLive

            paced = replace(config, sim_stream_delay_s=APP_SIM_STREAM_DELAY_S)
            FepApp(directory, extra, StartLive(paced)).run()
            return 0
        print(f"fep-tui: {no_terminal}, so the trial runs headless", file=sys.stderr)
    return _headless(config, directory, json, spans)


def _plan(script: Path | None, backend: BackendMode) -> ScriptPlan | None:
    from engine.sim.script import PlanError, load_plan

    if script is None:
        return None
    if backend != "sim":
        raise UsageError("--script plays a plan in the simulator; use it with --backend sim")
    try:
        return load_plan(script)
    except PlanError as exc:
        raise UsageError(str(exc)) from None


def _kept(writer: SessionWriter) -> str:
    """What became of a stopped trial's session. Stopped while it was preparing (a slow
    start, and the reader gone before the first event), it has none: the message named
    `None` as the file kept."""
    if writer.path is None:
        return "it had not started, so no session was written"
    return f"session kept as interrupted: {writer.path}"


def _headless(
    config: TrialConfig, directory: Path, as_json: bool, spans: LiveSpans | None = None
) -> int:
    writer = SessionWriter(directory)
    json_out = JsonLinesPrinter() if as_json else None
    printer = UntilClosed(json_out if json_out is not None else TurnPrinter())
    trial_id = new_trial_id(config.arm.name, config.task_id, config.seed)
    caught: list[signal.Signals] = []

    async def watched() -> TrialOutcome:
        sinks: list[EventSink] = [writer, printer, *([spans] if spans else [])]
        trial = asyncio.ensure_future(run_trial(config, sinks, trial_id))
        stop_on_signals(trial, caught)
        while not trial.done():
            await asyncio.wait({trial}, timeout=1.0)
            if printer.closed and not trial.done():
                # Like a process killed by SIGPIPE, but the session is ended properly.
                trial.cancel(OUTPUT_CLOSED)
            elif not trial.done():
                printer.tick()  # never silent for more than 5 s
        return trial.result()

    try:
        outcome = asyncio.run(watched())
    except KeyboardInterrupt:
        writer.close()
        print(f"fep-tui: interrupted; {_kept(writer)}", file=sys.stderr)
        return 130
    except asyncio.CancelledError:
        writer.close()
        if caught:
            print(f"fep-tui: stopped by {caught[0].name}; {_kept(writer)}", file=sys.stderr)
            return 128 + caught[0]
        print(f"fep-tui: trial stopped, {OUTPUT_CLOSED}; {_kept(writer)}", file=sys.stderr)
        return 128 + signal.SIGPIPE
    finally:
        writer.close()
        if spans is not None:
            spans.close()
    if json_out is not None:
        json_out.write(
            {
                "kind": "summary",
                "trial_id": outcome.trial_id,
                "simulated": config.backend == "sim",
                "status": outcome.status,
                "success": outcome.success,
                "judge": outcome.judge.to_dict() if outcome.judge else None,
                "roles": msgspec.to_builtins(outcome.roles),
                "total_cost_usd": round(outcome.total_cost_usd, 6),
                "session": str(writer.path),
            }
        )
    else:
        out = Stdout(highlight=False, soft_wrap=True)
        out.print(f"session saved: {writer.path}")
        # The next step, as a command to copy.
        out.print(f"open it: fep-tui replay {shlex.quote(str(writer.path))}")
    return 0 if outcome.status != "error" else 1


def replay(file: Path, /, *, sessions_dir: SessionsDir = None) -> int:
    """Open a saved session (.jsonl), or a Claude Code transcript, in the trial screen.

    Parameters
    ----------
    file
        a session file, or a Claude Code session's transcript (.jsonl)
    """
    from fep_tui.app import INDEX_IN_PLACE_BYTES, FepApp, StartReplay
    from fep_tui.commands.trace_files import other_trace_session, trace_session
    from sessions.analysis.claude_code.transcript import transcript_problem
    from sessions.header import parse_header
    from sessions.index_cache import SUFFIX as INDEX_SUFFIX
    from sessions.index_cache import is_index_file

    if is_index_file(file):
        session = file.with_name(file.name.removesuffix(INDEX_SUFFIX))
        raise SessionFileError(f"{file} is fep-tui's index of a session: replay {session}")
    if file.is_file() and transcript_problem(file) is None:
        file = trace_session(file)
    elif file.is_file() and file.suffix == ".jsonl":
        file = other_trace_session(file) or file
    if file.is_dir():
        raise SessionFileError(
            f"{file} is a directory; replay takes one session file (fep-tui alone browses them)"
        )
    # A bad file is a one-line error before the screen takes over. A small one is indexed
    # here (kept beside it, so the app reads that); a large one only has its header read,
    # and the app shows progress while it indexes.
    try:
        if file.stat().st_size <= INDEX_IN_PLACE_BYTES:
            open_index(file)
        else:
            with file.open("rb") as handle:
                parse_header(handle.readline(), file)
    except FileNotFoundError:
        raise SessionFileError(f"{file}: no such session file") from None
    # Replaying writes nothing there: a read-only directory is fine.
    directory = sessions_dir_to_read(str(sessions_dir) if sessions_dir else None)
    terminal.require("fep-tui whatif FILE prints a session's numbers without it")
    FepApp(directory, start=StartReplay(file)).run()
    return 0
