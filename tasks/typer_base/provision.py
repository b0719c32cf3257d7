"""typer 0.26.8 from the package index, once: its sdist and a virtual environment with the
test dependencies, cached under the user's data directory and shared by every trial.

Building happens in a scratch directory that is renamed into place only when complete, under
a file lock, so an interrupted build leaves nothing half-made and concurrent trials wait for
one build instead of racing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from tasks.data import data_dir
from tasks.errors import FepError

TYPER_VERSION = "0.26.8"
# The sdist the published experiment used; a different file under this name is refused.
SDIST_SHA256 = "c244a6bd558886fe3f8780efb6bdd28bb9aff005a94eedebaa5cb32926fe2f7e"

# Exact versions: the base must judge the same on every machine and every day. These
# versions give the published clean result (1356 passed, 21 skipped, 2 xfailed).
TEST_REQUIREMENTS = (
    "annotated-doc==0.0.7",
    "coverage[toml]==7.17.3",
    "mypy==2.4.1",
    "pytest==9.2.0",
    "pytest-cov==7.1.0",
    "pytest-xdist==3.8.0",
    "rich==15.0.0",
    "ruff==0.17.6",
    "shellingham==1.5.4",
    "typing_extensions==4.16.0",
)

Progress = Callable[[str], None]


class ProvisionError(FepError):
    """Provisioning failed; the message is one line naming the cause and the fix."""


@dataclass(frozen=True)
class TyperBase:
    """The cached pristine tree and the environment every trial's overlay builds on."""

    root: Path

    @property
    def tree(self) -> Path:
        return self.root / "tree"

    @property
    def env(self) -> Path:
        return self.root / "env"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.env / "lib" / version / "site-packages"

    def ready(self) -> bool:
        return (self.root / "READY").is_file()


def base_if_ready() -> TyperBase | None:
    base = _location()
    return base if base.ready() else None


def _location() -> TyperBase:
    return TyperBase(data_dir() / f"typer-{TYPER_VERSION}-py{_python_tag()}")


def typer_base(progress: Progress | None = None) -> TyperBase:
    """The ready cache, building it first if needed (about 20 s and 140 MB, once)."""
    base = _location()
    if base.ready():
        _readable_by_the_sandbox(base.root)
        return base
    say = progress or (lambda _message: None)
    try:
        base.root.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProvisionError(
            f"cannot create the cache directory {base.root.parent} ({exc.strerror}); "
            "set FEP_TUI_DATA_DIR to a writable directory"
        ) from None
    # One build per machine: trials and Ray workers that start together on a fresh node
    # wait here, then find the cache ready.
    with FileLock(base.root.parent / f"{base.root.name}.lock"):
        if base.ready():  # another process built it while we waited
            return base
        scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=base.root.parent))
        try:
            _build(TyperBase(scratch), say)
            shutil.rmtree(base.root, ignore_errors=True)
            scratch.rename(base.root)
            _fix_paths(base, scratch)
            _readable_by_the_sandbox(base.root)
            (base.root / "READY").write_text(f"typer {TYPER_VERSION}\n")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    say("typer base ready")
    return base


def _readable_by_the_sandbox(root: Path) -> None:
    """Started by root, the sandbox runs as nobody, who must enter the cache: mkdtemp made
    its top 0700. It holds typer's public tree and a test environment, nothing private."""
    if root.stat().st_mode & 0o005 != 0o005:
        root.chmod(0o755)


def _build(base: TyperBase, say: Progress) -> None:
    say(f"downloading typer {TYPER_VERSION} sdist from the package index")
    download = base.root / "download"
    _pip(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"typer=={TYPER_VERSION}",
            "-d",
            str(download),
        ],
        "download typer's sdist",
    )
    sdists = sorted(download.glob(f"typer-{TYPER_VERSION}.tar.gz"))
    if not sdists:
        raise ProvisionError(f"the package index has no sdist for typer {TYPER_VERSION}")
    digest = hashlib.sha256(sdists[0].read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise ProvisionError(
            f"typer-{TYPER_VERSION}.tar.gz from the index has sha256 {digest[:16]}..., not the "
            f"published file's {SDIST_SHA256[:16]}...; check which index pip uses (pip config list)"
        )
    say("unpacking the sdist")
    with tarfile.open(sdists[0]) as archive:
        archive.extractall(base.root, filter="data")
    (base.root / f"typer-{TYPER_VERSION}").rename(base.tree)
    say("creating the test environment")
    subprocess.run([sys.executable, "-m", "venv", str(base.env)], check=True, capture_output=True)
    say("installing mypy, ruff, pytest, pytest-xdist, coverage and typer's dependencies")
    _pip(
        [str(base.env / "bin" / "python"), "-m", "pip", "install", "--quiet", *TEST_REQUIREMENTS],
        "install the test dependencies",
    )
    shutil.rmtree(download)


def _fix_paths(base: TyperBase, built_at: Path) -> None:
    """Console scripts name their interpreter by absolute path; the build ran elsewhere."""
    old, new = str(built_at), str(base.root)
    for script in (base.env / "bin").iterdir():
        if script.is_symlink() or not script.is_file() or script.stat().st_size > 64_000:
            continue
        try:
            text = script.read_text()
        except UnicodeDecodeError:
            continue  # a binary such as ruff
        if old in text:
            script.write_text(text.replace(old, new))
    config = base.env / "pyvenv.cfg"
    config.write_text(config.read_text().replace(old, new))


def _pip(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"pip exited {proc.returncode}"
        raise ProvisionError(
            f"cannot {what} from the package index ({last}); check network access to the "
            "index pip uses (pip config list) and run again"
        )


def _python_tag() -> str:
    return f"{sys.version_info.major}{sys.version_info.minor}"
