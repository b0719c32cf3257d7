"""Replay of a large session: open to a drawn trial screen, jump to the last turn, memory.

Targets (issue: the app): a 200,000-event (~100 MB) session opens to a drawn trial screen in
under 1 s and jumps to its last turn in under 100 ms; the app stays under 300 MB resident.
Run: .venv/bin/python -m bench.replay_open [EVENTS]
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report
from bench.synthetic import write_session
from fep_tui.app import FepApp, StartReplay
from fep_tui.screens.trial import TrialScreen
from fep_tui.widgets.counters import CountersBar
from sessions.index_cache import cache_path

TARGET_OPEN_S = 1.0
TARGET_JUMP_S = 0.100
TARGET_RSS_MB = 300.0


def _drawn(app: FepApp) -> bool:
    screen = app.screen
    return isinstance(screen, TrialScreen) and "turn" in screen.query_one(CountersBar).text.plain


async def measure(path: Path) -> tuple[float, float]:
    started = time.perf_counter()
    app = FepApp(path.parent, start=StartReplay(path))
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, TrialScreen) or "turn" not in str(
            app.screen.query_one(CountersBar).render()
        ):
            await pilot.pause(0.005)
        await pilot.pause(0)
        opened = time.perf_counter() - started
        screen = app.screen
        assert screen.replay is not None
        screen.seek(0)
        last_turn = screen.replay.clock.turn_starts[-1] + 1
        jump_started = time.perf_counter()
        screen.seek(last_turn)
        await pilot.pause(0)
        jumped = time.perf_counter() - jump_started
    return opened, jumped


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench-session.jsonl"
        written = write_session(path, events)
        size_mb = path.stat().st_size / 1e6
        print(f"session: {written:,} events, {size_mb:.1f} MB")
        first_open, _ = asyncio.run(measure(path))
        assert cache_path(path).exists(), "the first open keeps its index beside the file"
        opened, jumped = asyncio.run(measure(path))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("(first open scans the file once and keeps the index; later opens load it)")
    report("first open (one pass, index built)", first_open, TARGET_OPEN_S, "s")
    report("open to a drawn trial screen", opened, TARGET_OPEN_S, "s")
    report("jump to the last turn", jumped * 1000, TARGET_JUMP_S * 1000, "ms")
    report("peak resident memory", rss_mb, TARGET_RSS_MB, "MB")


if __name__ == "__main__":
    main()
