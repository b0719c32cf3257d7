"""The Textual app: home (sessions), the trial screen (live or replay), help and the palette."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from engine.arms import BUILTIN_ARMS, ArmSpec, resolve_arm
from engine.batch import BatchPlan
from engine.preflight import PreflightError
from engine.pricing import get_rate_card
from engine.runners import TrialRunner
from engine.trial import TrialConfig, TrialConfigError
from fep_tui import keys
from fep_tui.engine_thread import SHUTDOWN_S
from fep_tui.palette import ScreenActions
from fep_tui.running import RunningTrials
from fep_tui.screens.confirm import ConfirmScreen
from fep_tui.screens.help import HelpScreen
from fep_tui.screens.home import HomeScreen
from fep_tui.screens.indexing import IndexingScreen
from fep_tui.screens.new_trial import NewTrialScreen, TrialRequest
from fep_tui.screens.trial import TrialScreen
from fep_tui.sources import LiveTrial, ReplaySession
from fep_tui.textual_compat import draw_unseen, start_unseen
from fep_tui.write_guard import WriteGuard
from sessions import SessionFileError
from sessions.analysis.whatif import WhatIf
from sessions.index import SessionIndex
from sessions.index_cache import load as load_index
from sessions.index_cache import open_index
from sessions.prepare import check_live_models, check_trial, containment_warning, first_failed
from tasks import get_task

if TYPE_CHECKING:
    from fep_tui.screens.batch import BatchScreen
    from fep_tui.screens.search import SearchJob, SearchScreen
    from fep_tui.screens.traces import TracesScreen

# Simulated streams are paced in the app so a person can watch a turn arrive.
APP_SIM_STREAM_DELAY_S = 0.01
UNSAVED = (
    f"fep-tui: some running trials were still saving after {SHUTDOWN_S:g} s; "
    "a session file without its end line opens as incomplete."
)
# Files up to this size are indexed before their screen opens (well under a second); larger
# ones seen for the first time get a progress screen while a worker indexes them.
INDEX_IN_PLACE_BYTES = 32 << 20


def _where_they_went(paths: list[str]) -> str:
    """Printed once the app has gone: where each trial it stopped was saved."""
    lines = [f"fep-tui: {len(paths)} running trial(s) saved as interrupted:"]
    lines += [f"  {path}" for path in paths]
    lines.append("a batch resumes them when you run its command again")
    return "\n".join(lines)


@dataclass(frozen=True)
class StartLive:
    config: TrialConfig


@dataclass(frozen=True)
class StartReplay:
    path: Path


@dataclass(frozen=True)
class StartWatch:
    """A Claude Code session being written, followed live (`fep-tui watch`)."""

    transcript: Path


@dataclass(frozen=True)
class StartCompare:
    directories: list[Path]
    imports: list[Path]
    whatif: WhatIf | None = None
    baseline: str = "A"


@dataclass(frozen=True)
class StartSearch:
    job: SearchJob
    directory: Path


@dataclass(frozen=True)
class StartBatch:
    plan: BatchPlan
    directory: Path
    # Where trials run (engine/runners.py): None for the app's own engine thread.
    runner: TrialRunner | None = None


YOUNG_COLLECTION = 10_000
# How long quitting waits for help and the new-trial dialog to finish their build (tens of
# ms, once, just after start) before it ends the app anyway.
BUILD_WAIT_S = 2.0


def _screen_name(trial: LiveTrial) -> str:
    """The name the app installs a started trial's screen under."""
    return f"live-{trial.trial_id}"


