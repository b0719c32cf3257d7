"""`fep-tui tasks list|check` and the one-time provisioning a task may need before a run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from tasks import TASK_IDS, get_task
from tasks.check import Stage, category_counts, check_task


def provision_tasks(task_ids: Iterable[str]) -> None:
    """Build what the tasks need before any trial starts, with progress on stderr."""
    for task in {task_id: get_task(task_id) for task_id in task_ids}.values():
        if not task.provisioned():
            with _progress(f"preparing task {task.id} (one time)") as say:
                task.provision(say)


def run_tasks_command(command: str, task_id: str | None, as_json: bool) -> int:
    if command == "list":
        return _list()
    assert task_id is not None
    task = get_task(task_id)
    provision_tasks([task.id])
    with _progress(f"checking {task.id}: three full judge runs") as say:
        stages = check_task(task, say)
    if as_json:
        print(json.dumps([_stage_dict(s) for s in stages], indent=2))
    else:
        _print_stages(task.id, stages)
    return 0 if all(s.ok for s in stages) else 1


def _list() -> int:
    table = Table(box=None, pad_edge=False)
    for column in ("task", "ready", "what it is"):
        table.add_column(column)
    for task_id in TASK_IDS:
        task = get_task(task_id)
        ready = "yes" if task.provisioned() else "downloads on first use"
        table.add_row(task.id, ready, task.title)
    Console(highlight=False).print(table)
    return 0


def _print_stages(task_id: str, stages: list[Stage]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    for stage in stages:
        mark = "ok  " if stage.ok else "FAIL"
        console.print(f"{mark} {stage.name}: expected {stage.expectation}")
        console.print(f"     {stage.result.one_line()}")
        counts = category_counts(stage.result)
        console.print(
            f"     errors: mypy {counts['mypy']}, ruff {counts['ruff']}, "
            f"pytest collection {counts['pytest']}, pytest failed "
            f"{_failed(stage)}"
        )
        for problem in stage.result.verifier_problems:
            console.print(f"     verifier: {problem}")
    verdict = "sound" if all(s.ok for s in stages) else "NOT sound"
    console.print(f"task {task_id}: {verdict}")


def _failed(stage: Stage) -> int:
    verdict = stage.result.verdict("pytest")
    return verdict.failed if verdict else 0


def _stage_dict(stage: Stage) -> dict[str, object]:
    return {
        "stage": stage.name,
        "ok": stage.ok,
        "expected": stage.expectation,
        "errors_by_category": category_counts(stage.result),
        "judge": stage.result.to_dict(),
    }


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; plain lines otherwise (CI logs, pipes)."""
    console = Console(file=sys.stderr, highlight=False)
    if not console.is_terminal:
        console.print(title)
        yield lambda message: console.print(f"  {message}")
        return
    with console.status(title) as status:

        def say(message: str) -> None:
            status.update(f"{title}: {message}")
            console.print(f"  {message}")

        yield say
