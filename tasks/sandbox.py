"""Where the agent's shell and the judge run: an explicit environment and, on Linux with
bubblewrap, a sandbox around them.

A trial hands a model a shell on the user's machine, and the judge runs tests the model
wrote. Neither may see the user's secrets, reach beyond the workspace, or keep any power of
the user who started fep-tui:

- **environment**: PATH with the task's tools, a private HOME, LANG, TERM and the task's own
  variables. Nothing else passes from the user's environment, above all no credential.
- **bubblewrap** (`bwrap`, no daemon): a user namespace with no capabilities, so nothing
  inside can change a mount or raise a limit, whoever started fep-tui. Started by root, it
  first becomes uid 65534 (nobody), so the host sees the agent as nobody too and root's
  files stay closed to it. The system is read-only; the workspace read-write; /tmp, HOME,
  /home, /root, /run, /var/tmp, fep-tui's data and sessions directories are empty; no
  network, no Unix-domain sockets (seccomp); a PID namespace, so killing the sandbox kills
  everything in it; limits on address space, file size, CPU time and process count, never
  above the caller's own.

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
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import platformdirs

from tasks.data import data_dir
from tasks.errors import FepError
from tasks.output_budget import Drained, OutputBudget, drain
from tasks.processes import process_alive
from tasks.seccomp import filter_fd, filter_program

SandboxPolicy = Literal["auto", "required", "off"]
POLICIES: tuple[SandboxPolicy, ...] = ("auto", "required", "off")
Containment = Literal["bubblewrap", "environment", "none"]
# Who the agent is when root starts fep-tui: nobody, on the host as in the sandbox.
SANDBOX_UID = SANDBOX_GID = 65534
_AS_ROOT = sys.platform.startswith("linux") and os.geteuid() == 0
CONTAINMENT_WORDS: dict[str, str] = {
    "bubblewrap": "bubblewrap: user namespace, no capabilities, no network"
    + (f", uid {SANDBOX_UID}" if _AS_ROOT else ""),
    "environment": "clean environment only (no sandbox)",
    "none": "not contained (--sandbox off)",
}
UNCONTAINED_WARNING = "the agent's shell is not contained: install bubblewrap"
SANDBOX_HOME = "/tmp/home"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# Emptied inside the sandbox when they exist (a tmpfs over each), before anything is bound.
_HIDDEN_SYSTEM_DIRS = ("/tmp", "/var/tmp", "/run", "/home", "/root", "/mnt", "/media", "/srv")
# Directories of this process that no sandbox may see (the sessions directory in use).
_PRIVATE_DIRS: set[Path] = set()
# What a command may print before the middle is cut: the judge's parsers read the head
# (ruff's JSON) and the tail (the summaries of mypy and pytest).
JUDGE_HEAD_BYTES = 2 << 20
JUDGE_TAIL_BYTES = 256 << 10


@dataclass(frozen=True)
class Limits:
    """Per-process limits inside the sandbox (ulimit), and the sandbox's process count.
    A caller's own lower hard limit wins: a sandbox never asks for more than it may have."""

    address_space_mb: int = 8192
    file_size_mb: int = 1024
    cpu_seconds: int = 900
    processes: int = 512


class SandboxUnavailableError(FepError, RuntimeError):
    """`--sandbox required` where bubblewrap cannot run; the message says what to do."""


def hide_from_sandboxes(path: Path) -> None:
    """Keep `path` (a sessions directory, say) out of every sandbox this process starts."""
    _PRIVATE_DIRS.add(path)