class FepApp(App[None]):
    CSS_PATH = "fep_tui.tcss"
    # Installed once and pushed again: help opens without composing it each time.
    SCREENS: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {"help": HelpScreen}
    TITLE = "fep-tui"
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = keys.APP

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, less those the app binds already ("Quit") or answers
        its own way ("Keys": `? more keys`): the palette listed them twice."""
        ours = {
            b.description.lower()
            for b in [*screen.BINDINGS, *self.BINDINGS]
            if isinstance(b, Binding) and b.description
        }
        for command in super().get_system_commands(screen):
            if command.title.lower() not in ours and command.title != "Keys":
                yield command

    def __init__(
        self,
        sessions_dir: Path,
        arms: dict[str, ArmSpec] | None = None,
        start: StartLive
        | StartReplay
        | StartWatch
        | StartCompare
        | StartBatch
        | StartSearch
        | None = None,
        read_only: str | None = None,
    ) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.writes = WriteGuard(read_only)
        self.arms = {**BUILTIN_ARMS, **(arms or {})}
        self.start = start
        self.running = RunningTrials()
        self._batch: BatchScreen | None = None
        # Set once each screen `_prepare_screens` builds has mounted all its widgets.
        self._built: list[asyncio.Event] = []

    def on_mount(self) -> None:
        # Everything imported so far (SDKs, pydantic models, Textual) lives as long as the
        # app. Freezing it keeps full collections from re-scanning it: unfrozen, each took
        # 150-400 ms and stalled a live stream (bench/live_stream.py).
        gc.freeze()
        # Textual's drawn lines (Strips) hold themselves through their caches, so each frame
        # leaves thousands of objects that only a collection frees. Collected at Python's
        # default of every 700 allocations they survived into the old generation and piled
        # up for full collections: 9 in a 5 s live stream, 15-50 ms each. At 10,000 they are
        # freed young: 0.16 s of collection per 5 s instead of 0.57 s, and no full one.
        gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
        self.push_screen(HomeScreen(self.sessions_dir, self.running, self.writes))
        self.call_after_refresh(self._prepare_screens)
        if isinstance(self.start, StartLive):
            self.start_trial(self.start.config)
        elif isinstance(self.start, StartReplay):
            self.open_replay(self.start.path)
        elif isinstance(self.start, StartWatch):
            self.watch_session(self.start.transcript)
        elif isinstance(self.start, StartBatch):
            self.start_batch(self.start.plan, self.start.directory, self.start.runner)
        elif isinstance(self.start, StartSearch):
            from fep_tui.screens.search import SearchScreen

            self.push_screen(SearchScreen(self.start.job, self.start.directory))
        elif isinstance(self.start, StartCompare):
            start = self.start
            self.open_compare(start.directories, start.imports, start.whatif, start.baseline)

    def open_compare(
        self,
        directories: list[Path],
        imports: list[Path],
        whatif: WhatIf | None = None,
        baseline: str = "A",
        arms: frozenset[str] | None = None,
    ) -> None:
        from fep_tui.screens.compare import CompareScreen

        self.push_screen(CompareScreen(directories, imports, whatif, baseline, arms, self.writes))

    def start_trial(self, config: TrialConfig) -> LiveTrial:
        if not get_task(config.task_id).provisioned():
            self.notify(
                f"preparing {config.task_id} for the first time: typer 0.26.8 and its test "
                "environment from the package index (about 20 s)",
                timeout=20,
            )
        warning = containment_warning(config)
        if warning is not None:
            self.notify(warning, title="live trial", severity="warning", timeout=12)
        live = LiveTrial(config, self.sessions_dir)
        self.running.add(live)
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.select_later(live.path)
        self.run_worker(
            self.running.engine.run(live.run()),
            name=live.trial_id,
            group="trials",
            exit_on_error=False,
        )
        self.show_live(live)
        return live

    def watch_session(self, transcript: Path) -> None:
        # Imported here: the transcript reader is not needed to start the app.
        from fep_tui.watched import WatchedSession

        self.push_screen(TrialScreen(WatchedSession(transcript)))

    def show_live(self, live: LiveTrial) -> None:
        """A trial started here, on its screen. One per trial, kept while the trial runs:
        opened again (from home or the batch screen) it is shown as it is, where building
        it anew took 85-126 ms during a fast stream with both cores busy
        (bench/live_stream.py). Finished trials' screens not shown are let go."""
        for trial in self.running.trials:
            kept = _screen_name(trial)
            if trial.finished and trial is not live and self.is_screen_installed(kept):
                screen = self.get_screen(kept)
                if screen not in self.screen_stack:
                    self.uninstall_screen(kept)
                    screen.remove()
        name = _screen_name(live)
        if not self.is_screen_installed(name):
            self.install_screen(TrialScreen(live), name)
        self.push_screen(name)

    def on_batch_screen_open_trial(self, message: BatchScreen.OpenTrial) -> None:
        self.show_live(message.trial)

    def start_batch(
        self, plan: BatchPlan, directory: Path, runner: TrialRunner | None = None
    ) -> None:
        from fep_tui.screens.batch import BatchScreen

        # Installed, so leaving it keeps it (and its grid) for `b` and the palette.
        self._batch = BatchScreen(plan, directory, self.running, runner)
        if self.is_screen_installed("batch"):
            self.uninstall_screen("batch")
        self.install_screen(self._batch, "batch")
        self.push_screen("batch")

    def action_batch(self) -> None:
        if self._batch is None:
            self.notify("no batch in this session: start one with `fep-tui batch`", timeout=5)
        elif self.screen is not self._batch:
            self.push_screen("batch")

    def on_home_screen_open_session(self, message: HomeScreen.OpenSession) -> None:
        live = self.running.by_path(message.path)
        if live is not None:
            self.show_live(live)
        else:
            self.open_replay(message.path)

    def on_home_screen_show_traces(self, message: HomeScreen.ShowTraces) -> None:
        # Imported here: the traces screen brings the transcript reader, which the app's
        # start does not need.
        from fep_tui.screens.traces import TracesScreen
        from sessions.analysis.claude_code.layout import default_projects_dir

        self.push_screen(TracesScreen(message.directory, default_projects_dir(), self.writes))

    def on_traces_screen_open_session(self, message: TracesScreen.OpenSession) -> None:
        self.open_replay(message.path)

    def on_search_screen_compare_trials(self, message: SearchScreen.CompareTrials) -> None:
        # Only this search's candidates: the directory holds every other trial too.
        self.open_compare([message.directory], [], arms=message.arms)

    def on_home_screen_compare_sessions(self, message: HomeScreen.CompareSessions) -> None:
        self.open_compare([message.directory], [])

    async def action_quit(self) -> None:
        await self.screens_built()
        running = self.running.running()
        if not running:
            self.exit()
            return
        live = sum(1 for t in running if t.config.backend == "live")
        cost = f", {live} of them on live APIs (billed)" if live else ""
        question = (
            f"{len(running)} trial(s) still running{cost}.\nQuit and save them as interrupted?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                paths = [str(t.path) for t in running if t.path is not None]
                saved = self.running.shutdown()
                self.exit(message=_where_they_went(paths) if saved else UNSAVED)

        self.push_screen(ConfirmScreen(question), answered)

    def on_unmount(self) -> None:
        # However the app ends, running trials end their files as `interrupted`.
        self.running.shutdown()

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

    def _config(self, request: TrialRequest) -> TrialConfig:
        arm = resolve_arm(request.arm, self.arms)
        if request.return_cap is not None:
            arm = arm.with_return_cap(request.return_cap)
        return TrialConfig(
            arm,
            request.task,
            backend="live" if request.backend == "live" else "sim",
            seed=request.seed,
            rate_card=get_rate_card(request.rate_card),
            sim_stream_delay_s=APP_SIM_STREAM_DELAY_S,
        )

    async def _check_request(self, request: TrialRequest) -> str | None:
        """What stops this trial from starting (the dialog shows it and stays), or None.
        A live trial's local models are checked with Ollama here, not after the dialog."""
        try:
            config = self._config(request)
            await self.running.engine.run(check_trial(config))
            failed = first_failed(await self.running.engine.run(check_live_models([config])))
        except (TrialConfigError, PreflightError, LookupError) as exc:
            return str(exc)
        if failed is not None:
            return f"doctor: {failed.subject}: {failed.detail}"
        return None

    def action_new_trial(self) -> None:
        if self.writes.refused(self, "new trials"):
            return

        def chosen(request: TrialRequest | None) -> None:
            if request is not None:
                self.start_trial(self._config(request))

        # One dialog for the app's life, so it opens again with the last trial's choices.
        self._prepare_screens()
        self.push_screen("new-trial", chosen)

    def _prepare_screens(self) -> None:
        """Compose help and the new-trial dialog now, off screen, not on the key that opens
        them. Composing the dialog's 70 widgets was most of its first opening: during a live
        stream, 0.10-0.21 s, against 0.05-0.09 s composed ahead (bench/live_stream.py).
        Both stay installed, so this happens once per app."""
        if not self.is_screen_installed("new-trial"):
            self.install_screen(NewTrialScreen(self.arms, self._check_request), "new-trial")
        for name in ("help", "new-trial"):
            screen = self.get_screen(name)
            if not screen.is_running:
                # What push_screen does first for a screen it has not run: start it, which
                # composes it (fep_tui/textual_compat.py).
                start_unseen(self, screen)
                built = asyncio.Event()
                # Queued behind its composing and mounting, so it runs once they are done.
                # Only the dialog is drawn ahead: help, one long text, opened 10-20 ms
                # slower drawn ahead than not (bench/live_stream.py, alternating runs).
                if name == "new-trial":
                    screen.call_later(self._warm, screen, built)
                else:
                    screen.call_later(built.set)
                self._built.append(built)

    def _warm(self, screen: Screen[Any], built: asyncio.Event) -> None:
        """Lay `screen` out at the app's size and draw it once, unseen, so that its first
        opening costs what later ones do: composed ahead but never laid out, the dialog's
        first opening during a loaded live stream took 87-138 ms against 55-76 ms warmed,
        in alternating runs of bench/live_stream.py. What the drawing leaves is Textual's
        per-widget line caches; the drawn frame itself is dropped. Textual has no public
        call for either step: these are what showing a screen does first."""
        draw_unseen(screen, self.size)
        built.set()

    async def screens_built(self) -> None:
        """Wait for the screens built ahead to finish mounting. Ending the app during their
        build (the first 10-100 ms after start) closed a Select's parts before its own mount
        ran, and the app ended in a traceback from inside Textual. Quitting waits for this;
        so must a harness that ends the app itself (Pilot's `run_test` does)."""
        pending = [built.wait() for built in self._built if not built.is_set()]
        if pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending), BUILD_WAIT_S)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen("help")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "batch":
            self.notify(f"batch stopped: {event.worker.error}", severity="error", timeout=10)
        if event.state == WorkerState.ERROR and event.worker.group == "trials":
            error = event.worker.error
            self.notify(f"trial {event.worker.name} failed: {error}", severity="error", timeout=10)
