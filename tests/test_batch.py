"""Batch runs end to end: grid, resume, until-n-successes, then the comparison."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

from sessions import load_session
from tests.conftest import run_cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}


def test_batch_then_compare_equals_numbers_from_the_session_files(tmp_path: Path) -> None:
    directory = tmp_path / "batch"
    env = _env(tmp_path)
    run = run_cli(
        "batch",
        "--arms",
        "A,B,C,D",
        "--tasks",
        "tiny",
        "--trials",
        "3",
        "--workers",
        "2",
        "--sessions-dir",
        str(directory),
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr
    assert "12/12" in run.stderr and "SIMULATED batch done" in run.stdout
    files = sorted(directory.glob("*.jsonl"))
    assert len(files) == 12
    result = run_cli("compare", str(directory), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    arms = {row["arm"]: row for row in json.loads(result.stdout)["arms"]}
    for arm in "ABCD":
        ends = [s.end for s in (load_session(f) for f in files) if s.header["arm"] == arm]
        costs = [e.total_cost_usd for e in ends if e is not None and e.success]
        assert arms[arm]["trials"] == 3 and arms[arm]["successes"] == len(costs) == 3
        assert arms[arm]["median_cost_usd"] == pytest.approx(statistics.median(costs))
    seeds = sorted(load_session(f).header["seed"] for f in files)
    assert seeds == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]


def test_resume_skips_finished_trials_and_until_successes_stops_early(tmp_path: Path) -> None:
    directory = tmp_path / "resume"
    env = _env(tmp_path)
    base = (
        "batch",
        "--arms",
        "A",
        "--tasks",
        "tiny",
        "--workers",
        "1",
        "--sessions-dir",
        str(directory),
    )
    first = run_cli(*base, "--trials", "1", env=env)
    assert first.returncode == 0 and len(list(directory.glob("*.jsonl"))) == 1
    again = run_cli(*base, "--trials", "2", env=env)
    assert "resuming: 1 of 2 trials already finished" in again.stderr
    assert len(list(directory.glob("*.jsonl"))) == 2
    early = run_cli(*base, "--trials", "5", "--until-successes", "2", env=env)
    assert early.returncode == 0
    assert len(list(directory.glob("*.jsonl"))) == 2, "two successes already: nothing more runs"


def test_batch_bad_input_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "batch",
        "--arms",
        "A,Z",
        "--tasks",
        "tiny",
        "--trials",
        "1",
        "--sessions-dir",
        str(tmp_path),
        env=_env(tmp_path),
    )
    assert (
        result.returncode == 2
        and "unknown arm 'Z'" in result.stderr
        and "Traceback" not in result.stderr
    )
