"""The `fep-tui` command line.

Bad input never ends in a traceback: each known problem is one line on stderr naming the
problem and the fix, with exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from engine.arms import (
    ArmFileError,
    ArmSpec,
    UnknownArmError,
    load_arms_file,
    redefined_builtins,
    resolve_arm,
)
from engine.events import EventSink
from engine.preflight import PreflightError
from engine.pricing import RATE_CARDS, UnknownRateCardError, UnpricedModelError, get_rate_card
from engine.trial import (
    BackendMode,
    TrialConfig,
    TrialConfigError,
    check_config,
    containment,
    new_trial_id,
    preflight,
    run_trial,
)
from fep_tui.headless import JsonLinesPrinter, TurnPrinter
from fep_tui.tasks_cli import provision_tasks, run_tasks_command
from sessions import (
    SessionFileError,
    SessionsDirError,
    SessionWriter,
    list_sessions,
    resolve_sessions_dir,
)
from sessions.analysis.comparison import ImportFormatError, TrialRows
from sessions.analysis.whatif import WhatIf
from sessions.index_cache import open_index
from tasks import TASK_IDS, UnknownTaskError, get_task
from tasks.sandbox import (
    CONTAINMENT_WORDS,
    POLICIES,
    UNCONTAINED_WARNING,
    Sandbox,
    SandboxUnavailableError,
    resolve_containment,
)
from tasks.typer_base.provision import ProvisionError
from tasks.workspace import fresh_workspace, remove_workspace

EXIT_BAD_INPUT = 2
ARMS_ENV = "FEP_ARMS_FILE"
_KNOWN_ERRORS = (
    UnknownArmError,
    UnknownTaskError,
    ArmFileError,
    UnknownRateCardError,
    UnpricedModelError,
    TrialConfigError,
    SessionsDirError,
    SessionFileError,
    PreflightError,
    ImportFormatError,
    ProvisionError,
)


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fep-tui",
        description="Watch, replay and compare multi-model coding-agent trials.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run one trial of an arm on a task")
    run.add_argument("--arm", help="arm name: A, B, C, D or one from --arms-file (required)")
    run.add_argument("--task", help=f"task id ({', '.join(TASK_IDS)}) (required)")
    run.add_argument(
        "--backend",
        choices=("sim", "live"),
        default=None,
        help="sim: the embedded simulator; live: real Anthropic/Ollama "
        "(default: sim unless ANTHROPIC_API_KEY is set)",
    )
    run.add_argument("--seed", type=int, default=0, help="simulator seed (default 0)")
    run.add_argument(
        "--headless", action="store_true", help="print progress instead of opening the app"
    )
    run.add_argument(
        "--json", action="store_true", help="print one JSON object per event and a final summary"
    )
    run.add_argument(
        "--rate-card", default="official", help=f"price with this card ({', '.join(RATE_CARDS)})"
    )
    run.add_argument(
        "--return-cap",
        type=int,
        default=None,
        metavar="CHARS",
        help="executor-return cap in characters",
    )
    run.add_argument(
        "--keep-workspace", action="store_true", help="keep the trial's workspace copy"
    )
    _sandbox_option(run)
    run.add_argument(
        "--sim-fault",
        action="append",
        default=[],
        metavar="KIND@API:ATTEMPT",
        help="schedule a simulator fault (repeatable), e.g. max_tokens_cut@anthropic:2; "
        "ATTEMPT counts that API's requests from 1",
    )
    run.add_argument(
        "--list-sim-faults", action="store_true", help="list the simulator's faults and exit"
    )
    run.add_argument(
        "--num-ctx",
        type=int,
        default=None,
        metavar="TOKENS",
        help="context window for Ollama roles (default 32768; Ollama's own is 4096 on small GPUs)",
    )
    _common(run)

    replay = sub.add_parser("replay", help="open a saved session in the trial screen")
    replay.add_argument("file", help="a session file (.jsonl)")
    _common(replay, arms=False)

    batch = sub.add_parser("batch", help="run arms x tasks x trials; re-running resumes")
    batch.add_argument("--arms", required=True, help="comma-separated arms, e.g. A,B,C,D")
    batch.add_argument("--tasks", required=True, help="comma-separated task ids")
    batch.add_argument(
        "--trials", type=int, required=True, help="trials per arm and task (seeds 0..N-1)"
    )
    batch.add_argument("--workers", type=int, default=2, help="trials run at once (default 2)")
    batch.add_argument(
        "--until-successes",
        type=int,
        default=None,
        metavar="N",
        help="stop a cell once it has N successes (--trials is then the most)",
    )
    batch.add_argument("--backend", choices=("sim", "live"), default="sim")
    batch.add_argument("--rate-card", default="official")
    batch.add_argument("--app", action="store_true", help="run the batch in the app's batch screen")
    _sandbox_option(batch)
    _common(batch)

    compare = sub.add_parser("compare", help="compare arms across saved sessions (headless)")
    compare.add_argument("dirs", nargs="+", help="directories of session files")
    compare.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="FILE",
        help="published per-trial results (.jsonl or .csv) to compare beside the sessions",
    )
    compare.add_argument("--baseline", default="A", help="arm for the re-read ratio (default A)")
    compare.add_argument("--format", choices=("table", "csv", "markdown", "json"), default="table")
    compare.add_argument(
        "--export-charts",
        metavar="DIR",
        help="also write each task's Pareto and re-read growth charts to DIR as SVG and PNG",
    )
    compare.add_argument(
        "--app", action="store_true", help="open the comparison in the app instead of printing"
    )
    _whatif_options(compare)

    whatif = sub.add_parser(
        "whatif", help="re-price saved sessions under other terms (card, caching, summary cap)"
    )
    whatif.add_argument("sessions", nargs="+", help="session files (.jsonl)")
    _whatif_options(whatif)

    tasks = sub.add_parser("tasks", help="the task catalog")
    tasks_sub = tasks.add_subparsers(dest="tasks_command", metavar="SUBCOMMAND")
    tasks_sub.add_parser("list", help="list the tasks and whether each is ready to run")
    check = tasks_sub.add_parser(
        "check", help="provision a task and prove it: base green, start red, fixes green"
    )
    check.add_argument("task", help=f"task id ({', '.join(TASK_IDS)})")
    check.add_argument("--json", action="store_true", help="print the three judge results as JSON")

    sandbox = sub.add_parser("sandbox", help="run a command as the agent's shell would")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION")
    sandbox_run = sandbox_sub.add_parser(
        "run",
        help="run CMD in a fresh workspace of a task, with the agent's environment, sandbox "
        "and limits",
        description="Runs CMD exactly as the agent's bash tool would: same environment, same "
        "sandbox, same limits, in a fresh workspace of the task. Put -- before CMD.",
    )
    sandbox_run.add_argument("--task", default="tiny", help="task whose workspace to use")
    _sandbox_option(sandbox_run)
    sandbox_run.add_argument("cmd", nargs=argparse.REMAINDER, help="the command, after --")

    sessions = sub.add_parser("sessions", help="saved sessions")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", metavar="ACTION")
    listing = sessions_sub.add_parser("list", help="list saved sessions")
    listing.add_argument("--json", action="store_true", help="one JSON object per session")
    _common(listing, arms=False)
    return parser


def _common(parser: argparse.ArgumentParser, *, arms: bool = True) -> None:
    parser.add_argument(
        "--sessions-dir",
        default=None,
        help="where session files go (default: $FEP_SESSIONS_DIR or the user data dir)",
    )
    if arms:
        parser.add_argument(
            "--arms-file", default=None, help=f"TOML file with extra arms (default: ${ARMS_ENV})"
        )


def _sandbox_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        choices=POLICIES,
        default=None,
        help="contain the agent's shell and the judge: auto (bubblewrap where it works, else "
        "a clean environment and a warning; the default, unless the arm sets `sandbox`), "
        "required (refuse without bubblewrap), off",
    )


def _whatif_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "what-if", "re-simulate each session's turns through the cache model under other terms"
    )
    group.add_argument(
        "--what-if-card", metavar="CARD", help=f"rate card ({', '.join(RATE_CARDS)})"
    )
    group.add_argument("--no-cache", action="store_true", help="as if prompt caching were off")
    group.add_argument(
        "--cache-ttl", choices=("5m", "1h"), default="5m", help="cache write lifetime"
    )
    group.add_argument(
        "--cap-summaries", type=int, metavar="N", help="executor summaries capped at N tokens"
    )


def _whatif(args: argparse.Namespace) -> WhatIf | None:
    if args.cap_summaries is not None and args.cap_summaries < 0:
        raise UsageError("--cap-summaries needs a number of tokens >= 0, e.g. 500")
    if args.what_if_card is not None:
        get_rate_card(args.what_if_card)  # an unknown card fails here, before any work
    whatif = WhatIf(args.what_if_card, not args.no_cache, args.cache_ttl, args.cap_summaries)
    return None if whatif == WhatIf() else whatif


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return _app(args)
        if args.command == "run":
            return _run(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "whatif":
            return _reprice(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "tasks" and args.tasks_command is not None:
            return _tasks(args)
        if args.command == "tasks":
            parser.parse_args(["tasks", "--help"])
        if args.command == "sandbox" and args.sandbox_command == "run":
            return _sandbox_run(args)
        if args.command == "sandbox":
            parser.parse_args(["sandbox", "--help"])
        if args.command == "sessions" and args.sessions_command == "list":
            return _sessions_list(args)
        if args.command == "sessions":
            parser.parse_args(["sessions", "--help"])
        parser.print_help()
        return 0
    except _KNOWN_ERRORS as exc:
        return _fail(str(exc))
    except UsageError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error. Silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _tasks(args: argparse.Namespace) -> int:
    return run_tasks_command(
        args.tasks_command,
        getattr(args, "task", None),
        args.json if args.tasks_command == "check" else False,
    )


def _fail(message: str) -> int:
    print(f"fep-tui: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _extra_arms(args: argparse.Namespace) -> dict[str, ArmSpec]:
    arms_file = getattr(args, "arms_file", None) or os.environ.get(ARMS_ENV)
    if not arms_file:
        return {}
    arms = load_arms_file(Path(arms_file))
    for name in redefined_builtins(arms):
        print(
            f"fep-tui: warning: {arms_file} redefines built-in arm {name}; its sessions are "
            "compared by their saved definition, apart from the built-in one",
            file=sys.stderr,
        )
    return arms


def _arm(args: argparse.Namespace) -> ArmSpec:
    arm = resolve_arm(args.arm, _extra_arms(args))
    if args.return_cap is not None:
        if args.return_cap <= 0:
            raise UsageError("--return-cap must be a positive number of characters")
        arm = arm.with_return_cap(args.return_cap)
    if getattr(args, "num_ctx", None) is not None:
        if args.num_ctx < 1024:
            raise UsageError("--num-ctx must be at least 1024 tokens, e.g. 32768")
        arm = arm.with_num_ctx(args.num_ctx)
    return arm


def _warn_if_uncontained(config: TrialConfig) -> None:
    if config.backend == "live" and containment(config) != "bubblewrap":
        print(f"fep-tui: warning: {UNCONTAINED_WARNING}", file=sys.stderr)


def _sandbox_run(args: argparse.Namespace) -> int:
    import shlex
    import signal
    import subprocess

    words = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not words:
        raise UsageError("give the command after --, e.g. fep-tui sandbox run -- env")
    task = get_task(args.task)
    try:
        contained = resolve_containment(args.sandbox or "auto")
    except SandboxUnavailableError as exc:
        raise UsageError(str(exc)) from None
    provision_tasks([task.id])
    workspace = fresh_workspace(task.id)
    sandbox = Sandbox(workspace, contained, task.environment(workspace))
    try:
        task.prepare(workspace)
        print(f"sandbox: {CONTAINMENT_WORDS[contained]}; workspace {workspace}", file=sys.stderr)
        env = sandbox.environment()
        shell = shutil.which("bash", path=env.get("PATH")) or "/bin/bash"
        command = shlex.join(words) if len(words) > 1 else words[0]
        proc = subprocess.Popen(
            sandbox.argv([shell, "-c", command]),
            preexec_fn=sandbox.preexec(),
            cwd=workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=task.command_timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print(f"fep-tui: timed out after {task.command_timeout_s:g} s", file=sys.stderr)
            return 124
    finally:
        sandbox.close()
        remove_workspace(workspace)


def _run(args: argparse.Namespace) -> int:
    from engine.sim.faults import FAULT_HELP, FaultSpecError, parse_fault

    if args.list_sim_faults:
        for kind, what in FAULT_HELP.items():
            print(f"{kind:<18} {what}")
        print("schedule one with --sim-fault KIND@API:ATTEMPT, e.g. max_tokens_cut@anthropic:2")
        return 0
    if not args.arm or not args.task:
        raise UsageError("run needs --arm and --task, e.g. fep-tui run --arm B --task tiny")
    backend: BackendMode = args.backend or (
        "live" if os.environ.get("ANTHROPIC_API_KEY") else "sim"
    )
    try:
        faults = tuple(parse_fault(spec) for spec in args.sim_fault)
    except FaultSpecError as exc:
        raise UsageError(str(exc)) from None
    if faults and backend != "sim":
        raise UsageError("--sim-fault schedules faults in the simulator; use it with --backend sim")
    config = TrialConfig(
        arm=_arm(args),
        task_id=args.task,
        backend=backend,
        seed=args.seed,
        rate_card=get_rate_card(args.rate_card),
        keep_workspace=args.keep_workspace,
        sandbox=args.sandbox,
        faults=faults,
    )
    check_config(config)
    asyncio.run(preflight(config))
    _warn_if_uncontained(config)
    provision_tasks([config.task_id])
    directory = resolve_sessions_dir(args.sessions_dir)
    if not args.headless and not args.json:
        from fep_tui.app import APP_SIM_STREAM_DELAY_S, FepApp, StartLive

        paced = replace(config, sim_stream_delay_s=APP_SIM_STREAM_DELAY_S)
        FepApp(directory, _extra_arms(args), StartLive(paced)).run()
        return 0
    writer = SessionWriter(directory)
    json_out = JsonLinesPrinter() if args.json else None
    printer: EventSink = json_out if json_out is not None else TurnPrinter()
    trial_id = new_trial_id(config.arm.name, config.task_id, config.seed)
    try:
        outcome = asyncio.run(run_trial(config, [writer, printer], trial_id))
    except KeyboardInterrupt:
        writer.close()
        print(f"fep-tui: interrupted; session kept as interrupted: {writer.path}", file=sys.stderr)
        return 130
    finally:
        writer.close()
    if json_out is not None:
        json_out.write(
            {
                "kind": "summary",
                "trial_id": outcome.trial_id,
                "simulated": backend == "sim",
                "status": outcome.status,
                "success": outcome.success,
                "judge": outcome.judge.to_dict() if outcome.judge else None,
                "roles": outcome.roles,
                "total_cost_usd": round(outcome.total_cost_usd, 6),
                "session": str(writer.path),
            }
        )
    else:
        Console(highlight=False, soft_wrap=True).print(f"session saved: {writer.path}")
    return 0 if outcome.status != "error" else 1


def _app(args: argparse.Namespace) -> int:
    from fep_tui.app import FepApp

    directory = resolve_sessions_dir(None)
    FepApp(directory, _extra_arms(args)).run()
    return 0


def _replay(args: argparse.Namespace) -> int:
    from fep_tui.app import INDEX_IN_PLACE_BYTES, FepApp, StartReplay
    from sessions.header import parse_header

    path = Path(args.file)
    # A bad file is a one-line error before the screen takes over. A small one is indexed
    # here (kept beside it, so the app reads that); a large one only has its header read,
    # and the app shows progress while it indexes.
    try:
        size = path.stat().st_size
        if size <= INDEX_IN_PLACE_BYTES:
            open_index(path)
        else:
            with path.open("rb") as handle:
                parse_header(handle.readline(), path)
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such session file") from None
    directory = resolve_sessions_dir(args.sessions_dir)
    FepApp(directory, start=StartReplay(path)).run()
    return 0


def _batch(args: argparse.Namespace) -> int:
    from engine.batch import BatchPlan
    from fep_tui.batch_cli import run_batch_command

    if args.trials <= 0 or args.workers <= 0:
        raise UsageError("--trials and --workers must be positive")
    extra = _extra_arms(args)
    arms = tuple(resolve_arm(name, extra) for name in _parse_list(args.arms, "--arms", "A,B"))
    tasks = _parse_list(args.tasks, "--tasks", "tiny")
    plan = BatchPlan(
        arms,
        tasks,
        args.trials,
        args.workers,
        args.backend,
        get_rate_card(args.rate_card),
        args.until_successes,
        args.sandbox,
    )
    configs = [
        TrialConfig(
            arm,
            task,
            backend=args.backend,
            rate_card=get_rate_card(args.rate_card),
            sandbox=args.sandbox,
        )
        for arm in arms
        for task in tasks
    ]
    for config in configs:
        check_config(config)
        asyncio.run(preflight(config))
    _warn_if_uncontained(configs[0])
    provision_tasks(tasks)
    directory = resolve_sessions_dir(args.sessions_dir)
    if args.app:
        from fep_tui.app import FepApp, StartBatch

        FepApp(directory, _extra_arms(args), StartBatch(plan, directory)).run()
        return 0
    return run_batch_command(plan, directory)


def _parse_list(text: str, option: str, example: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if not items:
        raise UsageError(f"{option} needs a comma-separated list, e.g. {example}")
    return items


def _compare(args: argparse.Namespace) -> int:
    from fep_tui.compare_output import print_comparison
    from sessions.analysis.comparison import collect

    directories = [Path(d) for d in args.dirs]
    missing = [str(d) for d in directories if not d.is_dir()]
    if missing:
        raise UsageError(
            f"not a directory: {', '.join(missing)}; pass directories of session files"
        )
    imports = [Path(p) for p in args.imports]
    found = collect(directories, imports)
    if not found.rows:
        raise UsageError("no finished sessions or imported results to compare")
    whatif = _whatif(args)
    if args.app:
        from fep_tui.app import FepApp, StartCompare

        start = StartCompare(directories, imports, whatif, args.baseline)
        FepApp(resolve_sessions_dir(None), start=start).run()
        return 0
    print_comparison(found, args.baseline, args.format, whatif)
    if args.export_charts:
        _export_charts(found, Path(args.export_charts), whatif)
    return 0


def _export_charts(found: TrialRows, directory: Path, whatif: WhatIf | None) -> None:
    from fep_tui.chart_export import export_charts
    from sessions.analysis.charts import growth_curves
    from sessions.analysis.comparison import add_whatif

    frame = found.frame()
    if whatif is not None:
        frame = add_whatif(frame, whatif)
    try:
        written = export_charts(
            frame, growth_curves(frame), directory, bool(frame["simulated"].any())
        )
    except OSError as exc:
        raise UsageError(
            f"cannot write charts to {directory} ({exc.strerror}); "
            "pick another --export-charts directory"
        ) from None
    print(f"charts written: {len(written)} files in {directory}", file=sys.stderr)


def _reprice(args: argparse.Namespace) -> int:
    from fep_tui.compare_output import print_repriced
    from sessions.analysis.whatif import reprice_file

    whatif = _whatif(args) or WhatIf()
    repriced = [(Path(p), reprice_file(Path(p), whatif)) for p in args.sessions]
    print_repriced(repriced)
    return 0


def _sessions_list(args: argparse.Namespace) -> int:
    directory = resolve_sessions_dir(args.sessions_dir)
    summaries, rejected = list_sessions(directory)
    if args.json:
        for summary in summaries:
            print(json.dumps(summary.to_dict()))
        return 0
    console = Console(highlight=False)
    if not summaries:
        console.print(
            f"no sessions in {directory}; "
            "start one with: fep-tui run --arm B --task tiny --headless"
        )
    else:
        table = Table(title=f"sessions in {directory}", title_justify="left")
        numeric = ("seed", "lead turns", "model calls", "cost $")
        for column in (
            "started",
            "arm",
            "task",
            "seed",
            "outcome",
            "lead turns",
            "model calls",
            "cost $",
            "source",
            "file",
        ):
            table.add_column(column, justify="right" if column in numeric else "left")
        for s in summaries:
            table.add_row(
                s.started_at.replace("+00:00", "Z"),
                s.arm,
                s.task,
                str(s.seed),
                s.outcome,
                f"{s.lead_turns:,}",
                f"{s.model_calls:,}",
                f"{s.cost_usd:.4f}",
                s.source,
                Path(s.path).name,
            )
        console.print(table)
    for line in rejected:
        console.print(f"[yellow]skipped[/] {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
