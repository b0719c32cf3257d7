"""Live streaming: the screen keeps up with a fast event stream and keys stay responsive.

Target (issue: the app): at 2,000 text deltas per second or more, the screen falls behind
by no more than 100 ms, and a keystroke is answered promptly. A producer task in the app's
own event loop (where the engine runs too) emits text deltas at RATE per second, a usage
event every 40 deltas, for SECONDS; every frame records which events it has drawn.
Run: .venv/bin/python -m bench.live_stream [RATE] [SECONDS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report
from engine import TrialConfig, resolve_arm
from engine.events import TextDelta, TurnStarted, TurnUsage
from fep_tui.app import FepApp
from fep_tui.screens.help import HelpScreen
from fep_tui.screens.trial import TrialScreen
from fep_tui.sources import LiveTrial

TARGET_RATE = 2000.0
TARGET_LAG_MS = 100.0
TARGET_KEY_MS = 100.0
BURST_S = 0.005


async def produce(live: LiveTrial, rate: float, seconds: float, emitted: list[float]) -> None:
    start = time.monotonic()
    turn, sent = 0, 0
    while (now := time.monotonic()) - start < seconds:
        due = int((now - start) * rate)
        while sent < due:
            if sent % 40 == 0:
                turn += 1
                live.emit(TurnStarted(now - start, "orchestrator", turn, "claude-opus-4-7"))
                emitted.append(time.monotonic())
            live.emit(TextDelta(now - start, "orchestrator", turn, f"token{sent} "))
            emitted.append(time.monotonic())
            sent += 1
            if sent % 40 == 0:
                usage = {
                    "input_tokens": 10,
                    "output_tokens": 40,
                    "cache_write_5m": 0,
                    "cache_write_1h": 0,
                    "cache_read": 100 * turn,
                }
                live.emit(
                    TurnUsage(
                        now - start,
                        "orchestrator",
                        turn,
                        "claude-opus-4-7",
                        usage,
                        usage,
                        0.001,
                        100 * turn,
                        0.0,
                        0.001 * turn,
                        0.001 * turn,
                        0.5,
                        {"base": 100 * turn},
                    )
                )
                emitted.append(time.monotonic())
        await asyncio.sleep(BURST_S)


async def measure(rate: float, seconds: float) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as directory:
        app = FepApp(Path(directory))
        async with app.run_test(size=(120, 40)):
            live = LiveTrial(TrialConfig(resolve_arm("B"), "tiny"), Path(directory))
            live.started = time.monotonic()
            screen = TrialScreen(live)
            drawn: list[tuple[float, int]] = []
            original = screen.frame

            def frame() -> None:
                original()
                drawn.append((time.monotonic(), screen.applied))

            screen.frame = frame  # type: ignore[method-assign]
            await app.push_screen(screen)
            emitted: list[float] = []
            producer = asyncio.create_task(produce(live, rate, seconds, emitted))
            # Plain sleeps and a posted key, as a terminal would send it: Pilot's own
            # waits hold until the screen settles, which a live stream never lets happen.
            await asyncio.sleep(seconds / 2)
            pressed = time.monotonic()
            app.simulate_key("question_mark")
            while not isinstance(app.screen, HelpScreen):
                await asyncio.sleep(0.001)
            key_ms = (time.monotonic() - pressed) * 1000
            app.simulate_key("escape")
            await producer
            await asyncio.sleep(0.3)
    lags, frame_index = [], 0
    for index, emitted_at in enumerate(emitted):
        while frame_index < len(drawn) and drawn[frame_index][1] <= index:
            frame_index += 1
        if frame_index < len(drawn):
            lags.append(drawn[frame_index][0] - emitted_at)
    lags.sort()
    achieved = sum(1 for _ in emitted) / seconds
    return achieved, lags[-1] * 1000, lags[int(len(lags) * 0.99)] * 1000, key_ms


def main() -> None:
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 4000.0
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    achieved, worst, p99, key_ms = asyncio.run(measure(rate, seconds))
    print(f"stream: {achieved:,.0f} events/s for {seconds:g} s (text deltas, turns, usage)")
    report("events per second streamed", achieved, TARGET_RATE, "ev/s", at_least=True)
    report("screen behind the stream, worst", worst, TARGET_LAG_MS, "ms")
    report("screen behind the stream, p99", p99, TARGET_LAG_MS, "ms")
    report("keystroke to help screen", key_ms, TARGET_KEY_MS, "ms")


if __name__ == "__main__":
    main()
