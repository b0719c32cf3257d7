"""T2, refactor: move `get_params_from_function` out of `typer/utils.py` into a new module
`typer/_param_extractor.py` and update every import site.

The harness is green before and after; the verifier tells a finished move from an
unfinished one by reading the code, never by running it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tasks.model import Fix
from tasks.typer_base.common import LINT_PATHS, TyperTask
from tasks.typer_base.provision import TyperBase

FUNCTION = "get_params_from_function"
OLD_MODULE = "typer/utils.py"
NEW_MODULE = "typer/_param_extractor.py"

PROMPT = f"""\
You are working in a checkout of typer 0.26.8. Refactor: move the function `{FUNCTION}` out
of `{OLD_MODULE}` into a new module `{NEW_MODULE}`, and update every place that imports it so
nothing imports it from `typer.utils` any more. Behaviour must not change.

The checks must stay green:

    mypy typer
    ruff check typer tests docs_src scripts
    pytest -q --no-cov -n auto

`fep-check` runs all three exactly as the judge will, plus the task's own checks. Do not add
`# type: ignore` or `# noqa`, and change only files under `typer/` and `tests/`. When you are
done, reply with a short summary.
"""

_NEW_MODULE_HEAD = '''"""Reading a command function's signature into typer's parameter metadata."""

import inspect
from collections.abc import Callable
from copy import copy
from typing import Any, cast

from ._typing import get_type_hints
from .models import OptionInfo, ParameterInfo, ParamMeta
from .utils import (
    AnnotatedParamWithDefaultValueError,
    DefaultFactoryAndDefaultValueError,
    MixedAnnotatedAndDefaultStyleError,
    MultipleTyperAnnotationsError,
    _split_annotation_from_typer_annotations,
)


'''

# The import edits the move needs, as lines of typer 0.26.8 (the sdist's sha256 is pinned).
_UTILS_IMPORTS_BEFORE = (
    "import inspect\nfrom collections.abc import Callable\nfrom copy import copy\n"
    "from typing import Any, cast\n\n"
    "from ._typing import Annotated, get_args, get_origin, get_type_hints\n"
    "from .models import ArgumentInfo, OptionInfo, ParameterInfo, ParamMeta\n"
)
_UTILS_IMPORTS_AFTER = (
    "from typing import Any\n\n"
    "from ._typing import Annotated, get_args, get_origin\n"
    "from .models import ArgumentInfo, OptionInfo, ParameterInfo\n"
)
_OLD_IMPORT = f"from .utils import {FUNCTION}\n"
_NEW_IMPORT = f"from ._param_extractor import {FUNCTION}\n"
_MAIN_ANCHOR = "from ._click.globals import get_current_context\n"
_COMPLETION_BEFORE = "from .models import ParamMeta\nfrom .params import Option\n" + _OLD_IMPORT
_COMPLETION_AFTER = _NEW_IMPORT + "from .models import ParamMeta\nfrom .params import Option\n"


def function_source(utils_text: str) -> str:
    """The function's definition with the two blank lines that set it off."""
    tree = ast.parse(utils_text)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == FUNCTION)
    lines = utils_text.splitlines(keepends=True)
    return "".join(lines[node.lineno - 3 : node.end_lineno])


class T2Task(TyperTask):
    id = "T2"
    title = f"typer: move {FUNCTION} into {NEW_MODULE} and update every import"
    prompt = PROMPT
    check_command = f"grep -rn {FUNCTION} typer tests docs_src scripts"

    def reference_fixes(self, base: TyperBase) -> tuple[Fix, ...]:
        moved = function_source((base.tree / OLD_MODULE).read_text())
        return (
            Fix(
                "T2-create",
                NEW_MODULE,
                "refactor",
                f"create {NEW_MODULE} holding {FUNCTION}",
                "",
                _NEW_MODULE_HEAD + moved.lstrip("\n"),
            ),
            Fix(
                "T2-remove",
                OLD_MODULE,
                "refactor",
                f"remove {FUNCTION} from {OLD_MODULE}",
                moved,
                "",
            ),
            Fix(
                "T2-utils-imports",
                OLD_MODULE,
                "refactor",
                f"drop the imports {OLD_MODULE} used only for {FUNCTION}",
                _UTILS_IMPORTS_BEFORE,
                _UTILS_IMPORTS_AFTER,
            ),
            Fix(
                "T2-main-old",
                "typer/main.py",
                "refactor",
                "typer/main.py: drop the import from .utils",
                "    TyperPath,\n)\n" + _OLD_IMPORT,
                "    TyperPath,\n)\n",
            ),
            Fix(
                "T2-main-new",
                "typer/main.py",
                "refactor",
                "typer/main.py: import it from ._param_extractor in sorted position",
                _MAIN_ANCHOR,
                _MAIN_ANCHOR + _NEW_IMPORT,
            ),
            Fix(
                "T2-completion",
                "typer/completion.py",
                "refactor",
                "typer/completion.py: import it from ._param_extractor",
                _COMPLETION_BEFORE,
                _COMPLETION_AFTER,
            ),
        )

    def verify(self, root: Path) -> list[str]:
        problems = super().verify(root)
        new, old = root / NEW_MODULE, root / OLD_MODULE
        if FUNCTION not in _top_level_functions(new):
            problems.append(f"{NEW_MODULE} does not define {FUNCTION}")
        if FUNCTION in _top_level_functions(old):
            problems.append(f"{OLD_MODULE} still defines {FUNCTION}")
        old_sites, new_sites = [], []
        for path in _python_files(root):
            for module in _modules_importing(path, root):
                rel = str(path.relative_to(root))
                if module == "typer.utils":
                    old_sites.append(rel)
                elif module == "typer._param_extractor":
                    new_sites.append(rel)
        if old_sites:
            problems.append(f"still imported from typer.utils in {', '.join(old_sites[:3])}")
        if not new_sites:
            problems.append(f"nothing imports {FUNCTION} from typer._param_extractor")
        return problems


def _top_level_functions(path: Path) -> set[str]:
    tree = _parse(path)
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} if tree else set()


def _python_files(root: Path) -> list[Path]:
    return [p for top in LINT_PATHS for p in sorted((root / top).rglob("*.py"))]


def _modules_importing(path: Path, root: Path) -> list[str]:
    """Absolute names of the modules `path` imports the function from."""
    tree = _parse(path)
    if tree is None:
        return []
    package = ".".join(path.relative_to(root).parent.parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == FUNCTION for a in node.names):
            found.append(_absolute(node, package))
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*base, *([node.module] if node.module else [])])


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
