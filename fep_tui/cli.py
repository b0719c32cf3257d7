"""The `fep-tui` command line, on cyclopts.

Why cyclopts: typed parameters from annotations (one declaration gives the flag, its type
check and its help), shared option groups, and commands registered by import path, so
`fep-tui --help` imports no command module and none of the engine. Typer would bring click
and import every command up front.

Bad input never ends in a traceback: every problem a user can fix is a `FepError` (or a
parse error from cyclopts), printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, NamedTuple

from cyclopts import App, Parameter
from cyclopts.exceptions import CycloptsError, UnusedCliTokensError

from engine.errors import FepError
from fep_tui.commands.options import ArmsFile, Flag
from fep_tui.stdout import Stdout

EXIT_BAD_INPUT = 2


def _version() -> str:
    # Imported when asked: importlib.metadata takes 35 ms, a tenth of a `compare`.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"fep-tui {version('fep-tui')}"
    except PackageNotFoundError:
        return "fep-tui (not installed)"


app = App(
    name="fep-tui",
    help="Watch, replay and compare multi-model coding-agent trials. "
    "Without a command: the app, on your saved sessions.",
    version=_version,
    print_error=False,
    exit_on_error=False,
    help_on_error=False,
    result_action="return_value",
    # Help through the console that turns a closed pipe into BrokenPipeError (caught in
    # main, exit 0): Rich's own exits 1, which failed `fep-tui --help | head`.
    console=Stdout(),
)


@app.default
def _home(
    *,
    arms_file: ArmsFile = None,
    read_only: Annotated[
        bool, Flag, Parameter(help="browse only: no new trials, deletes or imports")
    ] = False,
) -> int:
    """Open the app on the saved sessions."""
    from fep_tui.commands.trial import home

    return home(arms_file=arms_file, read_only=read_only)


class Command(NamedTuple):
    name: str
    # module:function under fep_tui.commands, imported only when the command runs.
    target: str
    # Its line in `fep-tui --help`.
    help: str


Commands = tuple[Command, ...]


def _add(into: App, commands: Commands) -> None:
    for command in commands:
        into.command(f"fep_tui.commands.{command.target}", name=command.name, help=command.help)


def _group(name: str, help_text: str, commands: Commands) -> App:
    group = App(name=name, help=help_text)
    _add(group, commands)
    app.command(group)
    return group


_add(
    app,
    (
        Command("run", "trial:run", "run one trial of an arm on a task"),
        Command("replay", "trial:replay", "open a saved session in the trial screen"),
        Command("batch", "batch:batch", "run arms x tasks x trials; running it again resumes"),
        Command(
            "compare", "compare:compare", "compare arms across saved sessions and imported results"
        ),
        Command(
            "whatif",
            "compare:whatif",
            "re-price sessions under other terms (card, caching, summary cap)",
        ),
        Command(
            "doctor",
            "doctor:doctor",
            "check each model the arms use with one tiny request, before a live run",
        ),
    ),
)
_group(
    "tasks",
    "the task catalog",
    (
        Command("list", "tasks:list_tasks", "the tasks and whether each is ready"),
        Command(
            "check",
            "tasks:check",
            "provision a task and prove it: base green, start red, fixes green",
        ),
    ),
)
_group(
    "sessions", "saved sessions", (Command("list", "sessions:list_saved", "list saved sessions"),)
)
_add(
    app,
    (
        Command(
            "search",
            "search:search_command",
            "find the best role assignment by arm elimination, without running every one",
        ),
    ),
)
importing = _group(
    "import",
    "bring other tools' sessions in as session files",
    (
        Command(
            "claude-code",
            "traces:import_claude_code",
            "import Claude Code sessions (a transcript, a project directory or ~/.claude/projects)",
        ),
    ),
)
_add(
    app,
    (
        Command(
            "traces",
            "traces:traces",
            "your Claude Code sessions, largest re-read cost of subagent results first",
        ),
        Command(
            "watch",
            "traces:watch",
            "follow a Claude Code session live as it is written (the newest unless named)",
        ),
        Command(
            "serve",
            "serve:serve",
            "the app in a browser (http://127.0.0.1:8765; pip install 'fep-tui[serve]')",
        ),
    ),
)
_group(
    "export",
    "tables of trials, model calls and delegations as files",
    (
        Command(
            "parquet",
            "export:parquet",
            "trials, calls and delegations as Parquet files (pip install 'fep-tui[analysis]')",
        ),
        Command(
            "otel",
            "export:otel",
            "each trial as OpenTelemetry spans, to an OTLP receiver or a file "
            "(pip install 'fep-tui[otel]')",
        ),
    ),
)
_group(
    "sandbox",
    "run a command as the agent's shell would",
    (
        Command(
            "run",
            "sandbox:run",
            "run CMD in a fresh task workspace with the agent's environment, sandbox and limits",
        ),
    ),
)

_IMPORT_COMMANDS: set[str] = set()


def _add_import_commands() -> None:
    """`fep-tui import NAME` for each registered importer (sessions/analysis/importers.py)
    not yet a command: made when the CLI runs, so a newly registered one is there too."""
    from fep_tui.commands.importing import import_command, shown_root
    from sessions.analysis.importers import importers

    for name, importer in importers().items():
        if name not in _IMPORT_COMMANDS:
            _IMPORT_COMMANDS.add(name)
            help_text = f"import {importer.tool} sessions (default: {shown_root(importer)})"
            importing.command(import_command(importer), name=name, help=help_text)


def main(argv: Sequence[str] | None = None) -> int:
    tokens = list(sys.argv[1:] if argv is None else argv)
    if tokens[:1] == ["import"]:
        # Only then: the importers bring the converters, which every other start would
        # pay for (bench/cli_start.py).
        _add_import_commands()
    try:
        result = app(tokens)
        # Flushed here, not at exit: a reader that stopped early (`--help | head`) makes
        # the last flush fail, and Python then exits 1 after main has returned.
        sys.stdout.flush()
    except FepError as exc:
        return _fail(str(exc))
    except UnusedCliTokensError as exc:
        unused = " ".join(str(t) for t in exc.unused_tokens) if exc.unused_tokens else ""
        return _fail(f"unknown command or argument: {unused}; see fep-tui --help")
    except CycloptsError as exc:
        return _fail(str(exc).strip().splitlines()[0])
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error.
        from fep_tui.stdout import discard_stdout

        discard_stdout()
        return 0
    return result if isinstance(result, int) else 0


def _fail(message: str) -> int:
    print(f"fep-tui: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())
