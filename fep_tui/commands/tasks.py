"""`fep-tui tasks list|check` and the one-time provisioning a task may need before a run."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from json import dumps

from rich.console import Console
from rich.table import Table

from fep_tui.commands.options import Json
from fep_tui.stdout import Stdout
from tasks import TASK_IDS, get_task
from tasks.check import Stage, category_counts, check_task


def provision_tasks(task_ids: Iterable[str]) -> None:
    """Build what the tasks need before any trial starts, with progress on stderr."""
    for task in {task_id: get_task(task_id) for task_id in task_ids}.values():
        if not task.provisioned():
            with _progress(f"preparing task {task.id} (one time)") as say:
                task.provision(say)


def list_tasks(*, json: Json = False) -> int:
    """List the tasks and whether each is ready to run."""
    if json:
        for task_id in TASK_IDS:
            task = get_task(task_id)
            print(dumps({"task": task.id, "ready": task.provisioned(), "title": task.title}))
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("task", "ready", "what it is"):
        table.add_column(column)
    for task_id in TASK_IDS:
        task = get_task(task_id)
        ready = "yes" if task.provisioned() else "downloads on first use"
        table.add_row(task.id, ready, task.title)
    Stdout(highlight=False).print(table)
    return 0


def check(task: str, /, *, json: Json = False) -> int:
    """Provision a task and prove it: base green, start red, fixes green.

    Parameters
    ----------
    task
        the task id
    """
    found = get_task(task)
    provision_tasks([found.id])
    with _progress(f"checking {found.id}: three full judge runs") as say:
        stages = check_task(found, say)
    if json:
        print(dumps([_stage_dict(s) for s in stages], indent=2))
    else:
        _print_stages(found.id, stages)
    return 0 if all(s.ok for s in stages) else 1


def _print_stages(task_id: str, stages: list[Stage]) -> None:
    console = Stdout(highlight=False, soft_wrap=True)
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
