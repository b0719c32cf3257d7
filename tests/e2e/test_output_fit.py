"""Printed output that fits: at 80 columns no line is longer and no number is cut; piped,
nothing is cut at all; every number has one format per kind."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from engine.events import TrialStarted
from fep_tui.headless import TurnPrinter
from sessions import load_session
from sessions.analysis.comparison import arm_table, collect
from tests.compare_fixtures import make_compare_dir, make_mixed_dir
from tests.conftest import run_cli

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FEP_SESSIONS_DIR": str(tmp_path),
        **extra,
    }


def test_compare_at_80_columns_fits_and_cuts_no_number(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    result = run_cli("compare", str(directory), env=_env(tmp_path, COLUMNS="80"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    table = arm_table(collect([directory]).labelled(), "A")
    for cost in (row["median_cost_usd"] for row in table):
        assert f" {cost:.4f} " in result.stdout + " ", f"median {cost:.4f} missing or cut"
    assert "left out at 80 columns" in result.stdout, "what did not fit is named"
    assert "Cliff's δ" in result.stdout and "cliffs_delta" not in result.stdout


def test_compare_piped_prints_every_column_whole(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    result = run_cli("compare", str(directory), env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "left out" not in result.stdout
    for header in ("CI low $", "wall s", "lead turns", "lead re-read", "method", "write 1h"):
        assert header in result.stdout


def test_sessions_list_piped_keeps_full_file_names(tmp_path: Path) -> None:
    long_name = "20261201T101500-B-bounded-T3-s12-abcd-with-a-long-tail-for-the-test.jsonl"
    shutil.copy(FIXTURE, tmp_path / long_name)
    result = run_cli("sessions", "list", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert long_name in result.stdout


def test_the_headless_summary_fits_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    session = load_session(FIXTURE)
    fields = set(TrialStarted.__struct_fields__) - {"kind"}
    start = TrialStarted(**{k: v for k, v in session.header.to_dict().items() if k in fields})
    printer = TurnPrinter()
    printer.emit(start)
    capsys.readouterr()  # the turn lines are a log; the summary is what must fit
    for event in session.events:
        if event.kind in ("judge", "trial_end"):
            printer.emit(event)
        elif printer.timeline is not None:
            printer.timeline.add(printer.timeline.length, event)
    out = capsys.readouterr().out.splitlines()
    assert any("per-role usage" in line for line in out)
    assert any("executor summaries:" in line for line in out)
    assert max(len(line) for line in out) <= 80, [line for line in out if len(line) > 80]


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_quiet_headless_run_says_what_it_waits_for() -> None:
    """Piped: a plain line after 4 s of silence, then every 4 s; a slow tool call prints its
    duration; the judge says it is running. On a terminal the status is rewritten in place."""
    import io

    from rich.console import Console

    from engine.events import JudgeStarted, ToolCall, ToolResult, TurnStarted

    clock = _Clock()
    piped = io.StringIO()
    printer = TurnPrinter(Console(file=piped, force_terminal=False, width=100), clock)
    printer.emit(TurnStarted(0.0, "orchestrator", 1, "claude-opus-4-7"))
    clock.now += 3.5
    printer.tick()
    assert piped.getvalue() == "", "quiet for under 4 s: nothing"
    clock.now += 1.0
    printer.tick()
    assert piped.getvalue().splitlines()[-1] == "  … orch turn 1: the model is answering: 4 s"
    printer.emit(ToolCall(5.0, "orchestrator", 1, "c1", "bash", {"command": "pytest -q"}))
    clock.now += 12.5
    printer.emit(ToolResult(17.5, "orchestrator", 1, "c1", "bash", "ok", False))
    assert piped.getvalue().splitlines()[-1] == "    bash took 12.5 s"
    printer.emit(JudgeStarted(18.0))
    assert piped.getvalue().splitlines()[-1] == "judge running (mypy, ruff, pytest)…"
    for _ in range(9):
        clock.now += 1.0
        printer.tick()
    lines = piped.getvalue().splitlines()
    assert lines[-2:] == ["  … judge running: 4 s", "  … judge running: 8 s"]

    terminal = io.StringIO()
    live = TurnPrinter(Console(file=terminal, force_terminal=True, width=100), clock)
    live.emit(JudgeStarted(0.0))
    clock.now += 6.0
    live.tick()
    assert terminal.getvalue().endswith("\r\x1b[2K  … judge running: 6 s"), "in place"


def test_compare_with_a_whatif_at_80_columns_keeps_task_and_arm_whole(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    result = run_cli("compare", str(directory), "--no-cache", env=_env(tmp_path, COLUMNS="80"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    arms = lines[: next(i for i, line in enumerate(lines) if "left out at 80" in line)]
    rows = [line.split() for line in arms if line.strip().startswith("tiny")]
    assert [row[:2] for row in rows] == [["tiny", arm] for arm in "ABCD"], arms
    assert all(row[-1].endswith("%") and row[-1][0] in "+-" for row in rows), "what-if change"


def test_split_arm_labels_at_80_columns_wrap_between_words_never_inside(tmp_path: Path) -> None:
    """Long split labels (`A · published card`) once squeezed the per-role table until Rich
    folded words: `executo` over `r`, `publishe` over `d`. The token buckets give way
    first; every label and role word is printed whole."""
    directory = make_mixed_dir(tmp_path / "sessions")
    result = run_cli("compare", str(directory), env=_env(tmp_path, COLUMNS="80"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    roles = lines[next(i for i, line in enumerate(lines) if line.startswith("tokens per role")) :]
    words = {word for line in roles for word in line.split()}
    assert {"orchestrator", "executor", "official", "published", "chars"} <= words, roles
    assert not {"executo", "orchest", "publishe", "r", "d"} & words, roles
    assert "cache read" in "\n".join(roles) and "cost $" in "\n".join(roles)


def test_a_column_the_same_on_every_row_gives_way_before_those_that_differ() -> None:
    """At 80 columns `sessions list` dropped the file name and kept `source`, which said
    SIMULATED on every row."""
    from fep_tui.commands.sessions import COLUMNS
    from fep_tui.tables import fit

    rows = [
        {
            "started": f"2026-12-0{n} 10:00", "arm": "B", "task": "tiny", "seed": n,
            "outcome": "success", "lead": 6, "calls": 32, "cost": 0.0657,
            "source": "SIMULATED", "file": f"20261201T10000{n}-B-tiny-s{n}-ab12.jsonl",
        }
        for n in range(3)
    ]  # fmt: skip
    kept, left_out = fit(COLUMNS, rows, 80)
    names = [c.key for c in kept]
    assert "file" in names, "the file name differs on every row: it stays"
    gone = [c.key for c in left_out]
    assert set(gone[:3]) == {"source", "lead", "calls"}, "the same on every row: first to go"
