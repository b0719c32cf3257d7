"""A per-trial virtual environment layered over the shared test environment.

typer's own tests run `python -m coverage run docs_src/...` in subprocesses with PYTHONPATH
replaced, so typer must be importable from the interpreter itself, not from PYTHONPATH. The
overlay is a venv without pip (tens of milliseconds) whose `.pth` file puts the trial's tree
and the shared site-packages on sys.path; trials never write to the shared environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tasks.judge import HARNESS_COMMAND
from tasks.typer_base.provision import TyperBase

OVERLAY_DIR = ".venv"  # ruff, mypy and pytest skip it like any project's own venv
HARNESS_SCRIPT = HARNESS_COMMAND


def make_overlay(root: Path, base: TyperBase, task_id: str) -> Path:
    venv = root / OVERLAY_DIR
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / version / "site-packages"
    (site / "fep_overlay.pth").write_text(
        f"{root.resolve()}\nimport site; site.addsitedir({str(base.site_packages)!r})\n"
    )
    bin_dir = venv / "bin"
    (bin_dir / "ruff").symlink_to(base.env / "bin" / "ruff")
    for module in ("mypy", "pytest", "coverage"):
        _script(bin_dir / module, f'exec "$(dirname "$0")/python" -m {module} "$@"')
    _script(
        bin_dir / HARNESS_SCRIPT,
        f'exec {sys.executable!s} -m tasks.harness {task_id} "$@"',
    )
    return venv


def overlay_environment(root: Path) -> dict[str, str]:
    """PATH and the variables the published harness sets for typer's tests."""
    bin_dir = root / OVERLAY_DIR / "bin"
    return {
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "VIRTUAL_ENV": str(root / OVERLAY_DIR),
        "TERMINAL_WIDTH": "3000",
        "_TYPER_FORCE_DISABLE_TERMINAL": "1",
        "_TYPER_RUN_INSTALL_COMPLETION_TESTS": "0",
    }


def _script(path: Path, line: str) -> None:
    path.write_text(f"#!/bin/sh\n{line}\n")
    path.chmod(0o755)
