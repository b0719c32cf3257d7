"""`fep-tui sandbox run -- CMD`: a command run exactly as the agent's bash tool runs it."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from typing import Annotated

from cyclopts import Parameter

from fep_tui.commands.options import SandboxPolicy, UsageError
from fep_tui.commands.tasks import provision_tasks
from tasks import get_task
from tasks.sandbox import (
    CONTAINMENT_WORDS,
    Sandbox,
    SandboxUnavailableError,
    resolve_containment,
)
from tasks.workspace import fresh_workspace, remove_workspace


def run(
    *cmd: Annotated[str, Parameter(help="the command, after --")],
    task: Annotated[str, Parameter(help="task whose fresh workspace to use")] = "tiny",
    sandbox: SandboxPolicy = None,
) -> int:
    """Run CMD in a fresh workspace of a task with the agent's environment, sandbox and
    limits. Put -- before CMD."""
    if not cmd:
        raise UsageError("give the command after --, e.g. fep-tui sandbox run -- env")
    found = get_task(task)
    try:
        contained = resolve_containment(sandbox or "auto")
    except SandboxUnavailableError as exc:
        raise UsageError(str(exc)) from None
    provision_tasks([found.id])
    workspace = fresh_workspace(found.id)
    box = Sandbox(
        workspace, contained, found.environment(workspace), read_only=found.read_only_paths()
    )
    try:
        found.prepare(workspace)
        print(f"sandbox: {CONTAINMENT_WORDS[contained]}; workspace {workspace}", file=sys.stderr)
        shell = shutil.which("bash", path=box.environment().get("PATH")) or "/bin/bash"
        command = shlex.join(cmd) if len(cmd) > 1 else cmd[0]
        proc = box.start([shell, "-c", command], workspace)
        try:
            return proc.wait(timeout=found.command_timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print(f"fep-tui: timed out after {found.command_timeout_s:g} s", file=sys.stderr)
            return 124
    finally:
        box.close()
        remove_workspace(workspace)
