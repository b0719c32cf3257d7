from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from engine.events import Event
from engine.sim import SimulatorServer

if TYPE_CHECKING:
    from engine.trial import TrialOutcome


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The backend of `async def` tests (the modules marked `pytest.mark.anyio`; anyio's
    own pytest plugin runs them): asyncio, the app's loop."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _apps_end_once_their_screens_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pilot session ends the app itself, not through `q`. Ended while help and the
    dialog were still being built off screen (10-100 ms after start), the app crashed
    inside Textual (FepApp.screens_built); a test that finishes that early waits, as `q`
    does."""
    from fep_tui.app import FepApp

    original = FepApp.run_test

    @asynccontextmanager
    async def run_test(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with original(self, *args, **kwargs) as pilot:
            try:
                yield pilot
            finally:
                await self.screens_built()

    monkeypatch.setattr(FepApp, "run_test", run_test)


def fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter: for what depends on what is already imported."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


class Recorder:
    """An event sink that keeps everything, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A simulator of the tiny task, for tests that talk to it through an SDK directly."""
    from engine.sim import Scenario
    from tasks import get_task

    with SimulatorServer(Scenario.of(get_task("tiny"), 0)) as server:
        yield server


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "sessions"
    monkeypatch.setenv("FEP_SESSIONS_DIR", str(directory))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return directory


@pytest.fixture
def sent_bodies(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """Every request body the simulator receives, per API, in order (the simulator itself
    keeps only the last few)."""
    sent: dict[str, list[dict[str, Any]]] = {"anthropic": [], "ollama": []}
    keep = SimulatorServer._keep

    def record(self: SimulatorServer, api: str, body: dict[str, Any]) -> None:
        sent[api].append(copy.deepcopy(body))
        keep(self, api, body)

    monkeypatch.setattr(SimulatorServer, "_keep", record)
    return sent


@pytest.fixture
def captured_servers(monkeypatch: pytest.MonkeyPatch) -> list[SimulatorServer]:
    """Every simulator a trial starts, so a test can read what it billed and received."""
    servers: list[SimulatorServer] = []
    original_start = SimulatorServer.start

    def start(self: SimulatorServer) -> SimulatorServer:
        servers.append(self)
        return original_start(self)

    monkeypatch.setattr(SimulatorServer, "start", start)
    return servers


@dataclass(frozen=True)
class TinyTrial:
    """One simulated trial of a built-in arm on tiny at its default terms: its outcome, every
    event it emitted, its session file, and the simulator that served it (what it billed and
    received)."""

    outcome: TrialOutcome
    events: list[Event]
    path: Path
    server: SimulatorServer

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


@pytest.fixture(scope="session")
def tiny_trial(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], TinyTrial]:
    """The default trial of an arm on tiny, run once for the whole test session: a dozen
    tests read the same trial, and each run of it takes 5-7 s. Read it, never change it."""
    from engine import TrialConfig, resolve_arm, run_trial
    from sessions import SessionWriter

    trials: dict[str, TinyTrial] = {}

    def trial(arm: str) -> TinyTrial:
        if arm not in trials:
            recorder = Recorder()
            writer = SessionWriter(tmp_path_factory.mktemp(f"tiny-{arm}"))
            servers: list[SimulatorServer] = []
            original_start = SimulatorServer.start

            def start(self: SimulatorServer) -> SimulatorServer:
                servers.append(self)
                return original_start(self)

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(SimulatorServer, "start", start)
                outcome = asyncio.run(
                    run_trial(TrialConfig(resolve_arm(arm), "tiny"), [writer, recorder])
                )
            assert writer.path is not None
            trials[arm] = TinyTrial(outcome, list(recorder.events), writer.path, servers[0])
        return trials[arm]

    return trial


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`fep-tui ARGS` in a fresh interpreter with exactly `env`, as a script would run it:
    no terminal (stdin is empty, output is captured)."""
    return subprocess.run(
        [sys.executable, "-m", "fep_tui.cli", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
