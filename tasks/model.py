"""What a task is: a broken tree, a prompt, the judge's commands and the fixes that mend it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tasks.judge import JudgeCommand, JudgeResult


@dataclass(frozen=True)
class Fix:
    """One injected break and the edit that undoes it.

    The simulator's scripted agents apply `broken -> original` through the real
    `str_replace_editor` tool, so a fix must name a string unique in its file.
    """

    id: str
    path: str
    category: str
    description: str
    broken: str
    original: str


class Task(Protocol):
    """A code-repair task. Implementations live one per module under `tasks/`."""

    id: str
    title: str
    prompt: str
    check_command: str
    fixes: tuple[Fix, ...]

    def prepare(self, root: Path) -> None:
        """Fill the empty directory `root` with the broken tree the agent starts from."""

    def judge_commands(self) -> tuple[JudgeCommand, ...]:
        """The mypy, ruff and pytest invocations whose exit codes decide pass or fail."""

    def verify(self, root: Path) -> list[str]:
        """Structural problems the exit codes cannot see (edited tests, added ignores)."""

    def judge(self, root: Path) -> JudgeResult:
        """Run the judge commands and the verifier on `root`."""
