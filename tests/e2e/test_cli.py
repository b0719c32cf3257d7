"""The command line as a user drives it: a subprocess, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions.reader import load_session
from tests.conftest import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"


def fep(*args: str, env_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "FEP_SESSIONS_DIR": str(env_dir),
        "HOME": str(env_dir),
    }
    return run_cli(*args, env=env, timeout=timeout)


def test_headless_run_prints_turns_verdict_and_saves_a_listed_session(tmp_path: Path) -> None:
    # No --headless: run from a script (no terminal), the trial prints headless. Textual
    # would start anyway, spin a core on the empty stdin and never end.
    result = fep("run", "--arm", "B", "--task", "tiny", env_dir=tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "fep-tui: stdin and stderr are not terminals, so the trial runs headless"
    )
    out = result.stdout
    assert "SIMULATED trial" in out and "orch t1" in out and "exec t1" in out
    assert "re-read" in out and "cw" in out and "cr" in out
    assert "judge: GREEN" in out and "per-role usage" in out
    assert "session saved:" in out
    saved = out.split("session saved: ", 1)[1].splitlines()[0]
    assert out.rstrip().splitlines()[-1] == f"open it: fep-tui replay {saved}"
    listing = fep("sessions", "list", "--json", env_dir=tmp_path)
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert (
        len(rows) == 1
        and rows[0]["arm"] == "B"
        and rows[0]["success"] is True
        and rows[0]["source"] == "SIMULATED"
        and rows[0]["outcome"] == "success"
        and 0 < rows[0]["lead_turns"] < rows[0]["model_calls"]
    )


@pytest.mark.parametrize(
    ("args", "instead"),
    [
        ((), "list the sessions with fep-tui sessions list"),
        (
            ("replay", str(FIXTURES / "a-tiny-seed0.jsonl")),
            "fep-tui whatif FILE prints a session's numbers without it",
        ),
        (("compare", str(FIXTURES), "--app"), "drop --app to print the tables instead"),
        (
            ("batch", "--arms", "A", "--tasks", "tiny", "--trials", "1", "--app"),
            "drop --app to print the batch's progress instead",
        ),
        (
            ("search", "--task", "tiny", "--solo", "claude-haiku-4-5,claude-opus-4-7", "--app"),
            "drop --app to print the leaderboard instead",
        ),
    ],
)
def test_app_commands_without_a_terminal_stop_with_one_line(
    tmp_path: Path, args: tuple[str, ...], instead: str
) -> None:
    result = fep(*args, env_dir=tmp_path, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "fep-tui: error: the app needs a terminal (stdin and stderr are not terminals); "
        f"{instead}\n"
    )


def test_json_run_prints_events_and_a_final_summary(tmp_path: Path) -> None:
    result = fep("run", "--arm", "A", "--task", "tiny", "--json", "--seed", "7", env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [o["kind"] for o in objects]
    assert kinds[0] == "trial_start" and kinds[-2:] == ["trial_end", "summary"]
    summary = objects[-1]
    assert summary["success"] and summary["simulated"] and summary["judge"]["passed"]
    assert Path(summary["session"]).exists() and summary["roles"]["solo"]["turns"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--arm", "Z", "--task", "tiny"], "unknown arm 'Z'"),
        (["run", "--arm", "A", "--task", "T9"], "unknown task 'T9'"),
        (
            ["run", "--arm", "A", "--task", "tiny", "--rate-card", "cheap"],
            "unknown rate card 'cheap'",
        ),
        (
            ["run", "--arm", "B", "--task", "tiny", "--return-cap", "0"],
            "--return-cap must be a positive",
        ),
        (
            ["run", "--arm", "B", "--task", "tiny", "--seed", "-1"],
            "--seed must be 0 or more, e.g. --seed 3; got -1",
        ),
        (
            ["run", "--arm", "X", "--task", "tiny", "--arms-file", "/nonexistent.toml"],
            "no such arms file",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = fep(*args, env_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"fep-tui: error: {result.stderr.split('error: ', 1)[1].strip()}"
    ]
    assert message in result.stderr and "Traceback" not in result.stderr


def test_replay_of_a_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = fep("replay", str(tmp_path / "nope.jsonl"), env_dir=tmp_path)
    assert missing.returncode == 2 and "no such session file" in missing.stderr
    notes = tmp_path / "notes.jsonl"
    notes.write_text("hello\n")
    foreign = fep("replay", str(notes), env_dir=tmp_path)
    assert foreign.returncode == 2 and "not a fep-tui session" in foreign.stderr
    assert "Traceback" not in missing.stderr + foreign.stderr
    folder = fep("replay", str(tmp_path), env_dir=tmp_path)
    assert (folder.returncode, folder.stderr) == (
        2,
        f"fep-tui: error: {tmp_path} is a directory; replay takes one session file "
        "(fep-tui alone browses them)\n",
    )


def test_malformed_arms_file_names_its_line(tmp_path: Path) -> None:
    arms = tmp_path / "arms.toml"
    arms.write_text('[arms.X]\nsolo = { model = "claude-opus-4-7"\n')
    result = fep("run", "--arm", "X", "--task", "tiny", "--arms-file", str(arms), env_dir=tmp_path)
    assert result.returncode == 2 and "line 2" in result.stderr and "Traceback" not in result.stderr


def test_unwritable_sessions_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = fep(
        "run",
        "--arm",
        "A",
        "--task",
        "tiny",
        "--sessions-dir",
        str(blocker / "s"),
        env_dir=tmp_path,
    )
    assert (
        result.returncode == 2
        and "not writable" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_tasks_list_and_check_of_the_small_task(tmp_path: Path) -> None:
    listing = fep("tasks", "list", env_dir=tmp_path)
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:] if line[:1].strip()] == [
        "tiny",
        "T1",
        "T2",
        "T3",
    ]
    check = fep("tasks", "check", "tiny", "--json", env_dir=tmp_path)
    assert check.returncode == 0, check.stderr
    stages = json.loads(check.stdout)
    assert [(s["stage"], s["ok"]) for s in stages] == [
        ("clean base", True),
        ("starting tree", True),
        ("reference fixes", True),
    ]
    assert stages[1]["errors_by_category"] == {"mypy": 3, "ruff": 2, "pytest": 0}
    assert stages[1]["judge"]["passed"] is False and stages[2]["judge"]["passed"] is True


def with_reader_gone(*args: str, home: Path, timeout: float) -> tuple[int, str]:
    """`fep-tui ARGS` whose standard output is closed before it writes a line, as behind a
    `| head` that has already exited: (exit status, stderr)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fep_tui.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(home)},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    status = process.wait(timeout=timeout)
    return status, process.stderr.read().decode()


