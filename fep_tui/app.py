"""The Textual app: home (sessions), the trial screen (live or replay), help and the palette."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from engine.arms import BUILTIN_ARMS, ArmSpec, resolve_arm
from engine.batch import BatchPlan
from engine.pricing import OFFICIAL
from engine.trial import TrialConfig, TrialConfigError, check_config
from fep_tui.commands import ScreenActions
from fep_tui.screens.help import HelpScreen
from fep_tui.screens.home import HomeScreen
from fep_tui.screens.indexing import IndexingScreen
from fep_tui.screens.new_trial import NewTrialScreen, TrialRequest
from fep_tui.screens.trial import TrialScreen
from fep_tui.sources import LiveTrial, ReplaySession
from sessions import SessionFileError
from sessions.analysis.whatif import WhatIf
from sessions.index import SessionIndex
from sessions.index_cache import load as load_index
from sessions.index_cache import open_index
from tasks import get_task

# Simulated streams are paced in the app so a person can watch a turn arrive.
APP_SIM_STREAM_DELAY_S = 0.01
# Files up to this size are indexed before their screen opens (well under a second); larger
# ones seen for the first time get a progress screen while a worker indexes them.
INDEX_IN_PLACE_BYTES = 32 << 20


@dataclass(frozen=True)
class StartLive:
    config: TrialConfig


@dataclass(frozen=True)
class StartReplay:
    path: Path


@dataclass(frozen=True)
class StartCompare:
    directories: list[Path]
    imports: list[Path]
    whatif: WhatIf | None = None


@dataclass(frozen=True)
class StartBatch:
    plan: BatchPlan
    directory: Path


class FepApp(App[None]):
    CSS_PATH = "fep_tui.tcss"
    TITLE = "fep-tui"
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("ctrl+n", "new_trial", "New trial", show=False, id="app.new"),
    ]

    def __init__(
        self,
        sessions_dir: Path,
        arms: dict[str, ArmSpec] | None = None,
        start: StartLive | StartReplay | StartCompare | StartBatch | None = None,
    ) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.arms = {**BUILTIN_ARMS, **(arms or {})}
        self.start = start
        self.live_trials: list[LiveTrial] = []

    def on_mount(self) -> None:
        # Everything imported so far (SDKs, pydantic models, Textual) lives as long as the
        # app. Freezing it keeps full collections from re-scanning it: unfrozen, each took
        # 150-400 ms and stalled a live stream (bench/live_stream.py).
        gc.freeze()
        self.push_screen(HomeScreen(self.sessions_dir))
        if isinstance(self.start, StartLive):
            self.start_trial(self.start.config)
        elif isinstance(self.start, StartReplay):
            self.open_replay(self.start.path)
        elif isinstance(self.start, StartBatch):
            from fep_tui.screens.batch import BatchScreen

            self.push_screen(BatchScreen(self.start.plan, self.start.directory))
        elif isinstance(self.start, StartCompare):
            self.open_compare(self.start.directories, self.start.imports, self.start.whatif)

    def open_compare(
        self, directories: list[Path], imports: list[Path], whatif: WhatIf | None = None
    ) -> None:
        from fep_tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(directories, imports, whatif))

    def start_trial(self, config: TrialConfig) -> LiveTrial:
        if not get_task(config.task_id).provisioned():
            self.notify(
                f"preparing {config.task_id} for the first time: typer 0.26.8 and its test "
                "environment from the package index (about 20 s)",
                timeout=20,
            )
        live = LiveTrial(config, self.sessions_dir)
        self.live_trials.append(live)
        self.run_worker(live.run(), name=live.trial_id, group="trials", exit_on_error=False)
        self.push_screen(TrialScreen(live))
        return live

    def open_replay(self, path: Path) -> None:
        try:
            index = load_index(path)
            if index is None and path.stat().st_size <= INDEX_IN_PLACE_BYTES:
                index = open_index(path)
        except (SessionFileError, FileNotFoundError) as exc:
            reason = (
                str(exc) if isinstance(exc, SessionFileError) else f"{path}: no such session file"
            )
            self.notify(reason, title="cannot open session", severity="error", timeout=8)
            return
        if index is None:
            # A large file seen for the first time: progress while a worker indexes it.
            self.push_screen(IndexingScreen(path))
            return
        self._show_replay(index, push=True)

    def _show_replay(self, index: SessionIndex, *, push: bool) -> None:
        if index.problems:
            self.notify(
                "; ".join(index.problems[:3]),
                title="loaded what is whole",
                severity="warning",
            )
        screen = TrialScreen(ReplaySession(index))
        if push:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)

    def on_indexing_screen_ready(self, message: IndexingScreen.Ready) -> None:
        self._show_replay(message.index, push=False)

    def on_indexing_screen_failed(self, message: IndexingScreen.Failed) -> None:
        self.pop_screen()
        self.notify(message.reason, title="cannot open session", severity="error", timeout=8)

    def action_new_trial(self) -> None:
        def chosen(request: TrialRequest | None) -> None:
            if request is None:
                return
            config = TrialConfig(
                resolve_arm(request.arm, self.arms),
                request.task,
                backend="live" if request.backend == "live" else "sim",
                seed=request.seed,
                rate_card=OFFICIAL,
                sim_stream_delay_s=APP_SIM_STREAM_DELAY_S,
            )
            try:
                check_config(config)
            except (TrialConfigError, LookupError) as exc:
                self.notify(str(exc), title="cannot start the trial", severity="error", timeout=8)
                return
            self.start_trial(config)

        self.push_screen(NewTrialScreen(self.arms), chosen)

    def action_help(self) -> None:
        from fep_tui.screens.batch import BatchScreen
        from fep_tui.screens.compare import CompareScreen
        from fep_tui.screens.side_by_side import SideBySideScreen

        sections = {
            "Everywhere": list(self.BINDINGS),
            "Sessions (home)": list(HomeScreen.BINDINGS),
            "Trial (live and replay)": list(TrialScreen.BINDINGS),
            "Batch": list(BatchScreen.BINDINGS),
            "Compare": list(CompareScreen.BINDINGS),
            "Side by side": list(SideBySideScreen.BINDINGS),
        }
        self.push_screen(HelpScreen(sections))  # type: ignore[arg-type]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "batch":
            self.notify(f"batch stopped: {event.worker.error}", severity="error", timeout=10)
        if event.state == WorkerState.ERROR and event.worker.group == "trials":
            error = event.worker.error
            self.notify(f"trial {event.worker.name} failed: {error}", severity="error", timeout=10)
