"""What a task is: a broken tree, a prompt, the judge's commands and the fixes that mend it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tasks.judge import JudgeCommand, JudgeResult
from tasks.sandbox import Sandbox


@dataclass(frozen=True)
class Fix:
    """One edit of the reference solution: `broken` (the text the agent finds) becomes
    `original` (the text that mends it).

    The simulator's scripted agents apply it through the real `str_replace_editor` tool, so
    `broken` must be unique in its file. An empty `broken` creates the file; an empty
    `original` deletes the text.
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
    # Changes whenever the broken tree, the prompt or the judge changes, so trials of
    # different versions of a task are never compared as one.
    version: str
    prompt: str
    # What the scripted agents run first, and to confirm their work at the end.
    check_command: str
    recheck_command: str
    # How long one bash command may take in this task's workspace.
    command_timeout_s: float
    # CPUs one trial keeps busy (its judge's pytest runs on every core it is given);
    # what a trial asks of a Ray node.
    cpus: int

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """The reference edits, in the order the scripted agents apply them."""

    def category_command(self, category: str) -> str:
        """What confirms one category of fixes (an executor's check after its edits)."""

    def environment(self, root: Path) -> dict[str, str]:
        """Variables for the judge and the agent's bash in `root` (on top of os.environ)."""

    def provision(self, say: Callable[[str], None]) -> None:
        """Fetch and build what the task needs once per machine, reporting each step."""

    def provisioned(self) -> bool:
        """Whether `provision` has nothing left to do."""

    def prepare_clean(self, root: Path) -> None:
        """Fill the empty directory `root` with the task's clean base (nothing broken)."""

    def prepare(self, root: Path) -> None:
        """Fill the empty directory `root` with the broken tree the agent starts from."""

    def read_only_paths(self) -> tuple[Path, ...]:
        """What the task's commands need outside the workspace (its own tools), bound
        read-only into the sandbox; everything else of fep-tui's data stays hidden."""

    def judge_commands(self) -> tuple[JudgeCommand, ...]:
        """The mypy, ruff and pytest invocations whose exit codes decide pass or fail."""

    def verify(self, root: Path) -> list[str]:
        """Structural problems the exit codes cannot see (edited tests, added ignores)."""

    def judge(self, root: Path, sandbox: Sandbox | None = None) -> JudgeResult:
        """Run the verifier, put the protected files back as the task provided them
        (`tasks.protected`), then run the judge commands on `root`."""
