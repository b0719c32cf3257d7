"""`fep-tui tasks check`: prove a task is sound before trusting trials on it.

Three judge runs on fresh copies: the clean base (its harness must be green), the starting
tree (it must fail, T1 with exactly its injected errors per category), and the starting tree
with the reference fixes applied (it must pass, verifier included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tasks.judge import JudgeResult, run_judge
from tasks.model import Task
from tasks.workspace import apply_fixes, fresh_workspace, remove_workspace

# What each fix category should show in the judge's counts once injected.
_COUNTED = {
    "mypy": ("mypy", "errors"),
    "ruff": ("ruff", "errors"),
    "pytest": ("pytest", "collection_errors"),
}


@dataclass(frozen=True)
class Stage:
    name: str
    result: JudgeResult
    ok: bool
    expectation: str


def check_task(task: Task, say: Callable[[str], None]) -> list[Stage]:
    stages = []
    say("judging the clean base (harness only)")
    base = _judged(task, task.prepare_clean, harness_only=True)
    stages.append(Stage("clean base", base, base.passed, "harness green"))
    say("judging the starting tree")
    start = _judged(task, task.prepare)
    expected = _expected_counts(task)
    stages.append(Stage("starting tree", start, _start_ok(start, expected), _describe(expected)))
    say("judging the starting tree with the reference fixes")

    def prepare_and_fix(root: Path) -> None:
        task.prepare(root)
        apply_fixes(root, task.fixes)

    fixed = _judged(task, prepare_and_fix)
    stages.append(Stage("reference fixes", fixed, fixed.passed, "harness and verifier green"))
    return stages


def category_counts(result: JudgeResult) -> dict[str, int]:
    counts = {}
    for category, (tool, attribute) in _COUNTED.items():
        verdict = result.verdict(tool)
        counts[category] = int(getattr(verdict, attribute)) if verdict else 0
    return counts


def _judged(
    task: Task, prepare: Callable[[Path], object], harness_only: bool = False
) -> JudgeResult:
    root = fresh_workspace(task.id)
    try:
        prepare(root)
        if harness_only:
            return run_judge(root, task.judge_commands(), (), task.environment(root))
        return task.judge(root)
    finally:
        remove_workspace(root)


def _expected_counts(task: Task) -> dict[str, int]:
    """Injected errors per counted category; empty for tasks that inject none."""
    tally = Counter(fix.category for fix in task.fixes if not fix.original)
    return {c: tally[c] for c in _COUNTED if tally[c]}


def _start_ok(start: JudgeResult, expected: dict[str, int]) -> bool:
    if start.passed:
        return False
    counts = category_counts(start)
    return all(counts[c] == n for c, n in expected.items())


def _describe(expected: dict[str, int]) -> str:
    if not expected:
        return "fails (the verifier or the tests reject the untouched tree)"
    names = {"pytest": "collection"}
    parts = ", ".join(f"{n} {names.get(c, c)}" for c, n in expected.items())
    return f"fails with exactly {sum(expected.values())} errors ({parts})"
