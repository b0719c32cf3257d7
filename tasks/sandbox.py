"""Where the agent's shell and the judge run: an explicit environment and, on Linux with
bubblewrap, a sandbox around them.

A trial hands a model a shell on the user's machine, and the judge runs tests the model
wrote. Neither may see the user's secrets or reach beyond the workspace:

- **environment**: PATH with the task's tools, a private HOME, LANG, TERM and the task's own
  variables. Nothing else passes from the user's environment, above all no credential.
- **bubblewrap** (`bwrap`, no daemon, no root): the system read-only; the workspace
  read-write; a private /tmp and HOME; the user's real HOME hidden; no network; a new
  session and PID namespace, so killing the sandbox kills everything in it; limits on
  address space, file size, CPU time and process count.

Policies: `auto` uses bubblewrap where it works, else the clean environment alone with a
warning; `required` refuses to start without bubblewrap; `off` runs as the user's own shell
(the published study did), inheriting everything.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tasks.errors import FepError

SandboxPolicy = Literal["auto", "required", "off"]
POLICIES: tuple[SandboxPolicy, ...] = ("auto", "required", "off")
Containment = Literal["bubblewrap", "environment", "none"]
CONTAINMENT_WORDS: dict[str, str] = {
    "bubblewrap": "bubblewrap sandbox",
    "environment": "clean environment only (no sandbox)",
    "none": "not contained (--sandbox off)",
}
UNCONTAINED_WARNING = "the agent's shell is not contained: install bubblewrap"
SANDBOX_HOME = "/tmp/home"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    """Per-process limits inside the sandbox (ulimit), and the sandbox's process count."""

    address_space_mb: int = 8192
    file_size_mb: int = 1024
    cpu_seconds: int = 900
    processes: int = 512


class SandboxUnavailableError(FepError, RuntimeError):
    """`--sandbox required` where bubblewrap cannot run; the message says what to do."""


