"""The judge's parsers and the tiny task: broken as specified, mended by its reference fixes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasks import get_task
from tasks.judge import JudgeCommand, parse_mypy, parse_pytest, parse_ruff_json, run_judge
from tasks.typer_base.common import under_bash
from tasks.workspace import apply_fixes


def test_parse_mypy_counts_errors() -> None:
    assert (
        parse_mypy(1, "a.py:1: error: x\nFound 3 errors in 2 files (checked 6 source files)").errors
        == 3
    )
    assert parse_mypy(0, "Success: no issues found in 6 source files").errors == 0


def test_parse_ruff_json_counts_diagnostics() -> None:
    out = '[{"filename": "/w/a.py", "location": {"row": 3}, "code": "F401", "message": "unused"}]'
    verdict = parse_ruff_json(1, out)
    assert verdict.errors == 1 and "a.py:3: F401" in verdict.tail
    assert parse_ruff_json(0, "[]").errors == 0


def test_parse_pytest_summary_line() -> None:
    verdict = parse_pytest(1, "...\n=== 4 failed, 19 passed, 1 skipped in 0.12s ===")
    assert (verdict.failed, verdict.passed, verdict.skipped, verdict.errors) == (4, 19, 1, 4)
    collection = parse_pytest(2, "=== 5 errors in 0.3s ===")
    assert collection.collection_errors == 5 and collection.errors == 5
    assert parse_pytest(0, "23 passed in 0.05s").passed == 23


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    get_task("tiny").prepare(root)
    return root


def test_ruff_format_check_counts_the_files_it_would_reformat(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("x  =  [1,2]\n")
    (tmp_path / "c.py").write_text("y = 1\n")
    command = JudgeCommand("ruff-format", ("ruff", "format", "--check", "."), informational=True)
    result = run_judge(tmp_path, [command])
    verdict = result.verdict("ruff-format")
    assert verdict is not None and verdict.exit_code == 1 and verdict.errors == 2
    assert result.passed, "ruff format is informational only"
    assert "2 file(s) to reformat" in result.one_line()


def test_the_typer_judge_runs_pytest_as_a_child_of_bash(tmp_path: Path) -> None:
    # typer's bash-completion tests run only when bash is among their ancestors.
    probe = "import os; print(open(f'/proc/{os.getppid()}/comm').read().strip())"
    command = JudgeCommand("mypy", under_bash("python", "-c", probe))
    result = run_judge(tmp_path, [command])
    verdict = result.verdict("mypy")
    assert verdict is not None and verdict.tail == "bash"


def test_tiny_is_red_after_injection_with_known_counts(broken: Path) -> None:
    result = get_task("tiny").judge(broken)
    counts = {v.tool: v.errors for v in result.tools}
    assert not result.passed
    assert counts == {"mypy": 3, "ruff": 2, "pytest": 4}
    pytest_verdict = result.verdict("pytest")
    assert pytest_verdict is not None and pytest_verdict.passed == 19


def test_reference_fixes_turn_tiny_green(broken: Path) -> None:
    task = get_task("tiny")
    apply_fixes(broken, task.fixes)
    result = task.judge(broken)
    assert result.passed, result.one_line()
    verdict = result.verdict("pytest")
    assert verdict is not None and verdict.passed == 23


def test_verifier_rejects_suppressions_and_edited_tests(broken: Path) -> None:
    task = get_task("tiny")
    apply_fixes(broken, task.fixes)
    money = broken / "shopcart/money.py"
    money.write_text(money.read_text() + "\nVALUE = 1  # type: ignore\n")
    (broken / "tests/test_money.py").write_text("def test_nothing() -> None:\n    pass\n")
    result = task.judge(broken)
    assert not result.passed
    assert any("type: ignore" in p for p in result.verifier_problems)
    assert any("tests/ was changed" in p for p in result.verifier_problems)


def test_a_tiny_workspace_starts_with_a_mypy_cache_that_changes_nothing_mypy_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each trial's first mypy reads the clean tree's cache (built once per machine)
    instead of checking the standard library again; its findings must be a cold run's."""
    monkeypatch.setenv("FEP_TUI_DATA_DIR", str(tmp_path / "data"))
    root = tmp_path / "ws"
    get_task("tiny").prepare(root)
    assert (root / ".mypy_cache").is_dir()

    def mypy() -> tuple[int, str]:
        run = subprocess.run(
            [sys.executable, "-m", "mypy", "shopcart"], cwd=root, capture_output=True, text=True
        )
        return run.returncode, run.stdout

    seeded = mypy()
    shutil.rmtree(root / ".mypy_cache")
    assert seeded == mypy() and "Found 3 errors in 2 files" in seeded[1]
    # The next workspace reuses the cache rather than building another.
    get_task("tiny").prepare(tmp_path / "ws2")
    built = [p for p in (tmp_path / "data" / "mypy-caches").iterdir() if p.is_dir()]
    assert len(built) == 1
