"""The agent's shell is contained: escape attempts through `fep-tui sandbox run` (exactly the
agent's bash) fail inside the sandbox and succeed with `--sandbox off`, so each test can fail.

Without bubblewrap the contained cases skip with the reason; the `off` cases always run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path

import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import JudgeVerdict, TrialStarted
from engine.messages import ToolUseBlock
from engine.tools import Bash
from tasks.sandbox import Sandbox, bubblewrap_problem
from tests.conftest import Recorder, run_cli

CANARIES = {
    "ANTHROPIC_API_KEY": "sk-ant-canary-0000",
    "AWS_SECRET_ACCESS_KEY": "aws-canary-0000",
    "GITHUB_TOKEN": "ghp_canary0000",
}
needs_bwrap = pytest.mark.skipif(
    bubblewrap_problem() is not None, reason=f"no sandbox here: {bubblewrap_problem()}"
)
POLICIES = [pytest.param("auto", marks=needs_bwrap, id="contained"), pytest.param("off", id="off")]


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "real-home"
    home.mkdir(exist_ok=True)
    (home / "secret.txt").write_text("the-user's-secret\n")
    return {"PATH": os.environ["PATH"], "HOME": str(home), **CANARIES}


def _shell(tmp_path: Path, policy: str, command: str) -> tuple[int, str]:
    result = run_cli("sandbox", "run", "--sandbox", policy, "--", command, env=_env(tmp_path))
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("policy", POLICIES)
def test_env_shows_no_credential(tmp_path: Path, policy: str) -> None:
    code, out = _shell(tmp_path, policy, "env")
    assert code == 0, out
    seen = [name for name in CANARIES if name in out]
    assert seen == ([] if policy == "auto" else list(CANARIES)), out


@pytest.mark.parametrize("policy", POLICIES)
def test_a_file_in_the_real_home_cannot_be_read(tmp_path: Path, policy: str) -> None:
    secret = tmp_path / "real-home" / "secret.txt"
    _, out = _shell(tmp_path, policy, f"cat {secret}")
    assert ("the-user's-secret" in out) == (policy == "off"), out


@pytest.mark.parametrize("policy", POLICIES)
def test_nothing_outside_the_workspace_can_be_written(tmp_path: Path, policy: str) -> None:
    outside = Path("/var/tmp") / f"fep-escape-{uuid.uuid4().hex}"
    outside.mkdir()
    name = f"fep-escape-{uuid.uuid4().hex}"
    attempts = {
        "parent": Path("/tmp") / name,
        "absolute": outside / "absolute.txt",
        "symlink": outside / "via-link.txt",
    }
    command = (
        f"echo x > ../{name}; echo x > {attempts['absolute']}; "
        f"ln -s {outside} link && echo x > link/via-link.txt; true"
    )
    try:
        code, out = _shell(tmp_path, policy, command)
        assert code == 0, out
        written = {how for how, path in attempts.items() if path.exists()}
        assert written == (set() if policy == "auto" else set(attempts)), out
    finally:
        attempts["parent"].unlink(missing_ok=True)
        for path in outside.iterdir():
            path.unlink()
        outside.rmdir()


@pytest.mark.parametrize("policy", POLICIES)
def test_no_connection_to_a_local_listener(tmp_path: Path, policy: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        probe = (
            "python -c \"import socket; socket.create_connection(('127.0.0.1', "
            f"{port}), timeout=3); print('connected')\""
        )
        _, out = _shell(tmp_path, policy, probe)
    assert ("connected" in out) == (policy == "off"), out


@needs_bwrap
def test_a_huge_write_and_a_process_flood_stop_at_the_limits_and_the_shell_goes_on(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path, "bubblewrap")
    bash = Bash(tmp_path, timeout_s=60, sandbox=sandbox)

    def run(command: str) -> str:
        return asyncio.run(bash.run(ToolUseBlock("c", "bash", {"command": command}))).content

    try:
        out = run("head -c 10G /dev/zero > big; echo rc=$?; stat -c %s big")
        assert "rc=153" in out and "1073741824" in out, out  # SIGXFSZ at 1 GiB
        if sandbox.process_cap is None:
            pytest.skip("nothing caps processes for root here (no writable pids cgroup)")
        flood = (
            'python -c "import subprocess\nstarted=[]\nfor _ in range(1500):\n'
            "    try: started.append(subprocess.Popen(['sleep', '30']))\n"
            "    except OSError: pass\nprint('started', len(started))\n"
            '[p.kill() for p in started]"'
        )
        started = int(run(flood).split("started")[1].split()[0])
        assert started <= sandbox.limits.processes, started
        assert "still here" in run("echo still here")
    finally:
        sandbox.close()


@needs_bwrap
def test_a_sandboxed_trial_records_its_containment_and_keeps_its_counts(
    recorder: Recorder,
) -> None:
    config = TrialConfig(resolve_arm("A"), "tiny", sandbox="required")
    asyncio.run(run_trial(config, [recorder]))
    started = recorder.events[0]
    assert isinstance(started, TrialStarted) and started.containment == "bubblewrap"
    judge = recorder.of("judge")[0]
    assert isinstance(judge, JudgeVerdict) and judge.passed
    pytest_run = next(t for t in judge.result["tools"] if t["tool"] == "pytest")
    assert pytest_run["passed"] == 23


def test_required_without_bubblewrap_is_one_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # no bwrap on this PATH
    result = run_cli("run", "--arm", "A", "--task", "tiny", "--sandbox", "required", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "fep-tui: error: --sandbox required, but bwrap is not installed (Debian and Ubuntu: "
        "apt-get install bubblewrap); install it or pass --sandbox auto"
    ]


@pytest.mark.parametrize("policy", POLICIES)
def test_a_simulated_agent_that_tries_to_escape_is_contained(
    tmp_path: Path, policy: str, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    """The scripted agent's first bash call is its task's check command; here it tries
    every escape before the ordinary checks, through the trial's own bash tool."""
    import engine.trial
    from engine.events import ToolResult
    from tasks import get_task

    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "real-home"
    home.mkdir()
    (home / "secret.txt").write_text("the-user's-secret\n")
    monkeypatch.setenv("HOME", str(home))
    outside = Path("/var/tmp") / f"fep-escape-{uuid.uuid4().hex}"
    outside.mkdir()
    tiny = get_task("tiny")

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        escapes = (
            f"env | grep -c canary; cat {home}/secret.txt; echo x > {outside}/written.txt; "
            f"python -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3); "
            "print('connected')\"; "
        )

        class Escaping(type(tiny)):  # type: ignore[misc]
            check_command = escapes + tiny.check_command

        monkeypatch.setattr(engine.trial, "get_task", lambda _: Escaping())
        config = TrialConfig(resolve_arm("A"), "tiny", sandbox=policy)  # type: ignore[arg-type]
        try:
            asyncio.run(run_trial(config, [recorder]))
            first = next(e for e in recorder.events if isinstance(e, ToolResult))
            escaped = {
                "credentials": "\n3\n" in first.output,
                "home": "the-user's-secret" in first.output,
                "write": (outside / "written.txt").exists(),
                "network": "connected" in first.output,
            }
        finally:
            for path in outside.iterdir():
                path.unlink()
            outside.rmdir()
    assert escaped == dict.fromkeys(escaped, policy == "off"), first.output


