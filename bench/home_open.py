"""App start to a drawn home screen with 1,000 sessions.

Target (issue 14): under 1 s from a fresh interpreter (imports included) to the home table
holding every session. The sessions are small files in the real format (home reads a
file's head and end only). Run: .venv/bin/python -m bench.home_open [FILES]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.compare_open import write_sessions
from bench.report import report

TARGET_S = 1.0
RUNS = 3

CHILD = """
import time
started = time.perf_counter()
import asyncio, sys
from pathlib import Path
from textual.widgets import DataTable
from fep_tui.app import FepApp

async def main() -> float:
    app = FepApp(Path(sys.argv[1]))
    async with app.run_test(size=(120, 40)) as pilot:
        while app.screen.query(DataTable).first().row_count < int(sys.argv[2]):
            await pilot.pause(0.005)
        await pilot.pause(0)
        drawn = time.perf_counter() - started
        # Not timed: ending the app while help and the dialog are still built ahead of
        # their keys crashes inside Textual (FepApp.screens_built).
        await app.screens_built()
        return drawn

print(asyncio.run(main()))
"""


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_sessions(directory, count)
        times = []
        for _ in range(RUNS):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(directory), str(count)],
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
    print(
        f"home with {count:,} sessions, {RUNS} cold starts: " + ", ".join(f"{t:.2f}" for t in times)
    )
    report("app start to drawn home (best)", min(times), TARGET_S, "s")
    report("app start to drawn home (worst)", max(times), TARGET_S, "s")


if __name__ == "__main__":
    main()
