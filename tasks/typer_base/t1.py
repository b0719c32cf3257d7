"""T1, breakage recovery: 25 errors injected into 15 files of a clean typer tree.

10 mypy errors in `typer/`, 10 ruff errors (F401, F841, F821, F403) and 5 test modules that
fail at collection. Each injection is a self-contained block inserted right after the file's
last top-level import, so no E402 cascade follows and removing the block restores the file
byte for byte. The blocks are ours; the shape follows the published task.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tasks.model import Fix
from tasks.typer_base.common import LINT_PATHS, TyperTask, test_functions
from tasks.typer_base.provision import TyperBase, typer_base

# (path, category, what is wrong, the injected block)
_INJECTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "typer/main.py",
        "mypy",
        "_fep_terminal_width returns a str where int is declared",
        'def _fep_terminal_width() -> int:\n    return "80"\n',
    ),
    (
        "typer/main.py",
        "mypy",
        "_fep_pad passes a str as str.ljust's width",
        'def _fep_pad(text: str) -> str:\n    return text.ljust("4")\n',
    ),
    (
        "typer/core.py",
        "mypy",
        "_fep_next_level adds 1 to an int | None",
        "def _fep_next_level(level: int | None) -> int:\n    return level + 1\n",
    ),
    (
        "typer/core.py",
        "mypy",
        "_fep_label reads an attribute object does not have",
        "def _fep_label(value: object) -> bool:\n    return bool(value.label)\n",
    ),
    (
        "typer/utils.py",
        "mypy",
        "_fep_count_params returns an int where str is declared",
        "def _fep_count_params(names: list[str]) -> str:\n    return len(names)\n",
    ),
    (
        "typer/params.py",
        "mypy",
        "_fep_twice passes a str as _fep_repeat's int argument",
        "def _fep_repeat(word: str, times: int) -> str:\n    return word * times\n\n\n"
        'def _fep_twice(word: str) -> str:\n    return _fep_repeat(word, "2")\n',
    ),
    (
        "typer/models.py",
        "mypy",
        "_fep_scaled multiplies an int | None",
        "def _fep_scaled(width: int | None) -> int:\n    return width * 2\n",
    ),
    (
        "typer/rich_utils.py",
        "mypy",
        "_fep_title calls str.titlecase, which does not exist",
        "def _fep_title(text: str) -> int:\n    return len(text.titlecase())\n",
    ),
    (
        "typer/completion.py",
        "mypy",
        "_fep_shell_names returns a tuple where list is declared",
        'def _fep_shell_names() -> list[str]:\n    return ("bash", "zsh")\n',
    ),
    (
        "typer/cli.py",
        "mypy",
        "_fep_indent repeats a string by an int | None",
        'def _fep_indent(depth: int | None) -> str:\n    return " " * depth\n',
    ),
    (
        "typer/utils.py",
        "ruff",
        "_fep_wrap_unused imports textwrap and never uses it (F401)",
        "def _fep_wrap_unused() -> None:\n    import textwrap\n",
    ),
    (
        "typer/params.py",
        "ruff",
        "_fep_shlex_unused imports shlex and never uses it (F401)",
        "def _fep_shlex_unused() -> None:\n    import shlex\n",
    ),
    (
        "typer/models.py",
        "ruff",
        "_fep_fnmatch_unused imports fnmatch and never uses it (F401)",
        "def _fep_fnmatch_unused() -> None:\n    import fnmatch\n",
    ),
    (
        "typer/rich_utils.py",
        "ruff",
        "_fep_margin assigns margin and never reads it (F841)",
        "def _fep_margin() -> int:\n    margin = 2\n    return 0\n",
    ),
    (
        "typer/completion.py",
        "ruff",
        "_fep_shell_count assigns count and never reads it (F841)",
        "def _fep_shell_count() -> int:\n    count = 3\n    return 0\n",
    ),
    (
        "typer/cli.py",
        "ruff",
        "_fep_depth_default assigns depth and never reads it (F841)",
        "def _fep_depth_default() -> int:\n    depth = 1\n    return 0\n",
    ),
    (
        "tests/test_launch.py",
        "ruff",
        "_fep_launch_helper reads undefined fep_launch_value (F821)",
        "def _fep_launch_helper() -> None:\n    print(fep_launch_value)\n",
    ),
    (
        "tests/test_types.py",
        "ruff",
        "_fep_types_helper reads undefined fep_types_value (F821)",
        "def _fep_types_helper() -> None:\n    print(fep_types_value)\n",
    ),
    (
        "tests/test_types.py",
        "ruff",
        "_fep_types_other reads undefined fep_types_other_value (F821)",
        "def _fep_types_other() -> None:\n    print(fep_types_other_value)\n",
    ),
    (
        "tests/test_core.py",
        "ruff",
        "a star import of typer.utils (F403)",
        "from typer.utils import *\n",
    ),
    (
        "tests/test_others.py",
        "pytest",
        "test_others.py fails an assert on import",
        'assert "typer".isupper(), "injected: module-level assertion in test_others"\n',
    ),
    (
        "tests/test_prog_name.py",
        "pytest",
        "test_prog_name.py fails an assert on import",
        'assert "prog".isupper(), "injected: module-level assertion in test_prog_name"\n',
    ),
    (
        "tests/test_termui.py",
        "pytest",
        "test_termui.py fails an assert on import",
        'assert "termui".isupper(), "injected: module-level assertion in test_termui"\n',
    ),
    (
        "tests/test_tracebacks.py",
        "pytest",
        "test_tracebacks.py fails an assert on import",
        'assert "tracebacks".isupper(), "injected: module-level assertion in test_tracebacks"\n',
    ),
    (
        "tests/test_launch.py",
        "pytest",
        "test_launch.py fails an assert on import",
        'assert "launch".isupper(), "injected: module-level assertion in test_launch"\n',
    ),
)

PROMPT = """\
You are working in a checkout of typer 0.26.8 that someone broke: 25 errors were introduced
across 15 files. Get the project's checks green again:

    mypy typer
    ruff check typer tests docs_src scripts
    pytest -q --no-cov -n auto