@pytest.mark.parametrize("containment", ["none", "bubblewrap"])
def test_stop_ends_a_running_command_and_refuses_the_next(tmp_path: Path, containment: str) -> None:
    """The judge runs in a worker thread, which a cancelled trial cannot cancel: `stop`
    kills what it runs, or pytest would go on in a workspace being removed and hold the
    app's exit until it ended."""
    import threading

    if containment == "bubblewrap" and bubblewrap_problem() is not None:
        pytest.skip(f"no sandbox here: {bubblewrap_problem()}")
    sandbox = Sandbox(tmp_path, containment)  # type: ignore[arg-type]
    results: list[tuple[int, str] | None] = []
    worker = threading.Thread(
        target=lambda: results.append(sandbox.run(["sleep", "60"], tmp_path, 120))
    )
    worker.start()
    while not sandbox._running:
        worker.join(0.01)
    sandbox.stop()
    worker.join(10)
    assert not worker.is_alive() and results == [None], "the command was killed"
    assert sandbox.run(["true"], tmp_path, 10) is None, "nothing new starts once stopped"


def test_a_trial_cancelled_while_judged_is_saved_interrupted(tmp_path: Path) -> None:
    """Quitting while a trial was being judged left its session without an end line (it
    opened as incomplete): the judge's wait was not covered by the `interrupted` ending."""
    from engine.events import JudgeStarted, TrialEnded

    recorder = Recorder()

    async def scenario() -> None:
        trial: asyncio.Task[object] | None = None

        class CancelAtJudge(Recorder):
            def emit(self, event: object) -> None:
                if isinstance(event, JudgeStarted) and trial is not None:
                    trial.get_loop().call_soon(trial.cancel)

        config = TrialConfig(resolve_arm("A"), "tiny", seed=0)
        trial = asyncio.ensure_future(run_trial(config, [recorder, CancelAtJudge()]))
        with pytest.raises(asyncio.CancelledError):
            await trial

    asyncio.run(scenario())
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded), [e.kind for e in recorder.events[-3:]]
    assert (end.status, end.reason) == ("interrupted", "cancelled by the user while the judge ran")
    assert not recorder.of("judge"), "no verdict for a judge that was stopped"


def test_workspaces_of_killed_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    """kill -9 skips a trial's clean-up; the next trial removes what it left."""
    import subprocess

    from tasks.workspace import sweep_leftover_workspaces

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"fep-tiny-{gone.pid}-abc123"
    live = tmp_path / f"fep-tiny-{os.getpid()}-def456"
    foreign = tmp_path / "fep-tiny-notours"
    for directory in (dead, live, foreign):
        (directory / "shopcart").mkdir(parents=True)
    assert sweep_leftover_workspaces(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and foreign.exists()


@needs_bwrap
def test_a_callers_lower_limits_are_kept_not_a_traceback(tmp_path: Path) -> None:
    """`ulimit -f` and `ulimit -v` in the user's shell below the sandbox's own limits made
    every command fail in the child with 'not allowed to raise maximum limit'."""
    import resource
    import subprocess
    import sys

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "fep_tui.cli", "sandbox", "run", "--", "ulimit -f; ulimit -v"],
        preexec_fn=lower,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Still contained: without the clamp the probe failed and `auto` fell back to none.
    assert "sandbox: bubblewrap" in done.stderr, done.stderr
    assert done.stdout.split() == [str(256 << 10), str(6 << 20)], done.stdout
    assert "Traceback" not in done.stderr