@functools.cache
def bubblewrap_problem() -> str | None:
    """None when bubblewrap runs here, else why not (checked once per process)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap is Linux-only (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap does not start ({exc})"
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"bwrap cannot create namespaces here ({reason})"
    return None


def resolve_containment(policy: SandboxPolicy) -> Containment:
    if policy == "off":
        return "none"
    problem = bubblewrap_problem()
    if problem is None:
        return "bubblewrap"
    if policy == "required":
        raise SandboxUnavailableError(
            f"--sandbox required, but {problem}; install it or pass --sandbox auto"
        )
    return "environment"


@dataclass
class Sandbox:
    """How commands run in one trial's workspace. Build one per trial; `close` removes the
    private HOME it made."""

    workspace: Path
    containment: Containment
    task_env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    _home: Path | None = None
    _pids_group: Path | None = None
    _nproc: int | None = None
    # Commands started by `run` and not yet ended, so that `stop` can end them from
    # another thread (the judge runs in a worker thread; a trial is cancelled on its loop).
    _running: set[subprocess.Popen[str]] = field(default_factory=set, repr=False)
    _stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def home(self) -> Path:
        if self.containment == "bubblewrap":
            return Path(SANDBOX_HOME)
        if self._home is None:
            # Beside the workspace, not in it: the task's verifier checks the tree.
            self._home = self.workspace.with_name(self.workspace.name + ".home")
            self._home.mkdir(exist_ok=True)
        return self._home

    def environment(self) -> dict[str, str]:
        """The variables a command gets. With containment off, the user's own environment."""
        tools = str(Path(sys.executable).parent)
        if self.containment == "none":
            env = dict(os.environ)
            env["PATH"] = tools + os.pathsep + env.get("PATH", "")
            env.pop("PYTHONPATH", None)
        else:
            env = {
                "PATH": f"{tools}{os.pathsep}{SYSTEM_PATH}",
                "HOME": str(self.home),
                "LANG": "C.UTF-8",
                # Not "dumb": Rich then drops all styling, and typer's tests check it.
                "TERM": "xterm-256color",
                "TMPDIR": "/tmp",
            }
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(self.task_env)
        return env

    def argv(self, command: Sequence[str]) -> list[str]:
        """`command` as it must be started: inside bubblewrap, or as it is."""
        if self.containment != "bubblewrap":
            return list(command)
        bwrap = shutil.which("bwrap") or "bwrap"
        hidden_home = Path(os.environ.get("HOME") or Path.home())
        binds: list[str] = []
        # Put back, read-only, what the hidden HOME may hold that commands need: this
        # interpreter's environment and the task cache (both often live under HOME).
        for needed in _read_only_needs():
            if needed.exists():
                binds += ["--ro-bind", str(needed), str(needed)]
        return [
            bwrap,
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--tmpfs", "/tmp",
            "--tmpfs", str(hidden_home),
            "--tmpfs", "/home",
            "--tmpfs", "/root",
            *binds,
            "--bind", str(self.workspace), str(self.workspace),
            "--dir", SANDBOX_HOME,
            "--chdir", str(self.workspace),
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--new-session",
            "--die-with-parent",
            *command,
        ]  # fmt: skip

    def preexec(self) -> Callable[[], None] | None:
        """What the child process does before it execs the sandbox: take on the limits
        (inherited by everything inside) and join the sandbox's pids cgroup. Done in the
        child rather than by a wrapping shell, which would cost an exec per command."""
        if self.containment != "bubblewrap":
            return None
        limits = self.limits
        settings = [
            (resource.RLIMIT_AS, limits.address_space_mb << 20),
            (resource.RLIMIT_FSIZE, limits.file_size_mb << 20),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_NPROC, self._process_limit()),
        ]
        group = self._group() if os.geteuid() == 0 else None
        procs = str(group / "cgroup.procs") if group is not None else None

        def enter() -> None:
            for which, value in settings:
                resource.setrlimit(which, (value, value))
            if procs is not None:
                with open(procs, "w") as out:
                    out.write(str(os.getpid()))

        return enter

    def _process_limit(self) -> int:
        if self._nproc is None:
            self._nproc = _process_limit(self.limits.processes)
        return self._nproc

    @property
    def process_cap(self) -> str | None:
        """How the number of processes is capped, or None when nothing caps it (root
        without a writable pids cgroup: the PID namespace and the timeout still end it)."""
        if self.containment != "bubblewrap":
            return None
        if os.geteuid() != 0:
            return f"RLIMIT_NPROC (+{self.limits.processes})"
        if self._group() is not None:
            return f"pids cgroup (max {self.limits.processes})"
        return None

    def _group(self) -> Path | None:
        """The sandbox's own pids cgroup (root only: the kernel does not apply
        RLIMIT_NPROC to root), made on first use."""
        if self._pids_group is None:
            self._pids_group = _make_pids_group(self.limits.processes)
        return self._pids_group

    def run(self, command: Sequence[str], cwd: Path, timeout_s: float) -> tuple[int, str] | None:
        """Run `command` here to its end: its exit code and its output, stdout then stderr.
        Raises subprocess.TimeoutExpired after killing it. None once `stop` was called."""
        with self._lock:
            if self._stopped:
                return None
            # A new session, so that a kill reaches bubblewrap and all it runs.
            proc = subprocess.Popen(
                self.argv(command),
                preexec_fn=self.preexec(),
                cwd=cwd,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            self._running.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
        return None if self._stopped else (proc.returncode, out + err)

    def stop(self) -> None:
        """End every command `run` has going and refuse new ones: a cancelled trial's
        judge must not go on running pytest in a workspace being removed, nor hold the
        app's exit until it ends."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for proc in running:
            kill_group(proc.pid)

    def close(self) -> None:
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        if self._pids_group is not None:
            with contextlib.suppress(OSError):
                self._pids_group.rmdir()
            self._pids_group = None


def kill_group(pid: int) -> None:
    """Kill the process group `pid` leads (started with a new session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


_PIDS_HIERARCHIES = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def _make_pids_group(limit: int) -> Path | None:
    for root in _PIDS_HIERARCHIES:
        v2 = root / "cgroup.subtree_control"
        if v2.exists() and "pids" not in v2.read_text().split():
            continue
        if not (root / "pids.max").exists() and not v2.exists() and root.name != "pids":
            continue
        group = root / f"fep-sandbox-{os.getpid()}-{next(_GROUP_NUMBERS)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(limit))
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()
            continue
        return group
    return None


_GROUP_NUMBERS = itertools.count()


def _read_only_needs() -> list[Path]:
    from tasks.data import data_dir

    return [Path(sys.prefix), Path(sys.base_prefix), data_dir()]


def _process_limit(per_sandbox: int) -> int:
    """RLIMIT_NPROC counts every process of the user, not of the sandbox: allow what the
    user already runs plus the sandbox's share. (Root is exempt from it, so a sandbox run
    as root relies on the PID namespace and the tool timeout for runaway forks.)"""
    with contextlib.suppress(OSError):
        uid = os.getuid()
        running = sum(
            1 for entry in os.scandir("/proc") if entry.name.isdigit() and _owner(entry.path) == uid
        )
        return running + per_sandbox
    return per_sandbox


def _owner(path: str) -> int | None:
    try:
        return os.stat(path).st_uid
    except OSError:
        return None