@functools.cache
def bubblewrap_problem() -> str | None:
    """None when bubblewrap runs here as a trial would run it, else why not (checked once
    per process, with the user namespace, the uid, the limits and the seccomp filter)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap is Linux-only (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="fep-probe-") as scratch:
        probe = Sandbox(Path(scratch), "bubblewrap")
        try:
            probe.adopt(Path(scratch))
            ran = probe.run(["true"], Path(scratch), 10)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return f"bwrap does not start ({exc})"
        finally:
            probe.close()
    if ran is None or ran[0] != 0:
        reason = (ran[1].strip().splitlines() or ["no output"])[-1] if ran else "stopped"
        return f"bwrap cannot create a user namespace here ({reason})"
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
class Launch:
    """How to start one command: its argv, the descriptors it must inherit (the seccomp
    filter) and what the child does before it execs."""

    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()
    preexec: Callable[[], None] | None = None

    def close(self) -> None:
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class Sandbox:
    """How commands run in one trial's workspace. Build one per trial; `close` removes the
    private HOME it made."""

    workspace: Path
    containment: Containment
    task_env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    # The task's own tools outside the workspace, bound read-only (typer's environment).
    read_only: tuple[Path, ...] = ()
    _home: Path | None = None
    _pids_group: Path | None = None
    _nproc: int | None = None
    # Commands started by `run` and not yet ended, so that `stop` can end them from
    # another thread (the judge runs in a worker thread; a trial is cancelled on its loop).
    _running: set[subprocess.Popen[bytes]] = field(default_factory=set, repr=False)
    _stopped: bool = False
    _adopted: bool = False
    _mounts: list[str] | None = field(default=None, repr=False)
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

    @property
    def owner(self) -> tuple[int, int] | None:
        """Who must own the workspace's files for the agent to edit them: nobody, when root
        starts a sandbox; None when the agent runs as the user who started fep-tui."""
        return (SANDBOX_UID, SANDBOX_GID) if self.containment == "bubblewrap" and _AS_ROOT else None

    def adopt(self, path: Path) -> None:
        """Hand `path` and everything under it (written by fep-tui, not the agent) to the
        sandbox's user. Links are changed themselves, never followed."""
        owner = self.owner
        if owner is None:
            return
        os.chown(path, *owner, follow_symlinks=False)
        for parent, dirs, files in os.walk(path):
            for name in (*dirs, *files):
                os.chown(os.path.join(parent, name), *owner, follow_symlinks=False)

    def launch(self, command: Sequence[str]) -> Launch:
        """How `command` must be started: inside bubblewrap, or as it is. Close the Launch
        once the process has started."""
        env = self.environment()
        if self.containment != "bubblewrap":
            return Launch(list(command), env)
        if not self._adopted:
            # What fep-tui put in the workspace before the first command (the task's tree).
            self.adopt(self.workspace)
            self._adopted = True
        fds: list[int] = []
        try:
            argv = self._bwrap_argv(command, fds)
        except BaseException:
            Launch([], env, tuple(fds)).close()
            raise
        return Launch(argv, env, tuple(fds), self.preexec())

    def _bwrap_argv(self, command: Sequence[str], fds: list[int]) -> list[str]:
        bwrap = shutil.which("bwrap") or "bwrap"
        if self._mounts is None:
            # Stats and path arithmetic no command of the trial changes: once, not on
            # every bash call.
            self._mounts = self._mount_args()
        mounts = self._mounts
        namespaces = [
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--new-session", "--die-with-parent",
        ]  # fmt: skip
        # No capabilities and no nested user namespace, in which the agent would be root
        # again over its own mounts.
        user = ["--unshare-user", *_disable_userns(), "--cap-drop", "ALL"]
        last = ["--dir", SANDBOX_HOME, "--chdir", str(self.workspace)]
        program = filter_program()
        if program is not None:
            fd = filter_fd(program)
            fds.append(fd)
            last += ["--seccomp", str(fd)]
        if self.owner is None:
            return [bwrap, *user, *mounts, *namespaces, *last, *command]
        # Started by root: a first bwrap, still root, builds the mounts (it may read root's
        # HOME to bind the interpreter kept there); setpriv becomes nobody with no
        # capabilities left to regain; a second bwrap, as nobody, adds the user namespace,
        # the seccomp filter and the private HOME. (bwrap 0.8's --bind-fd cannot carry a
        # directory under root's HOME across the change of user.)
        uid, gid = self.owner
        drop = [
            shutil.which("setpriv") or "setpriv",
            f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--",
        ]  # fmt: skip
        # Its own /dev: device nodes bound from the first stage cannot be opened from a
        # user namespace (/dev/null was "permission denied").
        inner = [bwrap, *user, "--bind", "/", "/", "--dev", "/dev", "--die-with-parent"]
        inner += [*last, *command]
        return [bwrap, *mounts, *namespaces, *drop, *inner]

    def _mount_args(self) -> list[str]:
        hidden = [Path(d) for d in _HIDDEN_SYSTEM_DIRS]
        hidden.append(Path(os.environ.get("HOME") or Path.home()))
        hidden += [data_dir(), Path(platformdirs.user_data_dir("fep-tui")), *_PRIVATE_DIRS]
        emptied = [d for d in dict.fromkeys(hidden) if d.is_dir() and not d.is_symlink()]
        mounts = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for directory in emptied:
            # /tmp is the agent's scratch space: writable by whoever it runs as.
            mounts += ["--perms", "1777" if str(directory) == "/tmp" else "0755"]
            mounts += ["--tmpfs", str(directory)]
        made: set[Path] = set()
        # Put back, read-only, what the emptied directories may hold that commands need:
        # this interpreter's environment and the task's own tools. The directories between
        # an emptied one and what is put back are made 0755 (bwrap would copy the mode of
        # the host's, and root's HOME is 0700).
        for needed in [*dict.fromkeys(self._read_only_needs()), self.workspace]:
            if not needed.exists():
                continue
            for ancestor in reversed(needed.parents):
                if ancestor not in made and any(ancestor.is_relative_to(d) for d in emptied):
                    if ancestor not in emptied:
                        mounts += ["--perms", "0755", "--dir", str(ancestor)]
                    made.add(ancestor)
            flag = "--bind" if needed == self.workspace else "--ro-bind"
            mounts += [flag, str(needed), str(needed)]
        return mounts

    def _read_only_needs(self) -> list[Path]:
        return [Path(sys.prefix), Path(sys.base_prefix), *self.read_only]

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
        wanted = [(which, _within_hard_limit(which, value)) for which, value in settings]
        group = self._group() if _AS_ROOT else None
        procs = str(group / "cgroup.procs") if group is not None else None

        def enter() -> None:
            for which, value in wanted:
                resource.setrlimit(which, (value, value))
            if procs is not None:
                with open(procs, "w") as out:
                    out.write(str(os.getpid()))

        return enter

    def _process_limit(self) -> int:
        if self._nproc is None:
            uid = SANDBOX_UID if self.owner is not None else os.getuid()
            self._nproc = _process_limit(self.limits.processes, uid)
        return self._nproc

    @property
    def process_cap(self) -> str | None:
        """How the number of processes is capped, or None outside bubblewrap."""
        if self.containment != "bubblewrap":
            return None
        # Started by root the sandbox runs as nobody, to whom RLIMIT_NPROC applies too.
        return f"RLIMIT_NPROC (+{self.limits.processes})"

    def _group(self) -> Path | None:
        """The sandbox's own pids cgroup (root only: the kernel does not apply
        RLIMIT_NPROC to root), made on first use."""
        if self._pids_group is None:
            self._pids_group = _make_pids_group(self.limits.processes)
        return self._pids_group

    def start(
        self, command: Sequence[str], cwd: Path, output: int | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `command` here in a new session (a kill reaches bubblewrap and all it runs),
        with no input; `output`: subprocess.PIPE to read stdout and stderr, None to inherit."""
        launch = self.launch(command)
        try:
            return subprocess.Popen(
                launch.argv,
                preexec_fn=launch.preexec,
                pass_fds=launch.pass_fds,
                cwd=cwd,
                env=launch.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        finally:
            launch.close()

    def run(self, command: Sequence[str], cwd: Path, timeout_s: float) -> tuple[int, str] | None:
        """Run `command` here to its end: its exit code and its output, stdout then stderr,
        each cut in the middle past the judge's budget. Raises subprocess.TimeoutExpired
        after killing it. None once `stop` was called."""
        drained = self.run_drained(command, cwd, timeout_s)
        return None if drained is None else (drained.returncode, drained.text())

    def run_drained(self, command: Sequence[str], cwd: Path, timeout_s: float) -> Drained | None:
        with self._lock:
            if self._stopped:
                return None
            proc = self.start(command, cwd, subprocess.PIPE)
            self._running.add(proc)
        budgets = [OutputBudget(JUDGE_HEAD_BYTES, JUDGE_TAIL_BYTES) for _ in range(2)]
        try:
            drained = drain(proc, budgets, timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        return None if self._stopped else drained

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
    _sweep_pids_groups()
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


def _sweep_pids_groups() -> None:
    """Remove the empty pids cgroups of fep-tui processes that are gone (kill -9)."""
    for root in _PIDS_HIERARCHIES:
        with contextlib.suppress(OSError):
            for group in root.glob("fep-sandbox-*-*"):
                pid = group.name.split("-")[2]
                if pid.isdigit() and not process_alive(int(pid)):
                    with contextlib.suppress(OSError):
                        group.rmdir()


def _process_limit(per_sandbox: int, uid: int) -> int:
    """RLIMIT_NPROC counts every process of the user, not of the sandbox: allow what the
    user already runs plus the sandbox's share."""
    with contextlib.suppress(OSError):
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


def _within_hard_limit(which: int, wanted: int) -> int:
    """`wanted`, or the caller's hard limit where that is lower: setting a limit above it
    fails in the child (`ulimit -v` in the user's shell made every trial a traceback)."""
    _, hard = resource.getrlimit(which)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


@functools.cache
def _disable_userns() -> tuple[str, ...]:
    """`--disable-userns` where this bubblewrap has it (0.8+): no nested user namespace,
    in which the agent would be root again over its own mounts."""
    try:
        shown = subprocess.run(
            ["bwrap", "--help"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return ("--disable-userns",) if "--disable-userns" in shown.stdout + shown.stderr else ()
