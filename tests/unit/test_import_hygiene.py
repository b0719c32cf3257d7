"""The engine, tasks and sessions run headless: none of their modules may import textual."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import engine
import sessions
import tasks
from tests.compare_fixtures import published_line
from tests.conftest import fresh_python


def _core_modules() -> list[str]:
    names = []
    for package in (engine, tasks, sessions):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".project" not in info.name:
                names.append(info.name)
    return names


def test_every_core_module_is_covered() -> None:
    names = _core_modules()
    assert {"engine.sim.server", "engine.trial", "sessions.reader", "tasks.tiny"} <= set(names)


def test_no_core_module_imports_textual() -> None:
    # One fresh interpreter imports every core module; textual must not be loaded after.
    code = (
        "import importlib, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    if any(m == 'textual' or m.startswith('textual.') for m in sys.modules):\n"
        "        print(name); sys.exit(1)\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, f"{result.stdout.strip()} imports textual\n{result.stderr}"


def _loaded_after(steps: str, watched: set[str]) -> str:
    """Which of `watched` a fresh interpreter has loaded after starting the app and
    running `steps` (the body of a Pilot session, indented by eight spaces)."""
    code = (
        "import asyncio, sys, tempfile\n"
        "from pathlib import Path\n"
        "from fep_tui.app import FepApp\n"
        "from fep_tui.screens.help import HelpScreen\n"
        "from fep_tui.screens.home import HomeScreen\n"
        "async def main():\n"
        "    app = FepApp(Path(tempfile.mkdtemp()))\n"
        "    async with app.run_test() as pilot:\n"
        f"{steps}"
        "        await app.screens_built()\n"
        "asyncio.run(main())\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print(' '.join(sorted(loaded & set({sorted(watched)!r}))))\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_app_opens_help_without_loading_the_statistics_stack() -> None:
    """`?` lists every screen's keys. Reading them from the screens imported the compare
    screen, and with it pandas and scipy: 1.2 s before help appeared, 2.3 s mid-stream."""
    steps = (
        "        await pilot.press('question_mark')\n"
        "        assert isinstance(app.screen, HelpScreen)\n"
        "        shown = {b.description for keys in app.screen.sections.values() for b in keys}\n"
        "        assert {'Export', 'Charts', 'Side by side', 'Open trial'} <= shown, shown\n"
    )
    heavy = _loaded_after(steps, {"pandas", "scipy", "matplotlib"})
    assert heavy == "", f"help loaded {heavy}"


def test_home_opens_without_the_sdk_clients_or_httpx() -> None:
    """The SDKs and httpx are for a trial that starts; home must not wait for them. httpx
    alone brought click, pygments and rich.syntax with it: 40-60 ms of every start, where
    bench/home_open.py allows 1 s in all."""
    steps = "        await pilot.pause()\n        assert isinstance(app.screen, HomeScreen)\n"
    loaded = _loaded_after(steps, {"httpx", "anthropic", "ollama", "click"})
    assert loaded == "", f"home loaded {loaded}"


def test_batch_and_search_without_ray_never_import_ray() -> None:
    """Ray is an optional extra: everything a batch or search loads without `--ray`,
    the Ray runner's own module included, must run where Ray is not installed."""
    code = (
        "import sys\n"
        "import engine.batch, engine.runners, engine.ray_runner\n"
        "import fep_tui.commands.batch, fep_tui.commands.search, fep_tui.screens.batch\n"
        "from fep_tui.commands.common import trial_runner\n"
        "assert trial_runner(None) is None\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_compare_prints_its_tables_without_pandas_or_numpy(tmp_path: Path) -> None:
    """Importing pandas took 0.37 s and numpy 0.09 s of the 0.62 s `compare --import` took
    on a paper's 40 rows; the tables, tests and intervals need neither (charts still do)."""
    published = tmp_path / "published.jsonl"
    published.write_text(
        "\n".join(
            published_line(
                "AB"[n % 2],
                "T1",
                n,
                {"claude-opus-4-7": {"input_tokens": 100 + n, "cache_read_input_tokens": 900}},
                {"claude-opus-4-7": 0.01 * (n + 1)},
            )
            for n in range(12)
        )
        + "\n"
    )
    code = (
        "import sys\n"
        "from fep_tui.cli import main\n"
        f"code = main(['compare', '--import', {str(published)!r}, '--format', 'csv'])\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print('heavy:', ' '.join(sorted(loaded & {'pandas', 'numpy', 'scipy', 'matplotlib'})))\n"
        "sys.exit(code)\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert "# arms:" in result.stdout, result.stdout
    assert result.stdout.strip().splitlines()[-1] == "heavy:", result.stdout
