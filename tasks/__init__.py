"""The task catalog: code-repair tasks, their workspaces and the deterministic judge."""

from tasks.catalog import TASK_IDS, UnknownTaskError, get_task
from tasks.judge import JudgeResult, ToolVerdict
from tasks.model import Fix, Task

__all__ = [
    "TASK_IDS",
    "Fix",
    "JudgeResult",
    "Task",
    "ToolVerdict",
    "UnknownTaskError",
    "get_task",
]
