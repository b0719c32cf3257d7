"""Export the README's trial-screen picture: `python docs/screenshot.py` (SVG, 120x40)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fep_tui.app import FepApp, StartReplay

HERE = Path(__file__).parent
FIXTURE = HERE.parent / "tests" / "fixtures" / "b-tiny-seed0.jsonl"


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = FepApp(Path(directory), start=StartReplay(FIXTURE))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            await pilot.press("home", *["right_square_bracket"] * 5)
            await pilot.pause(0.3)
            app.save_screenshot(filename="trial-screen.svg", path=str(HERE))
    print(f"wrote {HERE / 'trial-screen.svg'}")


if __name__ == "__main__":
    asyncio.run(main())
