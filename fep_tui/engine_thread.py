"""The engine's own thread: every trial the app runs, runs here, off the loop that handles keys.

A running trial encodes JSON, redacts, counts tokens and writes its session file. On the
app's loop that work delayed keystrokes by up to 2.6 s while a trial streamed; here it
shares only the GIL with the screen. Events cross back in batches (`LiveTrial.pull`), and
results and endings come back as the awaited value of `run` or as posted messages.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# How long quitting waits for running trials to write `interrupted` and close their files.
SHUTDOWN_S = 10.0
# A trial still running this long after its cancellation is cancelled again: in Python 3.11
# a cancellation that arrives as an awaited step completes is lost (asyncio.wait_for returns
# the result instead), and such a trial would run on to its end past the wait.
RECANCEL_S = 0.5
# The engine's thread runs this much nicer than the screen's. Threads and processes it
# starts inherit it, the judge's pytest and the agent's shell among them, so when they keep
# both cores busy the keys and the frames still get their turn. It only matters while the
# machine is contended; an idle machine runs the trial at full speed.
ENGINE_NICE = 5


class EngineThread:
    """One daemon thread running one asyncio loop, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[concurrent.futures.Future[Any]] = set()

    def _started(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=_run_nicer, args=(loop,), name="fep-engine", daemon=True
            )
            self._thread.start()
            self._loop = loop
        return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._started())
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        return future

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the engine's loop and await its result from the caller's loop.
        Cancelling the caller cancels it there too (a trial then saves `interrupted`)."""
        return await asyncio.wrap_future(self.submit(coroutine))

    def shutdown(self, timeout: float = SHUTDOWN_S) -> bool:
        """Cancel what still runs, wait for it to finish its files, then stop the loop.
        False when time ran out first: a file left without its end line opens as
        incomplete. Quitting must not end in a traceback for that."""
        loop = self._loop
        if loop is None:
            return True
        self._loop = None
        for future in list(self._tasks):
            future.cancel()
        # A cancelled future is done at once, but its task on the engine's loop ends only
        # when its cleanup (the `interrupted` line, the closed file) has run.
        settling = asyncio.run_coroutine_threadsafe(_settle(timeout), loop)
        try:
            # A little longer than `_settle` waits: a loop held by blocking work answers late.
            if not settling.result(timeout + 1.0):
                # Left running, the late trials may still save before the process ends; the
                # thread is a daemon, so it does not hold the exit.
                return False
        except TimeoutError:
            return False
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                loop.close()
        return True


def _run_nicer(loop: asyncio.AbstractEventLoop) -> None:
    # On Linux a thread has its own nice value; elsewhere this raises and is skipped.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENGINE_NICE)
    loop.run_forever()


async def _settle(timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    current = asyncio.current_task()
    while True:
        others = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        left = deadline - loop.time()
        if not others or left <= 0:
            return not others
        _, pending = await asyncio.wait(others, timeout=min(left, RECANCEL_S))
        for task in pending:
            task.cancel()
