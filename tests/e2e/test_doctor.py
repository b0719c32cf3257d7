"""`fep-tui doctor`: one tiny request per model through the real SDK clients, here against
the simulator; a dead Ollama or a model without tools is exit 2 and one line naming it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.sim import SimulatorServer
from fep_tui.cli import main
from tests.conftest import run_cli


def test_doctor_against_the_simulator_is_green_and_prices_its_requests(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["doctor", "--backend", "sim", "--arms", "A,B,C"]) == 0
    out = capsys.readouterr().out.splitlines()
    checked = [line.split(": ")[0] for line in out if line.startswith("ok")]
    assert checked == [
        "ok   anthropic claude-opus-4-7",
        "ok   ollama qwen3.5:9b",
        "ok   anthropic claude-haiku-4-5",
    ]
    assert any("tools and cache breakpoint accepted" in line for line in out)
    assert out[-1].startswith("SIMULATED doctor: 3 model check(s), cost $0.00")
    assert any(line.startswith("info agent's shell and judge:") for line in out)


def _arms(tmp_path: Path, model: str) -> Path:
    path = tmp_path / "arms.toml"
    path.write_text(f'[arms.L]\nsolo = {{ model = "{model}", provider = "ollama" }}\n')
    return path


def test_a_model_without_tools_fails_the_doctor_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [
        "doctor",
        "--backend",
        "sim",
        "--arms",
        "L",
        "--arms-file",
        str(_arms(tmp_path, "llama2:7b")),
    ]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "fep-tui: error: doctor: ollama llama2:7b: Ollama model 'llama2:7b' cannot call tools "
        "(its capabilities: completion); pick one that can, e.g. qwen3.5:9b"
    ]
    assert "FAIL ollama llama2:7b" in captured.out


def test_a_dead_ollama_fails_the_doctor_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    arms = str(_arms(tmp_path, "qwen3.5:9b"))
    assert main(["doctor", "--arms", "L", "--arms-file", arms]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "fep-tui: error: doctor: ollama qwen3.5:9b: cannot reach Ollama at http://127.0.0.1:9"
    )


def test_a_live_batch_runs_the_doctor_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API is unreachable here (a closed local port): the batch stops at the doctor,
    before any trial, and says how to skip it."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    argv = ["batch", "--arms", "A", "--tasks", "tiny", "--trials", "1", "--backend", "live"]
    assert main([*argv, "--sessions-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "fep-tui: error: doctor: anthropic claude-opus-4-7: cannot reach the API "
        "(APIConnectionError) (fix it, or pass --no-doctor)"
    )
    assert not list(tmp_path.glob("*.jsonl")), "no trial started"


@pytest.mark.parametrize("skip", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_a_live_run_asks_doctor_first_unless_told_not_to(
    tmp_path: Path, sim: SimulatorServer, skip: bool
) -> None:
    """batch and search ran doctor before a live trial; a single run did not, so a model
    that cannot answer was found only after the workspace and the first paid call. Here
    'live' is the simulator behind ANTHROPIC_BASE_URL, as a gateway would be."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "ANTHROPIC_API_KEY": "sk-ant-test-not-a-key",
        "ANTHROPIC_BASE_URL": sim.url,
    }
    args = ["run", "--arm", "A", "--task", "tiny", "--backend", "live", "--headless"]
    done = run_cli(
        *args, *(["--no-doctor"] if skip else []), "--sessions-dir", str(tmp_path), env=env
    )
    assert done.returncode == 0, done.stderr
    asked = "LIVE doctor: 1 model check(s)" in done.stdout
    assert asked != skip, done.stdout
    if not skip:
        assert done.stdout.index("LIVE doctor") < done.stdout.index("LIVE trial")
