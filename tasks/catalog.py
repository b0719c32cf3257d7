"""Task ids to task objects. Tasks are created on demand so importing the catalog is cheap."""

from __future__ import annotations

from collections.abc import Callable

from tasks.errors import FepError
from tasks.model import Task


class UnknownTaskError(FepError, LookupError):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"unknown task {task_id!r} (known: {', '.join(TASK_IDS)})")
        self.task_id = task_id


def _tiny() -> Task:
    from tasks.tiny import TinyTask

    return TinyTask()


def _t1() -> Task:
    from tasks.typer_base.t1 import T1Task

    return T1Task()


def _t2() -> Task:
    from tasks.typer_base.t2 import T2Task

    return T2Task()


def _t3() -> Task:
    from tasks.typer_base.t3 import T3Task

    return T3Task()


_FACTORIES: dict[str, Callable[[], Task]] = {"tiny": _tiny, "T1": _t1, "T2": _t2, "T3": _t3}
TASK_IDS: tuple[str, ...] = tuple(_FACTORIES)


def get_task(task_id: str) -> Task:
    try:
        factory = _FACTORIES[task_id]
    except KeyError:
        raise UnknownTaskError(task_id) from None
    return factory()
