"""T3, feature-add: `typer.get_version_banner`, checked by a test file the agent must not edit.

The test file is placed in `tests/` when the trial starts and its sha256 is recorded here;
the verifier rejects a tree whose copy differs (or is gone), so the feature cannot be made
to pass by changing the test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tasks.model import Fix
from tasks.typer_base.common import TyperTask
from tasks.typer_base.provision import TyperBase
from tasks.workspace_files import read_bytes

TEST_PATH = "tests/test_version_banner.py"

TEST_FILE = """\
import sys

import typer


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def test_default_banner() -> None:
    expected = f"Typer v{typer.__version__} (Python {_python()})"
    assert typer.get_version_banner() == expected


def test_custom_prefix() -> None:
    expected = f"deploy-tool v{typer.__version__} (Python {_python()})"
    assert typer.get_version_banner(prefix="deploy-tool") == expected
    assert typer.get_version_banner("deploy-tool") == expected


def test_uppercase() -> None:
    expected = f"DEPLOY V{typer.__version__} (PYTHON {_python()})"
    assert typer.get_version_banner(prefix="deploy", uppercase=True) == expected
    assert typer.get_version_banner(uppercase=True).startswith("TYPER V")
"""
TEST_SHA256 = hashlib.sha256(TEST_FILE.encode()).hexdigest()

MODULE_PATH = "typer/_version_banner.py"
_MODULE = '''\
"""A one-line banner naming a tool, typer's version and the running Python."""

import sys

from . import __version__


def get_version_banner(prefix: str = "Typer", uppercase: bool = False) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    banner = f"{prefix} v{__version__} (Python {python})"
    return banner.upper() if uppercase else banner
'''
_EXPORT_ANCHOR = "from ._click.utils import get_text_stream as get_text_stream\n"
_EXPORT = "from ._version_banner import get_version_banner as get_version_banner\n"

PROMPT = f"""\
You are working in a checkout of typer 0.26.8. Add a function

    get_version_banner(prefix: str = "Typer", uppercase: bool = False) -> str

that returns '{{prefix}} v{{typer.__version__}} (Python {{major}}.{{minor}})', fully upper-cased
when `uppercase` is true, and make it importable as `typer.get_version_banner`. The tests in
`{TEST_PATH}` describe it; do not change that file.

The checks must pass:

    mypy typer
    ruff check typer tests docs_src scripts
    pytest -q --no-cov -n auto

`fep-check` runs all three exactly as the judge will. Do not add `# type: ignore` or
`# noqa`, and change only files under `typer/` and `tests/`. When you are done, reply with
a short summary.
"""


class T3Task(TyperTask):
    id = "T3"
    title = "typer: add typer.get_version_banner, specified by a test file that must not change"
    prompt = PROMPT
    check_command = f"python -m pytest -q --no-cov -p no:cacheprovider {TEST_PATH}"
    recheck_command = (
        "mypy typer && ruff check --output-format concise typer tests docs_src scripts && "
        f"python -m pytest -q --no-cov -p no:cacheprovider {TEST_PATH} tests/test_others.py"
    )

    def reference_fixes(self, base: TyperBase) -> tuple[Fix, ...]:
        return (
            Fix(
                "T3-module",
                MODULE_PATH,
                "feature",
                f"create {MODULE_PATH} with the function",
                "",
                _MODULE,
            ),
            Fix(
                "T3-export",
                "typer/__init__.py",
                "feature",
                "export it from typer/__init__.py in sorted position",
                _EXPORT_ANCHOR,
                _EXPORT_ANCHOR + _EXPORT,
            ),
        )

    def alter(self, root: Path, base: TyperBase) -> None:
        (root / TEST_PATH).write_text(TEST_FILE)

    def verify(self, root: Path) -> list[str]:
        problems = super().verify(root)
        try:
            provided = read_bytes(root, TEST_PATH)
        except FileNotFoundError:
            problems.append(f"{TEST_PATH} was deleted")
        except OSError as exc:  # a link, FIFO or directory in its place: never followed
            problems.append(f"{TEST_PATH} was replaced ({exc})")
        else:
            if hashlib.sha256(provided).hexdigest() != TEST_SHA256:
                problems.append(f"{TEST_PATH} was changed (sha256 differs from the provided file)")
        return problems