`fep-check` in the workspace runs all three exactly as the judge will and prints a
breakdown. Rules: change only files under `typer/` and `tests/`; do not delete tests; do not
add `# type: ignore` or `# noqa`. When the checks pass, reply with a short summary.
"""


def insert_after_imports(text: str, block: str) -> str:
    """`text` with `block` after its last top-level import (the separator kept in `block`)."""
    tree = ast.parse(text)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    if not imports:
        raise ValueError("no top-level import to anchor the injection")
    lines = text.splitlines(keepends=True)
    cut = imports[-1].end_lineno or imports[-1].lineno
    return "".join(lines[:cut]) + block + "".join(lines[cut:])


def _block(code: str) -> str:
    # Laid out as ruff's isort wants it, so the injected rule is the only one that fires: a
    # star import joins the import block, a statement follows one blank line, a definition two.
    if code.startswith("from "):
        return code
    return ("\n\n" if code.startswith("def ") else "\n") + code


class T1Task(TyperTask):
    id = "T1"
    title = "typer: recover from 25 injected errors in 15 files (10 mypy, 10 ruff, 5 collection)"
    prompt = PROMPT

    def reference_fixes(self, base: TyperBase) -> tuple[Fix, ...]:
        return tuple(
            Fix(f"T1-{n:02d}", path, category, description, _block(code), "")
            for n, (path, category, description, code) in enumerate(_INJECTIONS, 1)
        )

    def category_command(self, category: str) -> str:
        if category == "mypy":
            return "mypy typer"
        if category == "ruff":
            return "ruff check --output-format concise " + " ".join(LINT_PATHS)
        modules = sorted({path for path, kind, _, _ in _INJECTIONS if kind == category})
        return "python -m pytest -q --no-cov -p no:cacheprovider " + " ".join(modules)

    def alter(self, root: Path, base: TyperBase) -> None:
        for fix in self.reference_fixes(base):
            path = root / fix.path
            path.write_text(insert_after_imports(path.read_text(), fix.broken))

    def verify(self, root: Path) -> list[str]:
        problems = super().verify(root)
        pristine = typer_base().tree
        for path in sorted((pristine / "tests").rglob("test_*.py")):
            rel = path.relative_to(pristine)
            missing = test_functions(path) - test_functions(root / rel)
            if missing:
                problems.append(f"{rel}: tests deleted ({', '.join(sorted(missing)[:3])})")
        return problems
