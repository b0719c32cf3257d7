"""What the three typer tasks share: the workspace, the judge and the structural checks."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from tasks.judge import JudgeCommand, JudgeResult, run_judge
from tasks.model import Fix
from tasks.protected import clear_tool_caches, remove_unjudgeable, restore_protected
from tasks.sandbox import Sandbox
from tasks.typer_base.overlay import HARNESS_SCRIPT, OVERLAY_DIR, make_overlay, overlay_environment
from tasks.typer_base.provision import TyperBase, base_if_ready, typer_base
from tasks.workspace import TOOL_CACHE_DIRS, copy_tree, tree_digest
from tasks.workspace_files import UnsafeEntry, read_bytes, read_text, regular_files, remove

LINT_PATHS = ("typer", "tests", "docs_src", "scripts")
SUPPRESSION = re.compile(r"#\s*(type:\s*ignore|noqa)")
# A full harness run takes about two minutes on two cores; the agent must be able to wait.
COMMAND_TIMEOUT_S = 600.0
JUDGE_OUTPUT_DIR = "coverage"


def under_bash(*argv: str) -> tuple[str, ...]:
    """`argv` run as a child of bash. typer's bash-completion tests skip themselves unless
    shellingham finds bash among the test process's ancestors, so the count of passed tests
    would depend on how fep-tui was started (zsh, a launcher, an orphaned job): 1354
    instead of 1356. The trailing `exit` keeps bash from exec-ing into the command."""
    return ("bash", "-c", f"{shlex.join(argv)}; exit $?")


JUDGE_COMMANDS = (
    JudgeCommand("mypy", ("python", "-m", "mypy", "typer")),
    JudgeCommand("ruff", ("ruff", "check", "--output-format", "json", *LINT_PATHS)),
    JudgeCommand("pytest", under_bash("python", "-m", "pytest", "-q", "--no-cov", "-n", "auto")),
    JudgeCommand("ruff-format", ("ruff", "format", "--check", *LINT_PATHS), informational=True),
)


class TyperTask:
    """Base of T1-T3. Subclasses set the prompt and fixes and say how the tree is changed."""

    id = ""
    title = ""
    # typer's pinned release and the revision of our injected changes and judge.
    version = "typer-0.26.8.1"
    prompt = ""
    check_command = HARNESS_SCRIPT
    recheck_command = HARNESS_SCRIPT
    command_timeout_s = COMMAND_TIMEOUT_S
    # pytest-xdist's `-n auto` and mypy over typer's tree keep two cores busy.
    cpus = 2
    # Top-level paths the agent may change; anything else changed is a verifier problem.
    editable: tuple[str, ...] = ("typer", "tests")

    @property
    def fixes(self) -> tuple[Fix, ...]:
        return self.reference_fixes(typer_base())

    def reference_fixes(self, base: TyperBase) -> tuple[Fix, ...]:
        raise NotImplementedError

    def provision(self, say: Callable[[str], None]) -> None:
        typer_base(say)

    def provisioned(self) -> bool:
        return base_if_ready() is not None

    def prepare_clean(self, root: Path) -> None:
        base = typer_base()
        copy_tree(base.tree, root)
        make_overlay(root, base, self.id)

    def prepare(self, root: Path) -> None:
        self.prepare_clean(root)
        self.alter(root, typer_base())

    def alter(self, root: Path, base: TyperBase) -> None:
        """Turn the pristine copy into the task's starting tree (inject, add a test...)."""

    def category_command(self, category: str) -> str:
        return self.recheck_command

    def environment(self, root: Path) -> dict[str, str]:
        return overlay_environment(root)

    def judge_commands(self) -> tuple[JudgeCommand, ...]:
        return JUDGE_COMMANDS

    def verify(self, root: Path) -> list[str]:
        base = typer_base()
        return untouched_outside(root, base, self.editable) + no_new_suppressions(root, base)

    def read_only_paths(self) -> tuple[Path, ...]:
        """typer's shared tree and test environment: the overlay's .pth and its ruff
        point there."""
        return (typer_base().root,)

    def judge(self, root: Path, sandbox: Sandbox | None = None) -> JudgeResult:
        commands = self.judge_commands()
        problems = self.verify(root) + remove_unjudgeable(root, skip=(OVERLAY_DIR,))
        base = typer_base()
        clear_tool_caches(root)
        # Data files typer's own tests leave (`coverage run` in subprocesses): output of
        # earlier judge runs, not the agent's change; a package there would shadow coverage.
        remove(root, JUDGE_OUTPUT_DIR)
        owner = sandbox.owner if sandbox is not None else None
        protected = restore_protected(
            root, base.tree, self.editable, skip=(OVERLAY_DIR,), owner=owner
        )
        # The overlay is the agent's to break (its .pth runs at every start, its ruff is a
        # link): the judge gets a new one.
        remove(root, OVERLAY_DIR)
        make_overlay(root, base, self.id)
        if sandbox is not None:
            sandbox.adopt(root / OVERLAY_DIR)
        return run_judge(root, commands, problems, self.environment(root), sandbox, protected)


def untouched_outside(root: Path, base: TyperBase, editable: tuple[str, ...]) -> list[str]:
    problems = []
    ignored = (OVERLAY_DIR, JUDGE_OUTPUT_DIR, *TOOL_CACHE_DIRS)
    entries = {p.name for p in base.tree.iterdir()} | {
        p.name for p in root.iterdir() if p.name not in ignored
    }
    for entry in sorted(entries):
        if entry in editable:
            continue
        if _digest(root, entry) != _digest(base.tree, entry):
            problems.append(f"{entry} was changed; only {', '.join(editable)} may change")
    return problems


def no_new_suppressions(root: Path, base: TyperBase) -> list[str]:
    """A `# type: ignore` or `# noqa` the pristine file did not have hides an error."""
    problems = []
    for top in ("typer", "tests"):
        for relative in regular_files(root / top, TOOL_CACHE_DIRS):
            if not relative.endswith(".py"):
                continue
            rel = f"{top}/{relative}"
            pristine = base.tree / rel
            before = len(SUPPRESSION.findall(pristine.read_text())) if pristine.exists() else 0
            try:
                text = read_text(root, rel)
            except (UnsafeEntry, OSError):
                continue
            if len(SUPPRESSION.findall(text)) > before:
                problems.append(f"{rel} adds a type: ignore or noqa comment")
    return problems


def test_functions(path: Path) -> set[str]:
    """Names of the test functions a module defines (a deleted test is a missing name).
    Read without following a link: the agent may have replaced the file with one."""
    try:
        tree = ast.parse(read_text(path.parent, path.name))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def _digest(root: Path, entry: str) -> dict[str, str] | str:
    path = root / entry
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        return tree_digest(root, entry)
    if not path.exists():
        return "missing"
    try:
        return read_bytes(root, entry).hex()
    except (UnsafeEntry, OSError) as exc:
        return str(exc)