@pytest.mark.parametrize(
    "args",
    [
        ("compare", str(FIXTURES)),
        ("tasks", "list"),
        ("sessions", "list"),
        ("--help",),
        ("compare", "--help"),
    ],
    ids=["compare", "tasks", "sessions", "help", "command-help"],
)
def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`fep-tui compare DIR | head` in a script with pipefail. Rich's own answer to a
    broken pipe was exit status 1."""
    assert with_reader_gone(*args, home=tmp_path, timeout=60) == (0, "")


def test_a_headless_trial_whose_reader_goes_away_stops_and_is_saved_interrupted(
    tmp_path: Path,
) -> None:
    """`fep-tui run ... | head`: the trial must neither die mid-event (a session with no
    end) nor run on, unseen, spending money; it stops as interrupted, saying why.

    Which comes first depends on the machine: the trial's first event (the session exists,
    and is ended as interrupted), or, on a start slower than 4 s, the printer's line saying
    it is still preparing (then nothing is saved, and the message said a session `None` was
    kept; seen in CI on a slow machine)."""
    argv = ["run", "--arm", "A", "--task", "tiny", "--headless", "--sessions-dir", str(tmp_path)]
    status, stderr = with_reader_gone(*argv, home=tmp_path, timeout=120)
    saved = list(tmp_path.glob("*.jsonl"))
    assert status == 141
    if not saved:
        assert stderr == (
            "fep-tui: trial stopped, its output was closed; "
            "it had not started, so no session was written\n"
        )
        return
    [path] = saved
    assert stderr == (
        f"fep-tui: trial stopped, its output was closed; session kept as interrupted: {path}\n"
    )
    end = load_session(path).end
    assert end is not None and (end.status, end.reason) == ("interrupted", "its output was closed")


# Each command with one signal in the default suite (the handler is the same for both).
@pytest.mark.parametrize(
    ("command", "which"),
    [
        ("run", "SIGTERM"),
        ("batch", "SIGHUP"),
        pytest.param("run", "SIGHUP", marks=pytest.mark.slow),
        pytest.param("batch", "SIGTERM", marks=pytest.mark.slow),
    ],
)
def test_a_stop_signal_saves_running_trials_as_interrupted(
    tmp_path: Path, command: str, which: str
) -> None:
    """kill, systemd, container stops and CI time-outs send SIGTERM; a closed terminal
    SIGHUP. Either used to end the process at once: files cut at their last event, with no
    trial_end. Now as Ctrl-C: every running trial ends interrupted, naming the signal."""
    sessions = tmp_path / "sessions"
    args = (
        ["run", "--arm", "B", "--task", "tiny", "--headless"]
        if command == "run"
        else ["batch", "--arms", "A,B", "--tasks", "tiny", "--trials", "2", "--workers", "2"]
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fep_tui.cli", *args, "--sessions-dir", str(sessions)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(sessions.glob("*.jsonl")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(getattr(signal, which))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, which), err
    assert f"stopped by {which}" in err
    ended = [path.read_text().splitlines()[-1] for path in sessions.glob("*.jsonl")]
    assert ended and all('"kind":"trial_end"' in line for line in ended), ended
    stopped = [json.loads(line) for line in ended if '"status":"interrupted"' in line]
    assert stopped and all(e["reason"].startswith(f"stopped by {which}") for e in stopped)


def test_a_glob_that_catches_the_index_files_skips_them(tmp_path: Path) -> None:
    """`fep-tui whatif sessions/*` caught each session's `.jsonl.idx` and refused it; replay
    of an index names the session it indexes."""
    from sessions.index_cache import open_index

    session = tmp_path / "a.jsonl"
    shutil.copy(FIXTURES / "a-tiny-seed0.jsonl", session)
    open_index(session)  # writes a.jsonl.idx beside it
    given = sorted(str(p) for p in tmp_path.iterdir() if p.name.startswith("a."))
    assert [Path(p).name for p in given] == ["a.jsonl", "a.jsonl.idx"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("whatif", *given, "--no-cache", env=env)
    assert done.returncode == 0, done.stderr
    assert "recorded $" in done.stdout
    index = run_cli("replay", given[1], env=env)
    assert index.returncode == 2
    assert index.stderr.strip() == (
        f"fep-tui: error: {given[1]} is fep-tui's index of a session: replay {session}"
    )


def test_compare_export_charts_behind_a_closed_reader_still_writes_them(tmp_path: Path) -> None:
    """`compare DIR --export-charts OUT | head`: the tables stopped at the closed pipe, and
    the charts asked for were never written."""
    charts = tmp_path / "charts"
    status, err = with_reader_gone(
        "compare", str(FIXTURES), "--export-charts", str(charts), home=tmp_path, timeout=120
    )
    assert status == 0, err
    assert sorted(p.suffix for p in charts.iterdir()) == [".png", ".png", ".svg", ".svg"]


@pytest.mark.parametrize("flag", ["--arms-file", "--prices", "--script"])
@pytest.mark.parametrize("kind", ["binary", "directory"])
def test_a_named_file_that_cannot_be_read_as_text_is_one_line_and_exit_2(
    tmp_path: Path, flag: str, kind: str
) -> None:
    """A binary arms file ended `run` in a UnicodeDecodeError traceback."""
    named = tmp_path / "named"
    if kind == "binary":
        named.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe")
    else:
        named.mkdir()
    result = fep("run", "--arm", "A", "--task", "tiny", flag, str(named), env_dir=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    expected = "is not UTF-8 text" if kind == "binary" else "is a directory"
    assert len(lines) == 1 and str(named) in lines[0] and expected in lines[0], lines
